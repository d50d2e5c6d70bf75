#!/usr/bin/env python3
"""Writes an fp16 safetensors file of MIB mebibytes: 16 tensors [4096, N] of
normal values (sd 0.05, seed 1), as a converted checkpoint holds.

    gen_fp16.py FILE MIB"""
import json, struct, sys
import numpy as np
out, mib = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(1)
n_t = 16
per = mib * 1024 * 1024 // 2 // n_t
rows = 4096
cols = per // rows
hdr, off, arrs = {}, 0, []
for i in range(n_t):
    a = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.05).astype(np.float16)
    hdr[f"model.layers.{i}.mlp.weight"] = {"dtype": "F16", "shape": [rows, cols], "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
    arrs.append(a)
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for a in arrs:
        f.write(a.tobytes())
