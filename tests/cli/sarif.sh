#!/usr/bin/env bash
# --format sarif: every log validates against the OASIS SARIF 2.1.0 schema
# (tests/data/sarif-schema-2.1.0.json, formats checked); each result carries
# the finding's rule, level, file URI, byte offset and JSON path, exactly as
# --json has them; every rule's help names the spec document that has its row.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
$PY -c 'import jsonschema, rfc3987' 2>/dev/null || skip "python3-jsonschema or python3-rfc3987 missing"
SCHEMA=$SRC/tests/data/sarif-schema-2.1.0.json
Q=$CORPUS/qwen2

# sarif_ok NAME: $TMP/out is a valid SARIF log; kept as $TMP/NAME.sarif
sarif_ok() {
    cp "$TMP/out" "$TMP/$1.sarif"
    ok
    $PY "$SRC/tests/tools/check_schema.py" "$SCHEMA" "$TMP/$1.sarif" >"$TMP/check" 2>&1 ||
        fail "$1: not valid SARIF 2.1.0: $(head -c 600 "$TMP/check")"
}
# same NAME JSON SARIF: the SARIF results are the --json findings, one for one
same() {
    $PY - "$2" "$3" >"$TMP/same" 2>&1 <<'PY'
import json, os, sys, urllib.parse
j, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
run = s["runs"][0]
rules, res, bad = run["tool"]["driver"]["rules"], run["results"], []
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
if len(res) != len(j["findings"]):
    bad.append(f"{len(res)} results for {len(j['findings'])} findings")
for f, r in zip(j["findings"], res):
    want_uri = None
    if f["file"]:
        p = f["file"]
        want_uri = ("file://" + urllib.parse.quote(p, safe="/-._~!$&'()*+,;=@:") if p.startswith("/")
                    else urllib.parse.quote(p, safe="/-._~!$&'()*+,;=@"))
    loc = (r.get("locations") or [{}])[0]
    pl = loc.get("physicalLocation", {})
    got = {"rule": r["ruleId"], "index_rule": rules[r["ruleIndex"]]["id"], "level": r["level"],
           "message": r["message"]["text"], "uri": pl.get("artifactLocation", {}).get("uri"),
           "offset": pl.get("region", {}).get("byteOffset"),
           "path": (loc.get("logicalLocations") or [{}])[0].get("fullyQualifiedName")}
    want = {"rule": f["rule"], "index_rule": f["rule"], "level": LEVEL[f["severity"]], "message": f["message"],
            "uri": want_uri, "offset": f.get("offset"), "path": f.get("path")}
    if got != want:
        bad.append(f"result {got} != finding {want}")
    if "region" in pl and "offset" not in f:
        bad.append(f"a region without an offset: {r}")
used = sorted({f["rule"] for f in j["findings"]})
if sorted(r["id"] for r in rules) != used:
    bad.append(f"driver.rules {[r['id'] for r in rules]} are not the rules used {used}")
props = run["properties"]
for k in ("errors", "warnings", "infos"):
    if props[k] != j[k]:
        bad.append(f"properties.{k} {props[k]} != {j[k]}")
if run["invocations"][0]["executionSuccessful"] is not True:
    bad.append("executionSuccessful is not true")
if s["version"] != "2.1.0" or run["tool"]["driver"]["name"] != "slminspect":
    bad.append("version or driver name")
print("\n".join(bad[:10]) or "ok")
PY
    ok
    grep -qx ok "$TMP/same" || fail "$1: SARIF and --json disagree: $(head -c 1500 "$TMP/same")"
}
# run_both NAME RC ARGS...: the command with --json and with --format sarif, exit RC both, compared
run_both() {
    local name=$1 rc=$2
    shift 2
    expect_rc "$rc" "$BIN" "$@" --json
    cp "$TMP/out" "$TMP/$name.json"
    expect_rc "$rc" "$BIN" "$@" --format sarif
    sarif_ok "$name"
    same "$name" "$TMP/$name.json" "$TMP/$name.sarif"
}

