#!/usr/bin/env bash
# slminspect merge: merging per-folder verify reports equals one verify run
# over all the folders (findings, counts, checked, text, SARIF); options and
# exit codes; every malformed or hostile report gives its rule (CI-001..008,
# JS-001, JS-003) and exit code, and nothing crashes.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
Q=$CORPUS/qwen2

# ---- usage
expect_rc 2 "$BIN" merge
expect_grep "no REPORT" "$TMP/err"
expect_rc 2 "$BIN" merge --bogus x.json
expect_rc 2 "$BIN" merge --fail-on nonsense x.json
expect_rc 2 "$BIN" merge --format xml x.json
expect_rc 0 "$BIN" merge --help
expect_grep "usage: slminspect merge" "$TMP/out"
expect_grep "CI-001..CI-008" "$TMP/out"
expect_rc 0 "$BIN" help merge
expect_grep "usage: slminspect merge" "$TMP/out"

# ---- one report per folder (one broken, one with warnings) vs one verify over all
"$SLM_BUILD/tests/test_safetensors" --write "$TMP/st" >/dev/null
mkdir "$TMP/ck" && cp "$Q"/hf_fp16/* "$TMP/ck/" && rm "$TMP/ck/model-00003-of-00008.safetensors"
DIRS=("$Q/hf_fp16" "$Q/hf_fp32_single" "$Q/mlc_q4f16_1" "$Q/onnx" "$CORPUS/wasm" "$TMP/ck" "$TMP/st"
      "$SRC/examples/tiny-qwen2")
reports=()
i=0
for d in "${DIRS[@]}"; do
    i=$((i + 1))
    "$BIN" verify --json "$d" >"$TMP/r$i.json"
    reports+=("$TMP/r$i.json")
done
expect_rc 1 "$BIN" verify --json "${DIRS[@]}"
cp "$TMP/out" "$TMP/all.json"
expect_rc 1 "$BIN" merge --json "${reports[@]}"
cp "$TMP/out" "$TMP/merged.json"
# reversed order: the same findings and counts (checked follows the reports' order)
rev=()
for ((k = ${#reports[@]} - 1; k >= 0; k--)); do rev+=("${reports[k]}"); done
expect_rc 1 "$BIN" merge --json "${rev[@]}"
cp "$TMP/out" "$TMP/merged_rev.json"
$PY - "$TMP/all.json" "$TMP/merged.json" "$TMP/merged_rev.json" "${reports[@]}" >"$TMP/cmp" 2>&1 <<'PY'
import json, sys
a, m, r = (json.load(open(p)) for p in sys.argv[1:4])
reps = [json.load(open(p)) for p in sys.argv[4:]]
bad = []
for name, x in (("merged", m), ("reversed", r)):
    if x["findings"] != a["findings"]:
        bad.append(f"{name}: findings differ from one verify run ({len(x['findings'])} vs {len(a['findings'])})")
    for k in ("errors", "warnings", "infos"):
        if x[k] != a[k]:
            bad.append(f"{name}: {k} {x[k]} != {a[k]}")
    if x.get("not_listed") != a.get("not_listed"):
        bad.append(f"{name}: not_listed differs")
if m["checked"] != a["checked"]:
    bad.append("checked lists differ")
if sorted(map(json.dumps, r["checked"])) != sorted(map(json.dumps, a["checked"])):
    bad.append("reversed checked is not the same files")
if a["errors"] == 0 or a["warnings"] == 0:
    bad.append("the corpus should give errors and warnings")
if len(m["inputs"]) != len(reps):
    bad.append("one input per report")
for inp, rep, path in zip(m["inputs"], reps, sys.argv[4:]):
    want = {"file": path, "command": "verify", "status": "merged", "findings": len(rep["findings"]),
            "errors": rep["errors"], "warnings": rep["warnings"], "infos": rep["infos"], "problems": 0}
    if inp != want:
        bad.append(f"input {inp} != {want}")
print("\n".join(bad) or "ok")
PY
expect_grep "^ok$" "$TMP/cmp"
[ "$(cat "$TMP/cmp")" = ok ] || cat "$TMP/cmp" >&2

# text: the findings print as verify prints them (the summaries after them differ)
findings_text() { # the blank-line-separated groups that are a file and its findings
    $PY -c '
import re, sys
blocks = sys.stdin.read().split("\n\n")
keep = [b for b in blocks if re.match(r"[^ ].*\n  (error|warning|info) +[A-Z]+-[0-9]+", b)]
print("\n\n".join(keep))'
}
"$BIN" verify "${DIRS[@]}" | findings_text >"$TMP/all.txt"
"$BIN" merge "${reports[@]}" >"$TMP/merged.txt"
ok
findings_text <"$TMP/merged.txt" | cmp -s - "$TMP/all.txt" || fail "merge text differs from verify text"
ok
[ "$(grep -c '^  error ' "$TMP/all.txt")" -gt 100 ] || fail "verify text has too few findings to compare"
expect_grep "from ${#reports[@]} report(s)" "$TMP/merged.txt"
# SARIF: the same log as verify's, and valid
"$BIN" verify --format sarif "${DIRS[@]}" >"$TMP/all.sarif"
expect_rc 1 "$BIN" merge --format sarif "${reports[@]}"
ok
cmp -s "$TMP/out" "$TMP/all.sarif" || fail "merge SARIF differs from verify SARIF"
ok
$PY "$SRC/tests/tools/check_schema.py" "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/out" >"$TMP/check" 2>&1 ||
    fail "merged SARIF invalid: $(head -c 500 "$TMP/check")"
# a merge of merges
"$BIN" merge --json "${reports[@]:0:4}" >"$TMP/m1.json"
"$BIN" merge --json "${reports[@]:4}" >"$TMP/m2.json"
expect_rc 1 "$BIN" merge --json "$TMP/m1.json" "$TMP/m2.json"
$PY -c '
import json, sys
a, m = json.load(open(sys.argv[1])), json.loads(sys.stdin.read())
ok = a["findings"] == m["findings"] and all(a[k] == m[k] for k in ("errors", "warnings", "infos"))
ok = ok and [i["command"] for i in m["inputs"]] == ["merge", "merge"] and a["checked"] == m["checked"]
print("ok" if ok else "merge of merges differs")' "$TMP/all.json" <"$TMP/out" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"

# ---- options and exit codes
expect_rc 0 "$BIN" merge "$TMP/r1.json" "$TMP/r2.json"
expect_grep "0 error(s), 0 warning(s), 0 info(s) from 2 report(s)" "$TMP/out"
"$BIN" verify --json "$TMP/st/misaligned_data.safetensors" >"$TMP/warn.json"
expect_rc 0 "$BIN" merge "$TMP/r1.json" "$TMP/warn.json"
expect_grep "ST-105" "$TMP/out"
expect_rc 1 "$BIN" merge --strict "$TMP/r1.json" "$TMP/warn.json"
expect_rc 1 "$BIN" merge --fail-on warning "$TMP/warn.json"
expect_rc 0 "$BIN" merge --fail-on error "$TMP/warn.json"
expect_rc 1 "$BIN" merge -q "${reports[@]}"
ok
[ ! -s "$TMP/out" ] || fail "-q printed something"
# quant reports merge too
"$BIN" quant --json "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp32_single" --min-sqnr 40 >"$TMP/quant.json"
expect_rc 1 "$BIN" merge --json "$TMP/quant.json" "$TMP/r1.json"
expect_grep '"QT-101"' "$TMP/out"
expect_grep '"command":[[:space:]]*"quant"' "$TMP/out"
# gate and hash --check reports merge too; each input's command is recognized
"$BIN" gate --json "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp16" --min-sqnr 18 >"$TMP/gate.json"
mkdir "$TMP/copy" && cp "$Q"/hf_fp32_single/* "$TMP/copy/" && chmod u+w "$TMP"/copy/*
"$BIN" hash -o "$TMP/MANIFEST.json" "$TMP/copy" >/dev/null
printf 'x' >>"$TMP/copy/config.json"
"$BIN" hash --check "$TMP/MANIFEST.json" "$TMP/copy" --json >"$TMP/hash.json"
expect_rc 1 "$BIN" merge --json "$TMP/gate.json" "$TMP/hash.json" "$TMP/quant.json" "$TMP/r1.json" "$TMP/m1.json"
$PY -c '
import json, sys
d = json.load(sys.stdin)
cmds = [i.get("command") for i in d["inputs"]]
rules = {x["rule"] for x in d["findings"]}
ok = cmds == ["gate", "hash", "quant", "verify", "merge"] and "QT-101" in rules and any(r.startswith("HS-") for r in rules)
ok = ok and all(i["status"] == "merged" and i["problems"] == 0 for i in d["inputs"])
print("ok" if ok else (cmds, rules, d["inputs"]))' <"$TMP/out" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"
# unreadable reports: exit 2, the others still merged; SARIF says the execution failed
expect_rc 2 "$BIN" merge "$TMP/r6.json" "$TMP/missing.json"
expect_grep "missing.json" "$TMP/err"
expect_grep "IX-003" "$TMP/out"
expect_rc 2 "$BIN" merge "$TMP/st"
expect_grep "is a folder" "$TMP/err"
expect_rc 2 "$BIN" merge --format sarif "$TMP/r1.json" "$TMP/missing.json"
expect_grep '"executionSuccessful":[[:space:]]*false' "$TMP/out"
cp "$TMP/out" "$TMP/unsuccessful.sarif"
ok
$PY "$SRC/tests/tools/check_schema.py" "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/unsuccessful.sarif" >/dev/null 2>&1 ||
    fail "SARIF with an unreadable report is invalid"

# ---- hostile reports: the rule, where, and the exit code
# bad NAME RULE RC [POINTER]: merging $TMP/h/NAME.json (beside a clean report) gives RULE about it, exit RC
mkdir "$TMP/h"
bad() {
    local name=$1 rule=$2 rc=$3 ptr=${4:-}
    expect_rc "$rc" "$BIN" merge --json "$TMP/r1.json" "$TMP/h/$name.json"
    $PY - "$TMP/out" "$TMP/h/$name.json" "$rule" "$ptr" >"$TMP/hcheck" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f, rule, ptr = sys.argv[2], sys.argv[3], sys.argv[4]
hits = [x for x in d["findings"] if x["rule"] == rule and x["file"] == f]
if not hits:
    print(f"no {rule} about {f}: {d['findings'][:3]}")
elif ptr and not any(x.get("path") == ptr for x in hits):
    print(f"{rule} not at {ptr}: {hits}")
elif not all(0 <= x.get("offset", 0) <= len(open(f, "rb").read()) for x in hits):
    print(f"{rule} offset outside the report: {hits}")
else:
    print("ok")
PY
    ok
    grep -qx ok "$TMP/hcheck" || fail "$name: $(cat "$TMP/hcheck")"
}
h() { printf '%s' "$2" >"$TMP/h/$1.json"; }
F='{"rule": "ST-012", "severity": "error", "file": "m.safetensors", "offset": 62, "path": "/b", "message": "gap"}'
C='"errors": 1, "warnings": 0, "infos": 0'

truncate -s 257M "$TMP/h/huge.json"
bad huge CI-001 1
h syntax '{"findings": ['
bad syntax JS-001 1
h empty ''
bad empty JS-001 1
printf '{"findings": [], "x": "\xff"}' >"$TMP/h/utf8.json"
bad utf8 JS-001 1
$PY -c 'print("[" * 200 + "]" * 200)' >"$TMP/h/deep.json"
bad deep JS-001 1
h array '[]'
bad array CI-002 1
h nofindings '{"errors": 0}'
bad nofindings CI-002 1
h findings_object '{"findings": {}}'
bad findings_object CI-002 1 /findings
h dup_findings "{\"findings\": [$F], $C, \"findings\": []}"
bad dup_findings CI-003 1 /findings
h dup_rule '{"findings": [{"rule": "ST-012", "rule": "IO-001", "severity": "error", "file": "", "message": ""}]}'
bad dup_rule CI-003 1 /findings/0/rule
h not_object '{"findings": [1]}'
bad not_object CI-004 1 /findings/0
h no_rule '{"findings": [{"severity": "error", "file": "a", "message": "m"}]}'
bad no_rule CI-004 1 /findings/0
h severity_fatal '{"findings": [{"rule": "ST-012", "severity": "fatal", "file": "a", "message": "m"}]}'
bad severity_fatal CI-004 1 /findings/0
h offset_negative '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "offset": -1, "message": "m"}]}'
bad offset_negative CI-004 1 /findings/0
h offset_fraction '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "offset": 6.25e1, "message": "m"}]}'
bad offset_fraction CI-004 1 /findings/0
# integers in the notations cJSON writes (1e+15) or any other: read exactly
h offset_exponent '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "offset": 6.2e1, "message": "m"},
 {"rule": "ST-012", "severity": "error", "file": "b", "offset": 1e+15, "message": "m"}], "errors": 2.0e0, "warnings": 0, "infos": 0}'
expect_rc 1 "$BIN" merge --json "$TMP/h/offset_exponent.json"
$PY -c '
import json, sys
d = json.load(sys.stdin)
print("ok" if [(x["rule"], x["offset"]) for x in d["findings"]] == [("ST-012", 62), ("ST-012", 10**15)] else d["findings"])
' <"$TMP/out" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"
h offset_string '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "offset": "62", "message": "m"}]}'
bad offset_string CI-004 1 /findings/0
h message_nul '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "message": "m\u0000hidden"}]}'
bad message_nul CI-004 1 /findings/0
h offset_huge '{"findings": [{"rule": "ST-012", "severity": "error", "file": "a", "offset": 9007199254740993, "message": "m"}]}'
bad offset_huge JS-003 1 /findings/0
h unknown_rule '{"findings": [{"rule": "XX-999", "severity": "info", "file": "a.bin", "offset": 7, "message": "from the future"}]}'
bad unknown_rule CI-005 1 /findings/0
expect_grep "XX-999.*from the future" "$TMP/out"
h severity_changed "{\"findings\": [{\"rule\": \"ST-012\", \"severity\": \"warning\", \"file\": \"m.safetensors\", \"message\": \"gap\"}]}"
bad severity_changed CI-006 1 /findings/0
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
st = [x for x in d["findings"] if x["rule"] == "ST-012"]
ci = [x for x in d["findings"] if x["rule"] == "CI-006"][0]
text = open(sys.argv[2], "rb").read()
ok = len(st) == 1 and st[0]["severity"] == "error" and text[ci["offset"]:ci["offset"] + 9] == b"\"warning\""
print("ok" if ok else f"CI-006: {st} {ci}")' "$TMP/out" "$TMP/h/severity_changed.json" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"
h counts_wrong "{\"findings\": [$F], \"errors\": 5, \"warnings\": 0, \"infos\": 0}"
bad counts_wrong CI-007 1 /errors
h counts_partial "{\"findings\": [$F], \"errors\": 1}"
bad counts_partial CI-007 1
h counts_string "{\"findings\": [$F], \"errors\": \"1\", \"warnings\": 0, \"infos\": 0}"
bad counts_string CI-007 1 /errors
h counts_huge "{\"findings\": [$F], \"errors\": 18446744073709551616, \"warnings\": 0, \"infos\": 0}"
bad counts_huge JS-003 1 /errors
h checked_object "{\"findings\": [], \"errors\": 0, \"warnings\": 0, \"infos\": 0, \"checked\": {}}"
bad checked_object CI-008 1 /checked
h checked_nopath "{\"findings\": [], \"errors\": 0, \"warnings\": 0, \"infos\": 0, \"checked\": [{\"kind\": \"json\"}]}"
bad checked_nopath CI-008 1 /checked/0
# a consistent not_listed: counted, not a problem
h not_listed "{\"findings\": [$F], \"errors\": 3, \"warnings\": 0, \"infos\": 0, \"not_listed\": 2}"
expect_rc 1 "$BIN" merge --json "$TMP/h/not_listed.json"
$PY -c '
import json, sys
d = json.load(sys.stdin)
print("ok" if d["errors"] == 3 and d.get("not_listed") == 2 and [x["rule"] for x in d["findings"]] == ["ST-012"] else d)
' <"$TMP/out" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"
# a clean report with members this version does not know: merged, no problem
h future '{"findings": [], "errors": 0, "warnings": 0, "infos": 0, "command": "gate", "new": {"x": [1]}}'
expect_rc 0 "$BIN" merge --json "$TMP/h/future.json"
expect_grep '"command":[[:space:]]*"gate"' "$TMP/out"
# the SARIF of hostile reports validates
expect_rc 1 "$BIN" merge --format sarif "$TMP"/h/*.json
cp "$TMP/out" "$TMP/hostile.sarif"
ok
$PY "$SRC/tests/tools/check_schema.py" "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/hostile.sarif" >"$TMP/check" 2>&1 ||
    fail "SARIF of hostile reports invalid: $(head -c 500 "$TMP/check")"

# ---- mutated reports never crash: exit 0, 1 (or 2 never: they are readable files)
$PY - "$TMP/r7.json" "$TMP/mut" <<'PY'
import os, random, sys
src = open(sys.argv[1], "rb").read()
os.makedirs(sys.argv[2])
rng = random.Random(6)
for i in range(150):
    b = bytearray(src)
    for _ in range(rng.randint(1, 8)):
        op, p = rng.randrange(3), rng.randrange(len(b))
        if op == 0:
            b[p] = rng.choice(b'{}[]",:0123456789-.eE\\u \x00\xff' + bytes([rng.randrange(256)]))
        elif op == 1:
            del b[p:p + rng.randint(1, 40)]
        else:
            b[p:p] = b[rng.randrange(len(b)):][:rng.randint(1, 60)]
    open(os.path.join(sys.argv[2], f"m{i:03}.json"), "wb").write(b)
PY
crashed=0
for f in "$TMP"/mut/*.json; do
    "$BIN" merge --json "$f" >/dev/null 2>"$TMP/err"
    rc=$?
    if [ $rc -gt 1 ]; then
        crashed=$((crashed + 1))
        echo "mutant $f: exit $rc $(head -c 200 "$TMP/err")" >&2
    fi
done
ok
[ $crashed = 0 ] || fail "$crashed mutated reports did not exit 0 or 1"
finish
