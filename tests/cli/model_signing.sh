#!/usr/bin/env bash
# OpenSSF model signing (spec/hash.md "model_signing"): hash --format in-toto
# against an independent implementation of model_signing's files
# serialization (Python's pathlib order, hashlib) and against the golden
# digests of model_signing's own test data; hash --check on bundles built
# here from such statements, then altered one way at a time.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3

# bundle STATEMENT OUT: a Sigstore bundle v0.3 whose DSSE envelope carries STATEMENT (unsigned).
bundle() {
    "$PY" - "$1" "$2" <<'PY'
import base64, json, sys
payload = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
json.dump({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
           "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
           "dsseEnvelope": {"payload": payload, "payloadType": "application/vnd.in-toto+json",
                            "signatures": [{"sig": "", "keyid": ""}]}}, open(sys.argv[2], "w"))
PY
}
# edit BUNDLE PYTHON: rewrites the statement inside BUNDLE with PYTHON (s is the statement).
edit() {
    "$PY" - "$1" "$2" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
s = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
exec(sys.argv[2])
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(s).encode()).decode()
json.dump(b, open(sys.argv[1], "w"))
PY
}

# 1. model_signing's golden values: its test data scripts/tests/v1.1.0-elliptic-key holds
#    signme-1 ("signme-1\n") and signme-2 ("signme-2"); its model.sig records these digests.
G=$TMP/v1.1.0-elliptic-key
mkdir -p "$G"
printf 'signme-1\n' >"$G/signme-1"
printf 'signme-2' >"$G/signme-2"
expect_rc 0 "$BIN" hash --format in-toto "$G"
cp "$TMP/out" "$TMP/golden.json"
"$PY" - "$TMP/golden.json" >"$TMP/report" 2>&1 <<'PY' || fail "golden statement: $(cat "$TMP/report")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["_type"] == "https://in-toto.io/Statement/v1", s["_type"]
assert s["predicateType"] == "https://model_signing/signature/v1.0"
assert s["subject"] == [{"name": "v1.1.0-elliptic-key", "digest": {
    "sha256": "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"}}], s["subject"]
assert s["predicate"]["resources"] == [
    {"name": "signme-1", "algorithm": "sha256", "digest": "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc"},
    {"name": "signme-2", "algorithm": "sha256", "digest": "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028"}]
ser = s["predicate"]["serialization"]
assert ser["method"] == "files" and ser["hash_type"] == "sha256" and ser["allow_symlinks"] is False, ser
PY
ok

# 2. A folder whose byte order and path order differ, hidden files, UTF-8 names,
#    ignored paths, against an independent implementation of the files serialization.
M=$TMP/model
mkdir -p "$M/a" "$M/.git" "$M/sub/deep" "$M/.github/workflows"
printf 'b' >"$M/a/b"; printf 'a-c' >"$M/a-c"; printf 'ab' >"$M/ab"; printf '' >"$M/empty"
printf 'h' >"$M/.hidden"; printf 'e' >"$M/été.txt"; printf 'x' >"$M/.git/config"
printf 'w' >"$M/.github/workflows/ci.yml"; printf 'sig' >"$M/model.sig"; printf 'd' >"$M/sub/deep/x.bin"
cp "$CORPUS/qwen2/hf_fp32_single/model.safetensors" "$M/sub/model.safetensors"
expect_rc 0 "$BIN" hash --format in-toto -o "$TMP/model.json" "$M"
"$PY" - "$M" "$TMP/model.json" >"$TMP/report" 2>&1 <<'PY' || fail "statement differs from the files serialization: $(cat "$TMP/report")"
import hashlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
ignore = [root / p for p in (".git", ".gitattributes", ".github", ".gitignore", "model.sig")]
files = sorted(p.relative_to(root) for p in root.glob("**/*")
               if p.is_file() and not any(p.is_relative_to(i) for i in ignore))
want = [{"name": str(p), "algorithm": "sha256", "digest": hashlib.sha256((root / p).read_bytes()).hexdigest()}
        for p in files]
top = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in want)).hexdigest()
s = json.load(open(sys.argv[2]))
got = s["predicate"]["resources"]
assert [r["name"] for r in got] == [r["name"] for r in want], ([r["name"] for r in got], [r["name"] for r in want])
assert got == want
assert s["subject"] == [{"name": "model", "digest": {"sha256": top}}], (s["subject"], top)
names = [r["name"] for r in got]
assert names.index("a/b") < names.index("a-c"), names  # component order, not byte order
assert ".hidden" in names and "été.txt" in names and "model.sig" not in names
PY
ok

# 3. A single file: one resource named ".", the subject named as the file.
expect_rc 0 "$BIN" hash --format in-toto "$M/a-c"
"$PY" -c 'import hashlib, json, sys
s = json.load(open(sys.argv[1])); d = hashlib.sha256(b"a-c").hexdigest()
assert s["predicate"]["resources"] == [{"name": ".", "algorithm": "sha256", "digest": d}], s
assert s["subject"][0] == {"name": "a-c", "digest": {"sha256": hashlib.sha256(bytes.fromhex(d)).hexdigest()}}, s' \
    "$TMP/out" 2>"$TMP/report" || fail "single file: $(cat "$TMP/report")"
ok
expect_rc 2 "$BIN" hash --format in-toto "$M" "$G"
expect_rc 2 "$BIN" hash --format in-toto --check "$TMP/x" "$M"

# 4. --check on a bundle of that statement (the bundle inside the model: never a resource).
bundle "$TMP/model.json" "$M/model.sig"
expect_rc 0 "$BIN" hash --check "$M/model.sig"
expect_rc 0 "$BIN" hash --check "$M/model.sig" --json
expect_grep '"manifest_kind":	"model_signing"' "$TMP/out"
expect_grep '"files_checked":	8' "$TMP/out"
ok; "$PY" "$SRC/tests/tools/check_schema.py" "$SRC/spec/schema/hash-check.schema.json" "$TMP/out" >"$TMP/report" 2>&1 ||
    fail "hash --check --json of a bundle does not follow its schema: $(cat "$TMP/report")"
# the golden folder against a bundle of its statement, given PATH
bundle "$TMP/golden.json" "$TMP/golden.sig"
expect_rc 0 "$BIN" hash --check "$TMP/golden.sig" "$G"

# One change at a time, each named by its rule.
case_rc() { # NAME RULE RC CMD...: CMD exits RC and names RULE
    local name=$1 rule=$2 rc=$3
    shift 3
    expect_rc "$rc" "$@"
    ok
    grep -q "$rule" "$TMP/out" || fail "$name: $rule not reported: $(head -c 600 "$TMP/out")"
}
cp -r "$M" "$TMP/m2"
printf 'B' >"$TMP/m2/a/b"
case_rc flip_file HS-012 1 "$BIN" hash --check "$TMP/m2/model.sig"
expect_grep "$(printf 'B' | sha256sum | cut -c1-64)" "$TMP/out"
rm "$TMP/m2/sub/deep/x.bin"
case_rc missing_file HS-010 1 "$BIN" hash --check "$TMP/m2/model.sig"
printf 'new' >"$TMP/m2/new.txt"
case_rc extra_file HS-034 1 "$BIN" hash --check "$TMP/m2/model.sig" --format sarif
ok; "$PY" "$SRC/tests/tools/check_schema.py" "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/out" >"$TMP/report" 2>&1 ||
    fail "the SARIF log of a bundle check is not SARIF 2.1.0: $(cat "$TMP/report")"
