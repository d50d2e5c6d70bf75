#!/usr/bin/env bash
# diff across quantization and deduplication (spec/schema/diff.schema.json):
# - a checkpoint against its quantized exports (ONNX MatMulNBits q4 and
#   q4f16, MLC q4f16_1 and q4f32_1): every quantized weight is paired with the
#   checkpoint tensor truth.json names (a fused MLC weight with each of its
#   parts, at truth.json's rows), reported as quantized with truth.json's
#   error (vs_fp16_ref, 1e-4 relative), none removed or added;
# - the checkpoint against its fp32 ONNX export: no tensor reported removed
#   whose values B holds (checked here with numpy and onnx, independently of
#   slminspect), the deduplicated ones shared with the tensor they equal;
# - the README example, both directions, and a quantized weight without its
#   original.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" -c 'import onnx, numpy' 2>/dev/null || skip "python3-onnx and python3-numpy are needed"
Q=$CORPUS/qwen2
EX=$SRC/examples/tiny-qwen2
SCHEMA=$SRC/spec/schema/diff.schema.json
check_schema() { ok; "$PY" "$SRC/tests/tools/check_schema.py" "$SCHEMA" "$1" >"$TMP/schema.log" 2>&1 || fail "schema: $(cat "$TMP/schema.log")"; }

check_quant() { # diff.json truth.json variant side
    "$PY" - "$@" <<'PY'
import json, sys
doc, truth, variant, side = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
ref_side = "b" if side == "a" else "a"
if variant.startswith("mlc"):
    want = {(t["hf_name"]): (t["mlc_name"] + ".q_weight", t["rows"], t) for t in truth["tensors"]}
else:
    want = {t["hf_name"]: (t["B"], None, t) for t in truth["variants"][variant]["tensors"]}
got = {x[ref_side]: x for x in doc["tensors"] if x["content"] == "quantized" and x["a"] and x["b"]}
bad = []
for hf, (qname, rows, t) in want.items():
    x = got.get(hf)
    if not x:
        bad.append(f"{hf}: no quantized entry"); continue
    q = x["quantization"]
    if x[side] != qname or q["weight"] != qname or q["side"] != side or x["changes"] != ["quantized"]:
        bad.append(f"{hf}: paired with {x[side]} ({q['weight']}), truth says {qname}")
    if rows is not None and q["rows"] != rows:
        bad.append(f"{hf}: rows {q['rows']}, truth {rows}")
    for m in ("sqnr_db", "rel_rmse", "cosine", "max_abs_err", "mean_abs_err"):
        a, b = q[m], t["vs_fp16_ref"][m]
        if not abs(a - b) <= 1e-4 * max(abs(a), abs(b)):
            bad.append(f"{hf}: {m} {a!r}, truth {b!r}")
extra = set(got) - set(want)
s = doc["summary"]; qs = s["quantization"]
nweights = len({w[0] for w in want.values()})
if extra: bad.append(f"quantized entries truth does not list: {sorted(extra)}")
if (qs["side"], qs["originals"], qs["weights"], qs["weights_paired"]) != (side, len(want), nweights, nweights):
    bad.append(f"summary {qs}, expected side {side}, {len(want)} originals, {nweights} weights all paired")
if s["quantized"] != len(want): bad.append(f"summary quantized {s['quantized']}")
if qs["kept"] != s["paired"]: bad.append(f"kept {qs['kept']} != paired {s['paired']}")
# nothing on the checkpoint's side is left out: every tensor quantized, kept or shared
ckpt_only = [x for x in doc["tensors"] if x[ref_side] and not x[side]]
if ckpt_only: bad.append(f"checkpoint tensors reported only on one side: {[x[ref_side] for x in ckpt_only]}")
# no packed weight, scale or zero point of the quantized side left unpaired
leftover = [x[side] for x in doc["tensors"] if x[side] and not x[ref_side]
            and (x[side].endswith("_Q4") or "scales" in x[side] or x[side].endswith(("q_weight", "q_scale")))]
if leftover: bad.append(f"quantized parts left over: {leftover}")
# fused unquantized tensors (MLC c_attn.bias): each part at the rows truth.json gives its weight
if variant.startswith("mlc"):
    fused = {x[ref_side]: x for x in doc["tensors"] if x.get("pairing") == "fused"}
    for hf, (qname, rows, t) in want.items():
        if not qname.endswith("c_attn.q_weight"):
            continue
        bias = hf[:-len("weight")] + "bias"
        x = fused.get(bias)
        if not x or x[side] != qname[:-len("q_weight")] + "bias" or x["fused_rows"] != rows or x["changes"][0] != "fused":
            bad.append(f"{bias}: fused entry {x}, expected rows {rows} of {qname[:-len('q_weight')]}bias")
        elif x["content"] not in ("identical", "equal"):
            bad.append(f"{bias}: content {x['content']}, the bias is stored unquantized")
    if len(fused) != 6: bad.append(f"{len(fused)} fused entries, expected 6 biases")
print("\n".join(bad) if bad else f"{variant}: {len(want)} originals paired as truth.json says")
sys.exit(1 if bad else 0)
PY
}

