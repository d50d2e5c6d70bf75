#!/usr/bin/env bash
# slminspect diff: the corpus pairs of issue 6 (fp16 vs fp32 checkpoint,
# embedded vs external ONNX, a model against itself), numbers checked against
# numpy, pairings against truth.json, renames/reshapes/drops made in code,
# --diffable, the JSON schema, exit codes.
. "$(dirname "$0")/lib.bash"
Q=$CORPUS/qwen2
PY=/usr/bin/python3
"$PY" -c "import numpy, jsonschema" 2>/dev/null || skip "no python3-numpy / python3-jsonschema"
SCHEMA=$SRC/spec/schema/diff.schema.json
check_schema() { ok; "$PY" "$SRC/tests/tools/check_schema.py" "$SCHEMA" "$1" >"$TMP/schema.log" 2>&1 || fail "schema: $(cat "$TMP/schema.log")"; }

# fp16 checkpoint vs the same weights in fp32: every tensor paired by name and
# re-typed, nothing added or removed; the fp16 rounding error per tensor as
# numpy computes it from the two files.
expect_rc 1 "$BIN" diff --json "$Q/hf_fp16" "$Q/hf_fp32_single"
cp "$TMP/out" "$TMP/fp.json"
check_schema "$TMP/fp.json"
ok
"$PY" - "$TMP/fp.json" "$Q/hf_fp16" "$Q/hf_fp32_single/model.safetensors" >"$TMP/py.log" 2>&1 <<'PY' || fail "fp16 vs fp32: $(cat "$TMP/py.log")"
import json, struct, sys, glob, numpy as np
doc = json.load(open(sys.argv[1]))
def tensors(paths):
    out = {}
    for p in paths:
        b = open(p, "rb").read()
        n = struct.unpack("<Q", b[:8])[0]
        h = json.loads(b[8:8 + n])
        for k, v in h.items():
            if k == "__metadata__":
                continue
            s, e = v["data_offsets"]
            dt = {"F16": np.float16, "F32": np.float32}[v["dtype"]]
            out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt).reshape(v["shape"]).astype(np.float64)
    return out
A = tensors(sorted(glob.glob(sys.argv[2] + "/*.safetensors")))
B = tensors([sys.argv[3]])
s = doc["summary"]
assert s["paired"] == len(A) == len(B) == s["by_name"] == s["retyped"], s
assert s["added"] == s["removed"] == s["renamed"] == s["reshaped"] == s["identical"] == 0, s
assert not doc["same"]
listed = {t["a"]: t for t in doc["tensors"]}
assert set(listed) == set(A), set(A) ^ set(listed)
changed = 0
for name, a in A.items():
    t = listed[name]
    assert t["b"] == name and t["dtype"] == {"a": "F16", "b": "F32"} and "retyped" in t["changes"], t
    e = B[name] - a
    if not e.any():
        assert t["content"] == "equal" and t["values"]["differing"] == 0, t
        continue
    changed += 1
    v = t["values"]
    assert t["content"] == "changed" and v["differing"] == int((e != 0).sum()), (name, v)
    want = {"max_abs_err": np.abs(e).max(), "rel_rmse": np.sqrt((e * e).sum() / (a * a).sum()),
            "cosine": (a * B[name]).sum() / np.sqrt((a * a).sum() * (B[name] ** 2).sum())}
    for k, w in want.items():
        assert abs(v[k] - w) <= 1e-9 * abs(w) + 1e-15, (name, k, v[k], w)
    assert 1e-5 < v["rel_rmse"] < 1e-3, (name, v)  # the size of fp16 rounding
assert changed == s["changed"] and changed > 0, (changed, s)
keys = {f["key"]: f for f in doc["facts"]}
assert keys["/config/dtype"]["a"] == "float16" and keys["/config/dtype"]["b"] == "float32", keys.get("/config/dtype")
assert keys["/storage/shards"]["in"] == "a" and keys["/storage/files"]["in"] == "b", keys
PY
expect_rc 1 "$BIN" diff "$Q/hf_fp16" "$Q/hf_fp32_single"
expect_grep "26 paired (26 by name" "$TMP/out"
expect_grep "26 re-typed" "$TMP/out"
expect_grep "largest value changes" "$TMP/out"
expect_grep '~ /config/dtype: "float16" -> "float32"' "$TMP/out"

# Embedded vs external data: the same tensors, byte for byte; only /storage differs.
expect_rc 1 "$BIN" diff --json "$Q/onnx/model_q4.onnx" "$Q/onnx/model_q4_ext.onnx"
cp "$TMP/out" "$TMP/ext.json"
check_schema "$TMP/ext.json"
ok
"$PY" - "$TMP/ext.json" >"$TMP/py.log" 2>&1 <<'PY' || fail "q4 vs q4_ext: $(cat "$TMP/py.log")"
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
assert s["paired"] == s["identical"] == doc["a"]["tensors"] == doc["b"]["tensors"] > 0, s
assert s["added"] == s["removed"] == s["changed"] == s["renamed"] == 0 and doc["tensors"] == [], s
assert doc["facts"] and all(f["key"].startswith("/storage/") for f in doc["facts"]), doc["facts"]
assert any(f["key"] == "/storage/external_bytes" for f in doc["facts"])
PY

