#!/usr/bin/python3
"""Hugging Face-style models with random weights, exported by torch 1.13.

The modules below are written by us in the shape of Hugging Face's modelling
code (no transformers package is used): they contain the graph idioms real
exports have, which simpler hand-written models miss:

  bert   BERT encoder: word + position + token-type embeddings, the
         position_ids buffer sliced by input_ids.size(1),
         x.view(x.size()[:-1] + (heads, head_dim)), a [batch, seq] attention
         mask expanded to [batch, 1, 1, seq], LayerNorm, GELU (erf).
  gpt2   GPT-2-style decoder: causal mask sliced from a tril buffer, position
         ids from arange(past, past + seq), past key/values in and present
         key/values out, Conv1D-style projections (addmm), GELU new (tanh).
  llama  Llama-style decoder: RMSNorm, rotary embedding (rotate-half, cos/sin
         caches gathered by position_ids), SwiGLU, grouped-query attention
         (repeat_kv by expand + reshape), causal mask built from
         arange/masked_fill and concatenated with the past, past key/values.
  llama_interleaved
         the same with the interleaved rotary embedding of GPT-J and
         RoFormer: pairs (2i, 2i + 1), x[..., ::2] and x[..., 1::2]
         stacked and flattened, tables whose entries repeat in pairs.
  llama_runtime
         the same with the rotary embedding of newer Hugging Face code: no
         tables; cos and sin of cat(freqs, freqs) computed at run time from
         position_ids (inv_freq @ position_ids), [batch, sequence, dim].
  llama_interleaved_runtime
         interleaved pairs with cos and sin computed at run time, of
         stack((freqs, freqs), -1).flatten(-2).
  vit    ViT: Conv patch embedding, class token expanded by batch, position
         embeddings, pre-norm encoder blocks, GELU (erf).

Every model has a dynamic batch axis; text models a dynamic "sequence" axis;
decoders also "past_sequence" (past key/values) and "total_sequence"
(attention mask = past + current).

Usage:
  /usr/bin/python3 tests/bench/hf_models.py MODEL [options]
    MODEL                 bert | gpt2 | llama | llama_interleaved |
                          llama_runtime | llama_interleaved_runtime | vit |
                          all
    --opset N             ONNX opset to export at (default 14; torch 1.13
                          exports 9..17). May be given several times.
    --size small|base     small: fixture-sized (tens of KB: 2 layers,
                          hidden 16); base (default): 4 layers, hidden 256,
                          4 heads (llama: 2 kv heads), vocab 1000.
    --layers L --hidden H --heads N --kv-heads K --intermediate I
    --vocab V --max-positions P
                          override the size preset
    --no-constant-folding export with do_constant_folding=False, so that
                          every Linear weight is transposed at run time (the
                          big-model benches: tests/bench/bert_base.sh and
                          large_model.sh)
    --out PATH            output file (one model, one opset) or directory
                          (default "."); in a directory files are named
                          MODEL_opsetN[_small].onnx
    --external-data       store every initializer in PATH.data next to the
                          model (ONNX external data, one file)
    --seed S              weight seed (default 0)
Prints one line per file written: path, node count, size in bytes.

Inputs (all int64 except pixel_values and the past key/values, float32):
  bert:  input_ids, attention_mask, token_type_ids       [batch, sequence]
  gpt2:  input_ids [batch, sequence], attention_mask [batch, total_sequence],
         past_key_I / past_value_I [batch, heads, past_sequence, head_dim]
  llama: input_ids, position_ids [batch, sequence], attention_mask
         [batch, total_sequence], past_key_I / past_value_I
         [batch, kv_heads, past_sequence, head_dim]
  vit:   pixel_values [batch, 3, image, image]
When running them, give total_sequence = past_sequence + sequence, and
position_ids counting from past_sequence.
"""
import argparse
import math
import os
import sys
import tempfile
import warnings

import torch
from torch import nn

warnings.filterwarnings("ignore")