for v in model_q4.onnx model_q4f16.onnx; do
    expect_rc 1 "$BIN" diff --json "$Q/hf_fp16" "$Q/onnx/$v"
    cp "$TMP/out" "$TMP/$v.json"
    check_schema "$TMP/$v.json"
    ok
    check_quant "$TMP/$v.json" "$Q/truth.json" "$v" b || fail "diff hf_fp16 $v disagrees with truth.json"
done
for v in mlc_q4f16_1 mlc_q4f32_1; do
    expect_rc 1 "$BIN" diff --json "$Q/hf_fp16" "$Q/$v"
    cp "$TMP/out" "$TMP/$v.json"
    check_schema "$TMP/$v.json"
    ok
    check_quant "$TMP/$v.json" "$Q/$v/truth.json" "$v" b || fail "diff hf_fp16 $v disagrees with $v/truth.json"
done
# The other direction: the quantized side is A.
expect_rc 1 "$BIN" diff --json "$Q/onnx/model_q4.onnx" "$Q/hf_fp16"
cp "$TMP/out" "$TMP/rev.json"
check_schema "$TMP/rev.json"
ok
check_quant "$TMP/rev.json" "$Q/truth.json" model_q4.onnx a || fail "diff model_q4.onnx hf_fp16 disagrees with truth.json"

# Checkpoint against its fp32 export: what A holds and B does not show.
expect_rc 1 "$BIN" diff --json "$EX" "$EX/onnx/model.onnx"
cp "$TMP/out" "$TMP/x.json"
check_schema "$TMP/x.json"
"$PY" - "$TMP/x.json" "$EX" "$EX/onnx/model.onnx" >"$TMP/r" 2>&1 <<'PY' || fail "checkpoint vs export: $(cat "$TMP/r")"
import glob, json, os, struct, sys
import numpy as np, onnx
from onnx import numpy_helper
doc, ckpt, model = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
A = {}
for f in sorted(glob.glob(os.path.join(ckpt, "*.safetensors"))):
    b = open(f, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    for k, v in h.items():
        if k != "__metadata__":
            s, e = v["data_offsets"]
            A[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype={"F16": np.float16, "F32": np.float32}[v["dtype"]]).reshape(v["shape"])
B = {t.name: numpy_helper.to_array(t) for t in onnx.load(model).graph.initializer}
def holds(a):  # B has a tensor with a's values (any name, transposed too)
    a = a.astype(np.float64)
    return [n for n, b in B.items() if b.size == a.size and b.dtype.kind == "f" and
            (np.array_equal(b.astype(np.float64).reshape(a.shape), a) or
             (a.ndim == 2 and b.shape == a.T.shape and np.array_equal(b.astype(np.float64).T, a)))]
removed = [x["a"] for x in doc["tensors"] if x["a"] and not x["b"]]
wrong = [(r, holds(A[r])) for r in removed if holds(A[r])]
assert not wrong, f"reported removed, but B holds them: {wrong}"
shared = [x for x in doc["tensors"] if x["content"] == "shared"]
assert len(shared) == doc["summary"]["shared"] > 0, doc["summary"]
for x in shared:
    assert x["changes"] == ["shared"] and x["a"] and x["b"] and x["shared_with"] != x["a"] and x["shared_side"] == "a", x
    assert np.array_equal(A[x["a"]], A[x["shared_with"]]), f"{x['a']} and {x['shared_with']} differ"
    assert x["b"] in holds(A[x["a"]]), f"{x['b']} does not hold {x['a']}'s values"
# every A tensor B holds the values of by bytes-equality in A is accounted: no removed at all here
assert doc["summary"]["removed"] == 0, doc["summary"]
print(f"{len(shared)} shared, 0 removed")
PY
ok

# The README example: 14 quantized, all paired, in both directions (--all: every
# entry in the text, not the first 20).
expect_rc 1 "$BIN" diff --all "$EX" "$EX/onnx/model_q4.onnx"
expect_grep "^quantization: 14 tensors of A quantized in B (14 of B's 14 quantized weights paired with their originals)" "$TMP/out"
expect_grep "^tensors: .*, 0 removed, " "$TMP/out"
expect_grep "^  q model.layers.0.self_attn.q_proj.weight -> .*_Q4 (MatMulNBits 4-bit, block 32, paired by " "$TMP/out"
expect_grep "^  = model.norm.weight -> .* (same bytes as A's model.layers.0.input_layernorm.weight, paired with it: B keeps one tensor for both)" "$TMP/out"
expect_rc 1 "$BIN" diff --all "$EX/onnx/model_q4.onnx" "$EX"
expect_grep "^quantization: 14 tensors of B quantized in A (14 of A's 14 quantized weights paired with their originals)" "$TMP/out"
ok
! grep -q "^  + model\." "$TMP/out" || fail "checkpoint tensors reported added against the quantized model"

# A quantized weight whose original is gone: listed on its side, with its
# format, as the one weight of 14 not paired.
"$PY" - "$Q/hf_fp32_single/model.safetensors" "$TMP/drop.safetensors" <<'PY' || fail "making the checkpoint without one weight"
import json, struct, sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); data = b[8 + n:]
h.pop("__metadata__", None); h.pop("model.layers.1.mlp.down_proj.weight")
out, blob = {}, b""
for k, v in sorted(h.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    s, e = v["data_offsets"]; out[k] = {"dtype": v["dtype"], "shape": v["shape"], "data_offsets": [len(blob), len(blob) + e - s]}
    blob += data[s:e]
js = json.dumps(out).encode(); js += b" " * (-len(js) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(js)) + js + blob)
PY
expect_rc 1 "$BIN" diff --json "$TMP/drop.safetensors" "$Q/onnx/model_q4.onnx"
check_schema "$TMP/out"
"$PY" - "$TMP/out" "$Q/truth.json" >"$TMP/r" 2>&1 <<'PY' || fail "unpaired quantized weight: $(cat "$TMP/r")"
import json, sys
doc, truth = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lost = [t["B"] for t in truth["variants"]["model_q4.onnx"]["tensors"] if t["hf_name"] == "model.layers.1.mlp.down_proj.weight"]
alone = [x for x in doc["tensors"] if x["content"] == "quantized" and not x["a"]]
assert [x["b"] for x in alone] == lost, (alone, lost)
assert alone[0]["changes"] == ["quantized", "added"] and alone[0]["quantization"]["paired"] is False, alone[0]
q = doc["summary"]["quantization"]
assert (q["weights"], q["weights_paired"], q["originals"]) == (14, 13, 13), q
PY
ok
expect_rc 1 "$BIN" diff --all "$TMP/drop.safetensors" "$Q/onnx/model_q4.onnx"
expect_grep "13 of B's 14 quantized weights paired" "$TMP/out"
expect_grep "quantized (MatMulNBits 4-bit, block 32), no original on the other side" "$TMP/out"

