#!/usr/bin/env bash
# Issue 6's benchmark: `slminspect hash` against Debian's xxhsum on page-cached
# multi-GB files, side by side in one run, best of RUNS interleaved runs:
#   one file:   xxhsum -H3, xxhsum -H2, slminspect hash --jobs 1 (and --check --jobs 1)
#   two files:  xxhsum -H3 / -H2 (sequential, as it runs), slminspect hash --jobs 2 (and --check)
# The files are real data (random, incompressible, not sparse), written under
# a temporary folder on /work and deleted afterwards.  With TENSORS=1 each is a
# safetensors file of 64 U8 tensors (slminspect then hashes every tensor too,
# in the same pass); with TENSORS=0 plain data.  WRITE_BS is the size of the
# writes that make them: the page cache keeps large folios for large writes
# (Linux >= 6.16 on ext4), 4 KiB pages for 4 KiB writes -- mmap pays per page
# mapped, so both are worth a run.  Needs python3.
#
#   bench/hash.sh [BUILD_DIR]
#   env: SIZE_MB=4096 RUNS=5 TENSORS=1 WRITE_BS=16M DIR=/work BIN=... XXHSUM=xxhsum
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-${1:-build}/inspect/slminspect}
XXHSUM=${XXHSUM:-xxhsum}
SIZE_MB=${SIZE_MB:-4096}
RUNS=${RUNS:-5}
TENSORS=${TENSORS:-1}
WRITE_BS=${WRITE_BS:-16M}
PY=${PY:-python3}
W=$(mktemp -d "${DIR:-/work}/slm-hash-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
[ -x "$BIN" ] || { echo "no $BIN: build it first (cmake --build build)" >&2; exit 2; }
command -v "$XXHSUM" >/dev/null || { echo "no xxhsum (Debian: apt-get install xxhash)" >&2; exit 2; }

# make_file FILE: SIZE_MB MiB of random data (a safetensors file with TENSORS=1), in WRITE_BS writes.
make_file() {
    "$PY" -c "$GEN" "$SIZE_MB" "$TENSORS" | dd of="$1" bs="$WRITE_BS" iflag=fullblock status=none
}
GEN=$(cat <<'PY'
import json, struct, sys
mb, tensors = int(sys.argv[1]), sys.argv[2] == "1"
n = 64
size = mb << 20
if tensors:
    each = size // n
    h = json.dumps({f"t{i}": {"dtype": "U8", "shape": [each], "data_offsets": [i * each, (i + 1) * each]}
                    for i in range(n)}).encode()
    h += b" " * (-len(h) % 8)
    sys.stdout.buffer.write(struct.pack("<Q", len(h)) + h)
    size = each * n
with open("/dev/urandom", "rb") as r:
    left = size
    while left:
        b = r.read(min(left, 64 << 20))
        sys.stdout.buffer.write(b)
        left -= len(b)
PY
)
ext=bin
[ "$TENSORS" = 1 ] && ext=safetensors
A=$W/a.$ext
B=$W/b.$ext
make_file "$A"
make_file "$B"
sync
bytes1=$(stat -c %s "$A")
bytes2=$((bytes1 + $(stat -c %s "$B")))
"$BIN" hash --jobs 1 -o "$W/m1.json" "$A" 2>/dev/null
"$BIN" hash --jobs 2 -o "$W/m2.json" "$A" "$B" 2>/dev/null

names=("xxhsum -H3  (1 file)" "xxhsum -H2  (1 file)" "slminspect hash --jobs 1  (1 file)"
       "slminspect hash --check --jobs 1  (1 file)"
       "xxhsum -H3  (2 files)" "xxhsum -H2  (2 files)" "slminspect hash --jobs 2  (2 files)"
       "slminspect hash --check --jobs 2  (2 files)")
cmds=("$XXHSUM -H3 $A" "$XXHSUM -H2 $A" "$BIN hash --jobs 1 $A" "$BIN hash --check $W/m1.json --jobs 1 $W"
      "$XXHSUM -H3 $A $B" "$XXHSUM -H2 $A $B" "$BIN hash --jobs 2 $A $B" "$BIN hash --check $W/m2.json --jobs 2 $W")
sizes=("$bytes1" "$bytes1" "$bytes1" "$bytes1" "$bytes2" "$bytes2" "$bytes2" "$bytes2")
best=()
cat "$A" "$B" >/dev/null   # page cache warm
for i in "${!cmds[@]}"; do ${cmds[$i]} >/dev/null 2>&1 || true; best[$i]=0; done
echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "files: 2 x $bytes1 bytes, TENSORS=$TENSORS, written in $WRITE_BS writes; best of $RUNS"
echo "load before: $(uptime)"
for r in $(seq "$RUNS"); do
    for i in "${!cmds[@]}"; do
        s=$(date +%s%N)
        ${cmds[$i]} >/dev/null 2>&1 || true   # --check exits 1 on the unlisted manifests; timed all the same
        ns=$(($(date +%s%N) - s))
        [ "${best[$i]}" = 0 ] || [ "$ns" -lt "${best[$i]}" ] && best[$i]=$ns
    done
done
echo "load after:  $(uptime)"
for i in "${!cmds[@]}"; do
    awk -v n="${names[$i]}" -v ns="${best[$i]}" -v b="${sizes[$i]}" \
        'BEGIN { printf "%-44s %8.3f s  %6.2f GB/s\n", n, ns / 1e9, b / ns }'
done
