"""Generate the scaling benchmark's models (tests/bench/scaling.sh).

    scaling_models.py relu N OUT     x -> Relu -> ... (N Relus) -> y
    scaling_models.py inputs N OUT   N graph inputs, each -> Relu -> output
    scaling_models.py negs N OUT     constant -> Neg -> ... (N Negs) -> y:
                                     all of it folds

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
             "inputs": many_inputs}[kind](n)
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
