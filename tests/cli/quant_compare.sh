#!/usr/bin/env bash
# slminspect quant A B C --ref CHECKPOINT: a GGUF (ggml's Q4_K_M-style mix),
# an ONNX MatMulNBits model and an MLC q4f16_1 folder of the same checkpoint
# side by side.  Each column holds what that artifact's own report says of
# each reference tensor, which equals the figures recorded independently of
# slminspect (tests/corpus/gguf/truth.json: ggml's dequantization;
# tests/corpus/qwen2/truth.json: numpy's); the verdicts follow the gates;
# the HTML page draws one series per artifact.
. "$(dirname "$0")/lib.bash"
Q=$CORPUS/qwen2
A=("$CORPUS/gguf/qwen2-q4_k_m.gguf" "$Q/onnx/model_q4.onnx" "$Q/mlc_q4f16_1")
expect_rc 0 "$BIN" quant "${A[@]}" --ref "$Q/hf_fp16" --json --html "$TMP/cmp.html"
cp "$TMP/out" "$TMP/cmp.json"
/usr/bin/python3 - "$TMP/cmp.json" "$CORPUS/gguf/truth.json" "$Q/truth.json" "${A[@]}" <<'PY' >"$TMP/py" 2>&1 || fail "$(cat "$TMP/py")"
import json, math, sys
doc, gt, ot = (json.load(open(p)) for p in sys.argv[1:4])
paths = sys.argv[4:]
c = doc["comparison"]
bad = 0
def want(cond, msg):
    global bad
    if not cond:
        print(msg); bad += 1
want([a["path"] for a in c["artifacts"]] == paths, "artifacts out of order")
want([a["quantized"] for a in doc["artifacts"]] == paths, "documents out of order")
gguf = {t["ref"]: t["vs_ref"]["sqnr_db"] for t in gt["files"]["qwen2-q4_k_m.gguf"]["tensors"] if t["type"] not in ("f32", "f16")}
onnx = {t["hf_name"]: t["vs_fp16_ref"]["sqnr_db"] for t in ot["variants"]["model_q4.onnx"]["tensors"]}
rows = {r["ref"]: r for r in c["tensors"]}
for col, truth in ((0, gguf), (1, onnx)):
    for ref, v in truth.items():
        got = rows.get(ref, {}).get("sqnr_db", [None] * 3)[col]
        want(got is not None and math.isclose(got, v, rel_tol=1e-6), f"[{col + 1}] {ref}: {got}, truth {v}")
for i, d in enumerate(doc["artifacts"]):
    for t in d["tensors"]:
        want(rows[t["ref"]]["sqnr_db"][i] is not None, f"[{i + 1}] {t['ref']} missing from the table")
    want(math.isclose(c["artifacts"][i]["sqnr_db"], d["summary"]["overall"]["sqnr_db"]), f"[{i + 1}] overall differs")
want(rows["model.layers.0.mlp.down_proj.weight"]["sqnr_db"][0] is None, "the GGUF's F16 down_proj (an exact copy) is measured")
best = max(range(3), key=lambda i: c["artifacts"][i]["sqnr_db"])
want(c["most_faithful"] == best == 0, f"most faithful {c['most_faithful']}, expected {best} (the Q4_K mix)")
want(all(a["verdict"] == "pass" for a in c["artifacts"]), "a verdict without gates is not pass")
sys.exit(1 if bad else 0)
PY
ok
expect_grep '<g class="series" data-artifact="3">' "$TMP/cmp.html"
ok
[ "$(grep -c '<g class="series"' "$TMP/cmp.html")" = 3 ] || fail "expected 3 series in the HTML"

# gates: per artifact verdicts; the exit status fails when any artifact fails
expect_rc 1 "$BIN" quant "${A[@]}" --ref "$Q/hf_fp16" --min-sqnr 20 --json
/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["comparison"]
v = [a["verdict"] for a in c["artifacts"]]
sys.exit(0 if v == ["pass", "fail", "fail"] else "verdicts %s" % v)' "$TMP/out" || fail "verdicts under --min-sqnr 20"
ok

# text: one column per artifact, the verdict row, the most faithful named
expect_rc 0 "$BIN" quant "${A[@]}" --ref "$Q/hf_fp16"
expect_grep "^  \[3\] $Q/mlc_q4f16_1" "$TMP/out"
expect_grep "^  verdict .* pass .* pass .* pass" "$TMP/out"
expect_grep "most faithful: \[1\]" "$TMP/out"

# an unreadable artifact is a usage error (2), as for one
expect_rc 2 "$BIN" quant "${A[0]}" "$TMP/none.gguf" --ref "$Q/hf_fp16"

echo "$CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
