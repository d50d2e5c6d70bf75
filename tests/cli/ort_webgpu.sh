#!/usr/bin/env bash
# Transformers.js in the browser (spec/target.md "The browser's execution
# providers"): WebGPU kernels per onnxruntime-web release (spec/webgpu_ops.tsv,
# from each release's docs/webgpu-operators.md), the WebGPU provider's limits,
# shader-f16, --device and config.json's transformers.js_config.device, and
# the use_external_data_format contract.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" "$SRC/spec/gen_webgpu_ops.py" inc "$SRC/spec/webgpu_ops.tsv" >"$TMP/w.inc" || fail "gen_webgpu_ops.py inc failed"
ok
cmp -s "$TMP/w.inc" "$SRC/verify/webgpu_ops.inc" || fail "verify/webgpu_ops.inc is stale (spec/gen_webgpu_ops.py inc)"
if [ -d "$SRC/tests/oracle/node_modules/ortweb130" ]; then # the table is the releases' own documents
    (cd "$SRC" && "$PY" spec/gen_webgpu_ops.py tsv) >"$TMP/w.tsv" || fail "gen_webgpu_ops.py tsv failed"
    ok
    cmp -s "$TMP/w.tsv" "$SRC/spec/webgpu_ops.tsv" || fail "spec/webgpu_ops.tsv differs from the releases' docs/webgpu-operators.md"
else
    skip "tests/oracle packages not installed"
fi
"$PY" "$SRC/tests/reference/ort_cases.py" "$TMP/c" >/dev/null || fail "ort_cases.py failed"
C=$TMP/c
# GatherND has a WebGPU kernel from onnxruntime-web 1.22 on, not in 1.20.1
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.20.1 --device webgpu "$C/gathernd_ok.onnx"
expect_grep "warning TGT-401 .*GatherND (opset 17) has no WebGPU kernel in onnxruntime-web 1.20.1: it runs on wasm (slow" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.22.0 --device webgpu "$C/gathernd_ok.onnx"
ok; grep -q "TGT-401" "$TMP/out" && fail "1.22.0 has a WebGPU GatherND kernel: $(cat "$TMP/out")"
# ... inside an If branch too; a Constant node never runs (onnxruntime makes it an initializer at load)
expect_rc 0 "$BIN" verify --all --runtime onnxruntime-web@1.20.1 --device webgpu "$C/if_gathernd_const.onnx"
expect_grep "warning TGT-401 .*node 'gathernd' (in a subgraph): GatherND (opset 17) has no WebGPU kernel in onnxruntime-web 1.20.1" "$TMP/out"
ok; [ "$(grep -c 'TGT-401' "$TMP/out")" = 1 ] || fail "a Constant node or a kernel-backed node reported: $(cat "$TMP/out")"
expect_rc 0 "$BIN" inspect --target transformers.js --runtime onnxruntime-web@1.20.1 "$C/if_gathernd_const.onnx"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.20.1): GatherND 1$" "$TMP/out"
# ... and on wasm nothing is said
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.20.1 --device wasm "$C/gathernd_ok.onnx"
ok; grep -q "TGT-4" "$TMP/out" && fail "--device wasm reports WebGPU findings"
# the provider's limits, as onnxruntime-web runs them live (tests/cli/ort_webgpu_live.sh)
expect_rc 1 "$BIN" verify --runtime onnxruntime-web@1.22.0 --device webgpu "$C/gqa_softcap.onnx"
expect_grep "error   TGT-402 .*GroupQueryAttention with softcap: the WebGPU kernel of onnxruntime-web 1.22.0 fails at run" "$TMP/out"
for v in 1.20.1 1.23.2 1.30.0; do # softcap runs there; local_window_size runs everywhere
    expect_rc 0 "$BIN" verify --runtime onnxruntime-web@$v --device webgpu "$C/gqa_softcap.onnx"
    expect_rc 0 "$BIN" verify --runtime onnxruntime-web@$v --device webgpu "$C/gqa_local_window.onnx"
