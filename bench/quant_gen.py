#!/usr/bin/env python3
"""Inputs of bench/quant.sh (needs numpy and the onnx package: /usr/bin/python3 on Debian).

  quant_gen.py gemm OUT        OUT/gemm.onnx: one MatMulNBits, K = N = 4096, block 32, symmetric,
                               fp32 scales, random packed weights; A is [M, 4096] (M symbolic);
                               OUT/gemm_cold.onnx: 26 such nodes, each with weights of its own (260 MiB,
                               8x the last-level cache), all on the same A: one run reads every
                               weight from DRAM (onnxruntime's cache-cold figure, time / 26)
  quant_gen.py qwen OUT        OUT/ref/model.safetensors: an fp16 checkpoint with Qwen2.5-0.5B's
                               shapes (24 layers, hidden 896, intermediate 4864, 14/2 heads,
                               vocab 151936), random; OUT/model_q4.onnx: its linear layers
                               quantized to MatMulNBits (4 bits, block 32, symmetric, weights
                               named like the dynamo exporter's val_N: pairing is by content)."""
import json, struct, sys
import numpy as np
import onnx
from onnx import TensorProto, helper

what, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)


def q4(w, bs=32):
    """w [N, K] -> B [N, nb, bs/2] uint8, scales [N*nb] f32 (onnxruntime's symmetric rule: absmax / -8)."""
    N, K = w.shape
    nb = (K + bs - 1) // bs
    wp = np.zeros((N, nb * bs), np.float32)
    wp[:, :K] = w
    wp = wp.reshape(N, nb, bs)
    amax_i = np.abs(wp).argmax(axis=2)
    amax = np.take_along_axis(wp, amax_i[..., None], axis=2)[..., 0]
    s = amax / -8.0
    s[s == 0] = 1.0
    q = np.clip(np.rint(wp / s[..., None]) + 8, 0, 15).astype(np.uint8)
    B = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return B, s.reshape(-1).astype(np.float32)


def mm_node(i, name, K, N, B, s):
    inits = [helper.make_tensor(f"{name}_Q4", TensorProto.UINT8, B.shape, B.tobytes(), raw=True),
             helper.make_tensor(f"{name}_scales", TensorProto.FLOAT, s.shape, s.tobytes(), raw=True)]
    node = helper.make_node("MatMulNBits", [f"x{i}", f"{name}_Q4", f"{name}_scales"], [f"y{i}"],
                            domain="com.microsoft", name=f"node_{name}", K=K, N=N, bits=4, block_size=32)
    return node, inits


if what == "gemm":
    K = N = 4096
    COPIES = 26
    for name, copies in (("gemm", 1), ("gemm_cold", COPIES)):
        nodes, inits, outs = [], [], []
        for c in range(copies):
            B = rng.integers(0, 256, size=(N, K // 32, 16), dtype=np.uint8)
            s = (0.001 + 0.05 * rng.random(N * K // 32)).astype(np.float32)
            node, ini = mm_node(0, f"w{c}", K, N, B, s)
            node.output[0] = f"y{c}"
            nodes.append(node)
            inits += ini
            outs.append(helper.make_tensor_value_info(f"y{c}", TensorProto.FLOAT, ["M", N]))
        g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x0", TensorProto.FLOAT, ["M", K])], outs,
                              inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
        m.ir_version = 8
        onnx.save(m, f"{out}/{name}.onnx")
    sys.exit(0)

H, I, L, NH, KV, HD, V = 896, 4864, 24, 14, 2, 64, 151936
shapes = [("model.embed_tokens.weight", (V, H))]
for l in range(L):
    p = f"model.layers.{l}."
    shapes += [(p + "self_attn.q_proj.weight", (NH * HD, H)), (p + "self_attn.k_proj.weight", (KV * HD, H)),
               (p + "self_attn.v_proj.weight", (KV * HD, H)), (p + "self_attn.o_proj.weight", (H, NH * HD)),
               (p + "mlp.gate_proj.weight", (I, H)), (p + "mlp.up_proj.weight", (I, H)),
               (p + "mlp.down_proj.weight", (H, I)), (p + "input_layernorm.weight", (H,)),
               (p + "post_attention_layernorm.weight", (H,))]
shapes.append(("model.norm.weight", (H,)))
import os
os.makedirs(f"{out}/ref", exist_ok=True)
hdr, off = {}, 0
for n, sh in shapes:
    nb = int(np.prod(sh)) * 2
    hdr[n] = {"dtype": "F16", "shape": list(sh), "data_offsets": [off, off + nb]}
    off += nb
hb = json.dumps(hdr).encode()
hb += b" " * (-len(hb) % 8)
nodes, inits, vi = [], [], []
with open(f"{out}/ref/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb)
    for i, (n, sh) in enumerate(shapes):
        w = (rng.standard_normal(sh, dtype=np.float32) * 0.02).astype(np.float16)
        f.write(w.tobytes())
        if len(sh) == 2 and "embed" not in n:
            B, s = q4(w.astype(np.float32))
            node, ini = mm_node(i, f"val_{100 + 7 * i}", sh[1], sh[0], B, s)
            nodes.append(node)
            inits += ini
            vi.append((f"x{i}", sh[1], f"y{i}", sh[0]))
json.dump({"hidden_size": H, "intermediate_size": I, "num_attention_heads": NH, "num_key_value_heads": KV,
           "num_hidden_layers": L, "vocab_size": V, "dtype": "float16"}, open(f"{out}/ref/config.json", "w"))
g = helper.make_graph(nodes, "qwen", [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, k]) for x, k, _, _ in vi],
                      [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, n]) for _, _, y, n in vi], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
m.ir_version = 8
onnx.save(m, f"{out}/model_q4.onnx")
