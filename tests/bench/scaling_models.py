"""Generate the scaling benchmark's models (tests/bench/scaling.sh).

    scaling_models.py relu N OUT     x -> Relu -> ... (N Relus) -> y
    scaling_models.py inputs N OUT   N graph inputs, each -> Relu -> output
    scaling_models.py negs N OUT     constant -> Neg -> ... (N Negs) -> y:
                                     all of it folds
    scaling_models.py reshapes N OUT x:[2,3] -> (Relu -> Reshape [3,2] ->
                                     Reshape [2,3]) N times -> y: merging a
                                     Reshape pair (a later pass) makes a
                                     nop Reshape for an earlier pass, whose
                                     removal lets the Relus merge

Uses onnx's protobuf classes directly (onnx.helper is slow at a million
nodes).
"""
import sys

import onnx
from onnx import TensorProto


def tensor_info(name):
    vi = onnx.ValueInfoProto()
    vi.name = name
    tt = vi.type.tensor_type
    tt.elem_type = TensorProto.FLOAT
    tt.shape.dim.add().dim_value = 4
    return vi


def relu_chain(n):
    g = onnx.GraphProto()
    g.name = "relu_chain"
    g.input.append(tensor_info("x"))
    prev = "x"
    for i in range(n):
        node = g.node.add()
        node.op_type = "Relu"
        node.name = "r%d" % i
        node.input.append(prev)
        prev = "y" if i == n - 1 else "t%d" % i
        node.output.append(prev)
    g.output.append(tensor_info("y"))
    return g


def neg_chain(n):
    g = onnx.GraphProto()
    g.name = "neg_chain"
    c = g.initializer.add()
    c.name = "c"
    c.data_type = TensorProto.FLOAT
    c.dims.append(4)
    c.float_data.extend([1.0, 2.0, 3.0, 4.0])
    prev = "c"
    for i in range(n):
        node = g.node.add()
        node.op_type = "Neg"
        node.name = "n%d" % i
        node.input.append(prev)
        prev = "y" if i == n - 1 else "t%d" % i
        node.output.append(prev)
    g.output.append(tensor_info("y"))
    return g


def relu_reshape_chain(n):
    g = onnx.GraphProto()
    g.name = "relu_reshape_chain"
    x = g.input.add()
    x.CopyFrom(tensor_info("x"))
    x.type.tensor_type.shape.dim[0].dim_value = 2
    x.type.tensor_type.shape.dim.add().dim_value = 3
    for name, dims in (("to32", [3, 2]), ("to23", [2, 3])):
        t = g.initializer.add()
        t.name = name
        t.data_type = TensorProto.INT64
        t.dims.append(2)
        t.int64_data.extend(dims)
    prev = "x"
    for i in range(n):
        for op, extra, out in (("Relu", None, "r%d" % i),
                               ("Reshape", "to32", "a%d" % i),
                               ("Reshape", "to23", "b%d" % i)):
            node = g.node.add()
            node.op_type = op
            node.name = out
            node.input.append(prev)
            if extra:
                node.input.append(extra)
            prev = "y" if i == n - 1 and out.startswith("b") else out
            node.output.append(prev)
    y = g.output.add()
    y.CopyFrom(x)
    y.name = "y"
    return g


def many_inputs(n):
    g = onnx.GraphProto()
    g.name = "many_inputs"
    for i in range(n):
        g.input.append(tensor_info("x%d" % i))
        node = g.node.add()
        node.op_type = "Relu"
        node.name = "r%d" % i
        node.input.append("x%d" % i)
        node.output.append("y%d" % i)
        g.output.append(tensor_info("y%d" % i))
    return g


def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    graph = {"relu": relu_chain, "negs": neg_chain,
             "inputs": many_inputs, "reshapes": relu_reshape_chain}[kind](n)
    model = onnx.ModelProto()
    model.ir_version = 8
    model.producer_name = "scaling_models.py"
    opset = model.opset_import.add()
    opset.domain = ""
    opset.version = 17
    model.graph.CopyFrom(graph)
    with open(out, "wb") as f:
        f.write(model.SerializeToString())


main()
