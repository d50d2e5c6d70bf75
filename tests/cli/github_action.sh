#!/usr/bin/env bash
# The GitHub Action (action.yml, action/run.sh): its shape (composite, bash
# everywhere, inputs only through env, outputs from the gate step), then the
# gate step run as the runner runs it -- GITHUB_OUTPUT, GITHUB_PATH,
# GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_ACTION_PATH set -- against this
# build's slminspect.  The build step is tests/packaging/github_action_build.sh.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
"$PY" - "$SRC/action.yml" >"$TMP/report" 2>&1 <<'PY' || fail "action.yml: $(cat "$TMP/report")"
import re, sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
assert a["runs"]["using"] == "composite", a["runs"]["using"]
steps = a["runs"]["steps"]
gate_env = {}
for s in steps:
    if "run" in s:
        assert s.get("shell") == "bash", f"step {s.get('id')}: shell is {s.get('shell')}"
        assert "${{" not in s["run"], f"step {s.get('id')}: an expression inside run: {s['run']}"
        if s.get("id") == "gate":
            gate_env = s["env"]
used = {m for v in gate_env.values() for m in re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(v))}
assert used == set(a["inputs"]), f"inputs not passed to the gate step: {set(a['inputs']) - used}"
for name, o in a["outputs"].items():
    assert re.fullmatch(r"\$\{\{ steps\.gate\.outputs\.[\w-]+ \}\}", o["value"]), (name, o["value"])
assert a["inputs"]["path"]["required"] is True
PY
ok

RUN=$SRC/action/run.sh
# gate_run RC VAR=VALUE...: the gate step with a fresh simulated runner environment.
gate_run() {
    local want=$1
    shift
    rm -rf "$TMP/ws" && mkdir -p "$TMP/ws" "$TMP/runner"
    : >"$TMP/ws/output"; : >"$TMP/ws/summary"
    (cd "$TMP/ws" && env -i PATH="$PATH" HOME="$TMP" GITHUB_ACTIONS=true GITHUB_WORKSPACE="$TMP/ws" \
        GITHUB_OUTPUT="$TMP/ws/output" GITHUB_PATH="$TMP/ws/path" GITHUB_STEP_SUMMARY="$TMP/ws/summary" \
        RUNNER_TEMP="$TMP/runner" RUNNER_OS=Linux GITHUB_ACTION_PATH="$SRC" SLM_ACTION_BUILD="$SLM_BUILD" \
        "$@" bash "$RUN" gate) >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    ok; [ "$rc" = "$want" ] || fail "gate step exited $rc, expected $want ($*): $(head -c 400 "$TMP/out") $(head -c 300 "$TMP/err")"
}
out_is() { # NAME VALUE: the step output NAME is VALUE
    ok; grep -qx "$1=$2" "$TMP/ws/output" || fail "output $1 is not '$2': $(cat "$TMP/ws/output")"
}
sarif_has() { # RULE
    ok; "$PY" -c 'import json, sys
log = json.load(open(sys.argv[1])); assert log["version"] == "2.1.0"
ids = {r["ruleId"] for run in log["runs"] for r in run["results"]}
sys.exit(0 if sys.argv[2] in ids or sys.argv[2] == "" else 1)' "$1" "$2" || fail "SARIF $1 lacks ${2:-a valid log}"
}

HF=$CORPUS/qwen2/hf_fp16
Q=$(ls "$CORPUS"/qwen2/onnx/*q4*.onnx | head -1)

# A model that passes: exit 0, the outputs, a SARIF log, the summary.
gate_run 0 SLM_ACTION_PATH="$HF" SLM_ACTION_TARGET=hf
out_is exit-code 0
out_is errors 0
out_is sarif slminspect.sarif
out_is report slminspect-report.json
sarif_has "$TMP/ws/slminspect.sarif" ""
expect_grep "PASS" "$TMP/ws/summary"

# Quantization thresholds it cannot meet: exit 1, QT-101 in SARIF, FAIL in the summary.
gate_run 1 SLM_ACTION_PATH="$Q" SLM_ACTION_REFERENCE="$HF" SLM_ACTION_MIN_SQNR=200 SLM_ACTION_SARIF=out/q.sarif \
    SLM_ACTION_REPORT=q.json
out_is exit-code 1
out_is sarif out/q.sarif
sarif_has "$TMP/ws/out/q.sarif" QT-101
ok; [ -f "$TMP/ws/q.json" ] || fail "the report input is not where the report went"
expect_grep "FAIL" "$TMP/ws/summary"
ok; ! grep -qx "errors=0" "$TMP/ws/output" || fail "errors=0 on a failing gate"

# Several quantized models, one per line (blank lines and spaces around ignored).
gate_run 0 SLM_ACTION_PATH="$HF" SLM_ACTION_REFERENCE="$HF" SLM_ACTION_QUANTIZED="
  $Q

$Q  "
expect_grep "--quantized $Q --quantized $Q --" "$TMP/out"

# A model_signing bundle as the manifest, then the model altered: HS-012.
cp -r "$CORPUS/qwen2/hf_fp32_single" "$TMP/m"
"$BIN" hash --format in-toto -o "$TMP/st.json" "$TMP/m" 2>/dev/null
"$PY" -c 'import base64, json, sys
json.dump({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "dsseEnvelope": {
    "payloadType": "application/vnd.in-toto+json", "signatures": [],
    "payload": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}}, open(sys.argv[2], "w"))' \
    "$TMP/st.json" "$TMP/model.sig"
gate_run 0 SLM_ACTION_PATH="$TMP/m" SLM_ACTION_MANIFEST="$TMP/model.sig"
printf ' ' >>"$TMP/m/config.json"
gate_run 1 SLM_ACTION_PATH="$TMP/m" SLM_ACTION_MANIFEST="$TMP/model.sig"
sarif_has "$TMP/ws/slminspect.sarif" HS-012

# Inputs are data: a path with shell syntax is a path, nothing runs.
gate_run 2 SLM_ACTION_PATH='$(touch pwned)`touch pwned2`; touch pwned3'
ok; ! ls "$TMP/ws" "$TMP" | grep -q pwned || fail "an input was evaluated as shell"
out_is exit-code 2
# Missing and invalid inputs: exit 2 with a workflow error.
gate_run 2
expect_grep "::error" "$TMP/out"
gate_run 2 SLM_ACTION_PATH="$HF" SLM_ACTION_STATS=yes
expect_grep "stats" "$TMP/out"
finish