# ---- verify: clean; findings with offsets; findings with JSON paths only; errors, warnings, infos
run_both clean 0 verify "$Q/hf_fp16" "$Q/mlc_q4f16_1"
ok
$PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; sys.exit(1 if r["results"] or r["tool"]["driver"]["rules"] else 0)' \
    "$TMP/clean.sarif" || fail "a clean run has results or rules"
"$SLM_BUILD/tests/test_safetensors" --write "$TMP/st" >/dev/null
run_both st 1 verify "$TMP/st"
run_both onnx 0 verify "$Q/onnx" "$SRC/examples/tiny-qwen2"
expect_grep '"level":[[:space:]]*"note"' "$TMP/onnx.sarif"
expect_grep '"level":[[:space:]]*"warning"' "$TMP/onnx.sarif"
mkdir "$TMP/ix" && cp "$Q"/hf_fp16/* "$TMP/ix/" && chmod u+w "$TMP"/ix/*
$PY -c '
import json, sys
p = sys.argv[1] + "/model.safetensors.index.json"
d = json.load(open(p)); d["metadata"]["total_size"] += 2; json.dump(d, open(p, "w"))' "$TMP/ix"
run_both pathonly 1 verify "$TMP/ix"
$PY -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]["results"]
x = [x for x in r if x["ruleId"] == "IX-008"]
ok = x and "region" not in x[0]["locations"][0]["physicalLocation"] and \
     x[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "/metadata/total_size"
print("ok" if ok else r)' "$TMP/pathonly.sarif" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"

# ---- a known broken file, relative and absolute: the exact result
(cd "$TMP/st" && "$BIN" verify --format sarif gap.safetensors) >"$TMP/out"
sarif_ok gap_rel
"$BIN" verify --format sarif "$TMP/st/gap.safetensors" >"$TMP/out"
sarif_ok gap_abs
$PY - "$TMP/gap_rel.sarif" "$TMP/gap_abs.sarif" "$TMP/st/gap.safetensors" >"$TMP/cmp" <<'PY'
import json, sys
rel, ab = (json.load(open(p))["runs"][0] for p in sys.argv[1:3])
bad = []
for run, uri in ((rel, "gap.safetensors"), (ab, "file://" + sys.argv[3])):
    (r,) = run["results"]
    (rule,) = run["tool"]["driver"]["rules"]
    loc = r["locations"][0]
    want = ("ST-012", 0, "error", uri, 62, "/b")
    got = (r["ruleId"], r["ruleIndex"], r["level"], loc["physicalLocation"]["artifactLocation"]["uri"],
           loc["physicalLocation"]["region"]["byteOffset"], loc["logicalLocations"][0]["fullyQualifiedName"])
    if got != want:
        bad.append(f"{got} != {want}")
    if "begins at 8, expected 4" not in r["message"]["text"]:
        bad.append("message " + r["message"]["text"])
    if (rule["id"], rule["shortDescription"]["text"], rule["defaultConfiguration"]["level"]) != \
            ("ST-012", "tensor data do not tile the buffer", "error"):
        bad.append(f"rule {rule}")
    if "spec/safetensors.md" not in rule["help"]["text"] or "spec/safetensors.md" not in rule["help"]["markdown"]:
        bad.append("help does not name spec/safetensors.md")
print("\n".join(bad) or "ok")
PY
expect_grep "^ok$" "$TMP/cmp"

# ---- URIs: names that need percent-encoding, relative (':' encoded) and absolute
mkdir -p "$TMP/u/dir with space"
cp "$TMP/st/gap.safetensors" "$TMP/u/dir with space/a:b#c%d ü.safetensors"
(cd "$TMP/u" && "$BIN" verify --json "dir with space/a:b#c%d ü.safetensors") >"$TMP/uri_rel.json"
(cd "$TMP/u" && "$BIN" verify --format sarif "dir with space/a:b#c%d ü.safetensors") >"$TMP/out"
sarif_ok uri_rel
same uri_rel "$TMP/uri_rel.json" "$TMP/uri_rel.sarif"
expect_grep '"uri":[[:space:]]*"dir%20with%20space/a%3Ab%23c%25d%20%C3%BC.safetensors"' "$TMP/uri_rel.sarif"
"$BIN" verify --json "$TMP/u/dir with space/a:b#c%d ü.safetensors" >"$TMP/uri_abs.json"
"$BIN" verify --format sarif "$TMP/u/dir with space/a:b#c%d ü.safetensors" >"$TMP/out"
sarif_ok uri_abs
same uri_abs "$TMP/uri_abs.json" "$TMP/uri_abs.sarif"
expect_grep '"uri":[[:space:]]*"file:///.*/dir%20with%20space/a:b%23c%25d%20%C3%BC.safetensors"' "$TMP/uri_abs.sarif"

