#!/usr/bin/env bash
# The whole test suite under Valgrind memcheck (by hand; slow): every unit
# test, every slminspect run of the shell tests and every corpus replay runs
# under valgrind, and any memory error or definite leak fails its test
# (exit 99).  Build in build-valgrind/ (Debug, no sanitizers).
#
#   tests/valgrind.sh [ctest options...]      e.g. tests/valgrind.sh -R safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not installed (apt-get install valgrind)" >&2; exit 2; }
cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Debug \
    -DSLM_TEST_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-origins=yes" \
    >/dev/null
cmake --build build-valgrind -j"$(nproc)" >/dev/null
cd build-valgrind
SLM_VALGRIND=1 ctest --output-on-failure --timeout 3000 "$@"
