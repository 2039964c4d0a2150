#!/bin/bash
# Bench: the default pipeline on an inline BERT-base (12 layers, hidden 768,
# vocab 30522, ~435 MB, exported by torch 1.13 with do_constant_folding=False
# so that every Linear weight is transposed at run time), against copying
# the file on the same disk, measured side by side in one run.
#
#     tests/bench/bert_base.sh ONNX_OPT [WORK_DIR]
#
# The model is tests/bench/hf_models.py's BERT at that size, generated into
# WORK_DIR at opset 14 with --no-constant-folding, kept
# there for reruns when WORK_DIR is given, deleted otherwise. Prints: time
# of onnx-opt / time of cp (and / cp + sync, since onnx-opt fsyncs its
# output), peak RSS / file size, the Transposes of initializers left, and
# the oracle's verdict (ORT on both models).
set -u
opt=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 2 ]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/onnxopt-bert-XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
model=$work/bert.onnx
[ -s "$model" ] || /usr/bin/python3 "$here/hf_models.py" bert --opset 14 \
	--layers 12 --hidden 768 --heads 12 --intermediate 3072 --vocab 30522 \
	--max-positions 512 --no-constant-folding --out "$model" >/dev/null ||
	exit 1
size=$(stat -c %s "$model")
cat "$model" >/dev/null # same page-cache start for both

seconds() { /usr/bin/time -f %e -o "$work/time" "$@" && cat "$work/time"; }
rm -f "$work/copy.onnx" "$work/out.onnx"
cp_s=$(seconds cp "$model" "$work/copy.onnx")
rm -f "$work/copy.onnx"
cps_s=$(seconds sh -c 'cp "$1" "$2" && sync "$2"' - "$model" "$work/copy.onnx")
rm -f "$work/copy.onnx"
/usr/bin/time -f "%e %M" -o "$work/time" "$opt" --quiet "$model" \
	"$work/out.onnx" || exit 1
read -r opt_s rss_kb <"$work/time"
transposes=$(/usr/bin/python3 - "$work/out.onnx" <<'PY'
import onnx, sys
g = onnx.load(sys.argv[1], load_external_data=False).graph
inits = {t.name for t in g.initializer}
print(sum(n.op_type == "Transpose" and n.input[0] in inits for n in g.node))
PY
)
oracle=$(node "$here/../oracle/oracle.mjs" compare "$model" "$work/out.onnx" \
	--dim batch=1 --dim sequence=8 --int-range input_ids=0:30000 \
	--int-range attention_mask=1:1 --int-range token_type_ids=0:1 2>&1)
awk -v o="$opt_s" -v c="$cp_s" -v cs="$cps_s" -v r="$rss_kb" -v s="$size" \
    -v t="$transposes" -v orc="$oracle" 'BEGIN {
	printf "BERT-base inline, %.0f MB\n", s / 1e6
	printf "onnx-opt %.2f s, cp %.2f s, cp+sync %.2f s\n", o, c, cs
	printf "time / cp:        %.2fx (target <= 2x)\n", o / c
	printf "time / cp+sync:   %.2fx\n", o / cs
	printf "peak RSS / size:  %.2fx (%.0f MiB; target <= 1.2x)\n", r * 1024 / s, r / 1024
	printf "Transposes of initializers left: %d\n", t
	printf "oracle: %s\n", orc
}'
