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
# The 1.30.0 rows (probed from onnxruntime-node) are onnxruntime 1.30's own registry, dumped from its
# Python build (spec/ort_schemas_1.30.tsv): every com.microsoft operator, its counts and its attributes.
"$PY" - "$SRC/spec/ort_schemas_1.30.tsv" "$SRC/spec/ort_ops.tsv" >"$TMP/r" 2>&1 <<'PY' || fail "$(cat "$TMP/r")"
import sys
reg = {}
for l in open(sys.argv[1]):
    if not l.startswith("#") and not l.startswith("domain\t"):
        f = l.rstrip("\n").split("\t")
        reg[(f[0], f[1])] = f
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if not l.startswith("#") and not l.startswith("release\t")]
ms = {(f[1], f[2]): f for f in rows if f[0] == "1.30.0" and f[1] == "com.microsoft"}
assert len(ms) >= 120, len(ms)
assert set(ms) == {k for k in reg if k[0] == "com.microsoft"}, set(ms) ^ {k for k in reg if k[0] == "com.microsoft"}
for k, f in ms.items():
    assert f[4:8] == reg[k][3:7], (k, f[4:8], reg[k][3:7])
    assert f[10] == reg[k][8], (k, f[10], reg[k][8])
PY
ok
[ -d "$SRC/tests/oracle/node_modules/ort130" ] || skip "tests/oracle packages not installed"
(cd "$SRC" && "$PY" spec/gen_ort_ops.py probe) >"$TMP/probed.tsv" || fail "gen_ort_ops.py probe failed"
ok
diff -u "$SRC/spec/ort_ops.tsv" "$TMP/probed.tsv" >"$TMP/d" || fail "the releases now say otherwise: $(head -20 "$TMP/d")"
finish
