#!/usr/bin/env bash
# slminspect hash: a manifest of the corpus (safetensors shards, MLC shards with
# md5sum, ONNX with external data) agrees with Debian's xxhsum and with the
# formats' own tensor tables; it checks clean on a copy; every kind of damage
# to a copy (a flipped byte in a tensor, in a header, in a config; a missing,
# truncated or extra file) and to a manifest (bad JSON, repeated keys, wrong
# types, path traversal) is named with the right rule, file and tensor.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
Q=$CORPUS/qwen2
CHECK_SCHEMA="$PY $SRC/tests/tools/check_schema.py"
S=$SRC/spec/schema
M=$TMP/m.json
NFILES=$(find "$Q" -type f | wc -l)

# json_ok PYTHON-EXPR [FILE]: the expression over the JSON document d (FILE, default $TMP/out) is true.
json_ok() {
    ok
    $PY -c 'import json,sys; d=json.load(open(sys.argv[2])); sys.exit(0 if eval(sys.argv[1]) else 1)' \
        "$1" "${2:-$TMP/out}" || fail "not true: $1 over ${2:-$TMP/out}: $(head -c 600 "${2:-$TMP/out}")"
}
# valid SCHEMA FILE
valid() {
    ok
    $CHECK_SCHEMA "$S/$1" "$2" >"$TMP/schema_check" 2>&1 || fail "$2 does not validate against $1: $(head -c 600 "$TMP/schema_check")"
}
# findings_are 'RULE FILE-SUFFIX [PATH]'...: the --json findings in $TMP/out are exactly these.
findings_are() {
    ok
    $PY - "$TMP/out" "$@" >"$TMP/why" 2>&1 <<'PY' || fail "findings differ: $(cat "$TMP/why")"
import json, sys
d = json.load(open(sys.argv[1]))
got = [(f["rule"], f["file"], f.get("path")) for f in d["findings"]]
want = [w.split(" ", 2) for w in sys.argv[2:]]
def match(g, w):
    return g[0] == w[0] and g[1].endswith("/" + w[1]) and (len(w) < 3 or g[2] == w[2])
left = list(got)
for w in want:
    hit = [g for g in left if match(g, w)]
    if not hit:
        print("missing", w, "in", got); sys.exit(1)
    left.remove(hit[0])
if left:
    print("unexpected", left); sys.exit(1)
PY
}
# flip FILE OFFSET: inverts one byte of FILE in place.
flip() {
    $PY -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xFF]))' "$1" "$2"
}
# fresh_copy: $TMP/copy is a writable copy of the corpus.
fresh_copy() {
    rm -rf "$TMP/copy" && cp -r "$Q" "$TMP/copy" && chmod -R u+w "$TMP/copy"
}

# ---- make: the whole corpus; valid against the schema; --jobs does not change a byte
expect_rc 0 "$BIN" hash -o "$M" "$Q"
ok; [ ! -s "$TMP/out" ] || fail "hash -o printed on stdout"
valid hash-manifest.schema.json "$M"
json_ok 'd["manifest_version"] == 1 and d["algorithm"] == "xxh3-128" and d["tool"].startswith("slminspect ")' "$M"
json_ok '[f["path"] for f in d["files"]] == sorted(f["path"] for f in d["files"])' "$M"
expect_rc 0 "$BIN" hash -o - "$Q"
ok; cmp -s "$TMP/out" "$M" || fail "-o - differs from -o FILE"
for j in 1 2 3; do
    expect_rc 0 "$BIN" hash --jobs "$j" "$Q"
    ok; cmp -s "$TMP/out" "$M" || fail "--jobs $j: the manifest differs from the default one"
done

# ---- file hashes are what Debian's xxhsum -H2 prints
if command -v xxhsum >/dev/null; then
    $PY -c 'import json,sys
for f in json.load(open(sys.argv[1]))["files"]: print(f["xxh3_128"] + "  " + f["path"])' "$M" >"$TMP/ours"
    (cd "$Q" && find . -type f | sed 's#^\./##' | LC_ALL=C sort | xargs xxhsum -H2) >"$TMP/theirs" 2>"$TMP/xxerr"
    ok; [ -s "$TMP/theirs" ] || fail "xxhsum printed nothing: $(head -c 300 "$TMP/xxerr")"
    ok; diff -u "$TMP/theirs" "$TMP/ours" >"$TMP/diff" || fail "file hashes differ from xxhsum -H2: $(head -20 "$TMP/diff")"