# A GGUF (quantized weights whose reader fills the same list): every one of
# its quantized weights is paired with its original (quant's pairing, or
# llama.cpp's names first: weights_paired_earlier), none left on one side.
expect_rc 1 "$BIN" diff --json "$Q/hf_fp16" "$CORPUS/gguf/qwen2-q4_0.gguf"
check_schema "$TMP/out"
"$PY" - "$TMP/out" >"$TMP/r" 2>&1 <<'PY' || fail "GGUF quantization summary: $(cat "$TMP/r")"
import json, sys
doc = json.load(open(sys.argv[1]))
q = doc["summary"]["quantization"]
quantized = [x for x in doc["tensors"] if x["content"] == "quantized" and x["a"] and x["b"]]
earlier = [x for x in doc["tensors"] if x.get("pairing") == "llama" and x["dtype"]["b"] == "Q4_0"]
assert q["side"] == "b" and q["weights"] > 0, q
assert q["weights"] == q["weights_paired"] == len({x["b"] for x in quantized}) + len(earlier), (q, len(quantized), len(earlier))
assert q["weights_paired_earlier"] == len(earlier), q
assert all(x["quantization"]["format"] == "Q4_0" for x in quantized), quantized
assert not [x for x in doc["tensors"] if "quantization" in x and not x["quantization"]["paired"]]
PY
ok

# Two unrelated models (the example's 64-wide layers, the corpus's 256-wide
# q4): no quantized weight finds an original, nothing is shared through a
# pair of tensors that do not hold the same number of values.
expect_rc 1 "$BIN" diff --json "$EX" "$Q/onnx/model_q4.onnx"
check_schema "$TMP/out"
"$PY" - "$TMP/out" >"$TMP/r" 2>&1 <<'PY' || fail "unrelated models: $(cat "$TMP/r")"
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["shared"] == 0 and s["quantized"] == 0, s
assert (s["quantization"]["weights"], s["quantization"]["weights_paired"]) == (14, 0), s["quantization"]
PY
ok
finish
