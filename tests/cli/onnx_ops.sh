#!/usr/bin/env bash
# The operator schemas compiled into slminspect (formats/onnx_ops.inc) are the
# ones in spec/onnx_ops.tsv (generated from onnx 1.23 by spec/gen_onnx_ops.py),
# and the checker uses them: a node whose operator, attribute or arity the
# table changes is judged by that row.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"

# 1. The .inc is what the .tsv gives.
"$PY" "$SRC/spec/gen_onnx_ops.py" inc "$SRC/spec/onnx_ops.tsv" >"$TMP/ops.inc" || fail "gen_onnx_ops.py inc failed"
ok
cmp -s "$TMP/ops.inc" "$SRC/formats/onnx_ops.inc" ||
    fail "formats/onnx_ops.inc is stale: run spec/gen_onnx_ops.py inc spec/onnx_ops.tsv > formats/onnx_ops.inc"

# 2. The table is onnx 1.23's: the operators of the last opsets are there.
for row in $'\tReduceMean\t18\t' $'\tGelu\t20\t' $'\tDequantizeLinear\t21\t' $'ai.onnx.ml\tTreeEnsemble\t5\t' \
    $'\tUpsample\t10\t1\t'; do
    ok
    grep -qF "$row" "$SRC/spec/onnx_ops.tsv" || fail "no row '$row' in spec/onnx_ops.tsv"
done
# 3. Every row is well formed: counts in order, formal parameters S/O/V,
#    attribute types known (the generator asserts the rest).
"$PY" - "$SRC/spec/onnx_ops.tsv" >"$TMP/r" 2>&1 <<'PY' || fail "$(cat "$TMP/r")"
import sys
types = {"FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS", "TENSORS", "GRAPHS",
         "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"}
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l and not l.startswith("#")][1:]
assert len(rows) > 600, len(rows)
for r in rows:
    assert len(r) == 14, r
    mi, ma, mo, xo = map(int, r[4:8])
    assert 0 <= mi <= ma and 0 <= mo <= xo, r
    assert r[8] == "-" or set(r[8]) <= set("SOV"), r
    assert r[13] == "-" or all(a.split(":")[1] in types for a in r[13].split(",")), r
PY
ok
# 4. slm_onnx_max_opset_for_ir (formats/onnx.c) is spec/onnx_versions.tsv.
"$PY" - "$SRC/spec/onnx_versions.tsv" "$SRC/formats/onnx.c" >"$TMP/r" 2>&1 <<'PY' || fail "$(cat "$TMP/r")"
import re, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l and not l.startswith("#")]
want = {}
for _, ir, op in rows:
    want[int(ir)] = max(want.get(int(ir), 0), int(op))
m = re.search(r"static const int64_t MAX\[\] = \{([^}]*)\}", open(sys.argv[2]).read())
have = [int(x) for x in m.group(1).split(",")]
# IR 1 and 2 came before opset imports (version 1); then the table's maximum
assert have[3:] == [want[ir] for ir in range(3, max(want) + 1)], (have, want)
PY
ok
finish