elif [ "${SLM_REQUIRE_ORACLE:-0}" = 1 ]; then
    fail "xxhsum (Debian package xxhash) is missing"
else
    echo "xxhsum missing: file hashes not compared with it"
fi

# ---- tensors: the formats' own tables, each range hashed by xxhsum on its own bytes
$PY - "$M" "$Q" "$TMP/slices" >"$TMP/tensors" 2>&1 <<'PY' || fail "tensor tables: $(head -c 800 "$TMP/tensors")"
import json, os, struct, sys
m, root, out = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
files = {f["path"]: f for f in m["files"]}
bad = []
def want(path, table):
    got = sorted((t["name"], t["offset"], t["nbytes"]) for t in files[path].get("tensors", []))
    if got != sorted(table):
        bad.append(f"{path}: manifest tensors {got[:3]}... != format's {sorted(table)[:3]}...")
# safetensors: every tensor of every header, at 8 + header + begin
for p, f in files.items():
    if f["kind"] == "safetensors":
        b = open(os.path.join(root, p), "rb").read()
        n = struct.unpack("<Q", b[:8])[0]
        h = json.loads(b[8:8 + n])
        want(p, [(k, 8 + n + v["data_offsets"][0], v["data_offsets"][1] - v["data_offsets"][0])
                 for k, v in h.items() if k != "__metadata__"])
# MLC: every record at its byteOffset in its shard; the shard's md5sum as the cache records it
for cache in [p for p in files if p.endswith("ndarray-cache.json")]:
    d = os.path.dirname(cache)
    c = json.load(open(os.path.join(root, cache)))
    for s in c["records"]:
        sp = f"{d}/{s['dataPath']}"
        want(sp, [(r["name"], r["byteOffset"], r["nbytes"]) for r in s["records"]])
        if files[sp].get("md5sum") != s["md5sum"].lower():
            bad.append(f"{sp}: md5sum {files[sp].get('md5sum')} != the cache's {s['md5sum']}")
        if files[sp]["kind"] != "mlc-shard":
            bad.append(f"{sp}: kind {files[sp]['kind']}")
# ONNX external data: every external initializer at its offset in the data file (onnx's own reader)
try:
    import onnx
    mod = onnx.load(os.path.join(root, "onnx/model_q4_ext.onnx"), load_external_data=False)
    ext = []
    for t in mod.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            e = {kv.key: kv.value for kv in t.external_data}
            ext.append((t.name, int(e.get("offset", 0)), int(e["length"])))
    if not ext:
        bad.append("model_q4_ext.onnx: onnx lists no external initializers")
    want("onnx/model_q4_ext.onnx_data", ext)
    if files["onnx/model_q4_ext.onnx_data"]["kind"] != "onnx-data":
        bad.append("onnx data kind")
except ImportError:
    print("python3-onnx missing: external data table not compared")
# every tensor range of every file, as its own file for xxhsum
os.makedirs(out)
with open(out + ".list", "w") as lst:
    for p, f in files.items():
        blob = None
        for i, t in enumerate(f.get("tensors", [])):
            if blob is None:
                blob = open(os.path.join(root, p), "rb").read()
            name = f"{out}/{len(os.listdir(out)):05d}"
            open(name, "wb").write(blob[t["offset"]:t["offset"] + t["nbytes"]])
            lst.write(f"{t['xxh3_128']}  {name}\n")
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
if command -v xxhsum >/dev/null; then
    ok; [ "$(wc -l <"$TMP/slices.list")" -gt 200 ] || fail "only $(wc -l <"$TMP/slices.list") tensors in the manifest"
    (cd "$TMP/slices" && ls | xargs xxhsum -H2 | sed "s#  #  $TMP/slices/#") >"$TMP/slices.theirs"
    ok; diff -u "$TMP/slices.theirs" "$TMP/slices.list" >"$TMP/diff" || fail "tensor hashes differ from xxhsum -H2 of their bytes: $(head -10 "$TMP/diff")"
fi
# files without tensors get none: configs, caches, truth files
json_ok 'all("tensors" not in f for f in d["files"] if f["kind"] in ("hf-config", "json", "mlc-config", "mlc-cache", "hf-index"))' "$M"

