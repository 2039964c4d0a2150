#!/bin/bash
# Bench: the default pipeline on a Llama-style decoder of ~3.4 GB with
# external data (torch 1.13 writes one file per tensor above 2 GB), output
# in another folder, against `cp -r` of the model's folder to the same
# disk, measured side by side in one run.
#
#     tests/bench/large_model.sh ONNX_OPT [WORK_DIR]
#
# The model is tests/bench/hf_models.py's Llama-style decoder (past
# key/values, rotary, SwiGLU) at 16 layers, hidden 2048, 16 heads,
# SwiGLU 5504, vocab 8000, random weights, exported at opset 14 with
# --no-constant-folding into WORK_DIR/model, kept for reruns when WORK_DIR is given, deleted
# otherwise; generating it takes several GB of memory and minutes. Prints:
# wall time / cp -r (and / cp -r + sync, since onnx-opt fsyncs), peak RSS /
# model size, bytes written to the disk during the run / the output's size
# on disk, the Transposes of initializers left, and the oracle's verdict
# on a short input (ORT on both models).
set -u
opt=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 2 ]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/onnxopt-large-XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
model=$work/model/model.onnx
[ -s "$model" ] ||
	{ mkdir -p "$work/model" && /usr/bin/python3 "$here/hf_models.py" llama \
		--opset 14 --layers 16 --hidden 2048 --heads 16 --kv-heads 16 \
		--intermediate 5504 --vocab 8000 --max-positions 2048 \
		--no-constant-folding --out "$model" >/dev/null; } || exit 1
size=$(du -sb "$work/model" | cut -f1)
files=$(ls "$work/model" | wc -l)

seconds() { /usr/bin/time -f %e -o "$work/time" "$@" && cat "$work/time"; }
rm -rf "$work/copy" "$work/out"
cat "$work/model"/* >/dev/null # the same page-cache start for every run
cp_s=$(seconds cp -r "$work/model" "$work/copy")
rm -rf "$work/copy"
cps_s=$(seconds sh -c 'cp -r "$1" "$2" && sync "$2"/*' - "$work/model" \
	"$work/copy")
rm -rf "$work/copy"
mkdir -p "$work/out"
# Bytes written to the work dir's disk during the run (sectors written in
# /proc/diskstats, after a sync on both sides; other writers on the
# machine count too): each new tensor should reach the disk once.
disk=$(basename "$(df --output=source "$work" | tail -1)")
sectors() { awk -v d="$disk" '$3 == d { print $10 }' /proc/diskstats; }
sync
written_before=$(sectors)
/usr/bin/time -f "%e %M" -o "$work/time" "$opt" --stats "$model" \
	"$work/out/model.onnx" 2>"$work/stats" || { cat "$work/stats"; exit 1; }
sync
written_after=$(sectors)
written=-1
[ -n "$written_before" ] && [ -n "$written_after" ] &&
	written=$(( (written_after - written_before) * 512 ))
read -r opt_s rss_kb <"$work/time"
out_size=$(du -sb "$work/out" | cut -f1)
out_disk=$(du -sB1 "$work/out" | cut -f1)
transposes=$(/usr/bin/python3 - "$model" "$work/out/model.onnx" <<'PY'
import onnx, sys
for path in sys.argv[1:]:
    g = onnx.load(path, load_external_data=False).graph
    inits = {t.name for t in g.initializer}
    print(sum(n.op_type == "Transpose" and n.input[0] in inits
              for n in g.node), end=" ")
PY
)
oracle=$(node "$here/../oracle/oracle.mjs" compare "$model" \
	"$work/out/model.onnx" --dim batch=1 --dim sequence=4 \
	--dim past_sequence=2 --dim total_sequence=6 --int-range input_ids=0:7999 \
	--int-range attention_mask=1:1 --int-range position_ids=2:5 2>&1)
awk -v o="$opt_s" -v c="$cp_s" -v cs="$cps_s" -v r="$rss_kb" -v s="$size" \
    -v os="$out_size" -v f="$files" -v t="$transposes" -v orc="$oracle" \
    -v w="$written" -v od="$out_disk" \
    'BEGIN {
	split(t, tt, " ")
	printf "Llama-style decoder, %.2f GB in %d files (external data)\n", s / 1e9, f
	printf "onnx-opt %.2f s, cp -r %.2f s, cp -r + sync %.2f s\n", o, c, cs
	printf "time / cp -r:        %.2fx (target <= 2x)\n", o / c
	printf "time / cp -r + sync: %.2fx\n", o / cs
	printf "peak RSS / size:     %.3fx (%.0f MiB; target <= 0.25x)\n", r * 1024 / s, r / 1024
	printf "output: %.2f GB (model + one data file; %.2f GB on disk)\n", os / 1e9, od / 1e9
	if (w >= 0)
		printf "disk writes / output on disk: %.2fx (%.2f GB)\n", w / od, w / 1e9
	else
		printf "disk writes: not measured (no /proc/diskstats entry)\n"
	printf "Transposes of initializers: %d before, %d after\n", tt[1], tt[2]
	printf "oracle: %s\n", orc
}'
grep -E '^(fold|fuse_qkv|eliminate_duplicate_initializer) +1 |^load ' \
	"$work/stats"
