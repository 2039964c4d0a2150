#!/bin/sh
# Bench: why onnx-opt's ViT runs slower under ONNX Runtime 'all' than the
# original export (issue 11). ORT 1.30 fuses Add + Add + LayerNormalization
# into com.microsoft SkipLayerNormalization only where it knows both Add
# inputs have the same 3-D shape. In the original ViT export the Reshapes
# take computed shapes, so ORT never learns them; in onnx-opt's output the
# shapes are constants and ORT fuses the last block's residual (the only
# one whose sum has no other reader). ORT's CPU SkipLayerNormalization is
# several times slower than the three ops it replaces.
#
#   tests/bench/ort_skip_layer_norm.sh ONNX_OPT [VIT.onnx]
#
# Prints:
#  1. kernel: 20 SkipLayerNormalization (with bias) against 20 Add, Add,
#     LayerNormalization on [2, 197, 256] floats, ORT optimizations
#     disabled, one thread, 20 paired runs (speed > 1: the unfused ops
#     are faster);
#  2. with a ViT (default: tests/bench/hf_models.py vit --opset 14): the
#     SkipLayerNormalization count in ORT 'all' graphs of the original and
#     of onnx-opt's output, and the paired latency (ORT disabled, on those
#     saved 'all' graphs) of the original's graph against ours, and of ours
#     against ours with its SkipLayerNormalization written back as Add,
#     Add, LayerNormalization.
set -u
opt=$1
here=$(cd "$(dirname "$0")" && pwd)
paired="$here/ort_paired.mjs"
tmp=$(mktemp -d /tmp/ort-skipln-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
vit=${2:-}
if [ -z "$vit" ]; then
	/usr/bin/python3 "$here/hf_models.py" vit --opset 14 --out "$tmp/vit.onnx" >/dev/null || exit 1
	vit="$tmp/vit.onnx"
fi
/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper as nh
out = sys.argv[1]
def chain(skip):
    t = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 197, 256])
    inits = [nh.from_array(np.ones(256, np.float32), "g"),
             nh.from_array(np.zeros(256, np.float32), "b"),
             nh.from_array(np.full(256, 0.1, np.float32), "bias")]
    nodes, cur = [], "x"
    for i in range(20):
        o = "y" if i == 19 else f"y{i}"
        if skip:
            nodes.append(helper.make_node("SkipLayerNormalization", [cur, "s", "g", "b", "bias"], [o],
                                          domain="com.microsoft", epsilon=1e-5))
        else:
            nodes += [helper.make_node("Add", ["bias", cur], [f"a{i}"]),
                      helper.make_node("Add", [f"a{i}", "s"], [f"c{i}"]),
                      helper.make_node("LayerNormalization", [f"c{i}", "g", "b"], [o], epsilon=1e-5)]
        cur = o
    g = helper.make_graph(nodes, "g", [t("x"), t("s")], [t("y")], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                               helper.make_opsetid("com.microsoft", 1)])
onnx.save(chain(True), f"{out}/skip.onnx")
onnx.save(chain(False), f"{out}/unfused.onnx")
PY
echo "kernel: SkipLayerNormalization vs Add+Add+LayerNormalization:" \
	"$(node "$paired" paired "$tmp/skip.onnx" "$tmp/unfused.onnx" --level disabled --dim batch=2 --pairs 20)"
"$opt" --quiet "$vit" "$tmp/ours.onnx" || exit 1
node "$paired" optimize "$vit" "$tmp/orig.all.onnx" >/dev/null &&
	node "$paired" optimize "$tmp/ours.onnx" "$tmp/ours.all.onnx" >/dev/null || exit 1
/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import sys, onnx
from onnx import helper
out = sys.argv[1]
for k in ("orig", "ours"):
    m = onnx.load(f"{out}/{k}.all.onnx")
    print(f"SkipLayerNormalization in ORT 'all' of {k}:",
          sum(n.op_type == "SkipLayerNormalization" for n in m.graph.node))
m = onnx.load(f"{out}/ours.all.onnx")
nodes = []
for i, n in enumerate(m.graph.node):
    if n.op_type != "SkipLayerNormalization":
        nodes.append(n)
        continue
    x, skip, gamma, beta = n.input[:4]
    eps = [a.f for a in n.attribute if a.name == "epsilon"] or [1e-12]
    s = x
    if len(n.input) > 4 and n.input[4]:
        nodes.append(helper.make_node("Add", [x, n.input[4]], [f"unfused_bias_{i}"]))
        s = f"unfused_bias_{i}"
    nodes.append(helper.make_node("Add", [s, skip], [f"unfused_sum_{i}"]))
    nodes.append(helper.make_node("LayerNormalization", [f"unfused_sum_{i}", gamma, beta],
                                  [n.output[0]], axis=-1, epsilon=eps[0]))
del m.graph.node[:]
m.graph.node.extend(nodes)
onnx.save(m, f"{out}/ours.all.unfused.onnx")
PY
echo "ViT, original's 'all' graph vs ours:" \
	"$(node "$paired" paired "$tmp/orig.all.onnx" "$tmp/ours.all.onnx" --level disabled --dim batch=2 --pairs 30)"
echo "ViT, ours vs ours with SkipLayerNormalization unfused:" \
	"$(node "$paired" paired "$tmp/ours.all.onnx" "$tmp/ours.all.unfused.onnx" --level disabled --dim batch=2 --pairs 30)"
