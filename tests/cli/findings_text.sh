#!/usr/bin/env bash
# Findings a person can act on (issue 14): text folds repeated findings and
# leads with root causes while --json keeps every finding; pointer files
# (git-lfs, git-xet, git-annex) are one IO-002 each; nothing to check is exit 2.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
RT=@mlc-ai/web-llm@0.2.86
LIB48=$CORPUS/wasm/v0_2_48_Qwen2-0.5B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm

# json_rules FILE: "RULE COUNT" lines of a --json report
json_rules() {
    $PY -c 'import json,sys,collections
c = collections.Counter(f["rule"] for f in json.load(open(sys.argv[1]))["findings"])
print("\n".join(f"{k} {v}" for k, v in sorted(c.items())))' "$1"
}

# mixed_webllm: the tiny qwen2 weights with the Qwen2-0.5B library of the
# v0_2_48 ABI, checked for web-llm 0.2.86 (the issue's report: 663 lines).
D=$TMP/mixed
mkdir -p "$D"
cp "$CORPUS"/qwen2/mlc_q4f16_1/{ndarray-cache.json,mlc-chat-config.json,params_shard_*.bin} "$LIB48" "$D/"
expect_rc 1 "$BIN" verify --target webllm --runtime $RT "$D"
cp "$TMP/out" "$TMP/mixed.txt"
lines=$(wc -l <"$TMP/mixed.txt")
ok; [ "$lines" -le 40 ] || fail "mixed_webllm: $lines lines of text, at most 40 expected"
# the first two findings: the ABI, then the wrong model
grep -E '^  (error|warning|info) ' "$TMP/mixed.txt" | head -2 | awk '{print $2}' >"$TMP/first"
ok; [ "$(tr '\n' ' ' <"$TMP/first")" = "WEBLLM-009 WEBLLM-013 " ] ||
    fail "mixed_webllm: first findings are $(tr '\n' ' ' <"$TMP/first"), expected WEBLLM-009 WEBLLM-013"
