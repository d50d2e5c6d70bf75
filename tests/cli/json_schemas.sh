#!/usr/bin/env bash
# Every --json output validates against its schema in spec/schema/ (inspect
# on every artifact kind of the corpus, verify clean and with findings,
# quant, rules, merge); the schemas themselves follow spec/schema/README.md;
# and the validator rejects documents that break a schema (so these checks
# can fail).
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
CHECK="$PY $SRC/tests/tools/check_schema.py"
S=$SRC/spec/schema
Q=$CORPUS/qwen2
$PY -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema missing"

# valid SCHEMA NAME: $TMP/out (the last command's stdout) is valid; kept as $TMP/NAME.json.
valid() {
    cp "$TMP/out" "$TMP/$2.json"
    ok
    $CHECK "$S/$1" "$TMP/$2.json" >"$TMP/check" 2>&1 || fail "$2 does not validate against $1: $(head -c 600 "$TMP/check")"
}
# invalid SCHEMA FILE WHAT: the validator rejects FILE, naming WHAT.
invalid() {
    ok
    if $CHECK "$S/$1" "$2" >"$TMP/check" 2>&1; then
        fail "$2 validates against $1, but it should not"
    else
        grep -q -- "$3" "$TMP/check" || fail "rejection of $2 does not name '$3': $(head -c 400 "$TMP/check")"
    fi
}

# ---- the schemas: 2020-12, valid against the meta-schema, $id .../schema/1/NAME
$PY - "$S" >"$TMP/schemas" 2>&1 <<'PY'
import json, os, sys
import jsonschema
d, bad = sys.argv[1], []
for n in sorted(os.listdir(d)):
    if not n.endswith(".json"):
        continue
    s = json.load(open(os.path.join(d, n)))
    if s.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        bad.append(f"{n}: $schema is {s.get('$schema')!r}")
    if s.get("$id") != "https://slminspect.invalid/schema/1/" + n:
        bad.append(f"{n}: $id is {s.get('$id')!r}")
    try:
        jsonschema.Draft202012Validator.check_schema(s)
    except jsonschema.SchemaError as e:
        bad.append(f"{n}: {e.message}")
print("\n".join(bad) or "ok")
PY
ok
grep -qx ok "$TMP/schemas" || fail "schemas: $(cat "$TMP/schemas")"

