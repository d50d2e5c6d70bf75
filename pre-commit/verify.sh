#!/usr/bin/env bash
# pre-commit hook (.pre-commit-hooks.yaml): slminspect verify [OPTIONS] on the
# files pre-commit passes.  GGUF files match the hook's pattern but slminspect
# does not read GGUF yet: they are named and left out, never failed.
# SLMINSPECT: the slminspect to run (default: the one on PATH).
set -uo pipefail
BIN=${SLMINSPECT:-slminspect}
if ! command -v "$BIN" >/dev/null 2>&1; then
    echo "slminspect-verify: '$BIN' is not installed: apt install ./slminspect_*.deb (README, Install)," >&2
    echo "or put a build on PATH, or set SLMINSPECT to its path" >&2
    exit 2
fi
opts=() files=()
for a in "$@"; do
    case "$a" in
    --*) opts+=("$a") ;;
    *.gguf) echo "slminspect-verify: $a: GGUF is not read by slminspect yet (not checked)" ;;
    *) files+=("$a") ;;
    esac
done
[ ${#files[@]} -gt 0 ] || exit 0
exec "$BIN" verify "${opts[@]}" -- "${files[@]}"
