#!/usr/bin/env bash
# verify --target (webllm, transformers.js, hf, auto) and config.json schema
# drift / config-vs-weights, on copies of the corpus folders changed in one place.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
Q=$CORPUS/qwen2
has() { # has RULE: the last --json output names RULE
    ok
    grep -q "\"rule\":[[:space:]]*\"$1\"" "$TMP/out" || fail "no $1: $(head -c 600 "$TMP/out")"
}
hasnt() { ok; ! grep -q "\"rule\":[[:space:]]*\"$1\"" "$TMP/out" || fail "unexpected $1"; }
copy() { D=$TMP/$1; mkdir -p "$D"; cp -r "$2"/. "$D"/; chmod -R u+w "$D"; }

# transformers 5 config: dtype without torch_dtype, rope_theta only in rope_parameters
expect_rc 0 "$BIN" verify --json "$Q/hf_fp16"
hasnt CF-001; hasnt CF-002
expect_rc 0 "$BIN" verify --json --target hf "$Q/hf_fp16"
has CF-001; has CF-002; hasnt CF-003; hasnt CF-010
copy hf4 "$Q/hf_fp32_single"
$PY - "$D/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["torch_dtype"] = c.pop("dtype")
c["rope_theta"] = c.pop("rope_parameters")["rope_theta"]
json.dump(c, open(sys.argv[1], "w"))
PY
expect_rc 0 "$BIN" verify --json --target auto "$D"
has CF-003; hasnt CF-001; hasnt CF-002
copy hf_wrong_dims "$Q/hf_fp32_single"
sed -i 's/"hidden_size": 256/"hidden_size": 512/; s/"num_hidden_layers": 2/"num_hidden_layers": 3/' "$D/config.json"
expect_rc 1 "$BIN" verify --json "$D"
has CF-010
expect_grep "num_hidden_layers 3" "$TMP/out"
expect_grep "hidden_size 512" "$TMP/out"

# WebLLM: the corpus folder lists tokenizer.json but does not hold it
expect_rc 1 "$BIN" verify --json --target webllm "$Q/mlc_q4f16_1"
has TGT-002
copy webllm "$Q/mlc_q4f16_1"
echo '{}' >"$D/tokenizer.json"
expect_rc 0 "$BIN" verify --json --target auto "$D"
hasnt TGT-002
sed -i 's/"tensor_parallel_shards": 1,/"tensor_parallel_shards": 2,/' "$D/mlc-chat-config.json"
expect_rc 1 "$BIN" verify --json --target webllm "$D"
has TGT-003
rm "$D/mlc-chat-config.json"
expect_rc 1 "$BIN" verify --json --target webllm "$D"
has TGT-001

# Transformers.js: onnx/ names its dtype setting selects
D=$TMP/tjs; mkdir -p "$D/onnx"
cp "$Q/hf_fp16/config.json" "$D/"
echo '{}' >"$D/tokenizer.json"; echo '{}' >"$D/tokenizer_config.json"
cp "$Q/onnx/model_q4.onnx" "$D/onnx/model_q4f32.onnx"
expect_rc 1 "$BIN" verify --json --target transformers.js "$D"
has TGT-004; has TGT-005
mv "$D/onnx/model_q4f32.onnx" "$D/onnx/model_q4.onnx"
expect_rc 0 "$BIN" verify --json --target auto "$D"
hasnt TGT-004; hasnt TGT-005
truncate -s 2147483648 "$D/onnx/model_fp16.onnx"
expect_rc 1 "$BIN" verify --json --target transformers.js "$D"
has TGT-006
rm "$D/onnx/model_fp16.onnx" "$D/tokenizer_config.json"
expect_rc 1 "$BIN" verify --json --target transformers.js "$D"
has TGT-001

# nothing to tell the kind from
mkdir -p "$TMP/empty"
expect_rc 1 "$BIN" verify --json --target auto "$TMP/empty"
has TGT-007
expect_rc 2 "$BIN" verify --target tflite "$TMP/empty"
finish
