#!/usr/bin/env bash
# Issue 15's benchmark: `inspect` and `verify` on GGUF read metadata only: a
# 4 GB GGUF in under 20 ms, and the same tensors at 7x the bytes cost the same.
# Needs hyperfine and GNU time (Debian: hyperfine, time).
#   bench/gguf.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/inspect/slminspect
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 bench/gen_gguf.py "$W/q4km.gguf" q4_k_m
python3 bench/gen_gguf.py "$W/f32.gguf" f32
uptime
for g in q4km f32; do
    for cmd in inspect verify; do
        "$BIN" $cmd "$W/$g.gguf" >/dev/null || true   # warm the page cache of the metadata
        hyperfine -N -i -w 3 -r 30 --export-json "$W/h.json" "$BIN $cmd $W/$g.gguf" >/dev/null 2>&1
        ms=$(python3 -c "import json;r=json.load(open('$W/h.json'))['results'][0];print('%.2f ms (+- %.2f)'%(r['mean']*1e3,r['stddev']*1e3))")
        rss=$(/usr/bin/time -f %M "$BIN" $cmd "$W/$g.gguf" 2>&1 >/dev/null | tail -1)
        echo "$g  $cmd  $ms  peak RSS ${rss} KiB"
    done
done
"$BIN" verify "$W/q4km.gguf" | tail -3
