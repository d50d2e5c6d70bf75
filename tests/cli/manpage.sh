#!/usr/bin/env bash
# inspect/slminspect.1 keeps up with the program: every command of
# 'slminspect --help' has its entry, every long option of every command's
# --help is named, and groff renders it without a warning.
. "$(dirname "$0")/lib.bash"
MAN=$SRC/inspect/slminspect.1
sed 's/\\-/-/g' "$MAN" >"$TMP/man.txt"
"$BIN" --help >"$TMP/help"
cmds=$(sed -n 's/^  \([a-z]\+\) .*/\1/p' "$TMP/help")
ok; [ -n "$cmds" ] || fail "no commands in slminspect --help"
for c in $cmds; do
    ok; grep -q "^\.B[IR]* \"\?$c\b" "$MAN" || fail "command '$c' has no entry in slminspect.1"
    "$BIN" "$c" --help >"$TMP/h_$c" 2>&1
    for o in $(grep -o -- "--[a-z][a-z0-9-]*" "$TMP/h_$c" | sort -u); do
        ok; grep -q -- "$o\b" "$TMP/man.txt" || fail "option $o of '$c' is not in slminspect.1"
    done
done
if command -v groff >/dev/null; then
    ok; groff -man -ww -z "$MAN" 2>"$TMP/groff" && [ ! -s "$TMP/groff" ] || fail "groff: $(cat "$TMP/groff")"
    ok; groff -man -Tutf8 "$MAN" 2>/dev/null | sed "s/.\x08//g; s/\x1b\[[0-9;]*m//g" | grep -q "^EXIT STATUS" || fail "the page does not render"
fi
finish
