#!/usr/bin/env python3
"""MatMulNBits models for the onnxruntime cross-check (tests/test_quant_oracle.c).

Writes into OUTDIR, for each variant: NAME.onnx (one com.microsoft MatMulNBits
node, Y = A * dequant(B)^T), NAME.x (the activations, float32 raw; values
fp16-exact for the fp16 variants) and a line of cases.tsv: name M K N dtype.
Seeded: the same files every run.  Needs the onnx package (Debian python3-onnx)."""
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
rng = np.random.default_rng(20240611)
cases = []


def make(name, K, N, bits, bs, zp, fp16, M=3, gidx=False):
    nb = (K + bs - 1) // bs
    blob = bs * bits // 8
    B = rng.integers(0, 256, size=(N, nb, blob), dtype=np.uint8)
    st = np.float16 if fp16 else np.float32
    scales = (0.001 + 0.05 * rng.random(N * nb)).astype(st)
    inits = [helper.make_tensor("B", TensorProto.UINT8, B.shape, B.tobytes(), raw=True),
             helper.make_tensor("scales", TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT, scales.shape,
                                scales.tobytes(), raw=True)]
    inputs = ["A", "B", "scales"]
    if zp == "packed":
        z = rng.integers(0, 256, size=(N, (nb * bits + 7) // 8), dtype=np.uint8)
        inits.append(helper.make_tensor("zp", TensorProto.UINT8, z.shape, z.tobytes(), raw=True))
        inputs.append("zp")
    elif zp == "typed":
        z = (rng.random(N * nb) * (1 << bits)).astype(st)
        inits.append(helper.make_tensor("zp", TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT, z.shape,
                                        z.tobytes(), raw=True))
        inputs.append("zp")
    et = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft", name="mm",
                            K=K, N=N, bits=bits, block_size=bs)
    g = helper.make_graph([node], name, [helper.make_tensor_value_info("A", et, [M, K])],
                          [helper.make_tensor_value_info("Y", et, [M, N])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    onnx.save(m, f"{out}/{name}.onnx")
    x = rng.standard_normal((M, K)).astype(np.float32)
    if fp16:
        x = x.astype(np.float16).astype(np.float32)
    x.tofile(f"{out}/{name}.x")
    cases.append(f"{name}\t{M}\t{K}\t{N}\t{'float16' if fp16 else 'float32'}\n")


for bits in (4, 8):
    for bs in (16, 32, 64, 128, 256):
        for zp in ("none", "packed", "typed"):
            for fp16 in (False, True):
                K = bs * 3 + (0 if bs == 32 else bs // 2 + 3)  # K % bs != 0 except block 32
                make(f"b{bits}_bs{bs}_{zp}_{'f16' if fp16 else 'f32'}", K, 24, bits, bs, zp, fp16)
make("b4_bs32_gemv_4096", 4096, 64, 4, 32, "none", False, M=1)
with open(f"{out}/cases.tsv", "w") as f:
    f.writelines(cases)
print(len(cases), "cases")
