#!/bin/sh
# roundtrip.sh - run roundtrip_check by hand over the default model sets.
#
#     tests/roundtrip.sh [BUILD_DIR] [PATH...]
#
# BUILD_DIR defaults to ./build. Without PATHs it checks the ONNX backend
# test data and fixtures/*.onnx, through both the library and the CLI
# (onnx-opt -p none). The same checks run as `meson test --suite roundtrip`.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[ $# -gt 0 ] && shift
check=$build/tests/roundtrip_check
opt=$build/tools/onnx-opt
if [ ! -x "$check" ] || [ ! -x "$opt" ]; then
	echo "roundtrip.sh: build first: meson compile -C $build" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	set -- /usr/share/libonnx-testdata/data "$root/fixtures"
fi
exec "$check" --cli "$opt" "$@"
