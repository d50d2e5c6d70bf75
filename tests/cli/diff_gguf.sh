#!/usr/bin/env bash
# slminspect diff between a GGUF and the checkpoint it came from: tensors
# pair through llama.cpp's name map; what the converter did is undone before
# the values are compared and named as a transformation, not a difference
# (llama's Q/K row permutation; a tied lm_head the converter drops); ggml's
# block types are dequantized.  Expected figures come from ggml
# (tests/corpus/gguf/truth.json), not from slminspect.
. "$(dirname "$0")/lib.bash"
G=$CORPUS/gguf
REF=$CORPUS/qwen2/hf_fp16
expect_rc 1 "$BIN" diff "$REF" "$G/llama-q8_0.gguf" --json
cp "$TMP/out" "$TMP/llama.json"
expect_rc 1 "$BIN" diff "$REF" "$G/qwen2-f16.gguf" --json
cp "$TMP/out" "$TMP/f16.json"
/usr/bin/python3 - "$TMP/llama.json" "$TMP/f16.json" "$G/truth.json" <<'PY' >"$TMP/py" 2>&1 || fail "$(cat "$TMP/py")"
import json, math, sys
llama, f16, truth = (json.load(open(p)) for p in sys.argv[1:4])
bad = 0
def want(c, m):
    global bad
    if not c:
        print(m); bad += 1
# every GGUF tensor in its own pair (not the "shared" entries of equal checkpoint tensors)
t = {x["b"]: x for x in llama["tensors"] if x["a"] and x["b"] and x["content"] != "shared"}
want(len(t) == 8, f"llama: {len(t)} pairs, expected 8")
for w in truth["files"]["llama-q8_0.gguf"]["tensors"]:
    x = t[w["name"]]
    want(x["a"] == w["ref"], f"{w['name']} paired with {x['a']}, truth {w['ref']}")
    if w["type"] == "q8_0":  # quantized: ggml's error, the permutation undone (quant's pairing)
        q = x.get("quantization", {})
        want(x["content"] == "quantized", f"{w['name']}: content {x['content']}")
        want(("permuted" in q.get("transform", "")) == w["permuted"], f"{w['name']}: transform {q.get('transform')}")
        want(math.isclose(q.get("rel_rmse", 0), w["vs_ref"]["rel_rmse"], rel_tol=1e-6),
             f"{w['name']}: rel_rmse {q.get('rel_rmse')}, ggml's {w['vs_ref']['rel_rmse']}")
    else:  # F32 copies of fp16 values (the permuted biases too, paired by llama.cpp's names): equal
        want(x["pairing"] == "llama" and x["content"] == "equal", f"{w['name']}: {x['pairing']} {x['content']}")
        want(("permuted" in x.get("transform", "")) == w["permuted"], f"{w['name']}: transform {x.get('transform')}")
g = {x["b"]: x for x in f16["tensors"] if x["a"] and x["b"]}
want(all(g[n]["content"] == "identical" for n in g if n.endswith("weight") and "norm" not in n), "F16 weights not identical")
sys.exit(1 if bad else 0)
PY
ok

# a checkpoint that saved its tied lm_head: the converter drops it, which is named, not a difference
/usr/bin/python3 - "$REF/model-00001-of-00008.safetensors" "$TMP/tied.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
e = hdr["model.embed_tokens.weight"]
data = raw[8 + n + e["data_offsets"][0]:8 + n + e["data_offsets"][1]]
out = {"model.embed_tokens.weight": dict(e, data_offsets=[0, len(data)]),
       "lm_head.weight": dict(e, data_offsets=[len(data), 2 * len(data)])}
h = json.dumps(out).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(h)) + h + data + data)
PY
expect_rc 1 "$BIN" diff --all "$TMP/tied.safetensors" "$G/qwen2-q4_k_m.gguf"
expect_grep "^  - lm_head.weight .*tied to model.embed_tokens.weight" "$TMP/out"
expect_grep "^  q model.embed_tokens.weight -> token_embd.weight (Q6_K" "$TMP/out"
finish
