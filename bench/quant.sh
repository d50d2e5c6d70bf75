#!/usr/bin/env bash
# Issue 4's benchmark (run by hand; never by the test suite):
#  1. int4 GEMV (M=1) and GEMM (M=16), K = N = 4096, block 32, symmetric, one thread:
#     slminspect's fast kernel vs onnxruntime-node's MatMulNBits (intra-op threads 1) on the
#     same model file, and the machine's single-core memory read bandwidth;
#  2. `slminspect quant` on a generated model with Qwen2.5-0.5B's shapes (q4 ONNX vs fp16
#     checkpoint): wall time and peak memory (GNU time).
#   bench/quant.sh [BUILD_DIR]     (a Release build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release)
# Needs /usr/bin/python3 with numpy and onnx, node, tests/oracle/node_modules (npm install there).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-rel}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
cc -O2 -std=c11 -D_GNU_SOURCE -Iformats/include bench/quant_bench.c "$B/formats/libslmformats.a" \
   $(pkg-config --libs libcjson libprotobuf-c libxxhash) -lcrypto -lpthread -lm -o "$W/quant_bench"
$PY bench/quant_gen.py gemm "$W"
uptime
"$W/quant_bench" "$W/gemm.onnx"
for M in 1 16; do
    NODE_PATH=tests/oracle/node_modules node bench/quant_ort.js "$W/gemm.onnx" $M $([ $M = 1 ] && echo 200 || echo 20)
done
echo "generating the Qwen2.5-0.5B-shaped model (about a minute)..."
$PY bench/quant_gen.py qwen "$W"
ls -la "$W/model_q4.onnx" "$W/ref/model.safetensors"
cat "$W/model_q4.onnx" "$W/ref/model.safetensors" >/dev/null   # warm page cache
/usr/bin/time -f "slminspect quant: %e s wall, %M KiB peak RSS" \
    "$B/inspect/slminspect" quant "$W/model_q4.onnx" --ref "$W/ref" --json >"$W/q.json"
$PY -c "
import json; d = json.load(open('$W/q.json')); s = d['summary']
print('paired', s['paired'], 'of', s['quantized_weights'], 'by', sorted({t['pairing'] for t in d['tensors']}),
      'overall SQNR %.2f dB' % s['overall']['sqnr_db'])"
