#!/usr/bin/env python3
"""A reference checkpoint and its 4-bit ONNX quantization with LAYERS layers,
for the quant HTML report's chart at any layer count (tests/cli/quant_html.sh).

    make_quant_layers.py LAYERS OUT

OUT/ref/model.safetensors: per layer q_proj and up_proj weights [64, 64],
fp16, seeded random (the error grows with the layer, so the bars differ);
OUT/model_q4.onnx: each as a com.microsoft MatMulNBits (4 bits, block 32,
symmetric, onnxruntime's absmax / -8 rule), named like the dynamo exporter's
val_N so that pairing is by content.  Needs numpy and onnx (Debian python3-onnx)."""
import json, struct, sys
import numpy as np
import onnx
from onnx import TensorProto, helper

layers, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(14)
K = N = 64


def q4(w, bs=32):
    nb = K // bs
    wp = w.reshape(N, nb, bs)
    amax_i = np.abs(wp).argmax(axis=2)
    s = np.take_along_axis(wp, amax_i[..., None], axis=2)[..., 0] / -8.0
    s[s == 0] = 1.0
    q = np.clip(np.rint(wp / s[..., None]) + 8, 0, 15).astype(np.uint8)
    return (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8), s.reshape(-1).astype(np.float32)


import os
os.makedirs(f"{out}/ref", exist_ok=True)
names = [f"model.layers.{l}.{k}.weight" for l in range(layers) for k in ("self_attn.q_proj", "mlp.up_proj")]
hdr, off, ws = {}, 0, []
for i, n in enumerate(names):
    w = rng.standard_normal((N, K), dtype=np.float32) * 0.02
    w[0, : 1 + i % 7] *= 1 + (i % 5)  # outliers: the error differs per layer
    w = w.astype(np.float16)
    hdr[n] = {"dtype": "F16", "shape": [N, K], "data_offsets": [off, off + w.nbytes]}
    off += w.nbytes
    ws.append(w)
hb = json.dumps(hdr).encode()
hb += b" " * (-len(hb) % 8)
with open(f"{out}/ref/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb)
    for w in ws:
        f.write(w.tobytes())
nodes, inits, ins, outs = [], [], [], []
for i, w in enumerate(ws):
    B, s = q4(w.astype(np.float32))
    name = f"val_{100 + 3 * i}"
    inits += [helper.make_tensor(f"{name}_Q4", TensorProto.UINT8, B.shape, B.tobytes(), raw=True),
              helper.make_tensor(f"{name}_scales", TensorProto.FLOAT, s.shape, s.tobytes(), raw=True)]
    nodes.append(helper.make_node("MatMulNBits", [f"x{i}", f"{name}_Q4", f"{name}_scales"], [f"y{i}"],
                                  domain="com.microsoft", name=f"node_{name}", K=K, N=N, bits=4, block_size=32))
    ins.append(helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, [1, K]))
    outs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, [1, N]))
g = helper.make_graph(nodes, "layers", ins, outs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
m.ir_version = 8
onnx.save(m, f"{out}/model_q4.onnx")
