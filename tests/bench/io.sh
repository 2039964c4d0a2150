#!/bin/sh
# Bench: load+save speed and peak memory of `onnx-opt -p dce` and of the
# default pipeline against copying the file, on a large generated model
# (default 400 MB of weights).
#
#   tests/bench/io.sh ONNX_OPT [MODEL.onnx]
#
# Prints the ratios time(onnx-opt)/time(cp) and peak RSS / file size.
set -eu
opt=$1
# Outputs go to memory when it can: disk write-back noise would swamp
# the ratios.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	tmp=$(mktemp -d -p /dev/shm)
else
	tmp=$(mktemp -d)
fi
trap 'rm -rf "$tmp"' EXIT
model=${2:-}
if [ -z "$model" ]; then
	model="$tmp/big.onnx"
	/usr/bin/python3 - "$model" <<'PY'
import sys
import numpy as np
from onnx import helper, numpy_helper, TensorProto, save
rng = np.random.default_rng(0)
inits, nodes, prev = [], [], "x"
for i in range(25):   # 25 x 2048 x 2048 float32 = 400 MiB
    inits.append(numpy_helper.from_array(
        rng.standard_normal((2048, 2048), dtype=np.float32), f"w{i}"))
    nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"]))
    prev = f"h{i}"
g = helper.make_graph(nodes, "big",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2048])],
    [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["batch", 2048])],
    inits)
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
     sys.argv[1])
PY
fi
size_kb=$(($(stat -c %s "$model") / 1024))
best() { # best-of-3 wall seconds and max RSS in KB of a command
	best_s=999999
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null
		read -r s rss <"$tmp/t"
		best_s=$(awk -v a="$s" -v b="$best_s" 'BEGIN{print (a<b)?a:b}')
	done
	echo "$best_s $rss"
}
read -r cp_s cp_rss <<EOT
$(best cp "$model" "$tmp/copy.onnx")
EOT
read -r opt_s opt_rss <<EOT
$(best "$opt" -p dce "$model" "$tmp/out.onnx")
EOT
read -r def_s def_rss <<EOT
$(best "$opt" "$model" "$tmp/out.onnx")
EOT
echo "model: $model ($size_kb KB)"
echo "cp:                        ${cp_s} s, peak RSS ${cp_rss} KB"
echo "onnx-opt -p dce:           ${opt_s} s, peak RSS ${opt_rss} KB"
echo "onnx-opt default pipeline: ${def_s} s, peak RSS ${def_rss} KB"
awk -v o="$opt_s" -v d="$def_s" -v c="$cp_s" -v r="$opt_rss" \
	-v q="$def_rss" -v f="$size_kb" 'BEGIN {
	printf "time ratio (-p dce)/cp: %.2f\n", (c > 0 ? o / c : 0)
	printf "time ratio (default)/cp: %.2f\n", (c > 0 ? d / c : 0)
	printf "peak memory / file size (-p dce): %.2f\n", r / f
	printf "peak memory / file size (default): %.2f\n", q / f }'
