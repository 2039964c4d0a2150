#!/bin/sh
# Bench: `onnx-opt --check` on a BERT-base-size model (12 layers, hidden
# 768, 12 heads, intermediate 3072, opset 17) at batch 1, sequence 128,
# against ONNX Runtime doing the same work single-threaded: load the
# original and the optimized model and run each once.
#
#   tests/bench/check_speed.sh ONNX_OPT [RUNS]
#
# Needs /usr/bin/python3 with torch and onnx (the model is generated here,
# never committed) and tests/oracle's onnxruntime-node. Both sides run
# single-threaded (OPENBLAS_NUM_THREADS=1 for a -Dblas build), best of
# RUNS (default 3), alternating. Prints the times and the ratios
# check/ORT (load + run) and check/ORT (runs only).
set -eu
opt=$(realpath "$1")
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/onnxopt-check-speed-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$here/hf_models.py" bert --layers 12 --hidden 768 \
	--heads 12 --intermediate 3072 --opset 17 --out "$tmp/dynamic.onnx" \
	>/dev/null
# Fixed dims (batch 1, sequence 128), so that both sides run the same
# shapes.
/usr/bin/python3 - "$tmp/dynamic.onnx" "$tmp/bert.onnx" <<'PY'
import sys
import onnx
m = onnx.load(sys.argv[1])
for value in list(m.graph.input) + list(m.graph.output):
    for dim in value.type.tensor_type.shape.dim:
        if dim.dim_param:
            size = 1 if dim.dim_param == "batch" else 128
            dim.ClearField("dim_param")
            dim.dim_value = size
onnx.save(m, sys.argv[2])
PY
rm -f "$tmp/dynamic.onnx"
"$opt" "$tmp/bert.onnx" "$tmp/bert_opt.onnx"
nodes() {
	/usr/bin/python3 -c "import onnx,sys; print(len(onnx.load(sys.argv[1]).graph.node))" "$1"
}
echo "model: $(nodes "$tmp/bert.onnx") nodes, optimized $(nodes "$tmp/bert_opt.onnx"); $(stat -c %s "$tmp/bert.onnx") bytes"

export OPENBLAS_NUM_THREADS=1
best_check=""
best_ort=""
best_run=""
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
i=0
while [ "$i" -lt "$runs" ]; do
	ms=$("$opt" --check "$tmp/bert.onnx" "$tmp/out.onnx" 2>&1 |
		sed -n 's/^check: .*(\([0-9.]*\) ms)$/\1/p')
	[ -n "$ms" ] || { echo "check_speed: --check failed" >&2; exit 1; }
	set -- $(node "$here/ort_time.mjs" "$tmp/bert.onnx" "$tmp/bert_opt.onnx")
	best_check=$(min "$best_check" "$ms")
	best_ort=$(min "$best_ort" "$2")
	best_run=$(min "$best_run" "$4")
	echo "run $((i + 1)): check $ms ms, ORT load+run $2 ms, ORT runs $4 ms"
	i=$((i + 1))
done
awk -v c="$best_check" -v o="$best_ort" -v r="$best_run" 'BEGIN {
	printf "best: check %.0f ms, ORT load+run %.0f ms, ORT runs %.0f ms\n", c, o, r
	printf "ratio check/ORT (load+run): %.2f\n", c / o
	printf "ratio check/ORT (runs only): %.2f\n", c / r
}'
