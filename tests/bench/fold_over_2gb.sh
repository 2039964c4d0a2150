#!/bin/bash
# Bench (slow, needs ~8 GB of disk and ~3 GB of memory): a model that is
# small on disk but crosses protobuf's 2 GB limit only because folding grows
# it. y = x + Expand(c, [600000000]) folds the Expand into a 2.4 GB
# initializer; without any flag onnx-opt must write it with external data
# (with a note), never a protobuf over 2 GB, and ONNX Runtime must load the
# result.
#
#     tests/bench/fold_over_2gb.sh ONNX_OPT
set -u
opt=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/onnxopt-fold2gb-XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/small.onnx" <<'PY' || exit 1
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
n = 600_000_000
g = helper.make_graph(
    [helper.make_node("Expand", ["c", "shape"], ["big"]),
     helper.make_node("Add", ["x", "big"], ["y"])], "grow",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])],
    [numpy_helper.from_array(np.array([0.5], np.float32), "c"),
     numpy_helper.from_array(np.array([n], np.int64), "shape")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
          sys.argv[1])
PY
mkdir -p "$work/out"
"$opt" --fold-size-limit -1 --fold-memory-limit -1 "$work/small.onnx" \
	"$work/out/big.onnx" 2>"$work/stderr"
status=$?
echo "exit status: $status (want 0)"
echo "stderr: $(cat "$work/stderr")"
ls -l "$work/out"
echo "model file: $(stat -c %s "$work/out/big.onnx") bytes (want well under 2 GB)"
/usr/bin/python3 - "$work/out/big.onnx" <<'PY'
import onnx, sys
m = onnx.load(sys.argv[1], load_external_data=False)
print("Expand nodes left:", sum(n.op_type == "Expand" for n in m.graph.node))
for t in m.graph.initializer:
    ext = {e.key: e.value for e in t.external_data}
    print("initializer", t.name, list(t.dims), "external" if ext else "inline", ext)
PY
cd "$here/../oracle" && node -e '
const ort = require("onnxruntime-node");
ort.InferenceSession.create(process.argv[1]).then(
  (s) => console.log("ORT loads it: inputs", s.inputNames, "outputs", s.outputNames),
  (e) => { console.log("ORT cannot load it:", e.message); process.exit(1); });
' "$work/out/big.onnx"