# ---- inspect: every artifact kind, plain and with --tensors --stats
mkdir -p "$TMP/gguf" && "$SLM_BUILD/tests/test_gguf" --write "$TMP/gguf" && rm "$TMP"/gguf/{bad-offset,llama-missing}.gguf
n=0
for p in "$Q/hf_fp16" "$Q/hf_fp32_single" "$Q/hf_fp32_single/model.safetensors" "$Q/hf_fp16/model.safetensors.index.json" \
         "$Q/hf_fp16/config.json" "$Q"/onnx/*.onnx "$Q/mlc_q4f16_1" "$Q/mlc_q4f32_1" "$CORPUS"/wasm/*.wasm \
         "$SRC/examples/tiny-qwen2" "$SRC"/examples/tiny-qwen2/onnx/*.onnx "$TMP"/gguf/*.gguf; do
    n=$((n + 1))
    expect_rc 0 "$BIN" inspect --json "$p"
    valid inspect.schema.json "inspect_$n"
    expect_rc 0 "$BIN" inspect --json --tensors --stats "$p"
    valid inspect.schema.json "inspect_${n}_tensors"
done
# every kind was seen
ok
cat "$TMP"/inspect_*.json | grep -o '"kind":[[:space:]]*"[a-z-]*"' | sed 's/.*"\([a-z-]*\)"$/\1/' | sort -u | tr '\n' ' ' >"$TMP/kinds"
[ "$(cat "$TMP/kinds")" = "gguf hf-config hf-index mlc-cache onnx safetensors wasm " ] || fail "inspect kinds: $(cat "$TMP/kinds")"
# a broken file: findings, exit 1, still the schema
"$SLM_BUILD/tests/test_safetensors" --write "$TMP/st" >/dev/null
expect_rc 1 "$BIN" inspect --json "$TMP/st/gap.safetensors"
valid inspect.schema.json inspect_gap
expect_grep '"ST-012"' "$TMP/inspect_gap.json"

# ---- verify: clean, findings with offsets, findings with paths only, unreadable shards
expect_rc 0 "$BIN" verify --json "$Q/hf_fp16" "$Q/mlc_q4f16_1" "$Q/onnx" "$CORPUS/wasm" "$SRC/examples/tiny-qwen2"
valid verify.schema.json verify_clean
expect_rc 1 "$BIN" verify --json "$TMP/st"
valid verify.schema.json verify_st
expect_grep '"offset"' "$TMP/verify_st.json"
mkdir "$TMP/ck" && cp "$Q"/hf_fp16/* "$TMP/ck/" && rm "$TMP/ck/model-00003-of-00008.safetensors"
expect_rc 1 "$BIN" verify --json "$TMP/ck"
valid verify.schema.json verify_missing_shard
expect_grep '"IX-003"' "$TMP/verify_missing_shard.json"

# ---- quant: clean, and with gate findings
expect_rc 0 "$BIN" quant --json "$Q/mlc_q4f16_1" --ref "$Q/hf_fp16"
valid quant.schema.json quant_mlc
expect_rc 1 "$BIN" quant --json "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp32_single" --min-sqnr 40
valid quant.schema.json quant_onnx_gate
expect_grep '"QT-101"' "$TMP/quant_onnx_gate.json"
expect_rc 0 "$BIN" quant --json "$CORPUS/gguf/qwen2-q4_k_m.gguf" --ref "$Q/hf_fp16"
valid quant.schema.json quant_gguf
expect_rc 0 "$BIN" quant --json "$CORPUS/gguf/qwen2-q4_k_m.gguf" "$Q/onnx/model_q4.onnx" "$Q/mlc_q4f16_1" --ref "$Q/hf_fp16"
valid quant-compare.schema.json quant_compare
expect_rc 1 "$BIN" diff --json "$Q/hf_fp16" "$CORPUS/gguf/llama-q8_0.gguf"
valid diff.schema.json diff_gguf

# ---- rules
expect_rc 0 "$BIN" rules --json
valid rules.schema.json rules
expect_rc 0 "$BIN" rules --json ST
valid rules.schema.json rules_st

# ---- merge: verify and quant reports, a merge of merges, a rejected and an unreadable report
expect_rc 1 "$BIN" merge --json "$TMP/verify_clean.json" "$TMP/verify_st.json" "$TMP/quant_onnx_gate.json"
valid merge.schema.json merge
expect_rc 1 "$BIN" merge --json "$TMP/merge.json" "$TMP/verify_missing_shard.json"
valid merge.schema.json merge_of_merge
echo '[]' >"$TMP/not_a_report.json"
expect_rc 2 "$BIN" merge --json "$TMP/not_a_report.json" "$TMP/missing.json"
valid merge.schema.json merge_rejected
expect_grep '"unreadable"' "$TMP/merge_rejected.json"
expect_grep '"rejected"' "$TMP/merge_rejected.json"

# ---- the validator rejects what breaks a schema
strip() { # strip IN OUT PYTHON-STATEMENT: OUT is IN with d changed by the statement
    $PY -c "import json,sys; d=json.load(open(sys.argv[1])); $3; json.dump(d, open(sys.argv[2], 'w'))" "$1" "$2"
}
strip "$TMP/verify_st.json" "$TMP/bad1.json" 'del d["errors"]'
invalid verify.schema.json "$TMP/bad1.json" "'errors' is a required property"
strip "$TMP/verify_st.json" "$TMP/bad2.json" 'del d["findings"][0]["rule"]'
invalid verify.schema.json "$TMP/bad2.json" "/findings/0: 'rule' is a required property"
strip "$TMP/verify_st.json" "$TMP/bad3.json" 'd["findings"][0]["severity"] = "fatal"'
invalid verify.schema.json "$TMP/bad3.json" "/findings/0/severity"
strip "$TMP/verify_st.json" "$TMP/bad4.json" 'd["findings"][0]["offset"] = -1'
invalid verify.schema.json "$TMP/bad4.json" "/findings/0/offset"
strip "$TMP/inspect_1.json" "$TMP/bad5.json" 'del d["artifacts"][0]["tensor_count"]'
invalid inspect.schema.json "$TMP/bad5.json" "/artifacts/0: 'tensor_count' is a required property"
wasm=$(grep -l '"kind":[[:space:]]*"wasm"' "$TMP"/inspect_*.json | head -1)
strip "$wasm" "$TMP/bad6.json" 'del d["artifacts"][0]["abi"]'
invalid inspect.schema.json "$TMP/bad6.json" "'abi' is a required property"
strip "$TMP/quant_mlc.json" "$TMP/bad7.json" 'd["tensors"][0]["sqnr_db"] = "high"'
invalid quant.schema.json "$TMP/bad7.json" "/tensors/0/sqnr_db"
strip "$TMP/rules.json" "$TMP/bad8.json" 'del d[0]["title"]'
invalid rules.schema.json "$TMP/bad8.json" "/0: 'title' is a required property"
strip "$TMP/merge.json" "$TMP/bad9.json" 'del d["inputs"][0]["errors"]'
invalid merge.schema.json "$TMP/bad9.json" "/inputs/0: 'errors' is a required property"
# strict JSON: a repeated key is rejected even where the schema would pass
printf '{"findings": [], "errors": 0, "warnings": 0, "infos": 0, "checked": [], "errors": 0}' >"$TMP/bad10.json"
invalid verify.schema.json "$TMP/bad10.json" "repeated key 'errors'"
# a $ref that is not among the local schemas is an error, never a network fetch
printf '{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://example.org/x.json"}' >"$TMP/remote.schema.json"
ok
$CHECK "$TMP/remote.schema.json" "$TMP/rules.json" >"$TMP/check" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "no network fetch" "$TMP/check" || fail "remote \$ref: exit $rc, $(head -c 300 "$TMP/check")"
finish