expect_grep '"ruleId":	"HS-034"' "$TMP/out"
expect_grep '"ruleId":	"HS-012"' "$TMP/out"
# --ignore (model_signing's --ignore-paths): as a path inside the model, or relative to it.
# As in model_signing verify, a path the signature lists stays required (ignoring it makes it missing).
expect_rc 1 "$BIN" hash --check "$TMP/m2/model.sig" --ignore "$TMP/m2/new.txt"
ok; ! grep -q HS-034 "$TMP/out" || fail "--ignore as a path inside the model: new.txt still reported"
expect_grep HS-012 "$TMP/out"
mkdir -p "$TMP/m4" && cp -r "$M/." "$TMP/m4/" && mkdir -p "$TMP/m4/cache" && printf 'x' >"$TMP/m4/cache/tmp.bin"
expect_rc 1 "$BIN" hash --check "$TMP/m4/model.sig"
expect_grep HS-034 "$TMP/out"
expect_rc 0 "$BIN" hash --check "$TMP/m4/model.sig" --ignore cache
expect_rc 1 "$BIN" hash --check "$TMP/m4/model.sig" --ignore cache --ignore a/b
expect_grep "HS-010.*'a/b' is in the signature but not in the model" "$TMP/out"
expect_rc 2 "$BIN" hash --check "$TMP/manifest-not-there.json" --ignore x
"$BIN" hash -o "$TMP/slm-manifest.json" "$G" 2>/dev/null
expect_rc 2 "$BIN" hash --check "$TMP/slm-manifest.json" "$G" --ignore signme-1
expect_rc 2 "$BIN" hash --ignore x "$G"
# ... and when making a statement: left out, and recorded
expect_rc 0 "$BIN" hash --format in-toto --ignore "$M/sub" --ignore ./ab "$M"
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1])); names = [r["name"] for r in s["predicate"]["resources"]]
assert not any(n.startswith("sub/") or n == "ab" for n in names), names
assert s["predicate"]["serialization"]["ignore_paths"][-2:] == ["sub", "ab"], s["predicate"]["serialization"]' \
    "$TMP/out" 2>"$TMP/report" || fail "--ignore when making: $(cat "$TMP/report")"
ok
cp -r "$M" "$TMP/m3"
printf 'ignored' >"$TMP/m3/.git/HEAD"          # under an ignored path: still clean
expect_rc 0 "$BIN" hash --check "$TMP/m3/model.sig"
ln -s a-c "$TMP/m3/link"
case_rc symlink HS-035 1 "$BIN" hash --check "$TMP/m3/model.sig"

# The statement altered.
alter() { # NAME RULE PYTHON
    cp "$M/model.sig" "$TMP/$1.sig"
    edit "$TMP/$1.sig" "$3"
    case_rc "$1" "$2" 1 "$BIN" hash --check "$TMP/$1.sig" "$M"
}
alter edited_resource HS-032 's["predicate"]["resources"][0]["digest"] = "00" * 32'
alter two_subjects HS-031 's["subject"].append(s["subject"][0])'
alter shards HS-033 's["predicate"]["serialization"]["method"] = "shards"'
alter blake3 HS-033 's["predicate"]["serialization"]["hash_type"] = "blake3"'
alter traversal HS-031 's["predicate"]["resources"][0]["name"] = "../etc/passwd"'
alter predicate HS-031 's["predicateType"] = "https://example.com/other"'
# allow_symlinks: the link is then a resource it does not list
cp "$M/model.sig" "$TMP/allow_symlinks.sig"
edit "$TMP/allow_symlinks.sig" 's["predicate"]["serialization"]["allow_symlinks"] = True'
case_rc allow_symlinks HS-034 1 "$BIN" hash --check "$TMP/allow_symlinks.sig" "$TMP/m3"
expect_grep "'link' is in the model" "$TMP/out"
# The v0.2 predicate: every file a subject.
alter v01 HS-010 's["predicateType"] = "https://model_signing/Digests/v0.1"; s["subject"] = [{"name": r["name"], "digest": {"sha256": r["digest"]}} for r in s["predicate"]["resources"]] + [{"name": "gone", "digest": {"sha256": "00" * 32}}]'

# The bundle broken.
cp "$M/model.sig" "$TMP/b64.sig"
"$PY" -c 'import json, sys; b = json.load(open(sys.argv[1])); b["dsseEnvelope"]["payload"] = "!!!"; json.dump(b, open(sys.argv[1], "w"))' "$TMP/b64.sig"
case_rc bad_base64 HS-030 1 "$BIN" hash --check "$TMP/b64.sig" "$M"
printf '{"dsseEnvelope": {"payloadType": "text/plain", "payload": ""}}' >"$TMP/type.sig"
case_rc payload_type HS-030 1 "$BIN" hash --check "$TMP/type.sig" "$M"
printf '{"dsseEnvelope": ' >"$TMP/cut.sig"
case_rc truncated HS-030 1 "$BIN" hash --check "$TMP/cut.sig" "$M"
finish