# ---- clean_copy: a cp -r copy checks clean (text, JSON, SARIF)
fresh_copy
expect_rc 0 "$BIN" hash --check "$M" "$TMP/copy"
expect_grep "^0 error(s), 0 warning(s), 0 info(s); $NFILES file(s)" "$TMP/out"
expect_rc 0 "$BIN" hash --check "$M" "$TMP/copy" --json
valid hash-check.schema.json "$TMP/out"
findings_are
json_ok "d['files_checked'] == $NFILES and d['tensors_listed'] > 200 and d['errors'] == 0 and d['command'] == 'hash'"
expect_rc 0 "$BIN" hash --check "$M" "$TMP/copy" --format sarif
json_ok 'd["version"] == "2.1.0" and d["runs"][0]["results"] == []'
# the manifest inside the folder it describes: the default root, never listed, never unlisted
expect_rc 0 "$BIN" hash -o "$TMP/copy/MANIFEST.json" "$TMP/copy"
expect_rc 0 "$BIN" hash -o "$TMP/copy/MANIFEST.json" "$TMP/copy"   # again: the old one is skipped
json_ok "all(f['path'] != 'MANIFEST.json' for f in d['files']) and len(d['files']) == $NFILES" "$TMP/copy/MANIFEST.json"
expect_rc 0 "$BIN" hash --check "$TMP/copy/MANIFEST.json" --json
findings_are

# ---- flip_tensor: one byte inside a tensor of a safetensors shard, an MLC shard, an ONNX data file
for spec in "hf_fp16/model-00005-of-00008.safetensors 3" "mlc_q4f16_1/params_shard_3.bin 4" \
            "onnx/model_q4_ext.onnx_data 10"; do
    set -- $spec
    read -r name toff off <<<"$($PY -c 'import json,sys
