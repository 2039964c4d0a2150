#!/usr/bin/python3
"""Export a small BERT from torch, optimize it with onnxopt, check it.

The pipeline people follow tutorials for, in one script:

  1. build a small BERT encoder in torch (random weights: 2 layers,
     hidden 64, 4 heads);
  2. export it to ONNX with dynamic batch and sequence axes;
  3. optimize the onnx.ModelProto with the onnxopt module;
  4. check the result with onnx-opt's own evaluator (check=2: the original
     and the optimized model on two random inputs, every output compared;
     a difference raises onnxopt.CheckError);
  5. print the before/after table.

Run it with /usr/bin/python3 (Debian's python3-torch and python3-onnx)
after `meson install`, or from a build tree with
PYTHONPATH=tools/python ONNXOPT_LIBRARY=build/lib/libonnxopt.so.
"""
import io
import json
import math
import os
import sys
import tempfile
import warnings

import onnx
import torch
from torch import nn

import onnxopt


class Layer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head_dim)) \
            .permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = (self.split(f(x)) for f in (self.query, self.key,
                                              self.value))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + mask
        context = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).contiguous()
        context = context.view(context.size()[:-2] + (-1,))
        x = self.attention_norm(x + self.attention_out(context))
        h = nn.functional.gelu(self.intermediate(x))
        return self.output_norm(x + self.output(h))


class Bert(nn.Module):
    def __init__(self, vocab=1000, hidden=64, layers=2, heads=4,
                 intermediate=128, positions=128):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(positions, hidden)
        self.token_types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            Layer(hidden, heads, intermediate) for _ in range(layers))
        self.register_buffer("position_ids",
                             torch.arange(positions).unsqueeze(0))

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = self.position_ids[:, :input_ids.size(1)]
        x = self.norm(self.words(input_ids) + self.positions(positions) +
                      self.token_types(token_type_ids))
        mask = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, mask)
        return x


def export(model):
    ids = torch.randint(0, 1000, (2, 16))
    inputs = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, inputs, buffer, input_names=names,
                          output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17)
    return onnx.load_from_string(buffer.getvalue())


def table(stats):
    ops = {}
    for column, side in enumerate(("before", "after")):
        for domain, counts in stats[side]["ops"].items():
            for op, n in counts.items():
                name = op if domain == "ai.onnx" else f"{domain}:{op}"
                ops.setdefault(name, [0, 0])[column] += n
    lines = [f"{'op':24} {'before':>8} {'after':>8}"]
    lines += [f"{name:24} {b:8} {a:8}" for name, (b, a) in sorted(ops.items())]
    for row, key in (("nodes", "nodes"), ("initializers", "initializers"),
                     ("initializer bytes", "initializer_bytes")):
        lines.append(f"{row:24} {stats['before'][key]:8} "
                     f"{stats['after'][key]:8}")
    return "\n".join(lines)


def main():
    torch.manual_seed(0)
    model = export(Bert().eval())
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = os.path.join(tmp, "stats.json")
        optimized = onnxopt.optimize(model, check=2, stats_json=stats_path)
        stats = json.load(open(stats_path))
    onnx.checker.check_model(optimized)
    print(table(stats))
    check = stats["check"]
    worst = max(o["max_abs_diff"] for o in check["outputs"])
    print(f"check: {check['runs']} runs with random inputs, every output "
          f"equal (worst absolute difference {worst:.3g})")
    dims = [d.dim_param or d.dim_value
            for d in optimized.graph.input[0].type.tensor_type.shape.dim]
    print(f"input_ids stays dynamic: {dims}")
    ok = (len(optimized.graph.node) < len(model.graph.node) and
          dims == ["batch", "sequence"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
