#!/usr/bin/env bash
# The pre-commit hooks (.pre-commit-hooks.yaml, pre-commit/verify.sh) through
# Debian's pre-commit: `pre-commit try-repo` of a hook repository made of
# this checkout's hook files (the whole checkout would be cloned at every
# call), in a scratch git repository holding a good checkpoint and a bad one
# (a truncated safetensors file), with this build's slminspect on PATH.
. "$(dirname "$0")/../cli/lib.bash"
command -v pre-commit >/dev/null || skip "pre-commit is not installed (apt-get install pre-commit)"
export PRE_COMMIT_HOME=$TMP/cache HOME=$TMP GIT_CONFIG_NOSYSTEM=1
export PATH=$(dirname "$SLM_BIN"):$PATH
git config --global user.email test@example.invalid
git config --global user.name test
git config --global init.defaultBranch main
git config --global --add safe.directory '*'
H=$TMP/hooks
mkdir -p "$H/pre-commit"
cp "$SRC/.pre-commit-hooks.yaml" "$H/"
cp "$SRC/pre-commit/verify.sh" "$H/pre-commit/"
git init -q "$H" && git -C "$H" add -A && git -C "$H" commit -qm hooks
R=$TMP/repo
git init -q "$R"
mkdir -p "$R/good" "$R/bad"
cp "$CORPUS/qwen2/hf_fp32_single/model.safetensors" "$CORPUS/qwen2/hf_fp32_single/config.json" "$R/good/"
head -c 5000 "$CORPUS/qwen2/hf_fp32_single/model.safetensors" >"$R/bad/model.safetensors"
printf 'GGUF' >"$R/good/model.gguf"
printf 'not checked\n' >"$R/README.md"
git -C "$R" add -A

try() { # RC HOOK FILES...: pre-commit try-repo SRC HOOK --files FILES exits RC
    local want=$1 hook=$2
    shift 2
    (cd "$R" && pre-commit try-repo "$H" "$hook" --files "$@") >"$TMP/out" 2>&1
    local rc=$?
    ok; [ "$rc" = "$want" ] || fail "try-repo $hook $*: exit $rc, expected $want: $(tail -c 1500 "$TMP/out")"
}
try 0 slminspect-verify good/model.safetensors good/config.json good/model.gguf README.md
expect_grep "slminspect verify (model files).*Passed" "$TMP/out"
try 1 slminspect-verify good/model.safetensors bad/model.safetensors
expect_grep "Failed" "$TMP/out"
expect_grep "bad/model.safetensors" "$TMP/out"
expect_grep "ST-0" "$TMP/out"
try 1 slminspect-verify-system bad/model.safetensors
try 0 slminspect-verify-system good/model.safetensors
# files outside the pattern are not passed: the hook is skipped
try 0 slminspect-verify README.md
expect_grep "no files to check" "$TMP/out"
# the hook without slminspect: a clear message, a failure
(cd "$R" && env PATH=/usr/bin:/bin SLMINSPECT=/nonexistent/slminspect PRE_COMMIT_HOME="$PRE_COMMIT_HOME" HOME="$HOME" \
    pre-commit try-repo "$H" slminspect-verify --files good/model.safetensors) >"$TMP/out" 2>&1
rc=$?
ok; [ "$rc" != 0 ] || fail "the hook passed without slminspect"
expect_grep "is not installed" "$TMP/out"
finish
