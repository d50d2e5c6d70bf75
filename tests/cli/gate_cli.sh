#!/usr/bin/env bash
# slminspect gate: verify + quant thresholds + manifest check in one run; each
# step's verdict, the combined exit status, JSON (schema) and SARIF outputs.
. "$(dirname "$0")/lib.bash"
Q=$CORPUS/qwen2
PY=/usr/bin/python3
"$PY" -c "import jsonschema" 2>/dev/null || skip "no python3-jsonschema"
schema() { ok; "$PY" "$SRC/tests/tools/check_schema.py" "$@" >"$TMP/schema.log" 2>&1 || fail "schema: $(cat "$TMP/schema.log")"; }
# jq-like checks of the last --json output
check() { ok; "$PY" -c "import json,sys; d=json.load(open('$TMP/out')); $1" 2>"$TMP/py.err" || fail "$1: $(tail -3 "$TMP/py.err")"; }

# A q4 model against its fp16 checkpoint: passes a gate below its SQNR (17.57 dB)...
expect_rc 0 "$BIN" gate --json "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp16" --min-sqnr 15 --min-cosine 0.98
schema "$SRC/spec/schema/gate.schema.json" "$TMP/out"
check 'assert d["result"] == "pass" and [s["step"] for s in d["steps"]] == ["verify", "quant"] and all(s["passed"] for s in d["steps"]), d["steps"]'
check 'q = d["steps"][1]; assert q["weights_paired"] == q["quantized_weights"] == 14 and 17 < q["overall"]["sqnr_db"] < 18, q'
# ... and fails one above it: the quant step fails, per tensor and overall (QT-101).
expect_rc 1 "$BIN" gate --json "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp16" --min-sqnr 18
check 'assert d["result"] == "fail" and d["steps"][0]["passed"] and not d["steps"][1]["passed"]'
check 'r = [f for f in d["findings"] if f["rule"] == "QT-101"]; assert len(r) == d["errors"] and any(f["path"] == "/summary/overall" for f in r), r'
expect_rc 1 "$BIN" gate "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp16" --min-sqnr 18
expect_grep "^  quant .* -- FAIL" "$TMP/out"
expect_grep "^FAIL: " "$TMP/out"
# Several quantized models, one reference; MLC too.
expect_rc 0 "$BIN" gate --json "$Q/onnx" --ref "$Q/hf_fp16" --quantized "$Q/onnx/model_q4.onnx" \
    --quantized "$Q/onnx/model_q4f16.onnx" --quantized "$Q/mlc_q4f16_1" --min-sqnr 15
check 'assert [s.get("quantized", "").rsplit("/", 1)[-1] for s in d["steps"]] == ["", "model_q4.onnx", "model_q4f16.onnx", "mlc_q4f16_1"], d["steps"]'

# --strict: the external-data warning (ONNX-202) fails the gate.
expect_rc 0 "$BIN" gate "$Q/onnx/model_q4_ext.onnx"
expect_rc 1 "$BIN" gate --strict "$Q/onnx/model_q4_ext.onnx"
expect_grep "ONNX-202" "$TMP/out"

# Manifest: a copy matches the manifest of the original; one flipped byte in
# a tensor fails the manifest step, naming the file and the tensor.
mkdir "$TMP/rel" && cp "$Q"/hf_fp16/* "$TMP/rel/"
expect_rc 0 "$BIN" hash "$Q/hf_fp16" -o "$TMP/manifest.json"
expect_rc 0 "$BIN" gate --json "$TMP/rel" --manifest "$TMP/manifest.json"
schema "$SRC/spec/schema/gate.schema.json" "$TMP/out"
check 'm = d["steps"][1]; assert m["step"] == "manifest" and m["passed"] and m["files"] == 11 and m["tensors"] == 26, m'
"$PY" - "$TMP/rel/model-00002-of-00008.safetensors" <<'PY'
import json, struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); name, t = next((k, v) for k, v in h.items() if k != "__metadata__")
b[8 + n + t["data_offsets"][0] + 1] ^= 0x10
open(p, "wb").write(b); open(p + ".name", "w").write(name)
PY
flipped=$(cat "$TMP/rel/model-00002-of-00008.safetensors.name") && rm "$TMP/rel/model-00002-of-00008.safetensors.name"
expect_rc 1 "$BIN" gate --json "$TMP/rel" --manifest "$TMP/manifest.json"
check 'assert d["result"] == "fail" and d["steps"][0]["passed"] and not d["steps"][1]["passed"], d["steps"]'
check 'f = [x for x in d["findings"] if x["severity"] == "error"]; assert f and all(x["rule"].startswith("HS-") and x["file"].endswith("model-00002-of-00008.safetensors") for x in f), f'
check 'assert any(x.get("path") == "'"$flipped"'" or "'"$flipped"'" in x["message"] for x in d["findings"]), d["findings"]'
# SARIF of a failing gate validates against the OASIS schema.
expect_rc 1 "$BIN" gate --format sarif "$TMP/rel" --manifest "$TMP/manifest.json"
schema "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/out"
check 'r = d["runs"][0]["results"]; assert r and all(x["ruleId"].startswith("HS-") for x in r if x["level"] == "error"), r'

# A broken file fails the verify step.
"$SLM_BUILD/tests/test_safetensors" --write "$TMP/st" >/dev/null
expect_rc 1 "$BIN" gate --json "$TMP/st/gap.safetensors"
check 'assert d["result"] == "fail" and not d["steps"][0]["passed"] and d["findings"][0]["rule"] == "ST-012", d'

# Usage errors and unreadable input: exit 2.
expect_rc 2 "$BIN" gate
expect_rc 2 "$BIN" gate "$Q/hf_fp16" "$Q/hf_fp32_single"
expect_rc 2 "$BIN" gate --quantized "$Q/onnx/model_q4.onnx" "$Q/onnx"
expect_grep "needs --ref" "$TMP/err"
expect_rc 2 "$BIN" gate "$TMP/no-such-folder"
expect_rc 2 "$BIN" gate "$Q/onnx/model_q4.onnx" --ref "$TMP/no-such-ref"
expect_rc 2 "$BIN" gate "$Q/hf_fp16" --manifest "$TMP/no-such-manifest.json"
expect_rc 0 "$BIN" gate --help
expect_grep "usage: slminspect gate" "$TMP/out"
finish
