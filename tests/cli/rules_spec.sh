#!/usr/bin/env bash
# The rules in the code, in spec/ and in the tests agree: every rule has one
# spec row with its severity and exact title, every spec row names a rule,
# every rule ID appears in a test.
. "$(dirname "$0")/lib.bash"
"$BIN" rules --json >"$TMP/rules.json" || fail "slminspect rules --json failed"
/usr/bin/python3 - "$TMP/rules.json" "$SRC" >"$TMP/report" 2>&1 <<'PY'
import json, os, re, sys
rules = {r["id"]: r for r in json.load(open(sys.argv[1]))}
src = sys.argv[2]
rows, problems = {}, []
row = re.compile(r"^\|\s*([A-Z]+-\d+)\s*\|\s*(error|warning|info)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")
for name in sorted(os.listdir(os.path.join(src, "spec"))):
    if not name.endswith(".md"):
        continue
    for n, line in enumerate(open(os.path.join(src, "spec", name), encoding="utf-8"), 1):
        m = row.match(line)
        if not m:
            continue
        rid, sev, title, source, test = m.groups()
        if rid in rows:
            problems.append(f"{rid}: two spec rows ({rows[rid][0]} and {name}:{n})")
        rows[rid] = (f"{name}:{n}", sev, title.replace("\\|", "|"), source, test)
for rid, r in rules.items():
    if rid not in rows:
        problems.append(f"{rid}: no row in spec/")
        continue
    where, sev, title, source, test = rows[rid]
    if sev != r["severity"]:
        problems.append(f"{rid}: spec says {sev}, code says {r['severity']} ({where})")
    if title != r["title"]:
        problems.append(f"{rid}: spec title '{title}' != code title '{r['title']}' ({where})")
    if not source or not test:
        problems.append(f"{rid}: spec row lacks a source or a test ({where})")
for rid in rows:
    if rid not in rules:
        problems.append(f"{rid}: spec row names no rule of the code ({rows[rid][0]})")
# every rule ID is named in a test source
texts = []
for d in ("tests", "fuzz"):
    for dirpath, dirnames, files in os.walk(os.path.join(src, d)):
        if "golden" in dirpath or "node_modules" in dirpath:
            continue
        for f in files:
            if f.endswith((".c", ".h", ".sh", ".py", ".js", ".mjs")):
                texts.append(open(os.path.join(dirpath, f), encoding="utf-8", errors="replace").read())
blob = "\n".join(texts)
for rid in rules:
    if not re.search(r"\b" + re.escape(rid) + r"\b", blob):
        problems.append(f"{rid}: no test names it")
for p in problems:
    print(p)
print(f"{len(rules)} rules, {len(rows)} spec rows, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
rc=$?
cat "$TMP/report"
ok
[ $rc = 0 ] || fail "rules, spec and tests disagree"
finish
