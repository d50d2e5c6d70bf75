#!/usr/bin/env bash
# Issue 4's benchmark (run by hand; never by the test suite):
#  1. int4 GEMV (M=1) and GEMM (M=16), K = N = 4096, block 32, symmetric, one thread, side by side
#     in one run: slminspect's fast kernel (bench/quant_bench.c) and onnxruntime-node's MatMulNBits
#     (bench/quant_ort.js, intra-op threads 1) on the same model files, each hot (one weight, which
#     stays in the last-level cache between calls) and cold (calls rotate over 26 copies = 260 MiB:
#     the weights come from DRAM), and the single-core memory read bandwidth: 1 GiB streamed, and
#     the cold copies themselves streamed in the cold calls' order (in a VM, buffers of one size
#     read at rates up to 2x apart, wherever their pages landed: the GEMV is held to both);
#     ROUNDS rounds (default 5), alternating the programs; the table gives the median over the
#     rounds of each program's per-call medians, wall clock and CPU time.  slminspect runs twice a
#     round: the best kernel level of this CPU, then the AVX2 level (SLM_QUANT_KERNEL=avx2: what
#     GitHub's hosted runners, AMD EPYC without AVX-512, run), so both face onnxruntime in one run;
#  2. `slminspect quant` on a generated model with Qwen2.5-0.5B's shapes (q4 ONNX vs fp16
#     checkpoint): wall time and peak memory (GNU time), RUNS runs (default 3).
#   bench/quant.sh [BUILD_DIR]     (a Release build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release)
# SLM_QUANT_KERNEL=avx2 (or sse2) makes the first pass a lesser kernel too.  KERNELS_ONLY=1 skips
# part 2.  Needs /usr/bin/python3 with numpy and onnx, node, tests/oracle/node_modules (npm install
# there; NODE_PATH, when set, is used instead).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-rel}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
cc -O2 -std=c11 -D_GNU_SOURCE -Iformats/include bench/quant_bench.c "$B/formats/libslmformats.a" \
   $(pkg-config --libs libcjson libprotobuf-c libxxhash) -lcrypto -lpthread -lm -o "$W/quant_bench"
$PY bench/quant_gen.py gemm "$W"
ort() { NODE_PATH=${NODE_PATH:-tests/oracle/node_modules} node bench/quant_ort.js "$@"; }
echo "load before: $(uptime)"
for r in $(seq "$ROUNDS"); do
    "$W/quant_bench" "$W/gemm.onnx" 100
    SLM_QUANT_KERNEL=avx2 "$W/quant_bench" "$W/gemm.onnx" 100 | sed 's/^/avx2 /'
    ort "$W/gemm.onnx" 1 100 "onnxruntime M=1 hot"
    ort "$W/gemm_cold.onnx" 1 8 "onnxruntime M=1 cold"
    ort "$W/gemm.onnx" 16 20 "onnxruntime M=16 hot"
    ort "$W/gemm_cold.onnx" 16 2 "onnxruntime M=16 cold"
done | tee "$W/log"
echo "load after: $(uptime)"
$PY - "$W/log" "$ROUNDS" <<'EOF'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"(.+?): wall median ([\d.]+) \S+ best ([\d.]+) \S+, cpu median ([\d.]+) \S+ best ([\d.]+)", line)
    if m:
        runs.setdefault(m.group(1), []).append([float(v) for v in m.groups()[1:]])
med = {k: [statistics.median(r[i] for r in v) for i in range(4)] for k, v in runs.items()}
print(f"\nmedians of {sys.argv[2]} rounds (ms; wall clock / this program's CPU time):")
print(f"{'':22} {'slminspect':>17} {'slminspect avx2':>17} {'onnxruntime':>17} {'ort/ours':>13} {'ort/avx2':>13}")
for M in (1, 16):
    for how in ("hot", "cold"):
        a, v, b = med[f"slminspect M={M} {how}"], med[f"avx2 slminspect M={M} {how}"], med[f"onnxruntime M={M} {how}"]
        print(f"{'GEMV' if M == 1 else 'GEMM'} M={M:<2} {how:4}        {a[0]:7.3f} / {a[2]:7.3f} {v[0]:7.3f} / {v[2]:7.3f}"
              f" {b[0]:7.3f} / {b[2]:7.3f} {b[0] / a[0]:5.2f} / {b[2] / a[2]:5.2f} {b[0] / v[0]:5.2f} / {b[2] / v[2]:5.2f}")
bw = med["read bandwidth, s per GiB"]
gbw, gbc = 2**30 / bw[0] / 1e9, 2**30 / bw[2] / 1e9
nbytes = 4096 * 4096 // 2 + 4096 * 128 * 4
print(f"single-core read bandwidth (1 GiB streamed): {gbw:.2f} GB/s wall, {gbc:.2f} GB/s cpu")
for who in ("slminspect", "avx2 slminspect"):
    for how in ("hot", "cold"):
        t = med[f"{who} M=1 {how}"]
        print(f"{who + ' GEMV ' + how + ':':27} weights + scales at {nbytes / t[0] / 1e6:.2f} GB/s wall = "
              f"{100 * nbytes / t[0] / 1e6 / gbw:.0f}% of the bandwidth; {nbytes / t[2] / 1e6:.2f} GB/s cpu = "
              f"{100 * nbytes / t[2] / 1e6 / gbc:.0f}%")
    rc = med[("avx2 " if who.startswith("avx2") else "") + "read of the cold copies, per copy"]
    t = med[f"{who} M=1 cold"]
    print(f"{'  the cold copies read at':27} {nbytes / rc[0] / 1e6:.2f} GB/s wall, {nbytes / rc[2] / 1e6:.2f} GB/s cpu:"
          f" the cold GEMV at {100 * rc[0] / t[0]:.0f}% / {100 * rc[2] / t[2]:.0f}% of that")
EOF
[ "${KERNELS_ONLY:-0}" = 1 ] && exit 0
echo "generating the Qwen2.5-0.5B-shaped model (about a minute)..."
$PY bench/quant_gen.py qwen "$W"
ls -la "$W/model_q4.onnx" "$W/ref/model.safetensors"
cat "$W/model_q4.onnx" "$W/ref/model.safetensors" >/dev/null   # warm page cache
echo "load: $(uptime)"
for r in $(seq "$RUNS"); do
    /usr/bin/time -f "slminspect quant: %e s wall, %U s user, %M KiB peak RSS" \
        "$B/inspect/slminspect" quant "$W/model_q4.onnx" --ref "$W/ref" --json >"$W/q.json"
done
$PY -c "
import json; d = json.load(open('$W/q.json')); s = d['summary']
print('kernel', d['kernel'] + ', paired', s['paired'], 'of', s['quantized_weights'], 'by',
      sorted({t['pairing'] for t in d['tensors']}), 'overall SQNR %.2f dB' % s['overall']['sqnr_db'])"
