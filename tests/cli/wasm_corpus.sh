#!/usr/bin/env bash
# The real WebLLM libraries: ABI generation, imports/exports and the embedded
# metadata as slminspect reads them, against node's WebAssembly compiler and
# JSON parser (tests/tools/wasm_oracle.mjs), file by file.
. "$(dirname "$0")/lib.bash"
command -v node >/dev/null || skip "node missing"
declare -A ABI=([legacy-root_gpt2-q0f16-ctx1k-webgpu.wasm]=tvm-legacy-c-abi
    [v0_2_48_Qwen2-0.5B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm]=tvm-legacy-c-abi
    [v0_2_80_snowflake-arctic-embed-s-q0f32-ctx512_cs512_batch4-webgpu.wasm]=tvm-ffi)
for f in "${!ABI[@]}"; do
    lib=$CORPUS/wasm/$f
    expect_rc 0 "$BIN" inspect --json --tensors "$lib"
    cp "$TMP/out" "$TMP/ours.json"
    node "$SRC/tests/tools/wasm_oracle.mjs" "$lib" >"$TMP/ref.json" || fail "oracle failed on $f"
    /usr/bin/python3 - "$TMP/ours.json" "$TMP/ref.json" "${ABI[$f]}" >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ours = doc["artifacts"][0] if "artifacts" in doc else doc
ref = json.load(open(sys.argv[2]))
bad = []
def eq(what, a, b):
    if a != b:
        bad.append(f"{what}: ours {str(a)[:200]} != reference {str(b)[:200]}")
eq("abi", ours["abi"], sys.argv[3])
eq("imports", ours["imports"], ref["imports"])
eq("export count", ours["export_count"], len(ref["exports"]))
eq("TVM exports", ours["tvm_exports"], [e for e in ref["exports"] if e.startswith("TVM")])
m = ours.get("metadata", {})
eq("metadata offset", m.get("offset"), ref["offset"])
for k in ("model_type", "quantization", "context_window_size", "prefill_chunk_size"):
    eq(k, m.get(k), ref[k])
eq("param count", m.get("param_count"), len(ref["params"]))
eq("params", m.get("params"), ref["params"])
print("\n".join(bad) or "agree")
sys.exit(1 if bad else 0)
PY
    rc=$?
    ok
    [ $rc = 0 ] || fail "$f: $(cat "$TMP/cmp")"
done
finish
