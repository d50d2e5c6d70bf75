#!/usr/bin/env python3
"""Hostile ONNX cases made from the real models: truncations, byte flips,
broken SSA and topological order, duplicate names, bad versions, bad payload
sizes, corrupt external-data ranges, traversal paths.

Standard library only, deterministic: the same cases come out on every
machine, so the reference verdicts recorded once (onnx_verdicts.py, on the
machine with onnx 1.23 and onnxruntime 1.30) stay valid for the test that
regenerates them.

usage: onnx_mutants.py SRC_DIR OUT_DIR
  SRC_DIR holds model_q4.onnx, model_q4_ext.onnx, model_q4_ext.onnx_data
  OUT_DIR/<case>/model.onnx (+ external data) for every case; OUT_DIR/cases.tsv
"""
import hashlib, os, random, shutil, sys

# ---- protobuf wire format -----------------------------------------------

def rd_varint(b, p):
    r = s = 0
    while True:
        x = b[p]; p += 1
        r |= (x & 0x7F) << s; s += 7
        if not x & 0x80:
            return r, p

def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        x = v & 0x7F; v >>= 7
        if v:
            out.append(x | 0x80)
        else:
            out.append(x); return bytes(out)

def fields(b):
    """[(num, wt, value)] with value an int (varint/fixed) or bytes (LEN)."""
    p, out = 0, []
    while p < len(b):
        tag, p = rd_varint(b, p)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, p = rd_varint(b, p)
        elif wt == 1:
            v = b[p:p + 8]; p += 8
        elif wt == 5:
            v = b[p:p + 4]; p += 4
        elif wt == 2:
            n, p = rd_varint(b, p); v = bytes(b[p:p + n]); p += n
        else:
            raise ValueError("wire type %d" % wt)
        out.append([num, wt, v])
    return out

def encode(fs):
    out = bytearray()
    for num, wt, v in fs:
        out += varint(num << 3 | wt)
        if wt == 0:
            out += varint(v)
        elif wt == 2:
            out += varint(len(v)) + v
        else:
            out += v
    return bytes(out)

def edit(b, path, fn):
    """Applies FN to the field list of the message at PATH, a list of
    (field number, occurrence index) from the top; re-encodes upwards."""
    fs = fields(b)
    if not path:
        return encode(fn(fs))
    num, idx = path[0]
    hits = [f for f in fs if f[0] == num and f[1] == 2]
    hits[idx][2] = edit(hits[idx][2], path[1:], fn)
    return encode(fs)

def get(b, path):
    fs = fields(b)
    for num, idx in path:
        fs = fields([f for f in fs if f[0] == num and f[1] == 2][idx][2])
    return fs

def strs(fs, num):
    return [f[2].decode() for f in fs if f[0] == num and f[1] == 2]

# ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11,
# output = 12; NodeProto.input = 1, output = 2, op_type = 4, domain = 7;
# TensorProto.dims = 1, data_type = 2, name = 8, raw_data = 9,
# external_data = 13, data_location = 14; opset_import = 8.
G = [(7, 0)]

def set_str(num, occurrence, value):
    def fn(fs):
        hits = [f for f in fs if f[0] == num and f[1] == 2]
        hits[occurrence][2] = value.encode()
        return fs
    return fn

def set_varint(num, value):
    def fn(fs):
        hit = [f for f in fs if f[0] == num and f[1] == 0]
        if hit:
            hit[-1][2] = value
        else:
            fs.append([num, 0, value])
        return fs
    return fn

def drop(num):
    return lambda fs: [f for f in fs if f[0] != num]

def ext_entry(key, value):
    return encode([[1, 2, key.encode()], [2, 2, value.encode()]])

def set_ext(key, value):
    """Sets (or with value None removes) an external_data entry of a tensor."""
    def fn(fs):
        out, done = [], False
        for f in fs:
            if f[0] == 13 and f[1] == 2:
                kv = {e[0]: e[2] for e in fields(f[2])}
                if kv.get(1, b"").decode() == key:
                    done = True
                    if value is None:
                        continue
                    f = [13, 2, ext_entry(key, value)]
            out.append(f)
        if not done and value is not None:
            out.append([13, 2, ext_entry(key, value)])
        return out
    return fn

def ext_get(b, init, key):
    for f in get(b, G + [(5, init)]):
        if f[0] == 13:
            kv = {e[0]: e[2] for e in fields(f[2])}
            if kv.get(1) == key.encode():
                return kv.get(2, b"").decode()
    return None

