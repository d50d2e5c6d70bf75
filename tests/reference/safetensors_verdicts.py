#!/usr/bin/env python3
"""The reference's verdict on each file in a folder: tab-separated lines
   NAME<TAB>ok   or   NAME<TAB>error<TAB>Type: message
for tests/data/safetensors_reference.tsv.  NAME is the file name without
.safetensors.  Run where the `safetensors` package (the reference, Rust
core) is installed:  python3 safetensors_verdicts.py DIR > verdicts.tsv"""
import os
import sys

import safetensors
from safetensors import safe_open

d = sys.argv[1]
print(f"# safetensors {safetensors.__version__}: safe_open(path, framework='numpy')")
for name in sorted(os.listdir(d)):
    if not name.endswith(".safetensors"):
        continue
    try:
        with safe_open(os.path.join(d, name), framework="numpy") as f:
            f.keys()
            f.metadata()
        verdict = "ok"
    except Exception as e:  # the verdict is the point: any exception is a rejection
        msg = str(e).replace("\n", " ").replace("\t", " ")[:300]
        verdict = f"error\t{type(e).__name__}: {msg}"
    print(f"{name[:-len('.safetensors')]}\t{verdict}")