SIZE_KEYS = ("layers", "hidden", "heads", "kv_heads", "intermediate", "vocab",
             "max_positions")
SIZES = {
    "small": dict(layers=2, hidden=16, heads=2, kv_heads=1, intermediate=32,
                  vocab=64, max_positions=32, image=16, patch=4),
    "base": dict(layers=4, hidden=256, heads=4, kv_heads=2, intermediate=1024,
                 vocab=1000, max_positions=512, image=224, patch=16),
}


# --------------------------------------------------------------------- BERT
class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab"], c["hidden"])
        self.position_embeddings = nn.Embedding(c["max_positions"], c["hidden"])
        self.token_type_embeddings = nn.Embedding(2, c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.register_buffer(
            "position_ids", torch.arange(c["max_positions"]).expand((1, -1)))

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_length]
        x = (self.word_embeddings(input_ids)
             + self.token_type_embeddings(token_type_ids))
        x = x + self.position_embeddings(position_ids)
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.head_dim = c["hidden"] // c["heads"]
        self.query = nn.Linear(c["hidden"], c["hidden"])
        self.key = nn.Linear(c["hidden"], c["hidden"])
        self.value = nn.Linear(c["hidden"], c["hidden"])

    def split_heads(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q = self.split_heads(self.query(h))
        k = self.split_heads(self.key(h))
        v = self.split_heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(self.head_dim) + mask
        probs = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.heads * self.head_dim,))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertSelfAttention(c)
        self.attn_out = nn.Linear(c["hidden"], c["hidden"])
        self.attn_norm = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.intermediate = nn.Linear(c["hidden"], c["intermediate"])
        self.output = nn.Linear(c["intermediate"], c["hidden"])
        self.out_norm = nn.LayerNorm(c["hidden"], eps=1e-12)

    def forward(self, h, mask):
        h = self.attn_norm(self.attn_out(self.attention(h, mask)) + h)
        m = nn.functional.gelu(self.intermediate(h))
        return self.out_norm(self.output(m) + h)


