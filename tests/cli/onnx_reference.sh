#!/usr/bin/env bash
# Differential test: the hostile ONNX cases of tests/reference/onnx_mutants.py
# (made from the real q4 models) against the verdicts that onnx 1.23
# (onnx.load, onnx.checker.check_model) and onnxruntime 1.30 (InferenceSession)
# gave on them, recorded in tests/data/onnx_reference.tsv.  slminspect reports
# an error exactly when one of the references rejects the file, except the
# cases that spec/onnx.md documents under "Differences from the references";
# and each case that targets a rule must report that rule.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
ONNXDIR=$CORPUS/qwen2/onnx
"$PY" "$SRC/tests/reference/onnx_mutants.py" "$ONNXDIR" "$TMP/cases" >/dev/null || fail "mutant generator failed"
while IFS=$'\t' read -r name sha; do
    "$BIN" verify --json "$TMP/cases/$name/model.onnx" >"$TMP/cases/$name/verdict.json" 2>/dev/null
    echo $? >"$TMP/cases/$name/rc"
done <"$TMP/cases/cases.tsv"
"$PY" - "$TMP/cases" "$SRC/tests/data/onnx_reference.tsv" "$SRC/spec/onnx.md" >"$TMP/report" 2>&1 <<'PY'
import json, os, re, sys
cases, ref_path, spec = sys.argv[1:4]
# Cases made to break one rule: the rule slminspect must report.
TARGET = {
    "trunc_q4_1": "ONNX-001", "trunc_q4_100": "ONNX-001", "trailing_garbage": "ONNX-001",
    "trailing_group_end": "ONNX-001", "flip_q4_first": "ONNX-001",
    "ir_missing": "ONNX-010", "trunc_q4_0": "ONNX-010", "ir_99": "ONNX-011", "no_opsets": "ONNX-012",
    "trunc_q4_2": "ONNX-012", "opset_domain_renamed": "ONNX-013", "opset_huge": "ONNX-014",
    "graph_no_name": "ONNX-020", "dup_initializer": "ONNX-024", "empty_initializer_name": "ONNX-023",
    "ir_3_init_not_input": "ONNX-025", "topo_use_before_def": "ONNX-026", "undefined_input": "ONNX-026",
    "ssa_dup_output": "ONNX-027", "output_not_produced": "ONNX-028", "node_no_op_type": "ONNX-030",
    "attr_dup": "ONNX-032", "attr_type_mismatch": "ONNX-033", "attr_type_missing": "ONNX-033",
    "dtype_undefined": "ONNX-040", "dtype_unknown": "ONNX-040", "dims_negative": "ONNX-041",
    "raw_and_typed": "ONNX-042", "no_payload": "ONNX-042", "ext_location_unset_enum": "ONNX-042",
    "raw_data_short": "ONNX-045", "raw_data_long": "ONNX-045", "init_dims_shrunk": "ONNX-045",
    "dtype_f16_size": "ONNX-045", "ext_no_location": "ONNX-060", "ext_with_raw": "ONNX-060",
    "ext_traversal_dotdot": "ONNX-061", "ext_traversal_abs": "ONNX-061", "ext_traversal_symlink": "ONNX-061",
    "ext_missing_file": "ONNX-062", "ext_offset_past_end": "ONNX-063", "ext_length_past_end": "ONNX-063",
    "ext_data_truncated": "ONNX-063", "ext_length_small": "ONNX-064", "ext_length_large": "ONNX-064",
    "ext_offset_text": "ONNX-065", "flip_ext_226755": "ONNX-066",
    "opset_dup": "ONNX-101", "ir_7_opset_18": "ONNX-102", "ext_overlap": "ONNX-103",
    "orig_q4_ext": "ONNX-202", "orig_q4": "ONNX-203", "unknown_op": "ONNX-071",
}
documented = set(re.findall(r"`case:([a-z0-9_]+)`", open(spec).read()))
ref = {}
for line in open(ref_path):
    if line.startswith("#"):
        continue
    f = line.rstrip("\n").split("\t")
    ref[f[0]] = f
problems, agree, n = [], 0, 0
for line in open(os.path.join(cases, "cases.tsv")):
    name, sha = line.split()
    if name not in ref:
        problems.append(f"{name}: no reference verdict"); continue
    r = ref[name]
    if r[1] != sha:
        problems.append(f"{name}: regenerated case differs from the one the references judged ({sha} != {r[1]})"); continue
    rc = int(open(os.path.join(cases, name, "rc")).read())
    try:
        doc = json.load(open(os.path.join(cases, name, "verdict.json")))
    except Exception as e:
        problems.append(f"{name}: slminspect printed no JSON (exit {rc}): {e}"); continue
    rules = {f["rule"] for f in doc["findings"]}
    errors = {f["rule"] for f in doc["findings"] if f["severity"] == "error"}
    if rc not in (0, 1) or (rc == 1) != bool(errors):
        problems.append(f"{name}: exit {rc} with errors {sorted(errors)}")
    ref_bad = "fail" in r[2:5]
    n += 1
    if bool(errors) == ref_bad:
        agree += 1
    elif name not in documented:
        problems.append(f"{name}: slminspect {'rejects' if errors else 'accepts'} ({sorted(errors)}), "
                        f"references load/check/ort = {r[2]}/{r[3]}/{r[4]}: {r[5][:200] if len(r) > 5 else ''}")
    want = TARGET.get(name)
    if want and want not in rules:
        problems.append(f"{name}: expected {want}, got {sorted(rules)}")
for p in problems:
    print(p)
print(f"{n} cases, {agree} verdicts agree with the references, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
rc=$?
cat "$TMP/report"
ok
[ $rc = 0 ] || fail "verdicts differ from the references"
finish
