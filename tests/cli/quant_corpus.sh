#!/usr/bin/env bash
# slminspect quant on the corpus: every quantized tensor of the three q4 ONNX
# models and the two MLC folders is paired with the checkpoint tensor that
# truth.json names, and every metric equals truth.json's vs_fp16_ref to 1e-4
# relative (truth.json is read here; no number is written in this test).
. "$(dirname "$0")/lib.bash"
Q=$CORPUS/qwen2
check() { # json-file truth-file variant
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
out, truth, variant = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
which = sys.argv[4] if len(sys.argv) > 4 else "vs_fp16_ref"
how = sys.argv[5] if len(sys.argv) > 5 else None
if variant.startswith("mlc"):
    want = {}
    for t in truth["tensors"]:
        key = (t["mlc_name"] + ".q_weight", tuple(t["rows"]))
        want[key] = t
    def key_of(t):
        rows = tuple(t.get("rows", [0, t["N"]]))
        return (t["name"], rows)
else:
    want = {t["B"]: t for t in truth["variants"][variant]["tensors"]}
    def key_of(t):
        return t["name"]
bad = 0
got = {key_of(t): t for t in out["tensors"]}
for k, w in want.items():
    t = got.get(k)
    if t is None:
        print(f"{variant}: {k} not in the report"); bad += 1; continue
    want_ref = w["onnx_weight"] if which == "vs_fp32" and how == "onnx" else w["hf_name"]
    if t["ref"] != want_ref:
        print(f"{variant}: {k} paired with {t['ref']}, truth says {want_ref}"); bad += 1
    if how == "onnx" and not t["ref_transposed"]:
        print(f"{variant}: {k}: the ONNX MatMul weight should be read as [K, N]"); bad += 1
    for f in ("K", "N"):
        if t[f] != w[f]:
            print(f"{variant}: {k} {f}={t[f]}, truth {w[f]}"); bad += 1
    ref = w[which]
    if t["n"] != ref["n"]:
        print(f"{variant}: {k} n={t['n']}, truth {ref['n']}"); bad += 1
    for m in ("max_abs_err", "mean_abs_err", "rmse", "ref_rms", "rel_rmse", "cosine", "sqnr_db"):
        a, b = t[m], ref[m]
        if not abs(a - b) <= 1e-4 * max(abs(a), abs(b)):
            print(f"{variant}: {k} {m}={a!r}, truth {b!r}"); bad += 1
extra = set(got) - set(want)
if extra:
    print(f"{variant}: tensors not in truth: {sorted(extra)}"); bad += 1
if out["summary"]["unpaired_quantized"]:
    print(f"{variant}: unpaired {out['summary']['unpaired_quantized']}"); bad += 1
print(f"{variant}: {len(want)} tensors, {bad} problems")
sys.exit(1 if bad else 0)
PY
}
for v in model_q4.onnx model_q4f16.onnx model_q4_ext.onnx; do
    expect_rc 0 "$BIN" quant "$Q/onnx/$v" --ref "$Q/hf_fp16" --json
    cp "$TMP/out" "$TMP/$v.json"
    ok
    check "$TMP/$v.json" "$Q/truth.json" "$v" || fail "$v disagrees with truth.json"
done
for v in mlc_q4f16_1 mlc_q4f32_1; do
    expect_rc 0 "$BIN" quant "$Q/$v" --ref "$Q/hf_fp16" --json
    cp "$TMP/out" "$TMP/$v.json"
    ok
    check "$TMP/$v.json" "$Q/$v/truth.json" "$v" || fail "$v disagrees with truth.json"
done
# against the fp32 originals: the checkpoint (names differ: content pairing)
# and the fp32 ONNX export (names match, weights [K, N], square ones too)
expect_rc 0 "$BIN" quant "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp32_single" --json
expect_grep '"pairing":."content"' "$TMP/out"
cp "$TMP/out" "$TMP/fp32.json"
ok
check "$TMP/fp32.json" "$Q/truth.json" model_q4.onnx vs_fp32 || fail "vs fp32 checkpoint disagrees with truth.json"
# against an fp32 ONNX export (names match, weights [K, N], square ones too):
# the example's export holds exactly its fp16 checkpoint's values, so the
# metrics equal those against the checkpoint, paired by content there
EX=$SRC/examples/tiny-qwen2
expect_rc 0 "$BIN" quant "$EX/onnx/model_q4.onnx" --ref "$EX/onnx/model.onnx" --json
cp "$TMP/out" "$TMP/onnx32.json"
expect_rc 0 "$BIN" quant "$EX/onnx/model_q4.onnx" --ref "$EX" --json
cp "$TMP/out" "$TMP/ck16.json"
ok
/usr/bin/python3 - "$TMP/onnx32.json" "$TMP/ck16.json" <<'PY' || fail "quant against the ONNX export and against the checkpoint disagree"
import json, sys
o, c = (json.load(open(p)) for p in sys.argv[1:3])
to, tc = {t["name"]: t for t in o["tensors"]}, {t["name"]: t for t in c["tensors"]}
assert len(to) == len(tc) == 14 and set(to) == set(tc), (sorted(to), sorted(tc))
for n, t in to.items():
    assert t["ref"] == n[: -len("_Q4")] and t["ref_transposed"] and t["pairing"] == "name", t
    for m in ("n", "max_abs_err", "rmse", "ref_rms", "rel_rmse", "cosine", "sqnr_db"):
        assert t[m] == tc[n][m], (n, m, t[m], tc[n][m])
PY
finish