# ---- quant
run_both quant 1 quant "$Q/onnx/model_q4.onnx" --ref "$Q/hf_fp32_single" --min-sqnr 40
expect_grep '"ruleId":[[:space:]]*"QT-101"' "$TMP/quant.sarif"
run_both quant_clean 0 quant "$Q/mlc_q4f16_1" --ref "$Q/hf_fp16"

# ---- every rule: metadata from the rule table, help names the document that has its row
"$BIN" rules --json >"$TMP/rules.json"
$PY - "$TMP/rules.json" "$TMP/every.json" <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))
f = [{"rule": r["id"], "severity": r["severity"], "file": "every.bin", "offset": i, "message": r["title"]}
     for i, r in enumerate(rules)]
c = {s: sum(r["severity"] == s for r in rules) for s in ("error", "warning", "info")}
json.dump({"findings": f, "errors": c["error"], "warnings": c["warning"], "infos": c["info"]}, open(sys.argv[2], "w"))
PY
"$BIN" merge --format sarif "$TMP/every.json" >"$TMP/out"
sarif_ok every
$PY - "$TMP/rules.json" "$TMP/every.sarif" "$SRC/spec" >"$TMP/cmp" 2>&1 <<'PY'
import json, os, re, sys
rules = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))["runs"][0]
spec = sys.argv[3]
row = re.compile(r"^\|\s*([A-Z]+-\d+)\s*\|")
doc = {}
for n in os.listdir(spec):
    if n.endswith(".md"):
        for line in open(os.path.join(spec, n), encoding="utf-8"):
            m = row.match(line)
            if m:
                doc[m.group(1)] = n
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
got = run["tool"]["driver"]["rules"]
bad = []
if [r["id"] for r in got] != [r["id"] for r in rules]:
    bad.append("driver.rules are not every rule in table order")
for r, s in zip(rules, got):
    if s["shortDescription"]["text"] != r["title"] or s["defaultConfiguration"]["level"] != LEVEL[r["severity"]]:
        bad.append(f"{r['id']}: title or level")
    if not re.fullmatch(r"[A-Z0-9][A-Za-z0-9]*", s["name"]):
        bad.append(f"{r['id']}: name {s['name']!r}")
    if r["help"] not in s["help"]["text"]:
        bad.append(f"{r['id']}: help.text lacks the fix")
    d = doc.get(r["id"])  # rules_spec.sh reports rules without a row
    if d and ("spec/" + d not in s["help"]["text"] or "spec/" + d not in s["help"]["markdown"]
              or "spec/" + d not in s["fullDescription"]["text"]):
        bad.append(f"{r['id']}: help does not name spec/{d}")
for i, res in enumerate(run["results"]):
    if got[res["ruleIndex"]]["id"] != res["ruleId"]:
        bad.append(f"result {i}: ruleIndex points at {got[res['ruleIndex']]['id']}")
print("\n".join(bad[:20]) or "ok")
PY
expect_grep "^ok$" "$TMP/cmp"
[ "$(cat "$TMP/cmp")" = ok ] || head -20 "$TMP/cmp" >&2