f = [f for f in json.load(open(sys.argv[1]))["files"] if f["path"] == sys.argv[2]][0]
t = f["tensors"][int(sys.argv[3])]
print(t["name"], t["offset"], t["offset"] + t["nbytes"] // 2)' "$M" "$1" "$2")"
    fresh_copy
    flip "$TMP/copy/$1" "$off"
    expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --json
    valid hash-check.schema.json "$TMP/out"
    findings_are "HS-012 $1" "HS-013 $1 $name"
    json_ok "[f['offset'] for f in d['findings'] if f['rule'] == 'HS-013'] == [$toff]"
    expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy"
    expect_grep "HS-013 @[0-9]* $name: tensor '$name'" "$TMP/out"
    expect_grep "1 of [0-9]* tensors differ" "$TMP/out"
done

# ---- flip_header: a byte of a safetensors header (outside every tensor): the file only
fresh_copy
flip "$TMP/copy/hf_fp16/model-00002-of-00008.safetensors" 20
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --json
findings_are "HS-012 hf_fp16/model-00002-of-00008.safetensors"
expect_grep "all 7 tensors match: the bytes that differ lie outside them" "$TMP/out"

# ---- flip_config: a file with no tensors
fresh_copy
flip "$TMP/copy/hf_fp16/config.json" 5
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --json
findings_are "HS-012 hf_fp16/config.json"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy"
expect_grep "^$TMP/copy/hf_fp16/config.json\$" "$TMP/out"
expect_grep "error   HS-012: xxh3-128 is [0-9a-f]\{32\}, the manifest says" "$TMP/out"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --format sarif
cp "$TMP/out" "$TMP/sarif.json"
ok
$CHECK_SCHEMA "$SRC/tests/data/sarif-schema-2.1.0.json" "$TMP/sarif.json" >"$TMP/schema_check" 2>&1 ||
    fail "SARIF output does not validate: $(head -c 600 "$TMP/schema_check")"
json_ok '[r["ruleId"] for r in d["runs"][0]["results"]] == ["HS-012"]' "$TMP/sarif.json"

# ---- missing_file, truncated, extra_file
fresh_copy
rm "$TMP/copy/hf_fp16/model-00003-of-00008.safetensors"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --json
findings_are "HS-010 hf_fp16/model-00003-of-00008.safetensors"
fresh_copy
truncate -s -1000 "$TMP/copy/onnx/model_q4_ext.onnx_data"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --json
last=$($PY -c 'import json,sys
f = [f for f in json.load(open(sys.argv[1]))["files"] if f["path"] == "onnx/model_q4_ext.onnx_data"][0]
print(f["tensors"][-1]["name"])' "$M")
findings_are "HS-011 onnx/model_q4_ext.onnx_data" "HS-013 onnx/model_q4_ext.onnx_data $last"
expect_grep "lies past the end of the copy" "$TMP/out"
fresh_copy
echo extra >"$TMP/copy/mlc_q4f16_1/notes.txt"
expect_rc 0 "$BIN" hash --check "$M" "$TMP/copy" --json
findings_are "HS-014 mlc_q4f16_1/notes.txt"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --strict
expect_grep "warning HS-014" "$TMP/out"
expect_rc 1 "$BIN" hash --check "$M" "$TMP/copy" --fail-on warning -q
ok; [ ! -s "$TMP/out" ] || fail "-q printed something"

# ---- manifests edited by hand: each damage its rule, the rest still checked
fresh_copy
# edit PYTHON: $TMP/edit.json is the manifest after PYTHON (over d, the parsed manifest).
edit() {
    $PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(d, open(sys.argv[3], "w"), indent=1)' "$M" "$1" "$TMP/edit.json"
}
# traversal: the entries are dropped and never read (a file with the right hash sits there)
cp "$Q/hf_fp16/config.json" "$TMP/outside.json"
edit 'c = dict(d["files"][0]); d["files"] += [dict(c, path="../outside.json"), dict(c, path="/etc/hostname"), dict(c, path="hf_fp16/./config.json"), dict(c, path="a//b")]'
expect_rc 1 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
valid hash-check.schema.json "$TMP/out"
json_ok "sorted(f['path'] for f in d['findings']) == ['/files/%d/path' % i for i in range($NFILES, $NFILES + 4)] and {f['rule'] for f in d['findings']} == {'HS-004'} and d['files_checked'] == $NFILES"
expect_grep "'..' part; it is not read" "$TMP/out"
# bad_json: cut short
head -c 500 "$M" >"$TMP/cut.json"
expect_rc 1 "$BIN" hash --check "$TMP/cut.json" "$TMP/copy" --json
json_ok '[f["rule"] for f in d["findings"]] == ["HS-001"] and d["findings"][0]["offset"] == 500'
mkdir "$TMP/g" && printf "not json" >"$TMP/g/garbage.json"
expect_rc 1 "$BIN" hash --check "$TMP/g/garbage.json"
expect_grep "HS-001 @0" "$TMP/out"
: >"$TMP/empty.json"
expect_rc 1 "$BIN" hash --check "$TMP/empty.json" "$TMP/copy"
expect_grep "HS-001" "$TMP/out"
# dup_key: a file entry with two hashes (which one is certified?), and the top level
sed '0,/"xxh3_128":/s//"xxh3_128": "00000000000000000000000000000000", "xxh3_128":/' "$M" >"$TMP/dup.json"
expect_rc 1 "$BIN" hash --check "$TMP/dup.json" "$TMP/copy" --json
findings_are "HS-003 dup.json /files/0/xxh3_128"
sed '0,/"files":/s//"files": [], "files":/' "$M" >"$TMP/dup2.json"
expect_rc 1 "$BIN" hash --check "$TMP/dup2.json" "$TMP/copy" --json
findings_are "HS-003 dup2.json /files"
# wrong_types: each with its JSON path; the other entries are still checked
edit 'd["files"][0]["size"] = "786"; d["files"][1]["size"] = 1.5; d["files"][2]["xxh3_128"] = "abc"; d["files"][3]["tensors"][0]["offset"] = -1; d["files"][4]["tensors"] = {}; d["files"][5]["path"] = 7; d["files"][6]["tensors"][0]["nbytes"] = 10**9; d["files"].append(d["files"][7]); d["files"][8]["md5sum"] = "xyz"; d["files"][9] = []'
expect_rc 1 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
findings_are "HS-002 edit.json /files/0/size" "HS-002 edit.json /files/1/size" "HS-002 edit.json /files/2/xxh3_128" \
    "HS-002 edit.json /files/3/tensors/0/offset" "HS-002 edit.json /files/4/tensors" "HS-002 edit.json /files/5/path" \
    "HS-002 edit.json /files/6/tensors/0" "HS-002 edit.json /files/$NFILES" "HS-002 edit.json /files/8/md5sum" \
    "HS-002 edit.json /files/9" "HS-014 hf_fp16/model-00004-of-00008.safetensors" \
    "HS-014 hf_fp16/model-00008-of-00008.safetensors"
# digests are lowercase, as xxhsum prints them
edit 'd["files"][0]["xxh3_128"] = d["files"][0]["xxh3_128"].upper()'
expect_rc 1 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
findings_are "HS-002 edit.json /files/0/xxh3_128"
# an offset beyond 2^64 is not rounded into range
sed '0,/"offset":\t[0-9]*/s//"offset":\t18446744073709551616/' "$M" >"$TMP/big.json"
expect_rc 1 "$BIN" hash --check "$TMP/big.json" "$TMP/copy" --json
json_ok 'len(d["findings"]) == 1 and d["findings"][0]["rule"] == "HS-002" and "2^64" in d["findings"][0]["message"]'
# overlapping tensors in a manifest
edit 't = d["files"][3]["tensors"]; t[1]["offset"] = t[0]["offset"] + 1'
expect_rc 1 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
json_ok '[f["rule"] for f in d["findings"]] == ["HS-002"] and "overlaps" in d["findings"][0]["message"]'
# the top level: each makes the manifest unusable
for bad in 'd["manifest_version"] = 2' 'd["algorithm"] = "md5"' 'd["files"] = {}' 'del d["files"]' 'd = [d]'; do
    edit "$bad"
    expect_rc 1 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
    json_ok '[f["rule"] for f in d["findings"]] == ["HS-002"] and d["files_checked"] == 0'
done
# unknown members are ignored (later versions may add them)
edit 'd["comment"] = "x"; d["files"][0]["mtime"] = 1'
expect_rc 0 "$BIN" hash --check "$TMP/edit.json" "$TMP/copy" --json
findings_are

# ---- several PATHs: each prefixed by its name; a single file: its name
expect_rc 0 "$BIN" hash "$Q/hf_fp16" "$Q/mlc_q4f16_1/" "$Q/onnx/model_q4_ext.onnx"
cp "$TMP/out" "$TMP/multi.json"
json_ok '{f["path"].split("/")[0] for f in d["files"]} == {"hf_fp16", "mlc_q4f16_1", "model_q4_ext.onnx"} and len(d["files"]) == 11 + 9 + 1'
json_ok '[len(f["tensors"]) for f in d["files"] if f["path"] == "model_q4_ext.onnx"] == [16]'
mkdir "$TMP/multi" && cp -r "$Q/hf_fp16" "$Q/mlc_q4f16_1" "$Q/onnx/model_q4_ext.onnx" "$TMP/multi/"
expect_rc 0 "$BIN" hash --check "$TMP/multi.json" "$TMP/multi" --json
findings_are
json_ok 'd["files_checked"] == 21'
expect_rc 0 "$BIN" hash "$Q/hf_fp32_single/model.safetensors"
json_ok '[f["path"] for f in d["files"]] == ["model.safetensors"] and len(d["files"][0]["tensors"]) == 26'
expect_rc 2 "$BIN" hash "$Q/hf_fp16" "$Q/hf_fp16/"
expect_grep "same name" "$TMP/err"

# ---- usage and unreadable input: exit 2
expect_rc 2 "$BIN" hash
expect_grep "no PATH" "$TMP/err"
expect_rc 2 "$BIN" hash --jobs 0 "$Q/hf_fp16"
expect_rc 2 "$BIN" hash --jobs x "$Q/hf_fp16"
expect_rc 2 "$BIN" hash --json "$Q/hf_fp16"
expect_rc 2 "$BIN" hash --check "$M" -o "$TMP/x.json"
expect_rc 2 "$BIN" hash --check "$M" "$TMP/copy" "$TMP/copy"
expect_rc 2 "$BIN" hash --check "$TMP/nowhere.json"
expect_grep "No such file" "$TMP/err"
expect_rc 2 "$BIN" hash --check "$M" "$TMP/nowhere"
expect_rc 2 "$BIN" hash --check "$M" "$TMP/nowhere" --format sarif
json_ok 'd["runs"][0]["invocations"][0]["executionSuccessful"] is False'
expect_rc 2 "$BIN" hash "$TMP/nowhere"
expect_rc 2 "$BIN" hash --format yaml --check "$M"
expect_rc 2 "$BIN" hash -o "$TMP/no/such/dir/m.json" "$Q/hf_fp16"
expect_rc 0 "$BIN" hash --help
expect_grep "usage: slminspect hash" "$TMP/out"
expect_grep "xxhsum -H2" "$TMP/out"
expect_rc 0 "$BIN" help hash
expect_grep "--check MANIFEST" "$TMP/out"
finish