# A model against itself: nothing printed, exit 0, in every format.
for m in "$Q/hf_fp16" "$Q/onnx/model_q4_ext.onnx" "$Q/mlc_q4f16_1" "$SRC/examples/tiny-qwen2/onnx/model.onnx"; do
    expect_rc 0 "$BIN" diff "$m" "$m"
    ok; [ ! -s "$TMP/out" ] || fail "diff of $m against itself printed: $(head -c 300 "$TMP/out")"
    expect_rc 0 "$BIN" diff --json "$m" "$m"
    ok; "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["same"] and d["tensors"] == [] and d["facts"] == [], d' "$TMP/out" || fail "self diff of $m not empty"
    expect_rc 0 "$BIN" diff --diffable "$m" "$m"
    ok; [ ! -s "$TMP/out" ] || fail "--diffable self diff of $m printed something"
done
# A copy in another folder is the same model.
mkdir "$TMP/copy" && cp "$Q"/hf_fp16/* "$TMP/copy/"
expect_rc 0 "$BIN" diff "$Q/hf_fp16" "$TMP/copy"

# --diffable: one line per fact and tensor, no offsets, no artifact file names;
# two listings differ exactly where --diffable A B says.
expect_rc 0 "$BIN" diff --diffable "$Q/onnx/model_q4.onnx"
cp "$TMP/out" "$TMP/l1"
expect_rc 0 "$BIN" diff --diffable "$Q/onnx/model_q4_ext.onnx"
cp "$TMP/out" "$TMP/l2"
ok; grep -q "^tensor val_89_Q4 U8 " "$TMP/l1" || fail "listing lacks the packed weight: $(head -5 "$TMP/l1")"
ok; ! grep -q "model_q4\.onnx\|@[0-9]" "$TMP/l1" || fail "listing names the file or an offset"
ok; [ "$(sort "$TMP/l1")" = "$(cat "$TMP/l1")" ] || fail "listing not sorted"
expect_rc 1 "$BIN" diff --diffable "$Q/onnx/model_q4.onnx" "$Q/onnx/model_q4_ext.onnx"
cp "$TMP/out" "$TMP/d12"
diff "$TMP/l1" "$TMP/l2" | sed -n 's/^< /- /p; s/^> /+ /p' | sort >"$TMP/want"
ok; [ "$(sort "$TMP/d12")" = "$(cat "$TMP/want")" ] || fail "--diffable A B disagrees with diff(1) of the listings: $(diff "$TMP/d12" "$TMP/want" | head)"
ok; ! grep -qv "^[-+] /storage/" "$TMP/d12" || fail "q4 vs q4_ext differ beyond /storage: $(cat "$TMP/d12")"

# Made in code: a rename, a reshape, a drop, an addition, a changed value.
"$PY" - "$Q/hf_fp32_single/model.safetensors" "$TMP" >"$TMP/py.log" 2>&1 <<'PY' || fail "making variants: $(cat "$TMP/py.log")"
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
hdr = json.loads(b[8:8 + n]); data = b[8 + n:]
def write(path, entries):  # entries: name -> (dtype, shape, bytes)
    h, off, blob = {}, 0, b""
    for k, (dt, sh, raw) in entries.items():
        h[k] = {"dtype": dt, "shape": sh, "data_offsets": [off, off + len(raw)]}
        off += len(raw); blob += raw
    js = json.dumps(h).encode(); js += b" " * (-len(js) % 8)
    open(path, "wb").write(struct.pack("<Q", len(js)) + js + blob)
base = {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
        for k, v in sorted(hdr.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0]) if k != "__metadata__"}
write(sys.argv[2] + "/base.safetensors", base)
v = dict(base)
v["renamed.q_proj.weight"] = v.pop("model.layers.0.self_attn.q_proj.weight")
dt, sh, raw = v["model.layers.0.mlp.up_proj.weight"]; v["model.layers.0.mlp.up_proj.weight"] = (dt, [sh[0] * sh[1]], raw)
del v["model.layers.1.mlp.down_proj.weight"]  # unique bytes: removed (a tensor equal to another paired one is shared)
v["extra.bias"] = ("F32", [4], struct.pack("<4f", 1, 2, 3, 4))
dt, sh, raw = v["model.layers.1.self_attn.v_proj.bias"]
v["model.layers.1.self_attn.v_proj.bias"] = (dt, sh, struct.pack("<f", struct.unpack("<f", raw[:4])[0] + 0.5) + raw[4:])
write(sys.argv[2] + "/variant.safetensors", v)
PY
expect_rc 1 "$BIN" diff --json "$TMP/base.safetensors" "$TMP/variant.safetensors"
cp "$TMP/out" "$TMP/var.json"
check_schema "$TMP/var.json"
ok
"$PY" - "$TMP/var.json" >"$TMP/py.log" 2>&1 <<'PY' || fail "variants: $(cat "$TMP/py.log")"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {(x["a"], x["b"]): x for x in doc["tensors"]}
r = t[("model.layers.0.self_attn.q_proj.weight", "renamed.q_proj.weight")]
assert r["pairing"] == "hash" and r["content"] == "identical" and r["changes"] == ["renamed"], r
u = t[("model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.weight")]
assert u["changes"] == ["reshaped"] and u["content"] == "equal", u
assert ("model.layers.1.mlp.down_proj.weight", None) in t and t[("model.layers.1.mlp.down_proj.weight", None)]["changes"] == ["removed"]
assert (None, "extra.bias") in t and t[(None, "extra.bias")]["changes"] == ["added"]
c = t[("model.layers.1.self_attn.v_proj.bias", "model.layers.1.self_attn.v_proj.bias")]
assert c["changes"] == ["changed"] and c["values"]["differing"] == 1 and abs(c["values"]["max_abs_err"] - 0.5) < 1e-6, c
s = doc["summary"]
assert (s["renamed"], s["reshaped"], s["removed"], s["added"], s["changed"]) == (1, 1, 1, 1, 1), s
assert s["identical"] == s["paired"] - 2, s  # the rename is identical; the reshape equal; one changed
PY
expect_rc 1 "$BIN" diff "$TMP/base.safetensors" "$TMP/variant.safetensors"
expect_grep "~ model.layers.0.self_attn.q_proj.weight -> renamed.q_proj.weight (paired by hash)" "$TMP/out"
expect_grep "^  - model.layers.1.mlp.down_proj.weight" "$TMP/out"
expect_grep "^  + extra.bias" "$TMP/out"

# Across formats: the example's fp16 checkpoint against its fp32 ONNX export
# (torch.onnx.export), whose MatMul weights are renamed (val_87) and
# transposed: each is paired with the checkpoint tensor that holds its values,
# found here with numpy, independently of slminspect.
EX=$SRC/examples/tiny-qwen2
expect_rc 1 "$BIN" diff --json "$EX" "$EX/onnx/model.onnx"
cp "$TMP/out" "$TMP/x.json"
check_schema "$TMP/x.json"
ok
"$PY" - "$TMP/x.json" "$EX" "$EX/onnx/model.onnx" >"$TMP/py.log" 2>&1 <<'PY' || fail "cross-format: $(cat "$TMP/py.log")"
import glob, json, os, struct, sys
import numpy as np, onnx
from onnx import numpy_helper
doc = json.load(open(sys.argv[1]))
A = {}
for f in sorted(glob.glob(os.path.join(sys.argv[2], "*.safetensors"))):
    b = open(f, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    for k, v in h.items():
        if k != "__metadata__":
            s, e = v["data_offsets"]
            A[k] = np.frombuffer(b[8 + n + s:8 + n + e], np.float16).reshape(v["shape"]).astype(np.float64)
want = {}  # the export's transposed weights: val_N -> the checkpoint tensor holding its values
for t in onnx.load(sys.argv[3]).graph.initializer:
    w = numpy_helper.to_array(t)
    if t.name.startswith("val_") and w.ndim == 2 and w.dtype.kind == "f":
        hits = [k for k, a in A.items() if a.shape == w.T.shape and np.array_equal(w.T.astype(np.float64), a)]
        if hits:
            assert len(hits) == 1, (t.name, hits)
            want[t.name] = hits[0]
assert len(want) == 14, sorted(want)
got = {x["b"]: x for x in doc["tensors"] if x["a"] and x["b"]}
for onnx_name, hf in want.items():
    x = got.get(onnx_name)
    assert x and x["a"] == hf and x["pairing"] == "content" and "transposed" in x["changes"], (onnx_name, hf, x)
    assert x["values"]["max_abs_err"] == 0 and x["content"] == "equal", x
assert not [x for x in doc["tensors"] if x["a"] and x["b"] and x["b"].startswith("val_") and x["b"] not in want]
PY

# Usage and unreadable input.
expect_rc 2 "$BIN" diff "$Q/hf_fp16"
expect_rc 2 "$BIN" diff "$Q/hf_fp16" "$TMP/nothing-here"
expect_grep "No such file" "$TMP/err"
expect_rc 2 "$BIN" diff --diffable --json "$Q/hf_fp16"
expect_rc 2 "$BIN" diff --top x "$Q/hf_fp16" "$Q/hf_fp16"
expect_rc 0 "$BIN" diff --help
expect_grep "usage: slminspect diff" "$TMP/out"
finish