# ---- findings over the per-rule limit: listed up to it, the rest a notification
$PY -c '
import json, sys
f = [{"rule": "ST-012", "severity": "error", "file": "m%04d.safetensors" % i, "offset": 62, "message": "gap"}
     for i in range(1005)]
json.dump({"findings": f, "errors": 1005, "warnings": 0, "infos": 0}, open(sys.argv[1], "w"))' "$TMP/many.json"
expect_rc 1 "$BIN" merge --format sarif "$TMP/many.json"
sarif_ok many
$PY -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
n = r["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
ok = len(r["results"]) == 1000 and r["properties"]["errors"] == 1005 and r["properties"]["not_listed"] == 5 and "5 more" in n
print("ok" if ok else (len(r["results"]), r["properties"], n))' "$TMP/many.sarif" >"$TMP/cmp"
expect_grep "^ok$" "$TMP/cmp"

# ---- the validator can fail: a result without a message is not SARIF
$PY -c '
import json, sys
d = json.load(open(sys.argv[1])); del d["runs"][0]["results"][0]["message"]; json.dump(d, open(sys.argv[2], "w"))' \
    "$TMP/gap_rel.sarif" "$TMP/broken.sarif"
ok
if $PY "$SRC/tests/tools/check_schema.py" "$SCHEMA" "$TMP/broken.sarif" >"$TMP/check" 2>&1; then
    fail "a result without a message validates"
else
    grep -q "'message' is a required property" "$TMP/check" || fail "rejection: $(head -c 300 "$TMP/check")"
fi
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b#c#d"
json.dump(d, open(sys.argv[2], "w"))' "$TMP/gap_rel.sarif" "$TMP/broken_uri.sarif"
ok
if $PY "$SRC/tests/tools/check_schema.py" "$SCHEMA" "$TMP/broken_uri.sarif" >"$TMP/check" 2>&1; then
    fail "a URI with spaces validates (format checking is off)"
fi
# Results in a JSON document carry the line and column of their offset
# (code-scanning UIs place results by line); binary files only the offset.
"$BIN" verify --target hf --format sarif "$SRC/examples/tiny-qwen2" >"$TMP/lines.sarif"
ok
$PY - "$TMP/lines.sarif" >"$TMP/cmp" 2>&1 <<'PY' || fail "line/column of JSON findings: $(cat "$TMP/cmp")"
import json, sys
seen = 0
for r in json.load(open(sys.argv[1]))["runs"][0]["results"]:
    pl = r["locations"][0]["physicalLocation"]
    rg, uri = pl.get("region", {}), pl["artifactLocation"]["uri"]
    if "byteOffset" not in rg:
        continue
    if not uri.endswith(".json"):
        assert "startLine" not in rg, r
        continue
    text = open(uri[len("file://"):] if uri.startswith("file://") else uri, "rb").read()
    off = rg["byteOffset"]
    assert rg["startLine"] == text[:off].count(b"\n") + 1, (r, text[:off].count(b"\n") + 1)
    assert rg["startColumn"] == off - (text.rfind(b"\n", 0, off) + 1) + 1, r
    seen += 1
assert seen >= 2, seen
PY
# An input that cannot be read: exit 2, and the log says the run did not succeed.
expect_rc 2 "$BIN" verify --format sarif "$TMP/no-such-file.safetensors" "$SRC/examples/tiny-qwen2"
ok
$PY -c 'import json,sys; i=json.load(open(sys.argv[1]))["runs"][0]["invocations"][0]; assert i["executionSuccessful"] is False and "no-such-file" in i["toolExecutionNotifications"][0]["message"]["text"], i' "$TMP/out" || fail "unreadable input: executionSuccessful not false"
"$PY" "$SRC/tests/tools/check_schema.py" "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/out" "$TMP/lines.sarif" >"$TMP/cmp" 2>&1 || fail "schema: $(cat "$TMP/cmp")"
finish
