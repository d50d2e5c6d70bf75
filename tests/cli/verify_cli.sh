#!/usr/bin/env bash
# The command line: exit codes, text and JSON output (golden files), --strict,
# --fail-on, usage errors, unreadable input.
. "$(dirname "$0")/lib.bash"
Q=$CORPUS/qwen2

# Clean real checkpoints: exit 0.
expect_rc 0 "$BIN" verify "$Q/hf_fp16" "$Q/hf_fp32_single"
golden verify_clean.txt
expect_rc 0 "$BIN" verify --json "$Q/hf_fp16"
golden verify_clean.json
expect_rc 0 "$BIN" inspect "$Q/hf_fp16"
golden inspect_hf_fp16.txt
expect_rc 0 "$BIN" inspect --json "$Q/hf_fp32_single/model.safetensors"
golden inspect_hf_fp32.json
expect_rc 0 "$BIN" inspect --tensors --stats "$Q/hf_fp32_single"
golden inspect_tensors_stats.txt

# Broken and strict-only files, made by the safetensors test's generator.
"$SLM_BUILD/tests/test_safetensors" --write "$TMP/st" >/dev/null
expect_rc 1 "$BIN" verify "$TMP/st/gap.safetensors"
golden verify_gap.txt
expect_rc 1 "$BIN" verify --json "$TMP/st/gap.safetensors"
golden verify_gap.json
expect_rc 1 "$BIN" inspect "$TMP/st/gap.safetensors"
expect_rc 0 "$BIN" verify "$TMP/st/misaligned_data.safetensors"
expect_grep "ST-105" "$TMP/out"
expect_rc 1 "$BIN" verify --strict "$TMP/st/misaligned_data.safetensors"
expect_rc 1 "$BIN" verify --fail-on warning "$TMP/st/misaligned_data.safetensors"
expect_rc 0 "$BIN" verify -q "$TMP/st/misaligned_data.safetensors"
ok; [ ! -s "$TMP/out" ] || fail "-q printed something"

# A sharded checkpoint with a shard gone: a finding, exit 1.
mkdir "$TMP/ck" && cp "$Q"/hf_fp16/* "$TMP/ck/" && rm "$TMP/ck/model-00003-of-00008.safetensors"
expect_rc 1 "$BIN" verify "$TMP/ck"
expect_grep "IX-003" "$TMP/out"
golden verify_missing_shard.txt

# A folder entry that cannot be read (a dangling link): IO-001.
ln -s "$TMP/nowhere" "$TMP/ck/extra.safetensors"
expect_rc 1 "$BIN" verify "$TMP/ck"
expect_grep "IO-001" "$TMP/out"
# A FIFO given as a file is unreadable input, and must not hang.
mkfifo "$TMP/fifo.safetensors"
expect_rc 2 timeout 10 "$BIN" verify "$TMP/fifo.safetensors"

# Usage errors and unreadable input: exit 2, a message on stderr.
expect_rc 2 "$BIN" verify
expect_grep "no PATH" "$TMP/err"
expect_rc 2 "$BIN" verify --bogus "$Q/hf_fp16"
expect_rc 2 "$BIN" verify --fail-on nonsense "$Q/hf_fp16"
expect_rc 2 "$BIN" verify "$TMP/does-not-exist"
expect_grep "No such file" "$TMP/err"
expect_rc 2 "$BIN" frobnicate
expect_rc 2 "$BIN"
: >"$TMP/empty.bin"
expect_rc 2 "$BIN" verify "$TMP/empty.bin"
: >"$TMP/empty.safetensors"
expect_rc 1 "$BIN" verify "$TMP/empty.safetensors"
expect_grep "ST-001" "$TMP/out"

# Help and version.
expect_rc 0 "$BIN" --version
expect_grep "^slminspect [0-9]" "$TMP/out"
for c in inspect verify rules; do
    expect_rc 0 "$BIN" "$c" --help
    expect_grep "usage: slminspect $c" "$TMP/out"
    expect_rc 0 "$BIN" help "$c"
    expect_grep "usage: slminspect $c" "$TMP/out"
done
expect_rc 0 "$BIN" --help
expect_grep "Commands:" "$TMP/out"
finish
