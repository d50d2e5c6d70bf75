#!/bin/sh
# Builds tests/reference/make_gguf.c against a ggml checkout and remakes the
# GGUF files of tests/corpus/gguf/ and their truth.json.  By hand, never in CI:
#   git clone https://github.com/ggml-org/ggml && cd ggml && git checkout d99724f2 &&
#   cmake -B build -DGGML_NATIVE=OFF && cmake --build build -j
#   sh tests/reference/make_gguf.sh /path/to/ggml [BUILD_DIR]
# BUILD_DIR: slminspect's build (default build/), for libslmformats.a.
set -eu
GGML=${1:?usage: make_gguf.sh GGML_DIR [BUILD_DIR]}
BUILD=${2:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/tests/corpus/gguf"
BIN=${MAKE_GGUF_BIN:-$(mktemp -d)/make_gguf}
cc -std=c11 -O2 -Wall -Wextra -o "$BIN" "$ROOT/tests/reference/make_gguf.c" \
  -I"$GGML/include" -I"$ROOT/formats/include" \
  "$BUILD/formats/libslmformats.a" -L"$GGML/build/src" -lggml-base \
  -Wl,-rpath,"$GGML/build/src" -lcjson -lprotobuf-c -lxxhash -lcrypto -lpthread -lm
[ -n "${MAKE_GGUF_ONLY_BUILD:-}" ] && exit 0
mkdir -p "$OUT"
"$BIN" "$ROOT/tests/corpus/qwen2/hf_fp16" "$OUT"
ls -l "$OUT"
