#!/usr/bin/python3
"""Seed models for the fuzzers that are too big to commit, exported with
Debian's python3-torch (random weights):

  cnn.onnx            a small CNN (conv, batch norm, pooling, linear)
  squeezenet.onnx     torchvision squeezenet1_1 (about 5 MB)
  transformer.onnx    torch.nn.TransformerEncoder, 2 layers, d_model 128,
                      dynamic batch and sequence

    /usr/bin/python3 tests/fuzz/seeds.py DIR

tests/fuzz/run.sh calls it; tests/bench/hf_models.py adds BERT, GPT-2,
Llama and ViT-style exports. Without python3-torchvision (not among the
test command's packages) squeezenet is skipped with a note on stderr and
the other two are still written.
"""
import os
import sys
import warnings

import torch

try:
    import torchvision
except ImportError:
    torchvision = None

warnings.filterwarnings("ignore")
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def export(model, args, name, opset, names, axes):
    torch.onnx.export(model.eval(), args, os.path.join(out, name),
                      opset_version=opset, input_names=names[0],
                      output_names=names[1], dynamic_axes=axes)


cnn = torch.nn.Sequential(
    torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.BatchNorm2d(16),
    torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(32, 10))
image = torch.randn(1, 3, 32, 32)
export(cnn, (image,), "cnn.onnx", 13, (["image"], ["logits"]),
       {"image": {0: "batch"}})
if torchvision is None:
    print("seeds.py: no torchvision (apt-get install python3-torchvision); "
          "squeezenet.onnx skipped", file=sys.stderr)
else:
    export(torchvision.models.squeezenet1_1(weights=None), (torch.randn(
        1, 3, 224, 224),), "squeezenet.onnx", 17, (["image"], ["logits"]),
           {"image": {0: "batch"}})
layer = torch.nn.TransformerEncoderLayer(128, 4, 256, batch_first=True)
encoder = torch.nn.TransformerEncoder(layer, 2)
export(encoder, (torch.randn(2, 10, 128),), "transformer.onnx", 14,
       (["x"], ["y"]), {"x": {0: "batch", 1: "sequence"}})
