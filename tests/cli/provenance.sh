#!/usr/bin/env bash
# The repository stands alone: tests/corpus/PROVENANCE.md names every file of
# the corpus; no committed file refers to a folder beside the checkout; no
# committed file holds the absolute path of a machine its data was made on
# (torch's exporter writes the exporting script's path into node metadata:
# the corpus carries the neutral /home/user/export/ path of the same length).
. "$(dirname "$0")/lib.bash"
cd "$SRC" || { fail "no source tree $SRC"; finish; exit; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z >"$TMP/files"
else
    find . -path ./.git -prune -o -path './build*' -prune -o -name node_modules -prune -o -type f -print0 |
        sed -z 's#^\./##' >"$TMP/files"
fi
/usr/bin/python3 - "$TMP/files" <<'PY' >"$TMP/report" 2>&1
import fnmatch, os, re, sys
files = [f for f in open(sys.argv[1], "rb").read().decode().split("\0") if f]
problems = []

# 1. PROVENANCE.md covers every corpus file: its name, or a `pattern` in it.
prov = open("tests/corpus/PROVENANCE.md", encoding="utf-8").read()
def braces(t):  # `a-{x,y}.gguf` names a-x.gguf and a-y.gguf
    m = re.search(r"\{([^{}]*)\}", t)
    return [u for alt in m.group(1).split(",") for u in braces(t[:m.start()] + alt + t[m.end():])] if m else [t]
ticked = [u for t in re.findall(r"`([^`\s]+)`", prov) for u in braces(t)]
for f in files:
    if not f.startswith("tests/corpus/") or f == "tests/corpus/PROVENANCE.md":
        continue
    rel, base = f[len("tests/corpus/"):], os.path.basename(f)
    if not any(t in (f, rel, base) or rel.endswith("/" + t) or fnmatch.fnmatch(base, t)
               or fnmatch.fnmatch(rel, "*" + t) for t in ticked):
        problems.append(f"{f}: not named in tests/corpus/PROVENANCE.md")

# 2. Nothing refers to a folder beside the checkout, or to the old variable.
beside = re.compile(rb"\.\./" + b"shared" + rb"|SLM_" + b"SHARED")
# 3. No machine's absolute path: the exporting script behind any path but the
#    neutral one, or the folders the data was made in.
script = re.compile(rb"(/[\w.!-]+)+/gen_corpus\w*\.py")
machine = re.compile(rb"/work/" + b"steering|/root/" + b"work/")
for f in files:
    try:
        data = open(f, "rb").read()
    except OSError as e:
        problems.append(f"{f}: unreadable: {e}")
        continue
    if f != "tests/cli/provenance.sh" and beside.search(data):
        problems.append(f"{f}: refers to a folder outside the checkout")
    for m in script.finditer(data):
        if not re.match(rb"/home/user!?/export/", m.group(0)):
            problems.append(f"{f}: absolute path {m.group(0)[:80]!r} @{m.start()}")
            break
    m = machine.search(data)
    if m:
        problems.append(f"{f}: a machine's path @{m.start()}")
print(f"{len(files)} files checked")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
PY
rc=$?
ok
[ $rc = 0 ] || fail "$(grep FAIL "$TMP/report" | head -20)"
expect_grep "files checked" "$TMP/report"
finish
