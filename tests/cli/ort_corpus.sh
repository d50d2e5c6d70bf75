#!/usr/bin/env bash
# Real onnxruntime output (tests/corpus/ort/, PROVENANCE.md: onnxruntime 1.30.0's
# graph optimizer, with com.microsoft FusedMatMul, QuickGelu and MatMulNBits
# carrying 1.30's weight_prepacked attribute; its Python transformer optimizer
# (SimplifiedLayerNormalization in the default domain), MatMulNBits quantizer
# with Gather quantization (GatherBlockQuantized) and fp16 converter with
# keep_io_types; onnxruntime-genai's model builder and onnxscript's
# onnxruntime fusions: GroupQueryAttention, SkipSimplifiedLayerNormalization,
# RotaryEmbedding; all on examples/tiny-qwen2): slminspect's runtime
# verdict equals each onnxruntime-node and onnxruntime-web release's, live (and
# on tests/corpus/npm/, a model an npm package ships); a
# Transformers.js folder of them verifies clean under --target transformers.js;
# inspect lists their runtime-only operators and WebGPU fallbacks.
. "$(dirname "$0")/lib.bash"
NM=$SRC/tests/oracle/node_modules
[ -d "$NM/ort130" ] && [ -d "$NM/ortweb130" ] || skip "tests/oracle packages not installed"
M=$CORPUS/ort
N=$CORPUS/npm
ok
[ "$(ls "$M"/*.onnx | wc -l)" = 9 ] || fail "tests/corpus/ort should hold 9 models"
[ "$(ls "$N"/*.onnx | wc -l)" = 1 ] || fail "tests/corpus/npm should hold 1 model"
for p in ort120 ort122 ort123 ort130 ortweb120 ortweb122 ortweb123 ortweb130; do
    v=${p#ortweb}; v=${v#ort}
    ver=$(case $v in 120) echo 1.20.1 ;; 122) echo 1.22.0 ;; 123) echo 1.23.2 ;; 130) echo 1.30.0 ;; esac)
    pkg=$(case $p in ortweb*) echo onnxruntime-web ;; *) echo onnxruntime ;; esac)
    for dir in "$M" "$N"; do
        NODE_PATH=$NM node "$SRC/tests/oracle/ort_judge.js" "$p" "$dir" >"$TMP/$p.tsv" 2>/dev/null
        want=$(ls "$dir"/*.onnx | wc -l)
        ok
        [ "$(grep -c . "$TMP/$p.tsv")" = "$want" ] || fail "$p judged $(grep -c . "$TMP/$p.tsv") models of $dir, expected $want"
        while IFS=$'\t' read -r name verdict msg; do
            "$BIN" verify -q --runtime "$pkg@$ver" "$dir/$name.onnx"
            rc=$?
            mine=ok; [ $rc = 1 ] && mine=fail
            ok
            [ "$mine" = "$verdict" ] || fail "$name: $pkg $ver says $verdict ($msg), slminspect says $mine"
        done <"$TMP/$p.tsv"
        [ "$dir" = "$M" ] && cp "$TMP/$p.tsv" "$TMP/$p.ort.tsv"
    done
done
for p in ort120 ort122 ort123 ort130 ortweb120 ortweb122 ortweb123 ortweb130; do mv "$TMP/$p.ort.tsv" "$TMP/$p.tsv"; done
# The model an npm package ships (@ricky0123/vad-web's Silero VAD): every release loads it, so does
# slminspect under every profile and by default; on WebGPU before 1.30 its LSTMs (inside If branches) fall back.
expect_rc 0 "$BIN" verify --target transformers.js "$N/silero_vad_v5.onnx"
expect_rc 0 "$BIN" verify "$N/silero_vad_v5.onnx"
expect_rc 0 "$BIN" inspect --target transformers.js --runtime onnxruntime-web@1.23.2 "$N/silero_vad_v5.onnx"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.23.2): .*LSTM 4" "$TMP/out"
ok; grep -q "WebGPU -> wasm.*Constant " "$TMP/out" && fail "a Constant node listed as a fallback: $(cat "$TMP/out")"
expect_rc 0 "$BIN" verify --all --runtime onnxruntime-web@1.23.2 --device webgpu "$N/silero_vad_v5.onnx"
expect_grep "warning TGT-401 .*(in a subgraph): LSTM (opset 16) has no WebGPU kernel in onnxruntime-web 1.23.2" "$TMP/out"
# ... while 1.30.0's native provider has an LSTM kernel its document omits (live, tests/cli/ort_webgpu_live.sh)
expect_rc 0 "$BIN" inspect --target transformers.js "$N/silero_vad_v5.onnx"
ok; grep -q "WebGPU -> wasm (onnxruntime-web 1.30.0): .*LSTM" "$TMP/out" && fail "LSTM listed as a 1.30.0 fallback: $(cat "$TMP/out")"
# The releases before 1.30 refuse the optimized q4 model (weight_prepacked), which is the point:
ok
grep -q $'^tiny_qwen2_q4_ort_extended\tfail\tUnrecognized attribute: weight_prepacked' "$TMP/ort123.tsv" ||
    fail "onnxruntime 1.23.2 no longer refuses weight_prepacked: $(cat "$TMP/ort123.tsv")"
expect_rc 1 "$BIN" verify --all --runtime @huggingface/transformers@3.5.0 "$M/tiny_qwen2_q4_ort_extended.onnx"
expect_grep "error   ONNX-304 .*onnxruntime 1.22.0: .*MatMulNBits has no attribute 'weight_prepacked'" "$TMP/out"

# onnxruntime's tools write SimplifiedLayerNormalization in the default domain: the checker's error by
# default (naming both judges), a warning under a runtime profile.
expect_rc 1 "$BIN" verify --all "$M/tiny_qwen2_optimized_fp16.onnx"
expect_grep "error   ONNX-071 .*SimplifiedLayerNormalization .*(onnx.checker's rule; onnxruntime 1.30.0 loads it)" "$TMP/out"
expect_rc 0 "$BIN" verify --all --runtime onnxruntime-web@1.20.1 "$M/tiny_qwen2_optimized_fp16.onnx"
expect_grep "warning ONNX-320 .*onnxruntime-web 1.20.1 loads it" "$TMP/out"

# A Transformers.js folder of them: clean (no error) under --target transformers.js.
D=$TMP/tjs
mkdir -p "$D/onnx"
cp "$SRC/examples/tiny-qwen2/config.json" "$D/"
echo '{}' >"$D/tokenizer.json"
echo '{}' >"$D/tokenizer_config.json"
cp "$M/tiny_qwen2_ort_extended.onnx" "$D/onnx/model.onnx"
cp "$M/tiny_qwen2_q4_ort_extended.onnx" "$D/onnx/model_q4.onnx"
cp "$M/tiny_qwen2_optimized_fp16.onnx" "$D/onnx/model_fp16.onnx"
cp "$M/tiny_qwen2_q4f16_gather.onnx" "$D/onnx/model_q4f16.onnx"
cp "$M/tiny_qwen2_q4_gather.onnx" "$D/onnx/model_quantized.onnx"
expect_rc 0 "$BIN" verify --target transformers.js "$D"
ok; grep -q "error" "$TMP/out" && ! grep -q "^0 error(s)" "$TMP/out" && fail "errors under --target transformers.js: $(cat "$TMP/out")"
expect_rc 0 "$BIN" verify --all --target transformers.js --device webgpu "$D"
expect_grep "warning TGT-401 .*com.microsoft:FusedMatMul (opset 1) has no WebGPU kernel in onnxruntime-web 1.30.0" "$TMP/out"
# inspect: the runtime-only operators; with the target, what falls back from WebGPU
expect_rc 0 "$BIN" inspect --target transformers.js "$M/tiny_qwen2_q4_ort_extended.onnx"
expect_grep "onnxruntime only (1.30.0): com.microsoft.MatMulNBits 14, com.microsoft.FusedMatMul 2, com.microsoft.QuickGelu 2" "$TMP/out"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.30.0): .*com.microsoft.FusedMatMul 2" "$TMP/out"
expect_rc 0 "$BIN" inspect "$M/tiny_qwen2_q4_gather.onnx"
expect_grep "onnxruntime only (1.30.0): .*com.microsoft.GatherBlockQuantized 1" "$TMP/out"
expect_rc 0 "$BIN" inspect --all --target transformers.js "$M/tiny_qwen2_optimized_fp16.onnx" # no error under a profile
expect_grep "onnxruntime only (1.30.0): SimplifiedLayerNormalization 5" "$TMP/out"
expect_grep "WebGPU      every operator has a kernel in onnxruntime-web 1.30.0" "$TMP/out" # And, Max, IsNaN: live
expect_grep "warning ONNX-320 .*onnxruntime-web 1.30.0 loads it" "$TMP/out"
expect_rc 0 "$BIN" inspect --target transformers.js --runtime onnxruntime-web@1.23.2 "$M/tiny_qwen2_optimized_fp16.onnx"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.23.2): And 2, Max 2, GatherND 2, IsNaN 2" "$TMP/out"
expect_rc 1 "$BIN" inspect --all "$M/tiny_qwen2_optimized_fp16.onnx" # the strict union by default
expect_grep "error   ONNX-071 .*(onnx.checker's rule; onnxruntime 1.30.0 loads it)" "$TMP/out"

# The fused models of onnxruntime-genai's builder and onnxscript: the runtime-only operators, and the
# releases Transformers.js 3.5-3.8 pin (onnxruntime-web 1.22.0) refuse the builder's output.
expect_rc 0 "$BIN" inspect --target transformers.js "$M/tiny_qwen2_genai_webgpu_int4.onnx"
expect_grep "onnxruntime only (1.30.0): com.microsoft.GatherBlockQuantized 1, SimplifiedLayerNormalization 1, com.microsoft.MatMulNBits 11, com.microsoft.GroupQueryAttention 2, com.microsoft.SkipSimplifiedLayerNormalization 4" "$TMP/out"
expect_grep "WebGPU      every operator has a kernel in onnxruntime-web 1.30.0" "$TMP/out"
expect_rc 0 "$BIN" inspect --target transformers.js "$M/tiny_qwen2_genai_dml_fp16.onnx"
expect_grep "onnxruntime only (1.30.0): .*com.microsoft.RotaryEmbedding 4" "$TMP/out"
expect_rc 0 "$BIN" inspect --target transformers.js "$M/tiny_qwen2_onnxscript_ort.onnx"
expect_grep "onnxruntime only (1.30.0): .*com.microsoft.GroupQueryAttention 2, com.microsoft.SkipSimplifiedLayerNormalization 4" "$TMP/out"
expect_grep "WebGPU -> wasm (onnxruntime-web 1.30.0): com.microsoft.FusedMatMul 1" "$TMP/out"
expect_rc 1 "$BIN" verify --all --runtime @huggingface/transformers@3.5.0 "$M/tiny_qwen2_genai_webgpu_int4.onnx"
expect_grep "error   ONNX-302 .*onnxruntime 1.22.0: node '/model/layers.0/attn/GroupQueryAttention': GroupQueryAttention takes 7 to 11 input(s); the node has 12" "$TMP/out"
expect_grep "error   ONNX-304 .*onnxruntime 1.22.0: .*GatherBlockQuantized has no attribute 'bits'" "$TMP/out"
# A Transformers.js folder of the builder's output: clean under --target transformers.js (and on WebGPU).
G=$TMP/genai
mkdir -p "$G/onnx"
cp "$SRC/examples/tiny-qwen2/config.json" "$G/"
echo '{}' >"$G/tokenizer.json"
echo '{}' >"$G/tokenizer_config.json"
cp "$M/tiny_qwen2_genai_webgpu_int4.onnx" "$G/onnx/model_q4f16.onnx"
cp "$M/tiny_qwen2_genai_cpu_int4.onnx" "$G/onnx/model_q4.onnx"
cp "$M/tiny_qwen2_genai_dml_fp16.onnx" "$G/onnx/model_fp16.onnx"
cp "$M/tiny_qwen2_onnxscript_ort.onnx" "$G/onnx/model.onnx"
expect_rc 0 "$BIN" verify --target transformers.js --device webgpu "$G"
expect_grep "^0 error(s)" "$TMP/out"
finish
