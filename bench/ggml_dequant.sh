#!/usr/bin/env bash
# ggml's types: slminspect's dequantizers against ggml's own dequantize_row_*, side by side in one
# run (bench/ggml_dequant.c).  By hand, never by the tests; needs a ggml build:
#   bench/ggml_dequant.sh GGML_DIR [BUILD_DIR] [ROWS]
# GGML_DIR: a ggml checkout built with cmake into GGML_DIR/build (ggml d99724f2 for the figures in
# bench/README.md); BUILD_DIR: slminspect's Release build (default build-rel); ROWS of 4096 (4096).
# SLM_QUANT_KERNEL=avx2 limits slminspect's kernels to AVX2.
set -euo pipefail
cd "$(dirname "$0")/.."
GGML=${1:?usage: bench/ggml_dequant.sh GGML_DIR [BUILD_DIR] [ROWS]}
B=${2:-build-rel}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -O2 -std=c11 -Iformats/include -I"$GGML/include" bench/ggml_dequant.c "$B/formats/libslmformats.a" \
   -L"$GGML/build/src" -lggml-base -Wl,-rpath,"$GGML/build/src" \
   $(pkg-config --libs libcjson libprotobuf-c libxxhash) -lcrypto -lpthread -lm -o "$W/ggml_dequant"
grep -m1 "model name" /proc/cpuinfo
echo "load before: $(uptime)"
"$W/ggml_dequant" "${3:-4096}"
echo "load after: $(uptime)"
