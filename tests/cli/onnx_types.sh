#!/usr/bin/env bash
# The ONNX type system (ONNX-021, ONNX-029, spec/onnx.md): every kind of
# TypeProto on a main-graph input and output, on a subgraph's output and in
# value_info (tests/reference/onnx_type_cases.py), judged live by onnx.checker
# (Debian's python3-onnx) and onnxruntime-node: slminspect reports ONNX-021
# exactly where the checker fails, else ONNX-029 exactly where onnxruntime
# cannot read a type.  Then inspect's text for each kind of type, and its operator
# histogram and initializer totals over subgraphs.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" -c 'import onnx' 2>/dev/null || skip "python3-onnx is not installed"
"$PY" "$SRC/tests/reference/onnx_type_cases.py" "$TMP/t" || fail "type case generator failed"

# onnxruntime-node (tests/oracle) loads each case: a refusal because it cannot
# turn a type into one of its data types ("Invalid tensor data type",
# "Unsuported type proto value case") is ONNX-029; other refusals (an Identity
# whose input and output types differ) are not about the type system.
[ -d "$SRC/tests/oracle/node_modules/onnxruntime-node" ] || skip "onnxruntime-node not installed (tests/oracle)"
cut -f1 "$TMP/t/verdicts.tsv" >"$TMP/names"
NODE_PATH=$SRC/tests/oracle/node_modules node - "$TMP/t" "$TMP/names" >"$TMP/ort.tsv" 2>/dev/null <<'JS' || fail "onnxruntime-node run failed"
const ort = require('onnxruntime-node'), fs = require('fs'), path = require('path');
(async () => {
  for (const name of fs.readFileSync(process.argv[3], 'utf8').trim().split('\n')) {
    let v = 'ok';
    try { await ort.InferenceSession.create(path.join(process.argv[2], name + '.onnx')); }
    catch (e) { v = /Invalid tensor data type|Unsuported type proto value case/.test(String(e.message)) ? 'type' : 'other'; }
    console.log(name + '\t' + v);
  }
})();
JS
paste "$TMP/t/verdicts.tsv" <(cut -f2 "$TMP/ort.tsv") >"$TMP/judged.tsv"
n=0
while IFS=$'\t' read -r name where verdict ortv; do
    n=$((n + 1))
    "$BIN" verify --json "$TMP/t/$name.onnx" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    rules=$("$PY" -c 'import json,sys; print(" ".join(sorted({f["rule"] for f in json.load(open(sys.argv[1]))["findings"] if f["severity"] == "error"})))' "$TMP/out")
    want=""
    if [ "$verdict" = fail ]; then want=ONNX-021; elif [ "$ortv" = type ]; then want=ONNX-029; fi
    ok
    [ "$rules" = "$want" ] || fail "$name ($where): errors '$rules'; onnx.checker says $verdict, onnxruntime-node $ortv"
    ok
    [ "$rc" = "$([ -n "$want" ] && echo 1 || echo 0)" ] || fail "$name: exit $rc, expected errors '$want'"
done <"$TMP/judged.tsv"
ok
[ "$n" = 78 ] || fail "expected 78 type cases, got $n"
# Each verdict occurs: the comparison can fail every way.
for v in $'\tmain\tfail\t' $'\tok\ttype$' $'\tok\tok$' $'\tok\tother$'; do
    ok
    [ "$(grep -c "$v" "$TMP/judged.tsv")" -ge 3 ] || fail "fewer than 3 cases judged '$v'"
done

# A local function's value_info (IR 10) is read as protobuf reads it: its
# types nest within the recursion limit (ONNX-002 past it; onnxruntime-node
# refuses it, "Protobuf parsing failed").
expect_rc 0 "$BIN" verify "$TMP/t/function_value_info.onnx"
expect_rc 1 "$BIN" verify --json "$TMP/t/function_value_info_deep.onnx"
expect_grep '"rule":[[:space:]]*"ONNX-002"' "$TMP/out"
NODE_PATH=$SRC/tests/oracle/node_modules node - "$TMP/t/function_value_info.onnx" "$TMP/t/function_value_info_deep.onnx" \
    >"$TMP/fn.txt" 2>/dev/null <<'JS'
const ort = require('onnxruntime-node');
(async () => {
  for (const p of process.argv.slice(2)) {
    let v = 'ok';
    try { await ort.InferenceSession.create(p); } catch (e) { v = 'fail'; }
    console.log(v);
  }
})();
JS
ok
[ "$(tr '\n' ' ' <"$TMP/fn.txt")" = "ok fail " ] || fail "onnxruntime-node on the function cases: $(cat "$TMP/fn.txt"), expected ok fail"

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
ops = {o["op_type"]: (o["total"], o["in_subgraphs"], o["count"]) for o in a["operators"]}
assert ops == {"Relu": (3, 2, 1), "Identity": (2, 2, 0), "If": (1, 0, 1)}, ops
assert a["graph"]["subgraph_nodes"] == 4, a["graph"]
types = [v["type"] for v in a["graph"]["inputs"]]
assert types[2] == "optional(seq(F32 [N]))" and types[3] == "map(STRING, F32 [])", types
PY
ok

finish
