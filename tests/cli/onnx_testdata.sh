#!/usr/bin/env bash
# Conformance: the onnx project's own backend test models, as Debian packages
# them (libonnx-testdata, onnx 1.12: 1,072 models; tests/run.sh installs it).
# onnx.checker (python3-onnx) judges each live; slminspect verify must report
# no error on any model the checker accepts, and its warnings must be exactly
# the ones spec/onnx.md lists (`testdata:MODEL:RULE`).  inspect reads every
# model (exit 0).  The test_data_set_* folders are not needed: this is about
# the models.
. "$(dirname "$0")/lib.bash"
DATA=/usr/share/libonnx-testdata/data
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
"$PY" -c 'import onnx' 2>/dev/null || skip "python3-onnx is not installed"
[ -d "$DATA/node" ] || skip "libonnx-testdata is not installed ($DATA)"
find "$DATA" -mindepth 3 -maxdepth 3 -name model.onnx | sort >"$TMP/models"
ok
[ "$(wc -l <"$TMP/models")" = 1072 ] || fail "expected the 1,072 models of libonnx-testdata 1.12, found $(wc -l <"$TMP/models")"

# The checker's verdict on each model.
"$PY" - "$TMP/models" >"$TMP/checker.tsv" <<'PY' || fail "onnx.checker run failed"
import sys, onnx
for path in open(sys.argv[1]).read().split():
    try:
        onnx.checker.check_model(path)
        print(path + "\tok")
    except Exception as e:
        print(path + "\tfail")
PY
"$BIN" verify --json $(cat "$TMP/models") >"$TMP/verify.json" 2>"$TMP/err"
rc=$?
ok
[ "$rc" -le 1 ] || fail "verify exit $rc: $(head -c 300 "$TMP/err")"
grep -o '`testdata:[A-Za-z0-9_]*:[A-Z]*-[0-9]*`' "$SRC/spec/onnx.md" | tr -d '`' | sed 's/^testdata://' | sort >"$TMP/documented"
"$PY" - "$TMP/verify.json" "$TMP/checker.tsv" "$TMP/documented" >"$TMP/r" 2>&1 <<'PY' || fail "$(cat "$TMP/r")"
import json, os, sys
doc = json.load(open(sys.argv[1]))
verdict = dict(l.split("\t") for l in open(sys.argv[2]).read().splitlines())
documented = set(open(sys.argv[3]).read().split())
assert len(verdict) == 1072 and len(doc["checked"]) == 1072, (len(verdict), len(doc["checked"]))
accepted = {p for p, v in verdict.items() if v == "ok"}
assert len(accepted) > 1000, f"the checker accepts only {len(accepted)} models"
model = lambda f: os.path.basename(os.path.dirname(f))
errors = sorted(f'{model(f["file"])}: {f["rule"]} {f["message"]}' for f in doc["findings"]
                if f["severity"] == "error" and f["file"] in accepted)
assert not errors, f"{len(errors)} error(s) on models onnx.checker accepts:\n" + "\n".join(errors[:20])
warned = {f'{model(f["file"])}:{f["rule"]}' for f in doc["findings"] if f["severity"] == "warning"}
assert warned == documented, f"warnings not in spec/onnx.md: {sorted(warned - documented)}; " \
                             f"documented but gone: {sorted(documented - warned)}"
print(f"{len(accepted)} accepted, 0 errors, {len(warned)} documented warnings")
PY
ok
"$BIN" inspect --json $(cat "$TMP/models") >"$TMP/inspect.json" 2>"$TMP/err"
rc=$?
ok
[ "$rc" = 0 ] || fail "inspect exit $rc on the testdata models: $(head -c 300 "$TMP/err")"
# inspect's operator histogram and initializer totals, over the main graph
# and every subgraph (If, Loop, Scan, SequenceMap bodies), against an onnx
# walk of each model.
"$PY" - "$TMP/inspect.json" >"$TMP/r" 2>&1 <<'PY' || fail "inspect vs an onnx walk: $(cat "$TMP/r")"
import collections, json, sys
import onnx
from onnx import numpy_helper
bad, with_sub = [], 0
for a in json.load(open(sys.argv[1]))["artifacts"]:
    m = onnx.load(a["path"])
    ops, inits = collections.Counter(), collections.Counter()
    def walk(g, inside):
        for t in g.initializer:
            inits["sub_n" if inside else "main_n"] += 1
            inits["sub_b" if inside else "main_b"] += numpy_helper.to_array(t).nbytes
        for n in g.node:
            ops[(n.op_type, n.domain, inside)] += 1
            for at in n.attribute:
                for sg in ([at.g] if at.HasField("g") else []) + list(at.graphs):
                    walk(sg, True)
    walk(m.graph, False)
    want = {(o, d): (ops[(o, d, False)], ops[(o, d, True)]) for o, d, _ in ops}
    got = {(o["op_type"], o["domain"]): (o["count"], o["in_subgraphs"]) for o in a["operators"]}
    i = a["initializers"]
    if got != want or any(o["total"] != o["count"] + o["in_subgraphs"] for o in a["operators"]):
        bad.append(f'{a["path"]}: operators {got}, onnx walk {want}')
    if (i["count"], i["subgraph_count"]) != (inits["main_n"], inits["sub_n"]) or \
       (i["bytes"], i["subgraph_bytes"]) != (inits["main_b"], inits["sub_b"]) or \
       not i["bytes"] + i["subgraph_bytes"] == i["total_bytes"] == i["embedded_bytes"] + i["external_bytes"]:
        bad.append(f'{a["path"]}: initializers {i}, onnx walk {dict(inits)}')
    if a["graph"]["subgraph_nodes"] != sum(v[1] for v in want.values()):
        bad.append(f'{a["path"]}: subgraph_nodes {a["graph"]["subgraph_nodes"]}')
    with_sub += a["graph"]["subgraph_nodes"] > 0
assert not bad, "\n".join(bad[:10])
assert with_sub >= 20, f"only {with_sub} models with subgraphs"
print(f"{with_sub} models with subgraphs agree")
PY
ok
finish
