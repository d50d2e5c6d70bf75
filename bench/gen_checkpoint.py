#!/usr/bin/env python3
"""Writes a sharded safetensors checkpoint of about GB gigabytes, shaped like a
Llama/Qwen decoder (embeddings, per-layer attention and MLP weights, norms),
with a model.safetensors.index.json.  Tensor data are sparse (ftruncate), so a
40 GB checkpoint costs no disk: slminspect's headers-only commands must not
care.

    gen_checkpoint.py DIR GB [SHARDS [HIDDEN]]

HIDDEN (default 2048) sets the layer width: a wider model reaches GB with
fewer, larger tensors."""
import json
import os
import struct
import sys

out, gb = sys.argv[1], float(sys.argv[2])
shards = int(sys.argv[3]) if len(sys.argv) > 3 else 8
hidden = int(sys.argv[4]) if len(sys.argv) > 4 else 2048
inter, vocab = hidden * 11 // 4, 32000
per_layer = [("self_attn.q_proj.weight", [hidden, hidden]), ("self_attn.k_proj.weight", [hidden // 4, hidden]),
             ("self_attn.v_proj.weight", [hidden // 4, hidden]), ("self_attn.o_proj.weight", [hidden, hidden]),
             ("mlp.gate_proj.weight", [inter, hidden]), ("mlp.up_proj.weight", [inter, hidden]),
             ("mlp.down_proj.weight", [hidden, inter]), ("input_layernorm.weight", [hidden]),
             ("post_attention_layernorm.weight", [hidden])]
def numel(s):
    n = 1
    for d in s:
        n *= d
    return n
layer_bytes = 2 * sum(numel(s) for _, s in per_layer)
fixed = 2 * (2 * vocab * hidden + hidden)
layers = max(1, int((gb * 2**30 - fixed) // layer_bytes))
tensors = [("model.embed_tokens.weight", [vocab, hidden])]
for i in range(layers):
    tensors += [(f"model.layers.{i}.{n}", s) for n, s in per_layer]
tensors += [("model.norm.weight", [hidden]), ("lm_head.weight", [vocab, hidden])]
os.makedirs(out, exist_ok=True)
per_shard = (len(tensors) + shards - 1) // shards
weight_map, total = {}, 0
for k in range(shards):
    part = tensors[k * per_shard:(k + 1) * per_shard]
    name = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for t, s in part:
        n = 2 * numel(s)
        header[t] = {"dtype": "BF16", "shape": s, "data_offsets": [off, off + n]}
        off += n
        weight_map[t] = name
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        f.truncate(8 + len(h) + off)
    total += off
index = {"metadata": {"total_size": total, "total_parameters": total // 2}, "weight_map": weight_map}
with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
    json.dump(index, f, indent=2)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump({"model_type": "llama", "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
               "vocab_size": vocab, "dtype": "bfloat16"}, f, indent=2)
print(f"{out}: {len(tensors)} tensors, {layers} layers, {shards} shards, {total / 2**30:.2f} GiB")
