#!/bin/sh
# README command (2): install everything the tests need on a fresh Debian 12
# machine, build, and run every test: the Check suites and harnesses
# registered with meson, the oracle's self-test, libonnx-testdata
# conformance under ONNX Runtime for the default pipeline and each pass
# group, the golden fixture tests, conformance after opset conversion,
# --check over every backend model, every suite again under ASan/UBSan, the
# Python binding, its install from a --destdir tree, and
# examples/export_bert.py.
#
# Ends with one line "tests: N passed, M failed" (N and M count the steps
# below) and exits non-zero if any step failed.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-build-test}

tools/install-deps.sh --test || { echo "tests: 0 passed, 1 failed"; exit 1; }

passed=0
failed=0
failed_steps=""
step() {
	name=$1
	shift
	echo "==> $name"
	start=$(date +%s)
	if "$@"; then
		passed=$((passed + 1))
		echo "<== $name: ok ($(($(date +%s) - start)) s)"
	else
		failed=$((failed + 1))
		failed_steps="$failed_steps $name"
		echo "<== $name: FAILED ($(($(date +%s) - start)) s)"
	fi
}

configure() {
	if [ -d "$build" ]; then
		meson setup --reconfigure -Dtest_hooks=true "$build" >/dev/null
	else
		meson setup -Dtest_hooks=true "$build" >/dev/null
	fi && meson compile -C "$build"
}

step build configure
if [ "$failed" -ne 0 ]; then
	echo "tests: $passed passed, $failed failed"
	exit 1
fi
opt="$root/$build/tools/onnx-opt"
step unit-and-harnesses meson test -C "$build" --print-errorlogs \
	--num-processes 2
step oracle-selftest node tests/oracle/oracle.mjs selftest
step conformance tests/conformance.sh "$opt" default dce fold eliminate fuse
step golden tests/golden.sh "$opt"
step convert-conformance tests/convert_conformance.sh "$opt"
step check-backend tests/check_backend.sh "$opt"
step sanitizers tests/sanitize.sh "$root/build-asan" --num-processes 2
step python env ONNXOPT_LIBRARY="$root/$build/lib/libonnxopt.so" \
	/usr/bin/python3 tools/python/test_onnxopt.py "$root"
step python-install tests/python_install.sh "$build"
step example env PYTHONPATH="$root/tools/python" \
	ONNXOPT_LIBRARY="$root/$build/lib/libonnxopt.so" \
	/usr/bin/python3 examples/export_bert.py

[ -n "$failed_steps" ] && echo "failed steps:$failed_steps"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
