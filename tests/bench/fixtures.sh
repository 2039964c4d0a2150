#!/bin/sh
# Bench: for each fixture, node counts and ONNX Runtime latency (ORT's own
# optimizations disabled) of three versions of the model: the original,
# onnx-opt's default-pipeline output, and ORT's basic-level optimized model
# (saved by ORT itself). Also checks that all three compute the same outputs.
#
#   tests/bench/fixtures.sh ONNX_OPT [FIXTURE.onnx ...]
#
# Prints one table row per fixture; latency is the median of 1000 runs at batch 4, sequence 64.
set -u
opt=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(dirname "$here")
oracle="$here/oracle/oracle.mjs"
[ $# -gt 0 ] || set -- "$root"/fixtures/bert_opset12.onnx \
	"$root"/fixtures/bert_opset14.onnx "$root"/fixtures/gpt_opset14.onnx \
	"$root"/fixtures/bert_opset17_manual_ln.onnx \
	"$root"/fixtures/vit_block.onnx "$root"/fixtures/cnn_conv_bn.onnx \
	"$root"/fixtures/mobilenet_block.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nodes() {
	"$opt" -p none --stats "$1" "$tmp/count.onnx" 2>&1 |
		awk '/^total /{print $2}'
}
ms() {
	node "$oracle" latency "$1" --dim batch=4 --dim sequence=64 --runs 1000 |
		awk '/^LATENCY_MS/{print $2}'
}
same() {
	node "$oracle" compare "$1" "$2" --rtol 1e-3 --atol 1e-4 | head -1
}

printf '%-28s %7s %7s %7s | %9s %9s %9s | %s\n' fixture n_orig n_ours \
	n_ortb ms_orig ms_ours ms_ortb "outputs (ours, ort-basic)"
for model in "$@"; do
	name=$(basename "$model" .onnx)
	ours="$tmp/$name.ours.onnx"
	basic="$tmp/$name.ortbasic.onnx"
	"$opt" "$model" "$ours" || { echo "$name: onnx-opt failed"; continue; }
	node "$oracle" ort-basic "$model" "$basic" >/dev/null ||
		{ echo "$name: ort-basic failed"; continue; }
	printf '%-28s %7s %7s %7s | %9s %9s %9s | %s, %s\n' "$name" \
		"$(nodes "$model")" "$(nodes "$ours")" "$(nodes "$basic")" \
		"$(ms "$model")" "$(ms "$ours")" "$(ms "$basic")" \
		"$(same "$model" "$ours")" "$(same "$model" "$basic")"
done
