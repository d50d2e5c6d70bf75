#!/usr/bin/env bash
# The Python package (python/) over the build tree's libslminspect.so, with
# Debian's python3 (tests/python/test_slminspect.py: each function returns
# the command line's --json document and exit status).
. "$(dirname "$0")/lib.bash"
LIB=$SLM_BUILD/api/libslminspect.so
[ -f "$LIB" ] || { fail "$LIB was not built"; finish; exit 1; }
# A sanitizer build's library needs its runtimes loaded first in python3.
if grep -q '^SLM_SANITIZE:BOOL=ON' "$SLM_BUILD/CMakeCache.txt" 2>/dev/null; then
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=detect_leaks=0
fi
ok
SLMINSPECT_LIBRARY=$LIB PYTHONPATH=$SRC/python PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 "$SRC/tests/python/test_slminspect.py" || fail "python tests failed"
# The package installs with Debian's pip, offline (pyproject.toml, setuptools), and works installed.
cp -r "$SRC/python" "$TMP/pysrc"
ok
if /usr/bin/python3 -m pip install --quiet --no-build-isolation --no-deps --no-index --target "$TMP/site" "$TMP/pysrc" \
    >"$TMP/pip.log" 2>&1; then
    ok; [ -f "$TMP/site/slminspect/py.typed" ] || fail "py.typed is not installed"
    ok; [ "$(cd "$TMP" && SLMINSPECT_LIBRARY=$LIB PYTHONPATH=$TMP/site /usr/bin/python3 -c 'import slminspect; print(slminspect.version())')" = \
        "$("$BIN" --version | cut -d' ' -f2)" ] || fail "the installed package does not load the library"
else
    fail "pip install of python/: $(tail -5 "$TMP/pip.log")"
fi
finish
