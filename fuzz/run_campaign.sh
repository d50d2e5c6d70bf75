#!/usr/bin/env bash
# A timed fuzzing campaign: builds the libFuzzer harnesses with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz/), runs each
# harness for SECONDS on its corpus with its dictionary, replaces
# fuzz/corpus/NAME by the minimal set of old and new inputs (-merge=1),
# and copies any crash, leak, timeout or out-of-memory input into
# fuzz/regressions/NAME/ for the test suite to replay.
#
#   fuzz/run_campaign.sh [-t SECONDS] [-j JOBS] [-p] [-B] [-s] [NAME...]   (default: 60 s, every harness)
#
# -j JOBS: libFuzzer workers per harness.
# -p: run the harnesses at the same time (on a machine with cores for
#     harnesses x JOBS) instead of one after the other.
# -B: use the harnesses already in build-fuzz/ (built elsewhere; the machine
#     that runs them needs no compiler).
# -s (smoke, for CI): leave the corpora as they are and exit 1 on any finding.
#
# Each harness's logs go to build-fuzz/logs/NAME/ (main.log, and fuzz-N.log
# per worker with -j); the summary printed per harness (#runs, cov, ft per
# worker) is what fuzz/README.md records.  Run it in parts: a later
# run continues from the merged corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER=60
JOBS=1
SMOKE=0
PAR=0
BUILD=1
FOUND=0
while getopts "t:j:spB" o; do
    case $o in
    t) SECONDS_PER=$OPTARG ;;
    j) JOBS=$OPTARG ;;
    s) SMOKE=1 ;;
    p) PAR=1 ;;
    B) BUILD=0 ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $BUILD = 1 ]; then
    cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSLM_FUZZ=ON -DSLM_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-fuzz -j"$(nproc)" >/dev/null
fi
names=("$@")
if [ ${#names[@]} = 0 ]; then
    for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; names+=("${n%.c}"); done
fi
mkdir -p build-fuzz/logs
campaign() {
    local n=$1 bin corpus work art
    bin=build-fuzz/fuzz/fuzz_$n
    corpus=fuzz/corpus/$n
    work=build-fuzz/work/$n
    art=build-fuzz/artifacts/$n/
    rm -rf "$art"
    mkdir -p "$corpus" "$work" "$art" "fuzz/regressions/$n"
    dict=()
    for d in "fuzz/dict/$n.dict" "fuzz/dict/${n%%_*}.dict" fuzz/dict/json.dict; do
        if [ -f "$d" ]; then dict=(-dict="$d"); break; fi
    done
    echo "== $n: ${SECONDS_PER}s"
    # -rss_limit_mb and -malloc_limit_mb: an allocation the input cannot justify is a finding
    # (inputs are at most a few hundred KiB; no single allocation needs 64 MiB).
    par=()
    [ "$JOBS" = 1 ] || par=(-jobs="$JOBS" -workers="$JOBS")
    # run from the harness's log folder: with -jobs, libFuzzer writes a
    # fuzz-N.log per worker where it runs
    mkdir -p "build-fuzz/logs/$n"
    rm -f "build-fuzz/logs/$n/"fuzz-*.log
    (cd "build-fuzz/logs/$n" && "$ROOT/$bin" "$ROOT/$work" "$ROOT/$corpus" "${dict[@]/-dict=/-dict=$ROOT/}" \
        -max_total_time="$SECONDS_PER" "${par[@]}" -rss_limit_mb=2048 -malloc_limit_mb=64 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$ROOT/$art" >main.log 2>&1) || true
    # per worker: the last status line (#runs, cov, ft) and the final stats
    for l in "build-fuzz/logs/$n/"*.log; do
        grep -E "^#[0-9]+.*(DONE|cov:)" "$l" | tail -1 || true
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$l" || true
    done
    # the corpus becomes the smallest set of old and new inputs with the same coverage
    if [ $SMOKE = 0 ]; then
        rm -rf "$work.min" && mkdir -p "$work.min"
        if "$bin" -merge=1 -rss_limit_mb=2048 "$work.min" "$corpus" "$work" >"build-fuzz/logs/$n/merge.log" 2>&1 &&
            [ -n "$(ls -A "$work.min")" ]; then
            rm -rf "$corpus" && mv "$work.min" "$corpus"
        fi
        rm -rf "$work.min"
    fi
    rm -rf "$work"
    for a in "$art"*; do
        [ -e "$a" ] || continue
        echo "FINDING: $a (logs: build-fuzz/logs/$n/)" >&2
        [ $SMOKE = 1 ] || cp "$a" "fuzz/regressions/$n/"
    done
}

if [ $PAR = 1 ]; then
    for n in "${names[@]}"; do campaign "$n" >"build-fuzz/logs/$n.summary" 2>&1 & done
    wait
    for n in "${names[@]}"; do cat "build-fuzz/logs/$n.summary"; done
else
    for n in "${names[@]}"; do campaign "$n"; done
fi
# any input left in an artifacts folder is a finding (crash, leak, timeout, oom)
for n in "${names[@]}"; do
    for a in "build-fuzz/artifacts/$n/"*; do
        if [ -e "$a" ]; then FOUND=1; fi
    done
done
exit $FOUND
