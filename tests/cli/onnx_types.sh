#!/usr/bin/env bash
# The ONNX type system (ONNX-021, spec/onnx.md): every kind of TypeProto on a
# main-graph input and output, on a subgraph's output and in value_info
# (tests/reference/onnx_type_cases.py), judged live by onnx.checker (Debian's
# python3-onnx): slminspect reports an ONNX-021 error exactly where the
# checker fails.  Then inspect's text for each kind of type, and its operator
# histogram and initializer totals over subgraphs.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" -c 'import onnx' 2>/dev/null || skip "python3-onnx is not installed"
"$PY" "$SRC/tests/reference/onnx_type_cases.py" "$TMP/t" || fail "type case generator failed"

n=0
while IFS=$'\t' read -r name where verdict; do
    n=$((n + 1))
    "$BIN" verify --json "$TMP/t/$name.onnx" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    rules=$("$PY" -c 'import json,sys; print(" ".join(sorted({f["rule"] for f in json.load(open(sys.argv[1]))["findings"] if f["severity"] == "error"})))' "$TMP/out")
    want=""
    [ "$verdict" = fail ] && want=ONNX-021
    ok
    [ "$rules" = "$want" ] || fail "$name ($where): errors '$rules', onnx.checker says $verdict"
    ok
    [ "$rc" = "$([ "$verdict" = fail ] && echo 1 || echo 0)" ] || fail "$name: exit $rc, onnx.checker says $verdict"
done <"$TMP/t/verdicts.tsv"
ok
[ "$n" = 48 ] || fail "expected 48 type cases, got $n"
# Both verdicts occur among the main-graph cases: the comparison can fail both ways.
ok
[ "$(grep -c $'\tmain\tfail$' "$TMP/t/verdicts.tsv")" -ge 5 ] && [ "$(grep -c $'\tmain\tok$' "$TMP/t/verdicts.tsv")" -ge 5 ] ||
    fail "the checker's verdicts on main-graph cases are not mixed"

# The message names the type and what the checker misses in it.
expect_rc 1 "$BIN" verify "$TMP/t/main_map_no_key.onnx"
expect_grep "graph input 'x' has type map(?, F32 \[N\]): a main-graph map needs a key_type" "$TMP/out"
expect_rc 1 "$BIN" verify "$TMP/t/main_seq_no_elem.onnx"
expect_grep "has type seq(?): a main-graph sequence needs an elem_type" "$TMP/out"

# inspect: each kind of type, readable.
expect_rc 0 "$BIN" inspect "$TMP/t/inspect_types.onnx"
for want in "inputs      t F32 \[N\]" " s seq(F32 \[N\])" " o optional(seq(F32 \[N\]))" " m map(STRING, F32 \[\])" \
    " p sparse(F32 \[3, 4\])" " q opaque(example.org.blob)" " c BOOL \[\]" "outputs     r F32 \[K\]"; do
    expect_grep "$want" "$TMP/out"
done
# Operators counted in subgraphs too: Relu once in the main graph and once per
# branch, Identity once per branch.
expect_grep "operators   Relu 3 (2 in subgraphs), Identity 2 (2 in subgraphs), If 1$" "$TMP/out"
expect_grep "'g': 2 nodes (+4 in subgraphs" "$TMP/out"
# Initializers: main 6 floats (24 B), branches 4 and 8 floats (48 B): 72 B, all embedded.
expect_grep "initializers 1, 6 parameters, 24 B + 2 in subgraphs, 48 B = 72 B (embedded 72 B, external 0 B)" "$TMP/out"
expect_rc 0 "$BIN" inspect --json "$TMP/t/inspect_types.onnx"
"$PY" - "$TMP/out" >"$TMP/r" 2>&1 <<'PY' || fail "inspect --json: $(cat "$TMP/r")"
import json, sys
a = json.load(open(sys.argv[1]))["artifacts"][0]
i = a["initializers"]
assert (i["bytes"], i["subgraph_count"], i["subgraph_bytes"]) == (24, 2, 48), i
assert i["bytes"] + i["subgraph_bytes"] == i["total_bytes"] == i["embedded_bytes"] + i["external_bytes"], i
ops = {o["op_type"]: (o["count"], o["in_subgraphs"]) for o in a["operators"]}
assert ops == {"Relu": (3, 2), "Identity": (2, 2), "If": (1, 0)}, ops
assert a["graph"]["subgraph_nodes"] == 4, a["graph"]
types = [v["type"] for v in a["graph"]["inputs"]]
assert types[2] == "optional(seq(F32 [N]))" and types[3] == "map(STRING, F32 [])", types
PY
ok
finish