class Bert(nn.Module):
    input_names = ["input_ids", "attention_mask", "token_type_ids"]
    output_names = ["last_hidden_state"]

    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.layers = nn.ModuleList(BertLayer(c) for _ in range(c["layers"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        # get_extended_attention_mask: [batch, seq] -> [batch, 1, 1, seq]
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask = (1.0 - mask) * torch.finfo(torch.float32).min
        h = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            h = layer(h, mask)
        return h

    @staticmethod
    def example(c):
        ids = torch.randint(0, c["vocab"], (2, 7))
        return (ids, torch.ones(2, 7, dtype=torch.int64),
                torch.zeros(2, 7, dtype=torch.int64))

    @staticmethod
    def axes(c):
        seq = {0: "batch", 1: "sequence"}
        return {"input_ids": seq, "attention_mask": seq,
                "token_type_ids": seq, "last_hidden_state": seq}


# --------------------------------------------------------------------- GPT-2
class Conv1D(nn.Module):
    """GPT-2's transposed Linear: y = addmm(b, x.view(-1, nx), w)."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.randn(nf) * 0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.weight.size(-1),)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(
        math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = c["max_positions"]
        self.register_buffer("bias", torch.tril(
            torch.ones((n, n), dtype=torch.bool)).view(1, 1, n, n))
        self.register_buffer("masked_bias", torch.tensor(-1e4))
        self.heads = c["heads"]
        self.head_dim = c["hidden"] // c["heads"]
        self.c_attn = Conv1D(3 * c["hidden"], c["hidden"])
        self.c_proj = Conv1D(c["hidden"], c["hidden"])

    def split_heads(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, h, past_key, past_value, mask):
        q, k, v = self.c_attn(h).split(self.heads * self.head_dim, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        k = torch.cat((past_key, k), dim=-2)
        v = torch.cat((past_value, v), dim=-2)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        query_length, key_length = q.size(-2), k.size(-2)
        causal = self.bias[:, :, key_length - query_length:key_length,
                           :key_length]
        min_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal, w, min_value) + mask
        w = nn.functional.softmax(w, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        a = a.view(a.size()[:-2] + (self.heads * self.head_dim,))
        return self.c_proj(a), k, v


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.c_fc = Conv1D(c["intermediate"], c["hidden"])
        self.c_proj = Conv1D(c["hidden"], c["intermediate"])

    def forward(self, h, past_key, past_value, mask):
        a, k, v = self.attn(self.ln_1(h), past_key, past_value, mask)
        h = h + a
        h = h + self.c_proj(gelu_new(self.c_fc(self.ln_2(h))))
        return h, k, v


class GPT2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["hidden"])
        self.wpe = nn.Embedding(c["max_positions"], c["hidden"])
        self.blocks = nn.ModuleList(GPT2Block(c) for _ in range(c["layers"]))
        self.ln_f = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        self.input_names = ["input_ids", "attention_mask"]
        self.output_names = ["logits"]
        for i in range(c["layers"]):
            self.input_names += [f"past_key_{i}", f"past_value_{i}"]
            self.output_names += [f"present_key_{i}", f"present_value_{i}"]

    def forward(self, input_ids, attention_mask, *past):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        past_length = past[0].size(-2)
        position_ids = torch.arange(past_length, input_shape[-1] + past_length,
                                    dtype=torch.long).unsqueeze(0)
        batch_size = input_ids.shape[0]
        mask = attention_mask.view(batch_size, -1)[:, None, None, :]
        mask = (1.0 - mask.to(torch.float32)) * torch.finfo(torch.float32).min
        h = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for i, block in enumerate(self.blocks):
            h, k, v = block(h, past[2 * i], past[2 * i + 1], mask)
            presents += [k, v]
        h = self.ln_f(h)
        return (self.lm_head(h), *presents)

    @staticmethod
    def example(c):
        heads, hd = c["heads"], c["hidden"] // c["heads"]
        ids = torch.randint(0, c["vocab"], (2, 3))
        past = []
        for _ in range(c["layers"]):
            past += [torch.randn(2, heads, 4, hd), torch.randn(2, heads, 4, hd)]
        return (ids, torch.ones(2, 7, dtype=torch.int64), *past)

    def axes(self, c):
        seq = {0: "batch", 1: "sequence"}
        axes = {"input_ids": seq, "logits": seq,
                "attention_mask": {0: "batch", 1: "total_sequence"}}
        for name in self.input_names[2:]:
            axes[name] = {0: "batch", 2: "past_sequence"}
        for name in self.output_names[1:]:
            axes[name] = {0: "batch", 2: "total_sequence"}
        return axes


# --------------------------------------------------------------------- Llama
class RMSNorm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden))
        self.eps = eps

    def forward(self, x):
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, max_positions, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        t = torch.arange(max_positions, dtype=inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos()[None, None, :, :])
        self.register_buffer("sin_cached", emb.sin()[None, None, :, :])

    def forward(self, x, seq_len):
        return (self.cos_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
                self.sin_cached[:, :, :seq_len, ...].to(dtype=x.dtype))


def apply_rotary_pos_emb(q, k, cos, sin, position_ids, rotate=rotate_half):
    cos = cos.squeeze(1).squeeze(0)  # [seq_len, dim]
    sin = sin.squeeze(1).squeeze(0)
    cos = cos[position_ids].unsqueeze(1)  # [batch, 1, seq, dim]
    sin = sin[position_ids].unsqueeze(1)
    return (q * cos) + (rotate(q) * sin), (k * cos) + (rotate(k) * sin)


def rotate_every_two(x):
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


class InterleavedRotaryEmbedding(LlamaRotaryEmbedding):
    """Tables whose entries repeat in pairs: angle i at 2i and 2i + 1."""

    def __init__(self, dim, max_positions, base=10000.0):
        super().__init__(dim, max_positions, base)
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        t = torch.arange(max_positions, dtype=inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.stack((freqs, freqs), dim=-1).flatten(-2)
        self.cos_cached = emb.cos()[None, None, :, :]
        self.sin_cached = emb.sin()[None, None, :, :]


class RuntimeRotaryEmbedding(nn.Module):
    """cos and sin [batch, seq, dim] computed from position_ids; angle i at
    i and i + dim/2, or at 2i and 2i + 1 (interleaved)."""

    def __init__(self, dim, interleaved, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq)
        self.interleaved = interleaved

    def forward(self, position_ids):
        inv = self.inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
        freqs = (inv @ position_ids[:, None, :].float()).transpose(1, 2)
        if self.interleaved:
            emb = torch.stack((freqs, freqs), dim=-1).flatten(-2)
        else:
            emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    batch, kv_heads, slen, head_dim = x.shape
    if n_rep == 1:
        return x
    x = x[:, :, None, :, :].expand(batch, kv_heads, n_rep, slen, head_dim)
    return x.reshape(batch, kv_heads * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.kv_heads = c["heads"], c["kv_heads"]
        self.head_dim = c["hidden"] // c["heads"]
        hd = self.head_dim
        self.q_proj = nn.Linear(c["hidden"], self.heads * hd, bias=False)
        self.k_proj = nn.Linear(c["hidden"], self.kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(c["hidden"], self.kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(self.heads * hd, c["hidden"], bias=False)
        self.rotary = c.get("rotary", "half")
        if self.rotary == "interleaved":
            self.rotary_emb = InterleavedRotaryEmbedding(hd, c["max_positions"])
        elif self.rotary in ("runtime", "interleaved_runtime"):
            self.rotary_emb = RuntimeRotaryEmbedding(
                hd, self.rotary == "interleaved_runtime")
        else:
            self.rotary_emb = LlamaRotaryEmbedding(hd, c["max_positions"])

    def forward(self, h, mask, position_ids, past_key, past_value):
        bsz, q_len, _ = h.size()
        q = self.q_proj(h).view(bsz, q_len, self.heads,
                                self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(bsz, q_len, self.kv_heads,
                                self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(bsz, q_len, self.kv_heads,
                                self.head_dim).transpose(1, 2)
        kv_seq_len = k.shape[-2] + past_key.shape[-2]
        if self.rotary in ("runtime", "interleaved_runtime"):
            cos, sin = self.rotary_emb(position_ids)
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
            rotate = (rotate_every_two if self.rotary == "interleaved_runtime"
                      else rotate_half)
            q = (q * cos) + (rotate(q) * sin)
            k = (k * cos) + (rotate(k) * sin)
        else:
            cos, sin = self.rotary_emb(v, seq_len=kv_seq_len)
            q, k = apply_rotary_pos_emb(
                q, k, cos, sin, position_ids,
                rotate_every_two if self.rotary == "interleaved" else rotate_half)
        k = torch.cat([past_key, k], dim=2)
        v = torch.cat([past_value, v], dim=2)
        present = (k, v)
        n_rep = self.heads // self.kv_heads
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        w = w + mask
        w = nn.functional.softmax(w, dim=-1, dtype=torch.float32)
        a = torch.matmul(w, v).transpose(1, 2).contiguous()
        a = a.reshape(bsz, q_len, self.heads * self.head_dim)
        return self.o_proj(a), present


class LlamaMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.up_proj = nn.Linear(c["hidden"], c["intermediate"], bias=False)
        self.down_proj = nn.Linear(c["intermediate"], c["hidden"], bias=False)

    def forward(self, x):
        return self.down_proj(
            nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c["hidden"])
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden"])
        self.mlp = LlamaMLP(c)

    def forward(self, h, mask, position_ids, past_key, past_value):
        a, present = self.self_attn(self.input_layernorm(h), mask,
                                    position_ids, past_key, past_value)
        h = h + a
        h = h + self.mlp(self.post_attention_layernorm(h))
        return h, present


def make_causal_mask(bsz, tgt_len, past_len, dtype):
    mask = torch.full((tgt_len, tgt_len), torch.finfo(dtype).min)
    cond = torch.arange(mask.size(-1))
    mask.masked_fill_(cond < (cond + 1).view(mask.size(-1), 1), 0)
    mask = mask.to(dtype)
    mask = torch.cat([torch.zeros(tgt_len, past_len, dtype=dtype), mask],
                     dim=-1)
    return mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len + past_len)


def expand_mask(mask, dtype, tgt_len):
    bsz, src_len = mask.size()
    expanded = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"])
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        self.input_names = ["input_ids", "attention_mask", "position_ids"]
        self.output_names = ["logits"]
        for i in range(c["layers"]):
            self.input_names += [f"past_key_{i}", f"past_value_{i}"]
            self.output_names += [f"present_key_{i}", f"present_value_{i}"]

    def forward(self, input_ids, attention_mask, position_ids, *past):
        bsz, seq_len = input_ids.shape
        past_len = past[0].shape[2]
        h = self.embed_tokens(input_ids)
        mask = make_causal_mask(bsz, seq_len, past_len, h.dtype)
        mask = expand_mask(attention_mask, h.dtype, seq_len) + mask
        presents = []
        for i, layer in enumerate(self.layers):
            h, (k, v) = layer(h, mask, position_ids, past[2 * i],
                              past[2 * i + 1])
            presents += [k, v]
        return (self.lm_head(self.norm(h)), *presents)

    @staticmethod
    def example(c):
        kvh, hd = c["kv_heads"], c["hidden"] // c["heads"]
        ids = torch.randint(0, c["vocab"], (2, 3))
        past = []
        for _ in range(c["layers"]):
            past += [torch.randn(2, kvh, 4, hd), torch.randn(2, kvh, 4, hd)]
        pos = torch.arange(4, 7).unsqueeze(0).expand(2, 3)
        return (ids, torch.ones(2, 7, dtype=torch.int64), pos, *past)

    def axes(self, c):
        seq = {0: "batch", 1: "sequence"}
        axes = {"input_ids": seq, "position_ids": seq, "logits": seq,
                "attention_mask": {0: "batch", 1: "total_sequence"}}
        for name in self.input_names[3:]:
            axes[name] = {0: "batch", 2: "past_sequence"}
        for name in self.output_names[1:]:
            axes[name] = {0: "batch", 2: "total_sequence"}
        return axes


# --------------------------------------------------------------------- ViT
class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.head_dim = c["hidden"] // c["heads"]
        self.layernorm_before = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.query = nn.Linear(c["hidden"], c["hidden"])
        self.key = nn.Linear(c["hidden"], c["hidden"])
        self.value = nn.Linear(c["hidden"], c["hidden"])
        self.attn_out = nn.Linear(c["hidden"], c["hidden"])
        self.layernorm_after = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.intermediate = nn.Linear(c["hidden"], c["intermediate"])
        self.output = nn.Linear(c["intermediate"], c["hidden"])

    def split_heads(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.head_dim))
        return x.permute(0, 2, 1, 3)

    def forward(self, h):
        x = self.layernorm_before(h)
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        w = nn.functional.softmax(w, dim=-1)
        a = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        a = a.view(a.size()[:-2] + (self.heads * self.head_dim,))
        h = self.attn_out(a) + h
        x = nn.functional.gelu(self.intermediate(self.layernorm_after(h)))
        return self.output(x) + h


class ViT(nn.Module):
    input_names = ["pixel_values"]
    output_names = ["last_hidden_state"]

    def __init__(self, c):
        super().__init__()
        patches = (c["image"] // c["patch"]) ** 2
        self.projection = nn.Conv2d(3, c["hidden"], c["patch"], c["patch"])
        self.cls_token = nn.Parameter(torch.randn(1, 1, c["hidden"]))
        self.position_embeddings = nn.Parameter(
            torch.randn(1, patches + 1, c["hidden"]))
        self.layers = nn.ModuleList(ViTLayer(c) for _ in range(c["layers"]))
        self.layernorm = nn.LayerNorm(c["hidden"], eps=1e-12)

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        x = self.projection(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(batch_size, -1, -1)
        h = torch.cat((cls, x), dim=1) + self.position_embeddings
        for layer in self.layers:
            h = layer(h)
        return self.layernorm(h)

    @staticmethod
    def example(c):
        return (torch.randn(2, 3, c["image"], c["image"]),)

    @staticmethod
    def axes(c):
        return {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"}}


MODELS = {"bert": Bert, "gpt2": GPT2, "llama": Llama, "vit": ViT,
          "llama_interleaved": lambda c: Llama(dict(c, rotary="interleaved")),
          "llama_runtime": lambda c: Llama(dict(c, rotary="runtime")),
          "llama_interleaved_runtime":
              lambda c: Llama(dict(c, rotary="interleaved_runtime"))}


def export(kind, config, opset, path, external_data, seed,
           constant_folding=True):
    torch.manual_seed(seed)
    model = MODELS[kind](config).eval()
    example = model.example(config)
    with torch.no_grad():
        if not external_data:
            # Above 2 GB torch writes each tensor to a file of its own
            # beside `path` (external data) by itself.
            torch.onnx.export(model, example, path, opset_version=opset,
                              input_names=model.input_names,
                              output_names=model.output_names,
                              dynamic_axes=model.axes(config),
                              do_constant_folding=constant_folding)
            return
        import onnx
        with tempfile.TemporaryDirectory() as tmp:
            plain = os.path.join(tmp, "model.onnx")
            torch.onnx.export(model, example, plain, opset_version=opset,
                              input_names=model.input_names,
                              output_names=model.output_names,
                              dynamic_axes=model.axes(config),
                              do_constant_folding=constant_folding)
            proto = onnx.load(plain)
        data = os.path.basename(path) + ".data"
        if os.path.exists(os.path.join(os.path.dirname(path) or ".", data)):
            os.remove(os.path.join(os.path.dirname(path) or ".", data))
        onnx.save_model(proto, path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data,
                        size_threshold=0)


def main():
    p = argparse.ArgumentParser(
        description="Export Hugging Face-style models (see the top of this "
                    "file).")
    p.add_argument("model", choices=sorted(MODELS) + ["all"])
    p.add_argument("--opset", type=int, action="append")
    p.add_argument("--size", choices=sorted(SIZES), default="base")
    for key in SIZE_KEYS:
        p.add_argument("--" + key.replace("_", "-"), type=int, dest=key)
    p.add_argument("--no-constant-folding", action="store_true")
    p.add_argument("--out", default=".")
    p.add_argument("--external-data", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    config = dict(SIZES[a.size])
    for key in SIZE_KEYS:
        if getattr(a, key) is not None:
            config[key] = getattr(a, key)
    if config["hidden"] % config["heads"] or config["heads"] % config["kv_heads"]:
        p.error("hidden must divide by heads, and heads by kv-heads")
    opsets = a.opset or [14]
    kinds = sorted(MODELS) if a.model == "all" else [a.model]
    to_dir = os.path.isdir(a.out) or len(kinds) * len(opsets) > 1
    if to_dir:
        os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    for kind in kinds:
        for opset in opsets:
            suffix = "_small" if a.size == "small" else ""
            path = (os.path.join(a.out, f"{kind}_opset{opset}{suffix}.onnx")
                    if to_dir else a.out)
            export(kind, config, opset, path, a.external_data, a.seed,
                   not a.no_constant_folding)
            import onnx
            nodes = len(onnx.load(path, load_external_data=False).graph.node)
            print(f"{path} nodes={nodes} bytes={os.path.getsize(path)}")


if __name__ == "__main__":
    sys.exit(main())
