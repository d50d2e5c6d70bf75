# Shared by the shell tests: the binary, the corpus, checks and golden files.
# Environment (set by ctest): SLM_BIN, SLM_CORPUS, SLM_SOURCE, SLM_BUILD.
set -u
BIN=${SLM_BIN:?}
SRC=${SLM_SOURCE:?}
CORPUS=${SLM_CORPUS:-$SRC/tests/corpus}
GOLDEN=$SRC/tests/cli/golden
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
CHECKS=0

fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }
ok() { CHECKS=$((CHECKS + 1)); }

# expect_rc RC CMD...: runs CMD, output to $TMP/out (stdout) and $TMP/err.
expect_rc() {
    local want=$1
    shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    ok
    [ "$rc" = "$want" ] || fail "exit $rc, expected $want: $*  (stderr: $(head -c 300 "$TMP/err"))"
}

# expect_grep PATTERN FILE
expect_grep() {
    ok
    grep -q -- "$1" "$2" || fail "'$1' not in $2: $(head -c 400 "$2")"
}

# golden NAME: compares $TMP/out (with the corpus and temp paths replaced by
# placeholders) with tests/cli/golden/NAME; SLM_UPDATE_GOLDEN=1 rewrites it.
golden() {
    local name=$1
    sed -e "s#$CORPUS#\$CORPUS#g" -e "s#$TMP#\$TMP#g" "$TMP/out" >"$TMP/normalized"
    ok
    if [ "${SLM_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$TMP/normalized" "$GOLDEN/$name"
    elif ! diff -u "$GOLDEN/$name" "$TMP/normalized" >"$TMP/diff"; then
        fail "golden $name differs:"
        head -40 "$TMP/diff" >&2
    fi
}

# skip REASON: this test cannot run here (a tool it compares with is missing).
# Under SLM_REQUIRE_ORACLE=1 (tests/run.sh, CI) nothing is skipped: a failure.
skip() {
    if [ "${SLM_REQUIRE_ORACLE:-0}" = 1 ]; then
        echo "FAIL: $* (SLM_REQUIRE_ORACLE=1: a test that cannot run fails)" >&2
        exit 1
    fi
    echo "$*: skipped"
    exit 77
}

# The test corpus is part of the repository (tests/corpus/PROVENANCE.md):
# without it the checkout is incomplete, which is a failure, never a skip.
if [ ! -f "$CORPUS/PROVENANCE.md" ]; then
    echo "FAIL: the test corpus $CORPUS is missing (tests/corpus/ of the repository)" >&2
    exit 1
fi

finish() {
    echo "$(basename "$0"): $CHECKS checks, $FAILS failed"
    [ "$FAILS" = 0 ]
}