# ---- the cases ----------------------------------------------------------

def main():
    src, out = sys.argv[1], sys.argv[2]
    q4 = open(os.path.join(src, "model_q4.onnx"), "rb").read()
    ext = open(os.path.join(src, "model_q4_ext.onnx"), "rb").read()
    data_name = "model_q4_ext.onnx_data"
    data = open(os.path.join(src, data_name), "rb").read()
    cases = []  # (name, model bytes, external data: None | bytes, extra setup)

    def add(name, b, with_data=False, data_bytes=None, setup=None):
        cases.append((name, b, data_bytes if data_bytes is not None else (data if with_data else None), setup))

    add("orig_q4", q4)
    add("orig_q4_ext", ext, True)
    for cut in (0, 1, 2, 7, 100, 4096, len(q4) // 3, len(q4) // 2, len(q4) - 100, len(q4) - 1):
        add("trunc_q4_%d" % cut, q4[:cut])
    rng = random.Random(20240611)
    for i in range(24):
        p = rng.randrange(len(ext)) if i < 16 else rng.randrange(len(q4))
        base = ext if i < 16 else q4
        b = bytearray(base); b[p] ^= 0xFF
        add("flip_%s_%d" % ("ext" if i < 16 else "q4", p), bytes(b), i < 16)
    add("flip_q4_first", bytes([q4[0] ^ 0x80]) + q4[1:])
    add("trailing_garbage", q4 + b"\x07")
    add("trailing_group_end", q4 + b"\x0c")

    g = get(q4, G)
    nodes = [f[2] for f in g if f[0] == 1]
    outs = [strs(fields(n), 2) for n in nodes]
    ins = [strs(fields(n), 1) for n in nodes]
    inits = [strs(fields(f[2]), 8)[0] for f in g if f[0] == 5]
    # break SSA: a later node writes an earlier node's output
    j = next(j for j in range(5, len(nodes)) if outs[j] and outs[j][0] not in inits)
    add("ssa_dup_output", edit(q4, G + [(1, j)], set_str(2, 0, outs[1][0])))
    # break topological order: the first node with an input reads the last node's output
    i0 = next(i for i in range(len(nodes)) if ins[i] and ins[i][0])
    add("topo_use_before_def", edit(q4, G + [(1, i0)], set_str(1, 0, outs[-1][0])))
    add("undefined_input", edit(q4, G + [(1, i0)], set_str(1, 0, "no_such_value")))
    add("dup_initializer", edit(q4, G + [(5, 1)], set_str(8, 0, inits[0])))
    add("empty_initializer_name", edit(q4, G + [(5, 1)], set_str(8, 0, "")))
    add("output_not_produced", edit(q4, G + [(12, 0)], set_str(1, 0, "not_produced")))
    add("node_no_op_type", edit(q4, G + [(1, 3)], set_str(4, 0, "")))
    add("unknown_op", edit(q4, G + [(1, 3)], set_str(4, 0, "NoSuchOp")))
    add("graph_no_name", edit(q4, G, set_str(2, 0, "")))
    add("ir_missing", edit(q4, [], drop(1)))
    add("ir_99", edit(q4, [], set_varint(1, 99)))
    add("ir_3_init_not_input", edit(q4, [], set_varint(1, 3)))
    add("ir_7_opset_18", edit(q4, [], set_varint(1, 7)))
    add("no_opsets", edit(q4, [], drop(8)))
    add("opset_domain_renamed", edit(q4, [(8, 1)], set_str(1, 0, "com.microsofx")))
    add("opset_dup", edit(q4, [], lambda fs: fs + [f for f in fs if f[0] == 8][:1]))
    add("opset_huge", edit(q4, [(8, 0)], set_varint(2, 1 << 40)))
    # tensors
    add("init_dims_shrunk", edit(q4, G + [(5, 0)], lambda fs: [[1, 0, max(1, f[2] - 1)] if f[0] == 1 and f[1] == 0 and k == 0 else f for k, f in enumerate(fs)]))
    big = max(range(len(inits)), key=lambda k: len([f for f in get(q4, G + [(5, k)]) if f[0] == 9][0][2]))
    add("raw_data_short", edit(q4, G + [(5, big)], lambda fs: [[9, 2, f[2][:-1]] if f[0] == 9 else f for f in fs]))
    add("raw_data_long", edit(q4, G + [(5, big)], lambda fs: [[9, 2, f[2] + b"\0"] if f[0] == 9 else f for f in fs]))
    add("dtype_undefined", edit(q4, G + [(5, big)], set_varint(2, 0)))
    add("dtype_unknown", edit(q4, G + [(5, big)], set_varint(2, 99)))
    add("dtype_f16_size", edit(q4, G + [(5, big)], set_varint(2, 10)))
    add("dims_negative", edit(q4, G + [(5, big)], lambda fs: [[1, 0, (1 << 64) - 3] if f[0] == 1 and f[1] == 0 else f for f in fs]))
    add("raw_and_typed", edit(q4, G + [(5, big)], lambda fs: fs + [[4, 2, b"\0\0\0\0"]]))
    add("no_payload", edit(q4, G + [(5, big)], drop(9)))
    ja = next(j for j in range(len(nodes)) if any(f[0] == 5 for f in fields(nodes[j])))
    add("attr_type_mismatch", edit(q4, G + [(1, ja), (5, 0)], set_varint(20, 3)))
    add("attr_type_missing", edit(q4, G + [(1, ja), (5, 0)], drop(20)))
    add("attr_dup", edit(q4, G + [(1, ja)], lambda fs: fs + [f for f in fs if f[0] == 5][:1]))
    # external data
    ei = [k for k in range(sum(1 for f in get(ext, G) if f[0] == 5)) if ext_get(ext, k, "location")]
    e0, e1 = ei[0], ei[1]
    off0 = int(ext_get(ext, e0, "offset") or 0)
    add("ext_traversal_dotdot", edit(ext, G + [(5, e0)], set_ext("location", "../" + data_name)), True)
    add("ext_traversal_abs", edit(ext, G + [(5, e0)], set_ext("location", "/etc/passwd")), True)
    add("ext_traversal_symlink", edit(ext, G + [(5, e0)], set_ext("location", "link_out")), True,
        setup=("symlink", "link_out", "../orig_q4_ext/" + data_name))
    add("ext_subdir_ok", edit(ext, G + [(5, e0)], set_ext("location", "sub/" + data_name)), True,
        setup=("copy_sub", "sub", data_name))
    add("ext_missing_file", edit(ext, G + [(5, e0)], set_ext("location", "missing.bin")), True)
    add("ext_no_location", edit(ext, G + [(5, e0)], set_ext("location", None)), True)
    add("ext_offset_past_end", edit(ext, G + [(5, e0)], set_ext("offset", str(len(data) + 4096))), True)
    add("ext_length_past_end", edit(ext, G + [(5, e0)], set_ext("offset", str(len(data) - 8))), True)
    ln0 = ext_get(ext, e0, "length")
    if ln0:
        add("ext_length_small", edit(ext, G + [(5, e0)], set_ext("length", str(int(ln0) - 4))), True)
        add("ext_length_large", edit(ext, G + [(5, e0)], set_ext("length", str(int(ln0) + 4))), True)
        add("ext_no_length", edit(ext, G + [(5, e0)], set_ext("length", None)), True)
    add("ext_offset_text", edit(ext, G + [(5, e0)], set_ext("offset", "12ab")), True)
    add("ext_overlap", edit(ext, G + [(5, e1)], set_ext("offset", str(off0))), True)
    add("ext_data_truncated", ext, data_bytes=data[: len(data) // 2])
    add("ext_with_raw", edit(ext, G + [(5, e0)], lambda fs: fs + [[9, 2, b"\0" * 4]]), True)
    add("ext_location_unset_enum", edit(ext, G + [(5, e0)], set_varint(14, 7)), True)

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cases.tsv"), "w") as tsv:
        for name, b, d, setup in cases:
            cd = os.path.join(out, name)
            shutil.rmtree(cd, ignore_errors=True)
            os.makedirs(cd)
            open(os.path.join(cd, "model.onnx"), "wb").write(b)
            if d is not None:
                open(os.path.join(cd, data_name), "wb").write(d)
            if setup and setup[0] == "symlink":
                os.symlink(setup[2], os.path.join(cd, setup[1]))
            if setup and setup[0] == "copy_sub":
                os.makedirs(os.path.join(cd, setup[1]))
                shutil.copy(os.path.join(cd, data_name), os.path.join(cd, setup[1], setup[2]))
            tsv.write("%s\t%s\n" % (name, hashlib.sha256(b).hexdigest()[:16]))
    print(len(cases), "cases")

if __name__ == "__main__":
    main()
