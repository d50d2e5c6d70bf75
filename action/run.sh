#!/usr/bin/env bash
# The GitHub Action's logic (action.yml): run.sh cache-key | build | gate.
#
#   cache-key  writes key=slminspect-<os>-<hash of the action's sources> to $GITHUB_OUTPUT
#   build      builds slminspect from the action's own source into $SLM_ACTION_BUILD
#              (skipped when a build of these sources is there: the cache), installing
#              the Debian/Ubuntu build packages that are missing; puts it on $GITHUB_PATH
#   gate       runs `slminspect gate` with the SLM_ACTION_* inputs, writes the JSON report
#              and the SARIF log, the findings to the log and $GITHUB_STEP_SUMMARY, the
#              outputs exit-code, sarif, report, errors, warnings to $GITHUB_OUTPUT, and
#              exits with the gate's status.
#
# Inputs come through the environment only (SLM_ACTION_*); nothing is evaluated.
set -uo pipefail
ACTION_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SLM_ACTION_BUILD:-${RUNNER_TEMP:-/tmp}/slminspect-build}
BIN=$BUILD/inspect/slminspect
PKGS="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libcjson-dev libxxhash-dev libssl-dev"

output() { # NAME VALUE: a step output (a single line)
    printf '%s=%s\n' "$1" "$2" >>"${GITHUB_OUTPUT:-/dev/null}"
}
die() {
    echo "::error title=slminspect::$*"
    exit 2
}

sources_hash() {
    (cd "$ACTION_DIR" && find CMakeLists.txt api formats inspect verify spec/onnx.proto -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.def' -o -name '*.inc' -o -name '*.txt' -o -name '*.in' \
        -o -name '*.proto' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

cache_key() {
    output key "slminspect-${RUNNER_OS:-Linux}-$(uname -m)-$(sources_hash)"
}

build() {
    local stamp=$BUILD/.slminspect-sources want
    want=$(sources_hash)
    if [ -x "$BIN" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && "$BIN" --version >/dev/null 2>&1; then
        echo "slminspect: cached build $BUILD ($("$BIN" --version))"
    else
        local missing="" sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
        if [ -n "$missing" ]; then
            echo "slminspect: installing$missing"
            $sudo apt-get update -q || die "apt-get update failed"
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing ||
                die "apt-get install$missing failed"
        fi
        cmake -S "$ACTION_DIR" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null ||
            die "cmake could not configure slminspect"
        cmake --build "$BUILD" -j"$(nproc)" --target slminspect >/dev/null || die "slminspect did not build"
        echo "$want" >"$stamp"
    fi
    echo "$BUILD/inspect" >>"${GITHUB_PATH:-/dev/null}"
    output slminspect "$BIN"
}

gate() {
    local path=${SLM_ACTION_PATH:-}
    local sarif=${SLM_ACTION_SARIF:-slminspect.sarif} report=${SLM_ACTION_REPORT:-slminspect-report.json}
    [ -n "$path" ] || die "the input 'path' is required"
    [ -x "$BIN" ] || die "slminspect is not built ($BIN): run the build step first"
    local args=(gate --json)
    [ -n "${SLM_ACTION_TARGET:-}" ] && args+=(--target "$SLM_ACTION_TARGET")
    [ -n "${SLM_ACTION_RUNTIME:-}" ] && args+=(--runtime "$SLM_ACTION_RUNTIME")
    [ -n "${SLM_ACTION_REFERENCE:-}" ] && args+=(--ref "$SLM_ACTION_REFERENCE")
    local q
    while IFS= read -r q; do
        q=${q#"${q%%[![:space:]]*}"}
        q=${q%"${q##*[![:space:]]}"}
        [ -n "$q" ] && args+=(--quantized "$q")
    done <<<"${SLM_ACTION_QUANTIZED:-}"
    [ -n "${SLM_ACTION_MIN_SQNR:-}" ] && args+=(--min-sqnr "$SLM_ACTION_MIN_SQNR")
    [ -n "${SLM_ACTION_MAX_REL_RMSE:-}" ] && args+=(--max-rel-rmse "$SLM_ACTION_MAX_REL_RMSE")
    [ -n "${SLM_ACTION_MIN_COSINE:-}" ] && args+=(--min-cosine "$SLM_ACTION_MIN_COSINE")
    [ -n "${SLM_ACTION_MAP:-}" ] && args+=(--map "$SLM_ACTION_MAP")
    [ -n "${SLM_ACTION_MANIFEST:-}" ] && args+=(--manifest "$SLM_ACTION_MANIFEST")
    case "${SLM_ACTION_STATS:-false}" in
    true) args+=(--stats) ;;
    false | "") ;;
    *) die "the input 'stats' is true or false, not '$SLM_ACTION_STATS'" ;;
    esac
    [ -n "${SLM_ACTION_FAIL_ON:-}" ] && args+=(--fail-on "$SLM_ACTION_FAIL_ON")
    args+=(-- "$path")

    mkdir -p "$(dirname "$sarif")" "$(dirname "$report")" || die "cannot create the folders of $sarif and $report"
    echo "slminspect ${args[*]}"
    "$BIN" "${args[@]}" >"$report"
    local rc=$?
    output exit-code "$rc"
    output report "$report"
    if [ ! -s "$report" ]; then
        echo "::error title=slminspect gate::exit status $rc and no report (usage error or unreadable input)"
        exit "$rc"
    fi
    "$BIN" merge --format sarif "$report" >"$sarif" || echo "::warning title=slminspect::the SARIF log could not be written"
    output sarif "$sarif"
    "$BIN" merge --json "$report" >"$report.counts" 2>/dev/null
    local errors warnings
    errors=$(sed -n 's/^\t"errors":\t\([0-9]*\),*$/\1/p' "$report.counts" | head -1)
    warnings=$(sed -n 's/^\t"warnings":\t\([0-9]*\),*$/\1/p' "$report.counts" | head -1)
    rm -f "$report.counts"
    output errors "${errors:-0}"
    output warnings "${warnings:-0}"
    "$BIN" merge "$report" >"$report.txt" 2>&1
    cat "$report.txt"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        {
            echo "### slminspect gate: $([ "$rc" = 0 ] && echo PASS || echo FAIL) (${errors:-0} error(s), ${warnings:-0} warning(s))"
            echo
            echo '```'
            head -200 "$report.txt"
            echo '```'
        } >>"$GITHUB_STEP_SUMMARY"
    fi
    rm -f "$report.txt"
    exit "$rc"
}

case "${1:-}" in
cache-key) cache_key ;;
build) build ;;
gate) gate ;;
*) die "usage: run.sh cache-key|build|gate" ;;
esac