expect_grep 'hidden size 896 and 24 layers, the weights .* have hidden size 256 and 2 layers' "$TMP/mixed.txt"
expect_grep '^root causes:' "$TMP/mixed.txt"
expect_grep 'WEBLLM-001 x242: .*(see WEBLLM-013 above)' "$TMP/mixed.txt"
expect_grep 'WEBLLM-003 x25: .*(see WEBLLM-013 above)' "$TMP/mixed.txt"
expect_grep '239 more (--all, or --json)' "$TMP/mixed.txt"
expect_grep '^271 error(s), 0 warning(s), 0 info(s)' "$TMP/mixed.txt"
# --json: every finding, the root causes among them
expect_rc 1 "$BIN" verify --json --target webllm --runtime $RT "$D"
json_rules "$TMP/out" >"$TMP/rules"
printf '%s\n' "TGT-002 1" "WEBLLM-001 242" "WEBLLM-003 25" "WEBLLM-009 1" "WEBLLM-011 1" "WEBLLM-013 1" >"$TMP/want"
ok; diff -u "$TMP/want" "$TMP/rules" >&2 || fail "mixed_webllm: --json findings by rule differ"
# merge of two reports: a verdict per report first, the same folding after
"$BIN" verify --json --target webllm --runtime $RT "$D" >"$TMP/mixed.json"
"$BIN" verify --json "$SRC/examples/tiny-qwen2" >"$TMP/example.json"
expect_rc 1 "$BIN" merge "$TMP/example.json" "$TMP/mixed.json"
ok; [ "$(sed -n 1,3p "$TMP/out")" = "reports:
  $TMP/example.json (verify): 0 error(s), 0 warning(s), 2 info(s)
  $TMP/mixed.json (verify): 271 error(s), 0 warning(s), 0 info(s)" ] || fail "merge: no verdict per report first: $(head -3 "$TMP/out")"
lines=$(wc -l <"$TMP/out")
ok; [ "$lines" -le 45 ] || fail "merge of the mixed folder: $lines lines"
expect_grep 'WEBLLM-001 x242: .*(see WEBLLM-013 above)' "$TMP/out"
# --all: every finding in text, one entry each (two lines each)
expect_rc 1 "$BIN" verify --all --target webllm --runtime $RT "$D"
n=$(grep -cE '^  error ' "$TMP/out")
ok; [ "$n" = 271 ] || fail "mixed_webllm: --all printed $n findings, expected 271"
# the same folder with the library built for these weights: no WEBLLM-013
# (the other mismatch rules are covered one by one in webllm_cross.sh)
rm "$D/$(basename "$LIB48")"
$PY "$SRC/tests/tools/make_mlc_lib.py" "$D" "$D/qwen2-tiny-q4f16_1-ctx512-webgpu.wasm" || fail "make_mlc_lib failed"
$PY "$SRC/tests/tools/make_mlc_lib.py" "$D" "$D/qwen2-tiny-q4f16_1-ctx512-webgpu.wasm" \
    --param model.norm.weight:shape='[255]' || fail "make_mlc_lib failed"
expect_rc 1 "$BIN" verify --json "$D"
json_rules "$TMP/out" >"$TMP/rules"
ok; [ "$(cat "$TMP/rules")" = "WEBLLM-003 1" ] || fail "one changed shape: $(cat "$TMP/rules"), expected WEBLLM-003 only"

# README example: quant prints its table, its summaries and the infos folded
expect_rc 0 "$BIN" quant "$SRC/examples/tiny-qwen2/onnx/model_q4.onnx" --ref "$SRC/examples/tiny-qwen2" --min-sqnr 10
expect_grep '^  overall: 14 tensors' "$TMP/out"
expect_grep '^14 info(s), not listed (--all lists them):' "$TMP/out"
expect_grep '^  QT-005 x14: ' "$TMP/out"
n=$(grep -c 'QT-005' "$TMP/out")
ok; [ "$n" = 1 ] || fail "quant README example: QT-005 on $n lines, expected 1 folded line"
expect_rc 0 "$BIN" quant --all "$SRC/examples/tiny-qwen2/onnx/model_q4.onnx" --ref "$SRC/examples/tiny-qwen2"
n=$(grep -c '^  info    QT-005' "$TMP/out")
ok; [ "$n" = 14 ] || fail "quant --all: $n QT-005 lines, expected 14"

# diff: the first 20 tensors and facts that differ, then "N more"; --all every
# one (N from --json, which lists every tensor entry)
expect_rc 1 "$BIN" diff --json "$CORPUS/qwen2/hf_fp16" "$CORPUS/qwen2/mlc_q4f16_1"
total=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tensors"]))' "$TMP/out")
ok; [ "$total" -gt 20 ] || fail "diff hf_fp16 mlc_q4f16_1: $total tensor entries, expected more than 20"
expect_rc 1 "$BIN" diff "$CORPUS/qwen2/hf_fp16" "$CORPUS/qwen2/mlc_q4f16_1"
n=$(grep -cE '^  [-+~q=] model\.' "$TMP/out")
ok; [ "$n" = 20 ] || fail "diff: $n tensors listed, expected 20"
expect_grep "^  \.\.\. $((total - 20)) more (--all, or --json)\$" "$TMP/out"
expect_rc 1 "$BIN" diff --all "$CORPUS/qwen2/hf_fp16" "$CORPUS/qwen2/mlc_q4f16_1"
n=$(grep -cE '^  [-+~q=] model\.' "$TMP/out")
ok; [ "$n" -ge "$total" ] || fail "diff --all: $n tensors listed, expected at least $total"
ok; ! grep -q 'more (--all' "$TMP/out" || fail "diff --all folded something"

# lfs_folder: the example checkpoint's shards and the ONNX models as Git LFS
# pointers (the oid and size of the real files), the JSON files real
lfs_pointer() { # lfs_pointer REAL OUT
    printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
        "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c %s "$1")" >"$2"
}
L=$TMP/lfs
mkdir -p "$L/onnx"
EX=$SRC/examples/tiny-qwen2
cp "$EX"/*.json "$L/"
for f in model-00001-of-00002.safetensors model-00002-of-00002.safetensors onnx/model.onnx onnx/model_q4.onnx; do
    lfs_pointer "$EX/$f" "$L/$f"
done
expect_rc 1 "$BIN" verify --json "$L"
json_rules "$TMP/out" >"$TMP/rules"
ok; [ "$(cat "$TMP/rules")" = "IO-002 4" ] || fail "lfs_folder: findings $(cat "$TMP/rules"), expected IO-002 x4 only"
oid=$(sha256sum "$EX/onnx/model_q4.onnx" | cut -d' ' -f1)
size=$(stat -c %s "$EX/onnx/model_q4.onnx")
expect_rc 1 "$BIN" verify "$L"
expect_grep "IO-002 $L/onnx/model_q4.onnx @0: this is a git-lfs pointer, not the file: object sha256:$oid of $size bytes; fetch it: git lfs pull (in GitHub Actions: actions/checkout with lfs: true)" "$TMP/out"
expect_grep '^root causes:' "$TMP/out"
# one file given: the same finding, nothing else (not ST-002 "header length is 2336927755350992246")
expect_rc 1 "$BIN" verify "$L/model-00001-of-00002.safetensors"
expect_grep 'IO-002 .*git-lfs pointer' "$TMP/out"
ok; ! grep -q 'ST-0' "$TMP/out" || fail "lfs pointer file: a safetensors finding beside IO-002"
# single-file safetensors and a wasm library as pointers
lfs_pointer "$LIB48" "$TMP/lib.wasm"
expect_rc 1 "$BIN" verify --json "$TMP/lib.wasm"
json_rules "$TMP/out" >"$TMP/rules"
ok; [ "$(cat "$TMP/rules")" = "IO-002 1" ] || fail "wasm pointer: $(cat "$TMP/rules")"

# every file a pointer: the MLC folder (chat config, tensor cache, shards) and
# a sharded checkpoint whose index is a pointer too -- one IO-002 per file
for f in "$CORPUS"/qwen2/mlc_q4f16_1/*; do
    mkdir -p "$TMP/mlcp"
    lfs_pointer "$f" "$TMP/mlcp/$(basename "$f")"
done
expect_rc 1 "$BIN" verify --json --target webllm "$TMP/mlcp"
json_rules "$TMP/out" >"$TMP/rules"
n=$(ls "$CORPUS"/qwen2/mlc_q4f16_1 | wc -l)
ok; [ "$(cat "$TMP/rules")" = "IO-002 $n" ] || fail "mlc pointers: $(cat "$TMP/rules"), expected IO-002 x$n"
mkdir -p "$TMP/hfp"
for f in "$EX"/*; do [ -f "$f" ] && lfs_pointer "$f" "$TMP/hfp/$(basename "$f")"; done
expect_rc 1 "$BIN" verify --json "$TMP/hfp"
json_rules "$TMP/out" >"$TMP/rules"
n=$(ls "$EX" | grep -cE '\.(safetensors|json)$')
ok; [ "$(cat "$TMP/rules")" = "IO-002 $n" ] || fail "checkpoint pointers: $(cat "$TMP/rules"), expected IO-002 x$n"

# quant with pointers: the quantized model, then the reference
expect_rc 2 "$BIN" quant "$L/onnx/model_q4.onnx" --ref "$EX"
expect_grep "IO-002 $L/onnx/model_q4.onnx @0: this is a git-lfs pointer" "$TMP/err"
expect_rc 1 "$BIN" quant "$EX/onnx/model_q4.onnx" --ref "$L"
expect_grep "IO-002 $L/model-00001-of-00002.safetensors @0: this is a git-lfs pointer" "$TMP/out"
expect_grep 'QT-008 x14: .*(see IO-002 above)' "$TMP/out"
expect_grep '^  overall: no tensor paired$' "$TMP/out"
ok; ! grep -qi '\bnan\b' "$TMP/out" || fail "quant with a pointer reference prints nan"

# hash of the pointer folder: the manifest would record pointers, not the model
expect_rc 1 "$BIN" hash -o "$TMP/lfs.manifest.json" "$L"
n=$(grep -c 'IO-002 .*git-lfs pointer' "$TMP/err")
ok; [ "$n" = 4 ] || fail "hash of the lfs folder: $n IO-002 findings, expected 4"

# an ONNX model whose external data is a pointer: IO-002 on the data file,
# the out-of-range tensors folded under it
E=$TMP/ext
mkdir -p "$E"
cp "$CORPUS/qwen2/onnx/model_q4_ext.onnx" "$E/"
lfs_pointer "$CORPUS/qwen2/onnx/model_q4_ext.onnx_data" "$E/model_q4_ext.onnx_data"
expect_rc 1 "$BIN" verify "$E"
expect_grep "IO-002 $E/model_q4_ext.onnx_data @0: this is a git-lfs pointer" "$TMP/out"
expect_grep 'ONNX-063 x33: external data range outside its file (see IO-002 above)' "$TMP/out"

# xet_annex: XetHub's git-xet pointer, a git-annex pointer line (unlocked
# file) and a dangling git-annex symlink (locked file, content not fetched)
X=$TMP/xa
mkdir -p "$X"
cp "$EX/config.json" "$X/"
printf '# xet version 0\nfilesize = 1048712\nhash = "5b1e4f3f0b5fa1b1c7e0e1a1de0b2f0f5f8f0a7d3e2c1b0a9f8e7d6c5b4a3921"\n' >"$X/model.safetensors"
printf '/annex/objects/SHA256E-s3229--9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.onnx\n' >"$X/model.onnx"
ln -s ../.git/annex/objects/Xk/3Q/SHA256E-s8192--e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.bin/SHA256E-s8192--e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.bin "$X/tokenizer.bin"
expect_rc 1 "$BIN" verify "$X"
expect_grep 'IO-002 .*model.safetensors @0: this is a git-xet pointer, not the file: object 5b1e4f3f0b5fa1b1c7e0e1a1de0b2f0f5f8f0a7d3e2c1b0a9f8e7d6c5b4a3921 of 1048712 bytes' "$TMP/out"
expect_grep 'IO-002 .*model.onnx @0: this is a git-annex pointer, not the file: object SHA256E-s3229--9f86.* of 3229 bytes; fetch it: git annex get' "$TMP/out"
expect_grep 'IO-002 .*tokenizer.bin @0: this is a git-annex pointer, not the file: object SHA256E-s8192--e3b0.* of 8192 bytes' "$TMP/out"
ok; ! grep -qE 'ONNX-|ST-0|IO-001' "$TMP/out" || fail "xet_annex: findings beside IO-002: $(grep -E 'ONNX-|ST-0|IO-001' "$TMP/out")"
# a real file that merely starts like a pointer but is large is no pointer: the example verifies clean
expect_rc 0 "$BIN" verify "$EX"

# nothing_to_check: an empty folder, unrelated files, a symlink loop
mkdir -p "$TMP/empty" "$TMP/unrelated" "$TMP/loop"
echo "notes" >"$TMP/unrelated/README.txt"
echo '{"a": 1}' >"$TMP/unrelated/data.json"
ln -s loop "$TMP/loop/loop"
for d in empty unrelated loop; do
    P=$TMP/$d
    expect_rc 2 "$BIN" verify "$P"
    expect_grep 'nothing to check' "$TMP/err"
    expect_rc 2 "$BIN" verify --json "$P"
    expect_rc 2 "$BIN" gate "$P"
    expect_grep 'nothing to check' "$TMP/err"
    ok; ! grep -q PASS "$TMP/out" || fail "gate $d printed PASS"
    expect_rc 2 "$BIN" gate --json "$P"
    expect_rc 2 "$BIN" quant "$P" --ref "$EX"
    expect_rc 2 "$BIN" diff "$P" "$EX"
    expect_rc 2 "$BIN" diff "$EX" "$P"
    expect_rc 2 "$BIN" hash "$P"
    expect_grep 'nothing to hash' "$TMP/err"
done
# with several paths: a verdict line per path, the empty one named
expect_rc 2 "$BIN" verify "$EX" "$TMP/empty"
expect_grep "^  $TMP/empty: nothing to check" "$TMP/out"
expect_grep "^  $EX: 0 error(s), 0 warning(s), 2 info(s) in 6 file(s)" "$TMP/out"
expect_grep "^paths:" "$TMP/out"  # the verdicts come first
ok; [ "$(head -1 "$TMP/out")" = "paths:" ] || fail "verify with two paths: the verdicts are not first"
# hash --check of a manifest that lists nothing
echo '{"manifest_version": 1, "tool": "slminspect 0.1.0", "algorithm": "xxh3-128", "files": []}' >"$TMP/empty.json"
expect_rc 2 "$BIN" hash --check "$TMP/empty.json" "$TMP/empty"
expect_grep 'nothing to check' "$TMP/err"
finish
