#!/bin/sh
# Bench: is onnx-opt's output ever slower in ONNX Runtime at ORT's default
# level ('all'), and does it keep every fusion ORT makes on the original?
#
#   tests/bench/ort_latency.sh ONNX_OPT [--pairs N] [MODEL.onnx ...]
#
# Without models it exports the Hugging Face-style models of
# tests/bench/hf_models.py (BERT, GPT-2-style, Llama-style at opsets 12, 14
# and 17, ViT at 14 and 17; realistic size) with /usr/bin/python3 and
# torch 1.13; `EXPORT_DIR=DIR tests/bench/exported_models.sh ONNX_OPT`
# keeps that script's torchvision and TransformerEncoder exports in DIR to
# pass here as well.
#
# For each model, onnx-opt's default pipeline, then:
#  - fused ops: ORT 'all' saves its optimized graph of the original and of
#    ours (optimizedModelFilePath), and the LayerNorm family
#    (LayerNormalization, SkipLayerNormalization, Simplified... ), the GELU
#    family (Gelu, FastGelu, BiasGelu, QuickGelu) and the attention family
#    (Attention, MultiHeadAttention, GroupQueryAttention) are counted:
#    "fused ok" when ours has no fewer of each family;
#  - latency: --pairs (default 30) paired, interleaved measurements (10
#    runs each) of the original and ours under ORT 'all', one thread, at
#    batch 2, sequence $SEQ (default 64) and past $PAST (default 64;
#    use SEQ=8 PAST=8 for --size small models); speed = median of original/ours time
#    per pair (>= 0.98 is the target: never more than 2% slower).
# Prints one row per model; exits 1 if any model lost a fusion.
set -u
opt=$1
shift
pairs=30
seq=${SEQ:-64}
past=${PAST:-64}
if [ "${1:-}" = --pairs ]; then
	pairs=$2
	shift 2
fi
here=$(cd "$(dirname "$0")" && pwd)
paired="$here/ort_paired.mjs"
tmp=$(mktemp -d /tmp/ort-latency-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ $# -eq 0 ]; then
	for kind in bert gpt2 llama; do
		/usr/bin/python3 "$here/hf_models.py" $kind --opset 12 \
			--opset 14 --opset 17 --out "$tmp" >/dev/null || exit 1
	done
	/usr/bin/python3 "$here/hf_models.py" vit --opset 14 --opset 17 \
		--out "$tmp" >/dev/null || exit 1
	set -- "$tmp"/*.onnx
fi

# fused MODEL_ALL.onnx: "ln gelu attention" counts
fused() {
	/usr/bin/python3 - "$1" <<'PY'
import sys, onnx
ops = [n.op_type for n in onnx.load(sys.argv[1], load_external_data=False).graph.node]
fam = {"ln": ["LayerNormalization", "SkipLayerNormalization",
              "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization"],
       "gelu": ["Gelu", "FastGelu", "BiasGelu", "QuickGelu"],
       "attn": ["Attention", "MultiHeadAttention", "GroupQueryAttention"]}
print(" ".join(str(sum(ops.count(o) for o in fam[k])) for k in ("ln", "gelu", "attn")))
PY
}

lost=0
printf '%-24s %-9s %-11s %-11s %-9s | %8s %8s %7s\n' model nodes \
	"ln/gelu/att" "(orig)" fusions ms_orig ms_ours speed
for model in "$@"; do
	name=$(basename "$model" .onnx)
	ours="$tmp/$name.ours.onnx"
	if ! "$opt" --stats "$model" "$ours" 2>"$tmp/stats"; then
		echo "$name: onnx-opt failed: $(tail -1 "$tmp/stats")"
		lost=1
		continue
	fi
	nodes=$(awk '/^total /{print $2 "->" $3}' "$tmp/stats")
	node "$paired" optimize "$model" "$tmp/orig.all.onnx" >/dev/null &&
		node "$paired" optimize "$ours" "$tmp/ours.all.onnx" >/dev/null ||
		{ echo "$name: ORT could not optimize"; lost=1; continue; }
	f_orig=$(fused "$tmp/orig.all.onnx")
	f_ours=$(fused "$tmp/ours.all.onnx")
	verdict=$(echo "$f_orig $f_ours" | awk '{print ($4>=$1 && $5>=$2 && $6>=$3) ? "fused ok" : "LOST"}')
	[ "$verdict" = LOST ] && lost=1
	line=$(node "$paired" paired "$model" "$ours" --pairs "$pairs" \
		--dim batch=2 --dim sequence="$seq" --dim past_sequence="$past" \
		--dim total_sequence=$((seq + past)) --int-range input_ids=0:63 \
		--int-range attention_mask=1:1 --int-range token_type_ids=0:1 \
		--int-range position_ids="$past:$((past + seq - 1))")
	ms_a=$(echo "$line" | sed -n 's/.*a_ms=\([^ ]*\).*/\1/p')
	ms_b=$(echo "$line" | sed -n 's/.*b_ms=\([^ ]*\).*/\1/p')
	speed=$(echo "$line" | sed -n 's/.*speed=\([^ ]*\).*/\1/p')
	printf '%-24s %-9s %-11s %-11s %-9s | %8s %8s %7s\n' "$name" "$nodes" \
		"$(echo $f_ours | tr ' ' /)" "($(echo $f_orig | tr ' ' /))" \
		"$verdict" "$ms_a" "$ms_b" "${speed:-$line}"
done
exit $lost
