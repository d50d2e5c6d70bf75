#!/usr/bin/env bash
# The Debian package (debian/): built from a copy of this checkout with
# `dpkg-buildpackage -us -uc -b`, checked with lintian (no error), unpacked
# into a temporary root with dpkg -x; the command there prints this version,
# its manual page is there, and the shared library there answers Python.
. "$(dirname "$0")/../cli/lib.bash"
for t in dpkg-buildpackage lintian dh fakeroot; do
    command -v "$t" >/dev/null || skip "$t is not installed (apt-get install dpkg-dev lintian debhelper fakeroot)"
done
V=$("$SLM_BIN" --version | cut -d' ' -f2)
ok; head -1 "$SRC/debian/changelog" | grep -q "^slminspect ($V)" || fail "debian/changelog is not at version $V"
S=$TMP/src/slminspect-$V
mkdir -p "$S"
# the checkout's files (committed or not, not ignored), less the test data the build does not read
(cd "$SRC" && git -c safe.directory="*" ls-files -co --exclude-standard -z | grep -zv '^tests/corpus/\|^examples/' |
    xargs -0 cp --parents -t "$S") || { fail "cannot copy the checkout"; finish; exit 1; }
(cd "$S" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
rc=$?
ok; [ "$rc" = 0 ] || { fail "dpkg-buildpackage exited $rc: $(tail -30 "$TMP/build.log")"; finish; exit 1; }
CH=$TMP/src/slminspect_${V}_$(dpkg --print-architecture).changes
ok; [ -f "$CH" ] || fail "no $CH"
lintian --fail-on error --tag-display-limit 0 "$CH" >"$TMP/lintian" 2>&1
rc=$?
ok; [ "$rc" = 0 ] || fail "lintian found errors: $(grep '^E:' "$TMP/lintian" | head -20)"
grep '^W:' "$TMP/lintian" >&2 # warnings shown, not failed

R=$TMP/root
for p in slminspect libslminspect0 libslminspect-dev; do
    deb=$(ls "$TMP/src/${p}_${V}_"*.deb 2>/dev/null | head -1)
    ok; [ -n "$deb" ] || { fail "package $p was not built"; continue; }
    dpkg -x "$deb" "$R" || fail "dpkg -x $deb"
done
ok; [ "$("$R/usr/bin/slminspect" --version)" = "slminspect $V" ] || fail "the packaged slminspect --version: $("$R/usr/bin/slminspect" --version 2>&1)"
expect_rc 0 "$R/usr/bin/slminspect" verify "$CORPUS/qwen2/hf_fp16"
ok; [ -f "$R/usr/share/man/man1/slminspect.1.gz" ] || fail "the manual page is not in the package"
LIB=$(ls "$R"/usr/lib/*/libslminspect.so.0 2>/dev/null | head -1)
ok; [ -n "$LIB" ] || fail "libslminspect.so.0 is not in libslminspect0"
ok; [ -n "$(ls "$R"/usr/lib/*/pkgconfig/slminspect.pc "$R"/usr/lib/*/cmake/slminspect/slminspectConfig.cmake "$R"/usr/include/slminspect.h 2>/dev/null | wc -l | grep -x 3)" ] ||
    fail "the development files are not all in libslminspect-dev"
ok; PYTHONDONTWRITEBYTECODE=1 SLMINSPECT_LIBRARY=$LIB PYTHONPATH=$SRC/python /usr/bin/python3 -c 'import slminspect, sys
assert slminspect.version() == sys.argv[1], slminspect.version()
r = slminspect.verify(sys.argv[2]); assert r.exit_status == 0 and r["command"] == "verify", r' "$V" "$CORPUS/qwen2/hf_fp16" ||
    fail "python over the packaged library"
# libslminspect-dev's relocatable pkg-config files, from the unpacked root
PC=$(dirname "$LIB")/pkgconfig
ok
if cc -std=c11 -o "$TMP/consumer" "$SRC/tests/packaging/consumer/consumer.c" \
    $(PKG_CONFIG_PATH=$PC pkg-config --cflags --libs slminspect slmformats) 2>"$TMP/cc.log"; then
    LD_LIBRARY_PATH=$(dirname "$LIB") "$TMP/consumer" "$CORPUS/qwen2/hf_fp16" >"$TMP/got.json" 2>/dev/null
    "$SLM_BIN" verify --json --target hf "$CORPUS/qwen2/hf_fp16" >"$TMP/want.json" 2>/dev/null
    ok; cmp -s "$TMP/want.json" "$TMP/got.json" || fail "a consumer of the packaged library prints another document"
else
    fail "building against the packaged development files: $(head -20 "$TMP/cc.log")"
fi
finish
