#!/usr/bin/env python3
"""A GGUF file with a real model's metadata and tensor table, its tensor data
a hole (a sparse file: no disk): qwen2 with Qwen2.5-7B's shapes (28 blocks,
embedding 3584, ff 18944, 28/4 heads, 152,064 tokens) in a Q4_K_M-style mix
(about 4.4 GB), or every weight F32 (about 30 GB) -- the same tensors, 7x
the bytes.
    python3 bench/gen_gguf.py OUT.gguf [q4_k_m|f32]"""
import struct
import sys

out, mix = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "q4_k_m")
E, F, L, H, HKV, V = 3584, 18944, 28, 28, 4, 152064
D = E // H
BLOCK = {0: (1, 4), 1: (1, 2), 12: (256, 144), 14: (256, 210), 8: (32, 34)}
F32, F16, Q4_K, Q6_K = 0, 1, 12, 14


def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


kv = []
def k_str(k, v): kv.append(s(k) + struct.pack("<I", 8) + s(v))
def k_u32(k, v): kv.append(s(k) + struct.pack("<II", 4, v))
def k_f32(k, v): kv.append(s(k) + struct.pack("<If", 6, v))


k_str("general.architecture", "qwen2")
k_str("general.name", "bench-7b")
k_u32("general.file_type", 15 if mix == "q4_k_m" else 0)
k_u32("general.quantization_version", 2)
for k, v in (("context_length", 32768), ("embedding_length", E), ("block_count", L), ("feed_forward_length", F),
             ("attention.head_count", H), ("attention.head_count_kv", HKV)):
    k_u32("qwen2." + k, v)
k_f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6)
k_f32("qwen2.rope.freq_base", 1e6)
k_str("tokenizer.ggml.model", "gpt2")
toks = b"".join(s("tok%d" % i) for i in range(V))
kv.append(s("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, V) + toks)

tensors = []
def t(name, ne, typ):
    if mix == "f32" and typ in (Q4_K, Q6_K, F16):
        typ = F32
    tensors.append((name, ne, typ))


t("token_embd.weight", [E, V], Q4_K)
t("output_norm.weight", [E], F32)
t("output.weight", [E, V], Q6_K)
for b in range(L):
    p = "blk.%d." % b
    t(p + "attn_norm.weight", [E], F32)
    t(p + "attn_q.weight", [E, E], Q4_K)
    t(p + "attn_k.weight", [E, D * HKV], Q4_K)
    t(p + "attn_v.weight", [E, D * HKV], Q6_K if b % 3 == 0 else Q4_K)
    t(p + "attn_q.bias", [E], F32)
    t(p + "attn_k.bias", [D * HKV], F32)
    t(p + "attn_v.bias", [D * HKV], F32)
    t(p + "attn_output.weight", [E, E], Q4_K)
    t(p + "ffn_norm.weight", [E], F32)
    t(p + "ffn_gate.weight", [E, F], Q4_K)
    t(p + "ffn_up.weight", [E, F], Q4_K)
    t(p + "ffn_down.weight", [F, E], Q6_K if b % 3 == 0 else Q4_K)

ALIGN = 32
info, off = [], 0
for name, ne, typ in tensors:
    n = 1
    for x in ne:
        n *= x
    blk, by = BLOCK[typ]
    nbytes = n // blk * by
    info.append(s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<q", x) for x in ne)
                + struct.pack("<iQ", typ, off))
    off += (nbytes + ALIGN - 1) // ALIGN * ALIGN
head = b"GGUF" + struct.pack("<Iqq", 3, len(tensors), len(kv)) + b"".join(kv) + b"".join(info)
start = (len(head) + ALIGN - 1) // ALIGN * ALIGN
with open(out, "wb") as f:
    f.write(head + b"\0" * (start - len(head)))
    f.truncate(start + off)
print("%s: %d tensors, %d bytes (%.2f GiB), data from %d" % (out, len(tensors), start + off, (start + off) / 2**30, start))
