#!/bin/sh
# Bench: how much shape arithmetic is left on real exports with dynamic
# axes, against ONNX Runtime's basic level.
#
#   tests/bench/hf_node_counts.sh ONNX_OPT [MODEL.onnx ...]
#
# Without models it exports tests/bench/hf_models.py's BERT, GPT-2-style,
# Llama-style and ViT at opsets 12, 14 and 17 (realistic size; needs
# /usr/bin/python3 with torch 1.13). For each model: nodes of the original,
# of onnx-opt's default pipeline and of ORT's basic-level optimized model
# (saved by ORT); Reshapes whose target shape is computed in the graph
# (not an initializer or Constant) and Shape nodes in ours and ORT's; and
# the oracle's verdict on ours (batch 2, sequence 7, past 5).
set -u
opt=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
oracle="$here/../oracle/oracle.mjs"
tmp=$(mktemp -d /tmp/hf-node-counts-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
	for kind in bert gpt2 llama vit; do
		/usr/bin/python3 "$here/hf_models.py" $kind --opset 12 \
			--opset 14 --opset 17 --out "$tmp" >/dev/null || exit 1
	done
	set -- "$tmp"/*.onnx
fi

# counts MODEL: "nodes computed_reshapes shapes"
counts() {
	/usr/bin/python3 - "$1" <<'PY'
import sys, onnx
g = onnx.load(sys.argv[1], load_external_data=False).graph
constant = {i.name for i in g.initializer}
constant |= {o for n in g.node if n.op_type == "Constant" for o in n.output}
computed = sum(1 for n in g.node if n.op_type == "Reshape"
               and n.input[1] not in constant)
shapes = sum(1 for n in g.node if n.op_type == "Shape")
print(len(g.node), computed, shapes)
PY
}

printf '%-16s %6s %6s %6s | %-9s %-9s | %s\n' model orig ours ortb \
	"reshp o/b" "shape o/b" oracle
for model in "$@"; do
	name=$(basename "$model" .onnx)
	ours="$tmp/$name.ours.onnx"
	basic="$tmp/$name.basic.onnx"
	"$opt" "$model" "$ours" || { echo "$name: onnx-opt failed"; continue; }
	node "$oracle" ort-basic "$model" "$basic" >/dev/null ||
		{ echo "$name: ort-basic failed"; continue; }
	set -- $(counts "$model") $(counts "$ours") $(counts "$basic")
	verdict=$(node "$oracle" compare "$model" "$ours" --rtol 1e-3 \
		--atol 1e-4 --dim batch=2 --dim sequence=7 \
		--dim past_sequence=5 --dim total_sequence=12 \
		--int-range input_ids=0:63 --int-range attention_mask=0:1 \
		--int-range token_type_ids=0:1 --int-range position_ids=5:11 |
		head -1)
	printf '%-16s %6s %6s %6s | %4s/%-4s %4s/%-4s | %s\n' "$name" "$1" \
		"$4" "$7" "$5" "$8" "$6" "$9" "$verdict"
done
