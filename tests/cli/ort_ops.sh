#!/usr/bin/env bash
# onnxruntime's registry table (spec/ort_ops.tsv) is what the releases say and
# what slminspect compiles in: the .inc files are what the .tsv files give, and
# probing the installed onnxruntime-node releases again gives the same table.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" "$SRC/spec/gen_ort_ops.py" inc "$SRC/spec/ort_ops.tsv" >"$TMP/ops.inc" || fail "gen_ort_ops.py inc failed"
ok
cmp -s "$TMP/ops.inc" "$SRC/formats/ort_ops.inc" ||
    fail "formats/ort_ops.inc is stale: run spec/gen_ort_ops.py inc spec/ort_ops.tsv > formats/ort_ops.inc"
"$PY" "$SRC/spec/gen_ort_ops.py" tjs "$SRC/spec/transformersjs_runtimes.tsv" >"$TMP/tjs.inc" || fail "tjs failed"
ok
cmp -s "$TMP/tjs.inc" "$SRC/verify/transformersjs_runtimes.inc" ||
    fail "verify/transformersjs_runtimes.inc is stale: run spec/gen_ort_ops.py tjs spec/transformersjs_runtimes.tsv"
# Facts of the issue the table must hold (each release's own checker said so).
for row in $'1.22.0\tcom.microsoft\tGatherBlockQuantized\t1\t3\t4\t1\t1\t0\t1\tblock_size:INT:0,gather_axis:INT:0,quantize_axis:INT:0' \
    $'1.23.2\tcom.microsoft\tGatherBlockQuantized\t1\t3\t4\t1\t1\t0\t1\tbits:INT:0,block_size:INT:0,gather_axis:INT:0,quantize_axis:INT:0' \
    $'1.30.0\t\tSimplifiedLayerNormalization\t1\t2\t2\t1\t2\t1\t1\t'; do
    ok
    grep -qF "$row" "$SRC/spec/ort_ops.tsv" || fail "no row '$row' in spec/ort_ops.tsv"
done
[ -d "$SRC/tests/oracle/node_modules/ort130" ] || skip "tests/oracle packages not installed"
(cd "$SRC" && "$PY" spec/gen_ort_ops.py probe) >"$TMP/probed.tsv" || fail "gen_ort_ops.py probe failed"
ok
diff -u "$SRC/spec/ort_ops.tsv" "$TMP/probed.tsv" >"$TMP/d" || fail "the releases now say otherwise: $(head -20 "$TMP/d")"
finish
