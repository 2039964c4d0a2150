#!/bin/sh
# Install what onnx-opt needs on a fresh Debian 12 machine (as root).
#   tools/install-deps.sh          build dependencies only
#   tools/install-deps.sh --test   plus everything the tests need
set -eu
packages="meson ninja-build gcc pkg-config protobuf-c-compiler libprotobuf-c-dev uthash-dev libopenblas-dev"
if [ "${1:-}" = "--test" ]; then
	packages="$packages check libonnx-testdata python3 time graphviz python3-onnx python3-numpy python3-torch"
	command -v node >/dev/null 2>&1 || packages="$packages nodejs npm"
fi
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
fi
if [ "${1:-}" = "--test" ]; then
	# ONNX Runtime is the numerical oracle. The skip flag stops its
	# install script from downloading GPU binaries, which fails here.
	here=$(cd "$(dirname "$0")/.." && pwd)
	if [ ! -d "$here/tests/oracle/node_modules/onnxruntime-node" ]; then
		(cd "$here/tests/oracle" &&
			npm ci --no-audit --no-fund --onnxruntime-node-install=skip >/dev/null 2>&1 ||
			npm install --no-audit --no-fund --onnxruntime-node-install=skip >/dev/null)
	fi
fi
