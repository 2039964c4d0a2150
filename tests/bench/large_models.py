#!/usr/bin/python3
"""Generate the large models of the external-data benchmarks with torch 1.13
(random weights, exported with do_constant_folding=False so that every
Linear weight is transposed at run time, as in issue 10's exports).

    large_models.py bert OUT.onnx       BERT-base: 12 layers, hidden 768,
                                        vocab 30522, ~440 MB inline
    large_models.py llama OUT_DIR       Llama-style decoder: 16 layers,
                                        hidden 2048, SwiGLU 5504, RMSNorm,
                                        rotary; ~3.4 GB, which torch writes
                                        with external data (one file per
                                        tensor) beside OUT_DIR/model.onnx

Nothing generated is committed: the bench scripts call this at bench time.
"""
import math
import os
import sys
import warnings

import torch
from torch import nn

warnings.filterwarnings("ignore")


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head_dim)).permute(
            0, 2, 1, 3)

    def forward(self, h, mask):
        q, k, v = (self.split(f(h)) for f in (self.query, self.key,
                                               self.value))
        scores = torch.matmul(q, k.transpose(-1, -2))
        probs = torch.softmax(scores / math.sqrt(self.head_dim) + mask, -1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (self.heads * self.head_dim,))
        h = self.attn_norm(self.attn_out(ctx) + h)
        m = nn.functional.gelu(self.intermediate(h))
        return self.out_norm(self.output(m) + h)


class Bert(nn.Module):
    def __init__(self, layers=12, hidden=768, heads=12, intermediate=3072,
                 vocab=30522, positions=512):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            BertLayer(hidden, heads, intermediate) for _ in range(layers))
        self.register_buffer("position_ids",
                             torch.arange(positions).expand((1, -1)))

    def forward(self, input_ids, attention_mask, token_type_ids):
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask = (1.0 - mask) * -10000.0
        pos = self.position_ids[:, :input_ids.size(1)]
        h = self.norm(self.word(input_ids) + self.token_type(token_type_ids)
                      + self.position(pos))
        for layer in self.layers:
            h = layer(h, mask)
        return h


class RMSNorm(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + 1e-6))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.gate = nn.Linear(hidden, intermediate, bias=False)
        self.up = nn.Linear(hidden, intermediate, bias=False)
        self.down = nn.Linear(intermediate, hidden, bias=False)
        self.norm1, self.norm2 = RMSNorm(hidden), RMSNorm(hidden)

    def forward(self, h, cos, sin, mask):
        b, s, _ = h.shape
        x = self.norm1(h)
        q, k, v = (f(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
                   for f in (self.q_proj, self.k_proj, self.v_proj))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + mask, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)
        h = h + self.o_proj(ctx)
        x = self.norm2(h)
        return h + self.down(nn.functional.silu(self.gate(x)) * self.up(x))


class Llama(nn.Module):
    def __init__(self, layers=16, hidden=2048, heads=16, intermediate=5504,
                 vocab=8000, positions=2048):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(
            LlamaLayer(hidden, heads, intermediate) for _ in range(layers))
        self.norm = RMSNorm(hidden)
        self.lm_head = nn.Linear(hidden, vocab, bias=False)
        dim = hidden // heads
        inv = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
        freqs = torch.outer(torch.arange(positions).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos())
        self.register_buffer("sin_cached", emb.sin())

    def forward(self, input_ids, position_ids):
        s = input_ids.shape[1]
        cos = self.cos_cached[position_ids].unsqueeze(1)
        sin = self.sin_cached[position_ids].unsqueeze(1)
        mask = torch.full((s, s), -1e9).triu(1)[None, None]
        h = self.embed(input_ids)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.lm_head(self.norm(h))


def main():
    kind, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    torch.set_num_threads(1)
    with torch.no_grad():
        if kind == "bert":
            model = Bert().eval()
            ids = torch.randint(0, 30522, (1, 8))
            example = (ids, torch.ones_like(ids), torch.zeros_like(ids))
            names = ["input_ids", "attention_mask", "token_type_ids"]
            axes = {n: {0: "batch", 1: "sequence"} for n in names}
            torch.onnx.export(model, example, out, opset_version=14,
                              input_names=names, output_names=["hidden"],
                              dynamic_axes=axes, do_constant_folding=False)
        else:
            model = Llama().eval()
            for p in model.parameters():  # small values: finite outputs
                p.mul_(0.5)
            ids = torch.randint(0, 8000, (1, 8))
            example = (ids, torch.arange(8)[None])
            names = ["input_ids", "position_ids"]
            axes = {n: {0: "batch", 1: "sequence"} for n in names}
            os.makedirs(out, exist_ok=True)
            torch.onnx.export(model, example, os.path.join(out, "model.onnx"),
                              opset_version=14, input_names=names,
                              output_names=["logits"], dynamic_axes=axes,
                              do_constant_folding=False)


if __name__ == "__main__":
    main()
