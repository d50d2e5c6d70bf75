#!/usr/bin/env bash
# The library, installed: `cmake --install` of the build tree into a
# temporary prefix, which is then moved (the .pc files and the CMake package
# must be relocatable); a tiny consumer (consumer/) is built against it twice,
# through pkg-config and through find_package(slminspect CONFIG), and must
# print the same document as `slminspect verify --json`.
. "$(dirname "$0")/../cli/lib.bash"
set -o pipefail
MODEL=$CORPUS/qwen2/hf_fp16
cmake --install "$SLM_BUILD" --prefix "$TMP/staging" >"$TMP/install.log" 2>&1 || { fail "cmake --install: $(tail -5 "$TMP/install.log")"; finish; exit 1; }
mv "$TMP/staging" "$TMP/prefix"
P=$TMP/prefix
LIBDIR=$(cd "$P" && dirname "$(find . -name 'libslminspect.so.0' | head -1)")
LIBDIR=$P/${LIBDIR#./}

# The shared library: SONAME, versioned names, exactly the API exported.
ok; [ -f "$LIBDIR/libslminspect.so.0.1.0" ] && [ -L "$LIBDIR/libslminspect.so.0" ] && [ -L "$LIBDIR/libslminspect.so" ] \
    || fail "libslminspect.so -> .so.0 -> .so.0.1.0 not installed in $LIBDIR"
ok; readelf -d "$LIBDIR/libslminspect.so.0.1.0" | grep -q 'SONAME.*\[libslminspect.so.0\]' || fail "SONAME is not libslminspect.so.0"
nm -D --defined-only "$LIBDIR/libslminspect.so.0.1.0" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort >"$TMP/exported"
printf '%s\n' slminspect_abi_version slminspect_free slminspect_run slminspect_version >"$TMP/api"
ok; diff -u "$TMP/api" "$TMP/exported" >&2 || fail "the shared library exports other symbols than the API"
ok; [ -f "$LIBDIR/libslmformats.a" ] || fail "the static library is not installed"
for h in slminspect.h slm/slm.h; do ok; [ -f "$P/include/$h" ] || fail "include/$h not installed"; done
ok; [ -f "$P/share/man/man1/slminspect.1" ] || fail "the manual page is not installed"
ok; ! grep -rq "$TMP" "$LIBDIR/pkgconfig" "$LIBDIR/cmake" || fail "the installed package names the install path (not relocatable)"

"$SLM_BIN" verify --json --target hf "$MODEL" >"$TMP/want.json" 2>/dev/null
want_rc=$?

# 1. pkg-config
ok
if PKG_CONFIG_PATH=$LIBDIR/pkgconfig pkg-config --modversion slminspect >"$TMP/pcver" 2>&1 &&
    cc -std=c11 -o "$TMP/consumer-pc" "$SRC/tests/packaging/consumer/consumer.c" \
        $(PKG_CONFIG_PATH=$LIBDIR/pkgconfig pkg-config --cflags --libs slminspect slmformats) 2>"$TMP/cc.log"; then
    ok; [ "$(cat "$TMP/pcver")" = "$("$SLM_BIN" --version | cut -d' ' -f2)" ] || fail "pkg-config --modversion: $(cat "$TMP/pcver")"
    LD_LIBRARY_PATH=$LIBDIR "$TMP/consumer-pc" "$MODEL" >"$TMP/got-pc.json" 2>/dev/null
    rc=$?
    ok; [ "$rc" = "$want_rc" ] || fail "pkg-config consumer exited $rc, slminspect verify $want_rc"
    ok; cmp -s "$TMP/want.json" "$TMP/got-pc.json" || fail "pkg-config consumer's document differs from slminspect verify --json"
else
    fail "building through pkg-config: $(cat "$TMP/pcver" "$TMP/cc.log" | head -20)"
fi

# 2. find_package(slminspect CONFIG)
ok
if cmake -S "$SRC/tests/packaging/consumer" -B "$TMP/consumer-build" -DCMAKE_PREFIX_PATH="$P" >"$TMP/cm.log" 2>&1 &&
    cmake --build "$TMP/consumer-build" >>"$TMP/cm.log" 2>&1; then
    "$TMP/consumer-build/consumer" "$MODEL" >"$TMP/got-cmake.json" 2>/dev/null
    rc=$?
    ok; [ "$rc" = "$want_rc" ] || fail "find_package consumer exited $rc, slminspect verify $want_rc"
    ok; cmp -s "$TMP/want.json" "$TMP/got-cmake.json" || fail "find_package consumer's document differs from slminspect verify --json"
else
    fail "building through find_package: $(tail -20 "$TMP/cm.log")"
fi
# A version the package does not satisfy is refused.
sed 's/slminspect 0.1 CONFIG/slminspect 1.0 CONFIG/' "$SRC/tests/packaging/consumer/CMakeLists.txt" >"$TMP/v.txt"
mkdir -p "$TMP/vsrc" && cp "$TMP/v.txt" "$TMP/vsrc/CMakeLists.txt" && cp "$SRC/tests/packaging/consumer/consumer.c" "$TMP/vsrc/"
ok; ! cmake -S "$TMP/vsrc" -B "$TMP/vbuild" -DCMAKE_PREFIX_PATH="$P" >/dev/null 2>&1 || fail "find_package(slminspect 1.0) accepted version 0.1"
finish
