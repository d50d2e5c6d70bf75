#!/usr/bin/env bash
# WebLLM cross-checks: a copy of the corpus folder mlc_q4f16_1 with a model
# library built for it (tests/tools/make_mlc_lib.py), then one change per
# rule -- in the weights, the chat config, the library or the runtime -- and
# the real v0_2_48 library against the runtime table.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
MK=$SRC/tests/tools/make_mlc_lib.py
LIB=qwen2-tiny-q4f16_1-ctx512-webgpu.wasm

fresh() { # fresh NAME: a copy of the folder in $TMP/NAME with its library
    D=$TMP/$1
    mkdir -p "$D"
    for f in "$CORPUS"/qwen2/mlc_q4f16_1/{ndarray-cache.json,mlc-chat-config.json,params_shard_*.bin}; do
        cp "$f" "$D/" && chmod u+w "$D/$(basename "$f")"
    done
}
lib() { $PY "$MK" "$D" "$D/${LIBNAME:-$LIB}" "$@" || fail "make_mlc_lib failed"; }
sub() { # sub FILE OLD NEW: replace the first OLD
    $PY - "$D/$1" "$2" "$3" <<'PY' || fail "'$2' not in $1"
import sys
p, old, new = sys.argv[1:]
t = open(p).read()
assert old in t
open(p, "w").write(t.replace(old, new, 1))
PY
}
# expect RULE "ALSO..." [verify options]: RULE is reported; every finding is RULE or in ALSO
expect() {
    local rule=$1 also=$2
    shift 2
    "$BIN" verify --json "$@" "$D" >"$TMP/out" 2>"$TMP/err"
    $PY - "$TMP/out" "$rule" "$also" >"$TMP/cmp" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
rule, also = sys.argv[2], sys.argv[3].split()
ids = [x["rule"] for x in f]
bad = ([f"no {rule}"] if rule not in ids else []) + [f"also {x['rule']}: {x['message']}" for x in f
                                                     if x["rule"] != rule and x["rule"] not in also]
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
    local rc=$?
    ok
    [ $rc = 0 ] || fail "$(basename "$D"): $(cat "$TMP/cmp")"
}

fresh clean; lib
expect_rc 0 "$BIN" verify "$D"
expect_grep "0 error(s), 0 warning(s)" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime @mlc-ai/web-llm@0.2.79 "$D"

fresh renamed_tensor; lib
sub ndarray-cache.json '"model.norm.weight"' '"model.final_norm.weight"'
expect WEBLLM-001 "WEBLLM-002"

fresh library_extra_record; lib --param model.norm.weight:name='"model.norm2.weight"'
expect WEBLLM-002 "WEBLLM-001"

fresh changed_shape; lib --param model.norm.weight:shape='[255]'
expect WEBLLM-003 ""

fresh symbolic_shape; lib --param model.embed_tokens.q_scale:shape='["vocab_size", 8]'
expect_rc 0 "$BIN" verify "$D"
sub mlc-chat-config.json '"vocab_size": 2048,' '"vocab_size": 4096,'
expect WEBLLM-003 ""

fresh changed_dtype; lib --param model.norm.weight:dtype='"float32"'
expect WEBLLM-004 ""

fresh model_type; lib --set model_type='"llama"'
expect WEBLLM-005 ""

fresh library_quant; lib --set quantization='"q4f32_1"'
expect WEBLLM-006 ""

fresh context; lib --set context_window_size=256
expect WEBLLM-007 ""

fresh file_name_quant; LIBNAME=qwen2-tiny-q4f32_1-ctx512-webgpu.wasm lib
expect WEBLLM-008 ""

fresh runtime_086; lib
expect WEBLLM-009 "WEBLLM-011" --runtime @mlc-ai/web-llm@0.2.86
expect_grep "0.2.0 to 0.2.79" "$TMP/out"

fresh runtime_unknown; lib
expect WEBLLM-010 "" --runtime 0.2.99

fresh tensor_cache_name; lib --abi ffi
expect WEBLLM-011 "" --runtime 0.2.80
mv "$D/ndarray-cache.json" "$D/tensor-cache.json"
expect_rc 0 "$BIN" verify --runtime 0.2.80 "$D"

fresh package_json_range; lib
printf '{"dependencies": {"@mlc-ai/web-llm": "^0.2.60"}}\n' >"$D/package.json"
expect WEBLLM-012 ""
printf '<script type="importmap">{"imports": {"@mlc-ai/web-llm": "https://esm.run/@mlc-ai/web-llm@0.2.86"}}</script>\n' >"$D/index.html"
rm "$D/package.json"
expect WEBLLM-009 "WEBLLM-011"

# the real libraries against the runtime table
W48=$CORPUS/wasm/v0_2_48_Qwen2-0.5B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm
W80=$CORPUS/wasm/v0_2_80_snowflake-arctic-embed-s-q0f32-ctx512_cs512_batch4-webgpu.wasm
expect_rc 1 "$BIN" verify --runtime @mlc-ai/web-llm@0.2.86 "$W48"
expect_grep "WEBLLM-009" "$TMP/out"
expect_grep "versions that load it: 0.2.0 to 0.2.79" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime @mlc-ai/web-llm@0.2.79 "$W48"
expect_rc 1 "$BIN" verify --runtime @mlc-ai/web-llm@0.2.79 "$W80"
expect_grep "versions that load it: 0.2.80 to 0.2.86" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime @mlc-ai/web-llm@0.2.86 "$W80"
finish
