#!/usr/bin/env bash
# Issue 2's benchmark: `inspect` and `verify` read only headers, so on a 4 GB
# sharded checkpoint both finish in under 20 ms and 16 MB peak memory, and a
# 40 GB one costs the same.  Needs hyperfine and GNU time (Debian: hyperfine, time).
#   bench/checkpoint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/inspect/slminspect
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# 4 GB; 40 GB with as many tensors (wider layers); 40 GB with 10x the tensors.
python3 bench/gen_checkpoint.py "$W/ck4" 4 8
python3 bench/gen_checkpoint.py "$W/ck40wide" 40 8 6656
python3 bench/gen_checkpoint.py "$W/ck40many" 40 32
uptime
for ck in ck4 ck40wide ck40many; do
    for cmd in inspect verify; do
        "$BIN" $cmd "$W/$ck" >/dev/null   # warm the page cache of the headers
        hyperfine -N -w 3 -r 30 --export-json "$W/h.json" "$BIN $cmd $W/$ck" >/dev/null 2>&1
        ms=$(python3 -c "import json;r=json.load(open('$W/h.json'))['results'][0];print('%.2f ms (+- %.2f)'%(r['mean']*1e3,r['stddev']*1e3))")
        rss=$(/usr/bin/time -f %M "$BIN" $cmd "$W/$ck" 2>&1 >/dev/null | tail -1)
        echo "$ck  $cmd  $ms  peak RSS ${rss} KiB"
    done
done
