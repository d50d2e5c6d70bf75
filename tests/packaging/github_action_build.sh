#!/usr/bin/env bash
# The GitHub Action's build step (action/run.sh build) from the action's own
# source, as the runner runs it: a fresh build into RUNNER_TEMP, on
# GITHUB_PATH; then the cache: a second run with the same sources rebuilds
# nothing.
. "$(dirname "$0")/../cli/lib.bash"
RUN=$SRC/action/run.sh
mkdir -p "$TMP/runner"
: >"$TMP/output"
step() {
    env -i PATH="$PATH" HOME="$TMP" GITHUB_ACTIONS=true GITHUB_OUTPUT="$TMP/output" GITHUB_PATH="$TMP/path" \
        RUNNER_TEMP="$TMP/runner" RUNNER_OS=Linux GITHUB_ACTION_PATH="$SRC" SLM_ACTION_BUILD="$TMP/runner/slminspect-build" \
        bash "$RUN" "$@"
}
expect_rc 0 step cache-key
ok; grep -qx 'key=slminspect-Linux-[a-z0-9_]*-[0-9a-f]\{16\}' "$TMP/output" || fail "no cache key: $(cat "$TMP/output")"
expect_rc 0 step build
B=$TMP/runner/slminspect-build/inspect
ok; [ "$("$B/slminspect" --version)" = "$("$SLM_BIN" --version)" ] || fail "the built slminspect is not this version"
ok; grep -qx "$B" "$TMP/path" || fail "GITHUB_PATH lacks $B: $(cat "$TMP/path")"
ok; grep -qx "slminspect=$B/slminspect" "$TMP/output" || fail "no slminspect output"
touch -d '2000-01-01' "$B/slminspect"
expect_rc 0 step build
expect_grep "cached build" "$TMP/out"
ok; [ "$(stat -c %Y "$B/slminspect")" = "$(date -d 2000-01-01 +%s)" ] || fail "the cached build was rebuilt"
finish
