#!/usr/bin/env bash
# slminspect quant on the GGUF files ggml wrote (tests/corpus/gguf): every
# tensor of every file is paired through llama.cpp's name map with the
# checkpoint tensor truth.json names (the llama file's Q/K permutation
# undone), and its metrics equal ggml's own dequantization error recorded in
# truth.json to 1e-6 relative (nothing is written here but the tolerance);
# lossless F16 copies are counted, not listed; --map still wins; a type
# slminspect does not decode is named (QT-010), not measured.
. "$(dirname "$0")/lib.bash"
G=$CORPUS/gguf
REF=$CORPUS/qwen2/hf_fp16
for f in "$G"/*.gguf; do
    expect_rc 0 "$BIN" quant "$f" --ref "$REF" --json
    cp "$TMP/out" "$TMP/$(basename "$f").json"
done
/usr/bin/python3 - "$G/truth.json" "$TMP" <<'PY' >"$TMP/py" 2>&1 || fail "$(cat "$TMP/py")"
import json, math, os, sys
truth = json.load(open(sys.argv[1]))
bad = n = 0
for f, spec in truth["files"].items():
    out = json.load(open(os.path.join(sys.argv[2], f + ".json")))
    got = {t["name"]: t for t in out["tensors"]}
    lossless = 0
    for w in spec["tensors"]:
        if w["type"] == "f32":
            continue
        if w["type"] == "f16":  # of an fp16 reference: an exact copy, counted as lossless
            lossless += 1
            if w["name"] in got:
                print(f"{f}: {w['name']} (F16 of F16) is listed"); bad += 1
            continue
        t = got.get(w["name"])
        if t is None:
            print(f"{f}: {w['name']} not in the report"); bad += 1; continue
        n += 1
        if t["ref"] != w["ref"] or t["ggml_type"].lower() != w["type"].lower():
            print(f"{f}: {w['name']} paired with {t['ref']} as {t['ggml_type']}, truth {w['ref']} {w['type']}"); bad += 1
        if w["permuted"] != t["ref_transform"].startswith("rows permuted"):
            print(f"{f}: {w['name']}: transform '{t['ref_transform']}', permuted {w['permuted']}"); bad += 1
        for k in ("max_abs_err", "mean_abs_err", "rmse", "ref_rms", "rel_rmse", "cosine", "sqnr_db"):
            a, b = t[k], w["vs_ref"][k]
            if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12):
                print(f"{f}: {w['name']} {k} = {a}, ggml's {b}"); bad += 1
    if out["summary"]["lossless"] != lossless:
        print(f"{f}: lossless {out['summary']['lossless']}, expected {lossless}"); bad += 1
print(f"{n} tensors measured")
sys.exit(1 if bad or n < 60 else 0)
PY
ok

# --map wins over the name map: attn_q paired with k_proj's rows fails the shape check
echo '{"blk.0.attn_q.weight": "model.layers.0.self_attn.k_proj.weight"}' >"$TMP/map.json"
expect_rc 1 "$BIN" quant "$G/qwen2-q8_0.gguf" --ref "$REF" --map "$TMP/map.json" --json
expect_grep '"QT-009"' "$TMP/out"

# a type slminspect does not decode is named, never measured: attn_q's Q3_K
# relabelled IQ3_S (the same 110 bytes per 256 elements: the file stays valid)
/usr/bin/python3 - "$G/qwen2-q3_k.gguf" "$TMP/iq3.gguf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
name = b"blk.0.attn_q.weight"
i = data.index(len(name).to_bytes(8, "little") + name) + 8 + len(name)
at = i + 4 + 8 * int.from_bytes(data[i:i + 4], "little")
assert int.from_bytes(data[at:at + 4], "little") == 11  # Q3_K
data[at:at + 4] = (21).to_bytes(4, "little")  # IQ3_S
open(sys.argv[2], "wb").write(data)
PY
expect_rc 0 "$BIN" quant "$TMP/iq3.gguf" --ref "$REF" --json
expect_grep '"QT-010"' "$TMP/out"
expect_grep "'blk.0.attn_q.weight' is IQ3_S, which slminspect does not decode" "$TMP/out"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(any(t["name"]=="blk.0.attn_q.weight" for t in d["tensors"]) or len(d["tensors"])!=3)' "$TMP/out" || fail "IQ3_S: measured, or the other three not"
ok

# a NaN block scale (QT-002), read from inside ggml's blocks: attn_q's first Q4_0 block, d = NaN
/usr/bin/python3 - "$G/qwen2-q4_0.gguf" "$TMP/nan.gguf" "$G/truth.json" <<'PY'
import json, sys
data = bytearray(open(sys.argv[1], "rb").read())
t = [x for x in json.load(open(sys.argv[3]))["files"]["qwen2-q4_0.gguf"]["tensors"] if x["name"] == "blk.0.attn_q.weight"][0]
data[t["offset"]:t["offset"] + 2] = (0x7e00).to_bytes(2, "little")
open(sys.argv[2], "wb").write(data)
PY
expect_rc 1 "$BIN" quant "$TMP/nan.gguf" --ref "$REF"
expect_grep "QT-002 .*blk.0.attn_q.weight: 'blk.0.attn_q.weight': 1 of 2048 scales" "$TMP/out"

echo "$CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
