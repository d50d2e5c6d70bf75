#!/usr/bin/env bash
# A timed fuzzing campaign: builds the libFuzzer harnesses with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz/), runs each
# harness for SECONDS on its corpus with its dictionary, merges the new
# coverage into fuzz/corpus/NAME (-merge=1, so the corpus stays minimal),
# and copies any crash, leak, timeout or out-of-memory input into
# fuzz/regressions/NAME/ for the test suite to replay.
#
#   fuzz/run_campaign.sh [-t SECONDS] [-j JOBS] [-s] [NAME...]   (default: 60 s, every harness)
#
# -s (smoke, for CI): leave the corpora as they are and exit 1 on any finding.
#
# Each harness's log goes to build-fuzz/logs/NAME.log; its last line
# (#runs, cov, ft) is what fuzz/README.md records.  Run it in parts: a later
# run continues from the merged corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER=60
JOBS=1
SMOKE=0
FOUND=0
while getopts "t:j:s" o; do
    case $o in
    t) SECONDS_PER=$OPTARG ;;
    j) JOBS=$OPTARG ;;
    s) SMOKE=1 ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSLM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
names=("$@")
if [ ${#names[@]} = 0 ]; then
    for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; names+=("${n%.c}"); done
fi
mkdir -p build-fuzz/logs
for n in "${names[@]}"; do
    bin=build-fuzz/fuzz/fuzz_$n
    corpus=fuzz/corpus/$n
    work=build-fuzz/work/$n
    art=build-fuzz/artifacts/$n/
    rm -rf "$art"
    mkdir -p "$corpus" "$work" "$art" "fuzz/regressions/$n"
    dict=()
    for d in "fuzz/dict/$n.dict" fuzz/dict/json.dict; do
        if [ -f "$d" ]; then dict=(-dict="$d"); break; fi
    done
    echo "== $n: ${SECONDS_PER}s"
    # -rss_limit_mb and -malloc_limit_mb: an allocation the input cannot justify is a finding.
    par=()
    [ "$JOBS" = 1 ] || par=(-jobs="$JOBS" -workers="$JOBS")
    # run from the log folder: with -jobs, libFuzzer writes fuzz-N.log files where it runs
    (cd build-fuzz/logs && "$ROOT/$bin" "$ROOT/$work" "$ROOT/$corpus" "${dict[@]/-dict=/-dict=$ROOT/}" \
        -max_total_time="$SECONDS_PER" "${par[@]}" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$ROOT/$art" >"$n.log" 2>&1) || true
    grep -E "^#[0-9]+.*(DONE|cov:)" "build-fuzz/logs/$n.log" | tail -1 || true
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/logs/$n.log" || true
    # keep only the inputs that add coverage
    [ $SMOKE = 1 ] || "$bin" -merge=1 "$corpus" "$work" >/dev/null 2>&1 || true
    rm -rf "$work"
    for a in "$art"*; do
        [ -e "$a" ] || continue
        echo "FINDING: $a (log: build-fuzz/logs/$n.log)" >&2
        FOUND=1
        [ $SMOKE = 1 ] || cp "$a" "fuzz/regressions/$n/"
    done
done
exit $FOUND
