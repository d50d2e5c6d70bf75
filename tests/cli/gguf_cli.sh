#!/usr/bin/env bash
# GGUF on the command line: inspect (text, --tensors, --json), verify's exit
# status and findings, hash manifests with a tensor per GGUF tensor and
# --check naming the tensor that differs.  The files are written by
# test_gguf --write (tests/gguf_build.h).
. "$(dirname "$0")/lib.bash"
G=$TMP/g
mkdir -p "$G"
"$SLM_BUILD/tests/test_gguf" --write "$G" || fail "test_gguf --write"

# ---- inspect
expect_rc 0 "$BIN" inspect "$G/llama-q4_k_m.gguf"
expect_grep 'GGUF v3, llama "tiny", Q4_K_M (file_type 15), alignment 32' "$TMP/out"
expect_grep 'embedding_length 256, block_count 2, feed_forward_length 512, head_count 4, head_count_kv 2' "$TMP/out"
expect_grep 'tokenizer: gpt2, 32 tokens' "$TMP/out"
expect_grep 'mix: Q4_K 10 tensors, F32 5, Q6_K 4, F16 1' "$TMP/out"
expect_grep 'blk.0.ffn_down.weight  Q6_K    \[256, 512\]       @214272       105.00 KiB' "$TMP/out"
expect_rc 0 "$BIN" inspect --tensors "$G/mixed-align64.gguf"
expect_grep 'alignment 64' "$TMP/out"
expect_grep 'e.q4_k  Q4_K    \[1, 256\]         @832               144 B' "$TMP/out"
# offsets: the first tensor at the 64-aligned start of the data section
expect_rc 0 "$BIN" inspect --json "$G/mixed-align64.gguf"
python3 - "$TMP/out" >"$TMP/chk" 2>&1 <<'PY' || fail "inspect --json: $(cat "$TMP/chk")"
import json, sys
d = json.load(open(sys.argv[1]))["artifacts"][0]
assert d["kind"] == "gguf" and d["alignment"] == 64 and d["data_offset"] % 64 == 0, d
t = {x["name"]: x for x in d["tensors"]}
assert t["a.f32"]["offset"] == d["data_offset"], t["a.f32"]
assert t["b.q4_0"]["type"] == "Q4_0" and t["b.q4_0"]["ne"] == [64, 2] and t["b.q4_0"]["shape"] == [2, 64], t["b.q4_0"]
assert t["b.q4_0"]["bytes"] == 72 and t["b.q4_0"]["offset"] == d["data_offset"] + 64, t["b.q4_0"]
assert [e["type"] for e in d["by_type"]] == ["F32", "F16", "Q4_0", "Q8_0", "Q4_K"], d["by_type"]
PY
ok

# ---- verify
expect_rc 0 "$BIN" verify "$G/llama-f16.gguf" "$G/llama-q4_k_m.gguf"
expect_rc 1 "$BIN" verify "$G/bad-offset.gguf"
expect_grep "GGUF-028 @347: tensor 'c.f16' has offset 0, expected 128" "$TMP/out"
expect_rc 1 "$BIN" verify "$G/llama-missing.gguf"
expect_grep "GGUF-203 /tensors: block 1 of 2 needs tensor 'blk.1.attn_q.weight'" "$TMP/out"
expect_rc 0 "$BIN" verify --json "$G/mixed-align64.gguf"
expect_grep '"GGUF-208"' "$TMP/out"
expect_grep '"kind":[[:space:]]*"gguf"' "$TMP/out"
# a GGUF found by its magic under another name
cp "$G/bad-offset.gguf" "$TMP/model.bin"
expect_rc 1 "$BIN" verify "$TMP/model.bin"
expect_grep "GGUF-028" "$TMP/out"

# ---- a folder of one GGUF file opens as that file; diff names ggml types
mkdir -p "$TMP/one" && cp "$G/llama-f16.gguf" "$TMP/one/"
expect_rc 0 "$BIN" inspect "$TMP/one"
expect_grep 'GGUF v3, llama "tiny", F16 (file_type 1)' "$TMP/out"
expect_rc 0 "$BIN" diff "$TMP/one" "$G/llama-f16.gguf"
expect_rc 1 "$BIN" diff "$TMP/one" "$G/llama-q4_k_m.gguf"
expect_grep 'blk.0.attn_q.weight  *F16 -> Q4_K  \[64, 64\] -> \[256, 256\]' "$TMP/out"
expect_grep '14 re-typed' "$TMP/out"

# ---- hash: every tensor in the manifest; --check names the one that differs
expect_rc 0 "$BIN" hash -o "$TMP/m.json" "$G/llama-q4_k_m.gguf"
python3 - "$TMP/m.json" >"$TMP/chk" 2>&1 <<'PY' || fail "manifest: $(cat "$TMP/chk")"
import json, sys
m = json.load(open(sys.argv[1]))
f = m["files"][0]
assert f["kind"] == "gguf", f["kind"]
assert len(f["tensors"]) == 20, len(f["tensors"])
PY
ok
mkdir -p "$TMP/copy" && cp "$G/llama-q4_k_m.gguf" "$TMP/copy/"
expect_rc 0 "$BIN" hash --check "$TMP/m.json" "$TMP/copy"
# one byte of blk.0.ffn_down.weight (at 214272) changed
printf '\x55' | dd of="$TMP/copy/llama-q4_k_m.gguf" bs=1 seek=214300 conv=notrunc 2>/dev/null
expect_rc 1 "$BIN" hash --check "$TMP/m.json" "$TMP/copy"
expect_grep "blk.0.ffn_down.weight" "$TMP/out"
ok; [ "$(grep -c 'weight' "$TMP/out")" -ge 1 ] || fail "no tensor named"
ok; ! grep -q "blk.0.ffn_gate.weight" "$TMP/out" || fail "an unchanged tensor named: $(cat "$TMP/out")"

echo "gguf_cli: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