done
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.23.2 --device webgpu "$C/gqa_ok.onnx"
ok; grep -q "TGT-40" "$TMP/out" && fail "gqa_ok on WebGPU: $(cat "$TMP/out")"
expect_rc 1 "$BIN" verify --runtime onnxruntime-web@1.23.2 --device webgpu "$C/mnb_bias.onnx"
expect_grep "error   TGT-402 .*MatMulNBits with bias: the WebGPU kernel of onnxruntime-web 1.23.2 takes the node and fails at run" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.30.0 --device webgpu "$C/mnb_bias.onnx"
ok; grep -q "TGT-40" "$TMP/out" && fail "1.30.0 runs MatMulNBits with bias on WebGPU: $(cat "$TMP/out")"
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.23.2 --device webgpu "$C/gbq_uint8_bits8.onnx"
ok; grep -q "TGT-40" "$TMP/out" && fail "1.23.2 runs uint8 GatherBlockQuantized on WebGPU: $(cat "$TMP/out")"
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.23.2 --device webgpu "$C/gqa_fp16_ok.onnx"
expect_grep "warning TGT-404: .*onnxruntime-web 1.23.2's WebGPU provider needs the adapter's shader-f16" "$TMP/out"
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.22.0 --device webgpu "$C/gqa_fp16_ok.onnx" # JSEP runs float16
ok; grep -q "TGT-404" "$TMP/out" && fail "TGT-404 on JSEP: $(cat "$TMP/out")"
# the native provider of 1.23.2 has no GatherND kernel, although its document lists one
expect_rc 0 "$BIN" verify --runtime onnxruntime-web@1.23.2 --device webgpu "$C/gathernd_ok.onnx"
expect_grep "warning TGT-401 .*GatherND (opset 17) has no WebGPU kernel in onnxruntime-web 1.23.2" "$TMP/out"
expect_rc 2 "$BIN" verify --device cuda "$C/gqa_ok.onnx"

# inspect: the operators only onnxruntime runs; with a target, the WebGPU fallbacks
expect_rc 1 "$BIN" inspect "$C/sln_default_ok.onnx" # the checker rejects it (ONNX-071)
expect_grep "onnxruntime only (1.30.0): SimplifiedLayerNormalization 1" "$TMP/out"
ok; grep -q "WebGPU" "$TMP/out" && fail "WebGPU fallbacks without a target: $(cat "$TMP/out")"
expect_rc 0 "$BIN" inspect --target transformers.js --runtime onnxruntime-web@1.20.1 "$C/gathernd_ok.onnx"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.20.1): GatherND 1" "$TMP/out"
expect_rc 0 "$BIN" inspect --json --runtime @huggingface/transformers@3.5.0 "$C/gqa_ok.onnx"
"$PY" - "$TMP/out" <<'PY' || fail "inspect --json onnxruntime: $(head -c 600 "$TMP/out")"
import json, sys
r = json.load(open(sys.argv[1]))["artifacts"][0]["onnxruntime"]
assert r["release"] == "1.22.0", r
assert r["runtime_only_operators"] == [{"domain": "com.microsoft", "op_type": "GroupQueryAttention", "count": 1}], r
assert r["webgpu_fallbacks"] == [], r
PY
ok

# A Transformers.js folder: the device from config.json, external data chunks.
D=$TMP/tjs
mkdir -p "$D/onnx"
echo '{}' >"$D/tokenizer.json"
echo '{}' >"$D/tokenizer_config.json"
cp "$C/gqa_rotary_interleaved.onnx" "$D/onnx/model.onnx"
echo '{"model_type": "qwen2", "transformers.js_config": {"device": "webgpu"}}' >"$D/config.json"
expect_rc 1 "$BIN" verify --target transformers.js "$D"
expect_grep "error   TGT-402 .*rotary_interleaved" "$TMP/out"
"$PY" - "$C/mnb_ok.onnx" "$D/onnx/model.onnx" <<'PY' || fail "external data model"
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True,
                location="model.onnx_data", size_threshold=0)
PY
cfg() { echo "{\"model_type\": \"qwen2\", \"transformers.js_config\": {\"device\": \"wasm\"$1}}" >"$D/config.json"; }
cfg ''
expect_rc 1 "$BIN" verify --target transformers.js "$D"
expect_grep "error   TGT-411: .*model.onnx keeps .* bytes in external data ('model.onnx_data')" "$TMP/out"
cfg ', "use_external_data_format": true'
expect_rc 0 "$BIN" verify --target transformers.js "$D"
cfg ', "use_external_data_format": {"model.onnx": 1}'
expect_rc 0 "$BIN" verify --target transformers.js "$D"
cfg ', "use_external_data_format": 2'
expect_rc 1 "$BIN" verify --target transformers.js "$D"
expect_grep "error   TGT-410: .*request model.onnx_data_1 (chunk 2 of 2)" "$TMP/out"
touch "$D/onnx/model.onnx_data_1"
expect_rc 0 "$BIN" verify --target transformers.js "$D"
cfg ', "use_external_data_format": "yes"'
expect_rc 1 "$BIN" verify --target transformers.js "$D"
expect_grep "error   TGT-412[ :]" "$TMP/out"
mv "$D/onnx/model.onnx_data" "$D/onnx/weights.bin"
"$PY" - "$D/onnx/model.onnx" <<'PY' || fail "relocate"
import sys, onnx
m = onnx.load(sys.argv[1], load_external_data=False)
for t in m.graph.initializer:
    for e in t.external_data:
        if e.key == "location":
            e.value = "weights.bin"
onnx.save(m, sys.argv[1])
PY
cfg ', "use_external_data_format": true'
expect_rc 1 "$BIN" verify --all --target transformers.js "$D"
expect_grep "error   TGT-410: .*location 'weights.bin' is none of the chunk names" "$TMP/out"
finish
