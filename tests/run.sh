#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need on Debian 12
# (as root, or through sudo), builds slminspect twice -- an optimized build and
# an AddressSanitizer + UndefinedBehaviorSanitizer build -- and runs the whole
# test suite in each.  Exit status 0 means every test passed.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
JOBS=$(nproc)

# Debian packages: the build, the reference tools the tests compare with.
PKGS="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libcjson-dev libxxhash-dev libssl-dev
      clang libclang-rt-14-dev python3 python3-onnx libonnx-testdata python3-numpy python3-jsonschema python3-rfc3987
      xxhash chromium groff-base python3-yaml pre-commit git dpkg-dev debhelper fakeroot lintian"
command -v node >/dev/null && command -v npm >/dev/null || PKGS="$PKGS nodejs npm"
missing=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    echo "installing: $missing"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# npm packages the tests use as oracles (tests/oracle/package.json).
# Tests that compare with an oracle (onnxruntime-node, chromium) fail rather than skip when it is missing.
export SLM_REQUIRE_ORACLE=1
if [ -f tests/oracle/package.json ]; then
    (cd tests/oracle && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

run_suite() { # build-dir cmake-args...
    local dir=$1
    shift
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$JOBS"
    (cd "$dir" && ctest --output-on-failure -j"$JOBS")
}

echo "== optimized build"
run_suite build -DCMAKE_BUILD_TYPE=Release -DSLM_WERROR=ON
# tests/packaging/ (install tree, Debian package, Action build, pre-commit) runs in the
# optimized build only: it builds slminspect again and links without sanitizers.
echo "== sanitizer build (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSLM_SANITIZE=ON
echo "== fuzz smoke: every harness for 15 s under clang, ASan and UBSan"
bash fuzz/run_campaign.sh -s -t 15
