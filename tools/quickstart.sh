#!/bin/sh
# README command (1): install, build, and optimize a bundled fixture,
# printing the --stats table.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
out=$(mktemp -d)
build/tools/onnx-opt --stats fixtures/bert_opset14.onnx "$out/bert_opset14.opt.onnx"
ls -l fixtures/bert_opset14.onnx "$out/bert_opset14.opt.onnx"
rm -rf "$out"
