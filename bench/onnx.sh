#!/usr/bin/env bash
# ONNX verify benchmark: a generated ~1.5 GB embedded model (IR 8, opset 17,
# so that Debian's onnx 1.12 checker accepts it), timed side by side:
#   slminspect verify  vs  onnx.load + onnx.checker.check_model (Python)
# with peak RSS from /usr/bin/time -v.   usage: bench/onnx.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/inspect/slminspect
PY=/usr/bin/python3
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
$PY - "$DIR/big.onnx" <<'PY'
import sys
import numpy as np
from onnx import TensorProto as T, helper as h, numpy_helper as nh
n, rows, cols = 24, 4096, 4096          # 24 x 64 MiB fp32 = 1.5 GiB
inits, nodes, prev = [], [], "x"
for i in range(n):
    w = np.full((rows, cols), i, np.float32)
    inits.append(nh.from_array(w, "w%d" % i))
    nodes.append(h.make_node("Add", [prev, "w%d" % i], ["a%d" % i]))
    prev = "a%d" % i
g = h.make_graph(nodes, "bench", [h.make_tensor_value_info("x", T.FLOAT, [rows, cols])],
                 [h.make_tensor_value_info(prev, T.FLOAT, [rows, cols])], initializer=inits)
m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
m.ir_version = 8
open(sys.argv[1], "wb").write(m.SerializeToString())
PY
ls -l "$DIR/big.onnx"
cat "$DIR/big.onnx" >/dev/null   # both runs start from the page cache
run() { /usr/bin/time -v "$@" 2>"$DIR/time" >/dev/null || true
        awk -F': ' '/Elapsed \(wall/ {w=$2} /Maximum resident/ {r=$2} END {print w, r}' "$DIR/time"; }
echo "slminspect verify:          $(run "$BIN" verify "$DIR/big.onnx")  (wall m:ss, peak RSS KiB)"
echo "onnx.load + check_model:    $(run $PY -c "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m)" "$DIR/big.onnx")"
