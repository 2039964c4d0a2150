"""Write the models tests/cli/external_data.sh needs into DIR (test time,
nothing committed): a small MatMul model whose weight W is stored as
external data, once per hostile location, and once well formed.

    make_external_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = os.path.abspath(sys.argv[1])
rng = np.random.default_rng(7)
W = rng.standard_normal((64, 32)).astype(np.float32)
B = rng.standard_normal((64,)).astype(np.float32)


def model(weight):
    """y = x @ W^T + B: the Transpose of the external W folds."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])
    nodes = [helper.make_node("Transpose", ["W"], ["Wt"], perm=[1, 0]),
             helper.make_node("MatMul", ["x", "Wt"], ["xw"]),
             helper.make_node("Add", ["xw", "B"], ["y"])]
    g = helper.make_graph(nodes, "g", [x], [y],
                          [weight, numpy_helper.from_array(B, "B")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def external(location, offset=None, length=None):
    t = numpy_helper.from_array(W, "W")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for key, value in entries:
        e = t.external_data.add()
        e.key, e.value = key, value
    return t


def write(folder, name, location, offset=None, length=None):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(model(external(location, offset, length))
                .SerializeToString())


# The good model: W at offset 100 of a shared data file (not aligned, and
# another tensor's bytes around it).
good = os.path.join(out, "good")
os.makedirs(good, exist_ok=True)
with open(os.path.join(good, "weights.bin"), "wb") as f:
    f.write(b"\x01" * 100 + W.tobytes() + b"\x02" * 50)
write(good, "model.onnx", "weights.bin", 100, W.nbytes)
# The same through a symlink that stays inside the folder.
os.makedirs(os.path.join(good, "sub"), exist_ok=True)
os.symlink("../weights.bin", os.path.join(good, "sub", "link.bin"))
write(good, "via_link.onnx", "sub/link.bin", 100, W.nbytes)
# Inline twin, for --external-data on an inline model.
onnx.save(model(numpy_helper.from_array(W, "W")),
          os.path.join(out, "inline.onnx"))

# Hostile locations, each beside its own copy of the data.
bad = os.path.join(out, "bad")
os.makedirs(bad, exist_ok=True)
secret = os.path.join(out, "secret.bin")
with open(secret, "wb") as f:
    f.write(W.tobytes())
write(bad, "absolute.onnx", secret, 0, W.nbytes)
write(bad, "dotdot.onnx", "../secret.bin", 0, W.nbytes)
write(bad, "dotdot_deep.onnx", "sub/../../secret.bin", 0, W.nbytes)
os.makedirs(os.path.join(bad, "sub"), exist_ok=True)
os.symlink(secret, os.path.join(bad, "abs_link.bin"))
write(bad, "symlink_absolute.onnx", "abs_link.bin", 0, W.nbytes)
os.symlink("../secret.bin", os.path.join(bad, "rel_link.bin"))
write(bad, "symlink_relative.onnx", "rel_link.bin", 0, W.nbytes)
os.symlink("../..", os.path.join(bad, "sub", "up"))
write(bad, "symlink_dir.onnx", "sub/up/secret.bin", 0, W.nbytes)
write(bad, "directory.onnx", "sub", 0, W.nbytes)
os.mkfifo(os.path.join(bad, "fifo.bin"))
write(bad, "fifo.onnx", "fifo.bin", 0, W.nbytes)
with open(os.path.join(bad, "short.bin"), "wb") as f:
    f.write(W.tobytes()[:1000])
write(bad, "past_end.onnx", "short.bin", 0, W.nbytes)
write(bad, "offset_past_end.onnx", "short.bin", 5000)
write(bad, "missing.onnx", "nowhere.bin", 0, W.nbytes)
