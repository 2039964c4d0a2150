#!/usr/bin/python3
"""Generate tests/fold_cases: node test cases in the libonnx-testdata
layout (model.onnx + test_data_set_0/{input,output}_N.pb) for operators
and opsets that ONNX 1.12's own data does not cover. Expected outputs come
from numpy and PyTorch, never from onnx-opt.

Run offline with the system interpreter (python3-onnx, numpy, torch):
    /usr/bin/python3 tests/fold_cases/generate.py tests/fold_cases
The test suite itself needs no Python: tests/fold_check reads the files.
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__)
TYPES = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE
rng = np.random.default_rng(20240601)


def save(name, nodes, inputs, outputs, opset):
    """One case: a single-graph model whose inputs and outputs are named
    arrays; the graph inputs are what fold_check turns into constants."""
    if not isinstance(nodes, list):
        nodes = [nodes]
    case = os.path.join(ROOT, name)
    os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
    info = lambda k, v: helper.make_tensor_value_info(k, TYPES[v.dtype],
                                                      list(v.shape))
    graph = helper.make_graph(nodes, name, [info(k, v) for k, v in inputs],
                              [info(k, v) for k, v in outputs])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(case, "model.onnx"))
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, (k, v) in enumerate(arrays):
            path = os.path.join(case, "test_data_set_0", f"{kind}_{i}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(v, k).SerializeToString())


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def node(op, ins, outs, **attrs):
    return helper.make_node(op, ins, outs, **attrs)


# ------------------------------------------------------- normalizations
x = f32(2, 6, 3, 4)
for opset in (18, 21):
    groups = 3
    n_param = groups if opset == 18 else 6
    s, b = f32(n_param), f32(n_param)
    w, bb = (np.repeat(s, 2), np.repeat(b, 2)) if opset == 18 else (s, b)
    y = torch.nn.functional.group_norm(torch.tensor(x), groups,
                                       torch.tensor(w), torch.tensor(bb),
                                       eps=1e-5).numpy()
    save(f"test_groupnorm_{opset}",
         node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=groups),
         [("x", x), ("s", s), ("b", b)], [("y", y)], opset)
for p in (1, 2):
    norm = np.sum(np.abs(x), axis=1, keepdims=True) if p == 1 else \
        np.linalg.norm(x, axis=1, keepdims=True)
    save(f"test_lpnorm_p{p}", node("LpNormalization", ["x"], ["y"], p=p, axis=1),
         [("x", x)], [("y", (x / norm).astype(np.float32))], 13)
x3 = f32(3, 4, 5)
scale = f32(5)
rms = x3 / np.sqrt((x3 * x3).mean(axis=-1, keepdims=True) + 1e-5) * scale
save("test_rmsnorm_23", node("RMSNormalization", ["x", "s"], ["y"]),
     [("x", x3), ("s", scale)], [("y", rms.astype(np.float32))], 23)

# ---------------------------------------------------- regions and shapes
def center_crop_pad(a, shape, axes):
    out = a
    for axis, target in zip(axes, shape):
        d = out.shape[axis]
        if d >= target:
            start = (d - target) // 2
            out = np.take(out, range(start, start + target), axis=axis)
        else:
            before = (target - d) // 2
            pads = [(0, 0)] * out.ndim
            pads[axis] = (before, target - d - before)
            out = np.pad(out, pads)
    return out


a = f32(5, 7, 3)
save("test_centercroppad",
     node("CenterCropPad", ["a", "sh"], ["y"], axes=[0, 1]),
     [("a", a), ("sh", np.array([4, 10], dtype=np.int64))],
     [("y", center_crop_pad(a, [4, 10], [0, 1]))], 18)
save("test_centercroppad_all", node("CenterCropPad", ["a", "sh"], ["y"]),
     [("a", a), ("sh", np.array([2, 9, 4], dtype=np.int64))],
     [("y", center_crop_pad(a, [2, 9, 4], [0, 1, 2]))], 18)
pads, axes = np.array([1, 2], dtype=np.int64), np.array([2], dtype=np.int64)
for mode, opset in (("edge", 18), ("wrap", 19)):
    save(f"test_pad_{mode}_axes_{opset}",
         node("Pad", ["x", "p", "", "a"], ["y"], mode=mode),
         [("x", x3), ("p", pads), ("a", axes)],
         [("y", np.pad(x3, ((0, 0), (0, 0), (1, 2)), mode=mode))], opset)
save("test_split_num_outputs_18",
     node("Split", ["x"], ["a", "b"], axis=2, num_outputs=2), [("x", x3)],
     [("a", x3[:, :, :3]), ("b", x3[:, :, 3:])], 18)
save("test_shape_start_end_15", node("Shape", ["x"], ["y"], start=1, end=3),
     [("x", x3)], [("y", np.array([4, 5], dtype=np.int64))], 15)
t4 = f32(3, 9, 5, 20)
for perm in ([0, 3, 1, 2], [2, 1, 0, 3]):
    save("test_transpose_4d_" + "".join(map(str, perm)),
         node("Transpose", ["t"], ["y"], perm=perm), [("t", t4)],
         [("y", t4.transpose(perm))], 13)

# ------------------------------------------------------------ reductions
axes02 = np.array([0, 2], dtype=np.int64)
save("test_reducemax_axes_input_18",
     node("ReduceMax", ["x", "ax"], ["y"], keepdims=0),
     [("x", x3), ("ax", axes02)], [("y", x3.max(axis=(0, 2)))], 18)
save("test_reducel2_axes_input_18", node("ReduceL2", ["x", "ax"], ["y"]),
     [("x", x3), ("ax", axes02)],
     [("y", np.sqrt((x3 * x3).sum(axis=(0, 2), keepdims=True)))], 18)
save("test_reducemean_noop_18",
     node("ReduceMean", ["x", "e"], ["y"], noop_with_empty_axes=1),
     [("x", x3), ("e", np.array([], dtype=np.int64))], [("y", x3)], 18)

# ------------------------------------------------- element-wise, casting
save("test_gelu_20", node("Gelu", ["x"], ["y"]), [("x", x3)],
     [("y", torch.nn.functional.gelu(torch.tensor(x3)).numpy())], 20)
save("test_gelu_tanh_20", node("Gelu", ["x"], ["y"], approximate="tanh"),
     [("x", x3)],
     [("y", torch.nn.functional.gelu(torch.tensor(x3),
                                     approximate="tanh").numpy())], 20)
save("test_mish_18", node("Mish", ["x"], ["y"]), [("x", x3)],
     [("y", torch.nn.functional.mish(torch.tensor(x3)).numpy())], 18)
i1 = rng.integers(-100, 100, (3, 4)).astype(np.int32)
i2 = rng.integers(-100, 100, (4,)).astype(np.int32)
save("test_bitwise_and_18", node("BitwiseAnd", ["a", "b"], ["y"]),
     [("a", i1), ("b", i2)], [("y", i1 & i2)], 18)
save("test_bitwise_xor_18", node("BitwiseXor", ["a", "b"], ["y"]),
     [("a", i1), ("b", i2)], [("y", i1 ^ i2)], 18)
save("test_bitwise_not_18", node("BitwiseNot", ["a"], ["y"]), [("a", i1)],
     [("y", ~i1)], 18)
vals = np.array([1.5, -2.7, 300.2, 65519.0, 1e-8, -0.0], dtype=np.float32)
save("test_cast_float_float16_values",
     node("Cast", ["f"], ["y"], to=TensorProto.FLOAT16), [("f", vals)],
     [("y", vals.astype(np.float16))], 13)
ints = np.array([1, -1, 127, -128, 255, 256, -129], dtype=np.int64)
for name, to, dtype in (("int8", TensorProto.INT8, np.int8),
                        ("uint16", TensorProto.UINT16, np.uint16)):
    save(f"test_cast_int64_{name}_wrap", node("Cast", ["i"], ["y"], to=to),
         [("i", ints)], [("y", ints.astype(dtype))], 13)
s1 = np.array([["a", "bc"], ["d", ""]], dtype=object)
s2 = np.array(["X", "YZ"], dtype=object)
save("test_stringconcat", node("StringConcat", ["s1", "s2"], ["y"]),
     [("s1", s1), ("s2", s2)],
     [("y", np.char.add(s1.astype(str), s2.astype(str)).astype(object))], 20)

# ---------------------------------------------------------- index, scatter
data = np.zeros((3, 4), dtype=np.float32)
idx = np.array([[1, 0, 2, 0], [0, 2, 1, 1]], dtype=np.int64)
upd = f32(2, 4)
want = data.copy()
for i in range(2):
    for j in range(4):
        want[idx[i, j], j] = max(want[idx[i, j], j], upd[i, j])
save("test_scatterelements_max_18",
     node("ScatterElements", ["d", "i", "u"], ["y"], axis=0, reduction="max"),
     [("d", data), ("i", idx), ("u", upd)], [("y", want)], 18)

# ------------------------------------------------------ products, convs
ma = rng.integers(-50, 50, (2, 1, 7, 9)).astype(np.int32)
mb = rng.integers(-50, 50, (3, 9, 4)).astype(np.int32)
save("test_matmul_int32_batched", node("MatMul", ["a", "b"], ["y"]),
     [("a", ma), ("b", mb)], [("y", np.matmul(ma, mb))], 13)
fa, fb = f32(3, 70), f32(70, 515)  # crosses the 64 x 512 tiles
save("test_matmul_tiles", node("MatMul", ["a", "b"], ["y"]),
     [("a", fa), ("b", fb)],
     [("y", (fa.astype(np.float64) @ fb.astype(np.float64))
       .astype(np.float32))], 13)
ga, gb, gc = f32(5, 3), f32(4, 5), f32(4)
save("test_gemm_trans_both",
     node("Gemm", ["a", "b", "c"], ["y"], transA=1, transB=1, alpha=0.5,
          beta=2.0), [("a", ga), ("b", gb), ("c", gc)],
     [("y", (0.5 * ga.T @ gb.T + 2 * gc).astype(np.float32))], 13)
ea, eb = f32(2, 3, 4), f32(2, 4, 5)
save("test_einsum_ellipsis",
     node("Einsum", ["a", "b"], ["y"], equation="...ij,...jk->...ik"),
     [("a", ea), ("b", eb)], [("y", np.einsum("...ij,...jk->...ik", ea, eb))],
     12)
sq = f32(3, 3)
save("test_einsum_trace", node("Einsum", ["a"], ["y"], equation="ii"),
     [("a", sq)], [("y", np.array(np.trace(sq), dtype=np.float32))], 12)
cx, cw, cb = f32(1, 4, 9, 8), f32(6, 2, 3, 2), f32(6)
cy = torch.nn.functional.conv2d(
    torch.nn.functional.pad(torch.tensor(cx), (1, 0, 2, 1)),
    torch.tensor(cw), torch.tensor(cb), stride=(2, 1), dilation=(1, 2),
    groups=2).numpy()
save("test_conv_group_dilation_pads",
     node("Conv", ["x", "w", "b"], ["y"], group=2, strides=[2, 1],
          dilations=[1, 2], pads=[2, 1, 1, 0]),
     [("x", cx), ("w", cw), ("b", cb)], [("y", cy)], 13)
ctw = f32(4, 3, 3, 3)
cty = torch.nn.functional.conv_transpose2d(
    torch.tensor(cx), torch.tensor(ctw), stride=2, padding=1,
    output_padding=1, groups=2).numpy()
save("test_convtranspose_group",
     node("ConvTranspose", ["x", "w"], ["y"], group=2, strides=[2, 2],
          pads=[1, 1, 1, 1], output_padding=[1, 1]),
     [("x", cx), ("w", ctw)], [("y", cty)], 13)
cols = f32(2, 3 * 4, 20)
save("test_col2im", node("Col2Im", ["i", "img", "blk"], ["y"]),
     [("i", cols), ("img", np.array([5, 6], dtype=np.int64)),
      ("blk", np.array([2, 2], dtype=np.int64))],
     [("y", torch.nn.functional.fold(torch.tensor(cols), (5, 6),
                                     (2, 2)).numpy())], 18)
blocks = ((5 + 2 - 2) // 2 + 1) * ((5 + 2 - 3) // 2 + 1)
cols2 = f32(1, 2 * 6, blocks)
save("test_col2im_strided",
     node("Col2Im", ["i", "img", "blk"], ["y"], strides=[2, 2],
          pads=[1, 1, 1, 1]),
     [("i", cols2), ("img", np.array([5, 5], dtype=np.int64)),
      ("blk", np.array([2, 3], dtype=np.int64))],
     [("y", torch.nn.functional.fold(torch.tensor(cols2), (5, 5), (2, 3),
                                     stride=2, padding=1).numpy())], 18)
