#!/usr/bin/env python3
"""Writes a minimal WebLLM model library for an MLC weight folder: a valid
WebAssembly module whose imports and exports are those of a TVM library of
one ABI generation (taken from spec/webllm_runtimes.tsv) and whose data
segment holds the _metadata JSON (8-byte length, then the text) describing
the folder's records, as mlc_llm would compile it.

usage: make_mlc_lib.py FOLDER OUT.wasm [--abi legacy|ffi] [--set key=json]... [--param NAME:field=json]..."""
import json, os, sys

def leb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)

def name(s):
    b = s.encode()
    return leb(len(b)) + b

def section(i, body):
    return bytes([i]) + leb(len(body)) + body

def main():
    folder, out = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    abi, sets, psets = "legacy", {}, []
    while args:
        a = args.pop(0)
        if a == "--abi":
            abi = args.pop(0)
        elif a == "--set":
            k, v = args.pop(0).split("=", 1)
            sets[k] = json.loads(v)
        elif a == "--param":
            k, v = args.pop(0).split("=", 1)
            pname, fld = k.split(":")
            psets.append((pname, fld, json.loads(v)))
    here = os.path.dirname(os.path.abspath(__file__))
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(here, "../../spec/webllm_runtimes.tsv"))
            if l[0].isdigit()]
    want = "tvm-ffi" if abi == "ffi" else "tvm-legacy-c-abi"
    imports = sorted({x for r in rows if r[2] == want for x in r[3].split(",")})
    exports = sorted({x for r in rows if r[2] == want for x in r[4].split(",") if x != "-"})
    cache = "tensor-cache.json" if os.path.exists(os.path.join(folder, "tensor-cache.json")) else "ndarray-cache.json"
    c = json.load(open(os.path.join(folder, cache)))
    cfg = json.load(open(os.path.join(folder, "mlc-chat-config.json")))
    params = [{"name": r["name"], "shape": r["shape"], "dtype": r["dtype"], "preprocs": []}
              for s in c["records"] for r in s["records"]]
    for pname, fld, v in psets:
        for p in params:
            if p["name"] == pname:
                p[fld] = v
    meta = {"model_type": cfg["model_type"], "quantization": cfg["quantization"],
            "context_window_size": cfg["context_window_size"], "sliding_window_size": -1,
            "attention_sink_size": -1, "prefill_chunk_size": cfg["prefill_chunk_size"],
            "tensor_parallel_shards": 1, "params": params}
    meta.update(sets)
    text = json.dumps(meta).encode()
    types = section(1, leb(1) + bytes([0x60, 0, 0]))
    imp = leb(len(imports)) + b"".join(name("env") + name(f) + b"\x00" + leb(0) for f in imports)
    mem = section(5, leb(1) + bytes([0, 1]))
    exp = leb(len(exports) + 1) + name("memory") + b"\x02" + leb(0) + b"".join(
        name(e) + b"\x02" + leb(0) for e in exports)  # exported as the memory: only the names matter here
    payload = len(text).to_bytes(8, "little") + text
    data = leb(1) + b"\x00\x41" + leb(1024) + b"\x0b" + leb(len(payload)) + payload
    mod = b"\0asm\1\0\0\0" + types + section(2, imp) + mem + section(7, exp) + section(11, data)
    open(out, "wb").write(mod)

main()
