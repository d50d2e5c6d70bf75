#!/usr/bin/env bash
# Live oracle: onnxruntime-node (tests/oracle/package.json) loads each hostile
# case of tests/reference/onnx_mutants.py; every case it refuses must have an
# error from slminspect (ONNX-001 ... ONNX-066), except the documented
# differences of spec/onnx.md.  Skipped when the package is not installed.
. "$(dirname "$0")/lib.bash"
PY=$(command -v /usr/bin/python3) || skip "no /usr/bin/python3"
[ -d "$SRC/tests/oracle/node_modules/onnxruntime-node" ] || skip "onnxruntime-node not installed"
ONNXDIR=$CORPUS/qwen2/onnx
"$PY" "$SRC/tests/reference/onnx_mutants.py" "$ONNXDIR" "$TMP/cases" >/dev/null || fail "generator failed"
NODE_PATH=$SRC/tests/oracle/node_modules node - "$TMP/cases" >"$TMP/ort.tsv" 2>/dev/null <<'JS'
const ort = require('onnxruntime-node'), fs = require('fs'), path = require('path');
const root = process.argv[2];
(async () => {
  for (const line of fs.readFileSync(path.join(root, 'cases.tsv'), 'utf8').trim().split('\n')) {
    const name = line.split('\t')[0];
    let v = 'ok';
    try { await ort.InferenceSession.create(path.join(root, name, 'model.onnx')); } catch (e) { v = 'fail'; }
    console.log(name + '\t' + v);
  }
})();
JS
documented=$(grep -o '`case:[a-z0-9_]*`' "$SRC/spec/onnx.md" | tr -d '`' | sed 's/case://')
n=0
while IFS=$'\t' read -r name v; do
    n=$((n + 1))
    [ "$v" = fail ] || continue
    ok
    if "$BIN" verify "$TMP/cases/$name/model.onnx" >/dev/null 2>&1; then
        echo "$documented" | grep -qx "$name" || fail "$name: onnxruntime-node refuses it, slminspect finds no error"
    fi
done <"$TMP/ort.tsv"
[ "$n" -gt 80 ] || fail "onnxruntime-node judged only $n cases"
finish
