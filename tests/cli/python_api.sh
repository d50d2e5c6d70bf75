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
finish
