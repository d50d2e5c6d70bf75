#!/usr/bin/env bash
# verify --stats through the command (issue 14): a checkpoint of F16, BF16,
# F32 and F64 tensors with NaN payloads, infinities, values at fp16's limits
# and subnormals, long enough for the SIMD kernels and their tails.  Python
# (numpy) counts what each tensor holds, independently; the findings must
# say exactly that, and be the same on one thread and on several (--jobs).
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
D=$TMP/ck
mkdir -p "$D"
$PY - "$D" >"$TMP/expected" <<'PY' || fail "could not write the checkpoint"
import json, struct, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(2026)
np.seterr(over="ignore")  # 1e6 and the like become Inf in F16: meant
special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 65504.0, -65504.0, 65519.0, 65520.0, -65520.0,
                    1e6, 2.0**-24, 2.0**-25, -(2.0**-25), 2.0**-25 * 1.0000001, 2.0**-26, 1e-30, 1e-40, 1.0, -3.5])
def make(n, dtype):
    v = rng.standard_normal(n) * 0.1
    pick = rng.random(n) < 0.2
    v[pick] = special[rng.integers(0, len(special), pick.sum())]
    return v.astype(dtype)
tensors = []
for i, (dt, n) in enumerate([("F64", 515), ("F32", 4099), ("F32", 70000), ("F16", 1003), ("BF16", 2055), ("F16", 9)]):  # aligned offsets
    if dt == "BF16":
        f = make(n, np.float32)
        f.view(np.uint32)[np.isnan(f)] |= np.uint32(0x7fc00000)  # a NaN survives the cut to 16 bits
        raw = (f.view(np.uint32) >> 16).astype(np.uint16)
        vals = (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        data = raw.tobytes()
    else:
        a = make(n, {"F16": np.float16, "F32": np.float32, "F64": np.float64}[dt])
        # NaN payloads: random mantissa bits (at least the quiet bit stays set)
        u = a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])
        nans = np.isnan(a)
        u[nans] |= rng.integers(0, 1 << {2: 9, 4: 22, 8: 51}[a.itemsize], nans.sum()).astype(u.dtype)
        vals = a.astype(np.float64)
        data = a.tobytes()
    tensors.append((f"t{i}", dt, n, data, vals))
hdr, off = {}, 0
for name, dt, n, data, _ in tensors:
    hdr[name] = {"dtype": dt, "shape": [n], "data_offsets": [off, off + len(data)]}
    off += len(data)
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
with open(f"{out}/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for t in tensors:
        f.write(t[3])
for name, dt, n, _, v in tensors:
    nan, inf = int(np.isnan(v).sum()), int(np.isinf(v).sum())
    fin = v[np.isfinite(v)]
    over = int((np.abs(fin) >= 65520).sum())
    under = int(((fin != 0) & (np.abs(fin) <= 2.0**-25)).sum())
    wide = dt != "F16"
    if nan or inf:
        print(f"ST-201 tensor '{name}' has {nan} NaN and {inf} Inf of {n} values")
    if wide and over:
        print(f"ST-202 tensor '{name}': {over} values beyond fp16's range")
    if wide and under:
        print(f"ST-203 tensor '{name}': {under} non-zero values become zero in fp16")
PY
ok; [ -s "$TMP/expected" ] || fail "nothing expected: the generator is broken"
for j in 1 3; do
    expect_rc 1 "$BIN" verify --stats --fp16 --json --jobs $j "$D/model.safetensors"
    cp "$TMP/out" "$TMP/j$j.json"
done
ok; cmp -s "$TMP/j1.json" "$TMP/j3.json" || fail "--jobs 1 and --jobs 3 differ: $(diff "$TMP/j1.json" "$TMP/j3.json" | head -5)"
$PY - "$TMP/j1.json" "$TMP/expected" >"$TMP/cmp" <<'PY'
import json, sys
got = [f"{f['rule']} {f['message']}" for f in json.load(open(sys.argv[1]))["findings"]]
want = open(sys.argv[2]).read().splitlines()
bad = [f"missing: {w}" for w in want if not any(g.startswith(w) for g in got)]
bad += [f"unexpected: {g}" for g in got if not any(g.startswith(w) for w in want)]
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
ok; [ "$(cat "$TMP/cmp")" = ok ] || fail "findings differ from numpy's counts: $(cat "$TMP/cmp")"
expect_grep "^ST-201 tensor 't2'" "$TMP/expected"
expect_grep "^ST-202 tensor 't2'" "$TMP/expected"
expect_grep "^ST-203 tensor 't1'" "$TMP/expected"
# inspect --stats: the same counts, per tensor
expect_rc 0 "$BIN" inspect --stats --json "$D/model.safetensors"
$PY - "$TMP/out" "$TMP/expected" >"$TMP/cmp2" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
ts = {t["name"]: t for a in doc["artifacts"] for t in a.get("tensors", [])}
bad = []
for line in open(sys.argv[2]):
    m = re.match(r"ST-201 tensor '(\w+)' has (\d+) NaN and (\d+) Inf", line)
    if m:
        s = ts[m.group(1)]["stats"]
        if (s.get("nan"), s.get("inf")) != (int(m.group(2)), int(m.group(3))):
            bad.append(f"{m.group(1)}: inspect says {s.get('nan')} NaN, {s.get('inf')} Inf; numpy {m.group(2)}, {m.group(3)}")
print("\n".join(bad) or "ok")
PY
ok; [ "$(cat "$TMP/cmp2")" = ok ] || fail "inspect --stats: $(cat "$TMP/cmp2")"
finish
