#!/usr/bin/env bash
# Issue 14's benchmark: `verify --stats` reads values at memory speed.  On a
# page-cached 512 MiB fp16 safetensors file, side by side in one hyperfine
# run: xxhsum -H3 (reading the file), verify --stats on one thread and on
# all, inspect --stats; then the scan alone, SIMD against the scalar
# definition (bench/stats_bench.c).  Needs hyperfine, xxhsum, python3-numpy.
#   bench/stats.sh [BUILD_DIR] [MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
BIN=$B/inspect/slminspect
MIB=${2:-512}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 bench/gen_fp16.py "$W/f16.safetensors" "$MIB"
cc -O2 -std=c11 -D_GNU_SOURCE -Iformats/include bench/stats_bench.c "$B/formats/libslmformats.a" \
   $(pkg-config --libs libcjson libprotobuf-c libxxhash) -lcrypto -lpthread -lm -o "$W/stats_bench"
cat "$W/f16.safetensors" >/dev/null   # into the page cache
uptime
hyperfine -N -w 3 -r 20 \
    "xxhsum -H3 $W/f16.safetensors" \
    "$BIN verify --stats --jobs 1 $W/f16.safetensors" \
    "$BIN verify --stats $W/f16.safetensors" \
    "$BIN inspect --stats $W/f16.safetensors"
"$W/stats_bench" "$W/f16.safetensors" 5
