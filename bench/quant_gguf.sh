#!/usr/bin/env bash
# `slminspect quant` on GGUF against the ONNX path, per reference byte, side by side in one run
# (issue 15; by hand, never by the tests):
#   bench/quant_gguf.sh GGML_DIR [BUILD_DIR]
# A generated fp16 checkpoint with Qwen2.5-0.5B's shapes (bench/quant_gen.py qwen: also its 4-bit
# MatMulNBits ONNX model) is written as a Q4_K_M-style GGUF by ggml itself
# (tests/reference/make_gguf.c --q4km, linked against GGML_DIR/build); then RUNS (default 5)
# alternating runs of `quant model.gguf --ref` and `quant model_q4.onnx --ref`, wall time by GNU
# time; the table divides each median by the bytes of reference tensors the run compared.
# Needs /usr/bin/python3 with numpy and onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
GGML=${1:?usage: bench/quant_gguf.sh GGML_DIR [BUILD_DIR]}
B=${2:-build-rel}
RUNS=${RUNS:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
MAKE_GGUF_BIN="$W/make_gguf" MAKE_GGUF_ONLY_BUILD=1 sh tests/reference/make_gguf.sh "$GGML" "$B"
echo "generating the Qwen2.5-0.5B-shaped checkpoint and its q4 ONNX model (about a minute)..."
$PY bench/quant_gen.py qwen "$W"
"$W/make_gguf" --q4km "$W/ref" "$W/model.gguf"
ls -la "$W/model.gguf" "$W/model_q4.onnx" "$W/ref/model.safetensors"
cat "$W/model.gguf" "$W/model_q4.onnx" "$W/ref/model.safetensors" >/dev/null # warm page cache
echo "load before: $(uptime)"
for r in $(seq "$RUNS"); do
    for m in model.gguf model_q4.onnx; do
        /usr/bin/time -f "$m %e" -a -o "$W/times" "$B/inspect/slminspect" quant "$W/$m" --ref "$W/ref" --json \
            >"$W/$m.json"
    done
done
echo "load after: $(uptime)"
$PY - "$W" <<'PY'
import json, statistics, sys
w = sys.argv[1]
t = {}
for line in open(f"{w}/times"):
    m, s = line.split()
    t.setdefault(m, []).append(float(s))
print(f"{'':14} {'pairs':>6} {'ref MB':>8} {'wall s (median)':>16} {'ns / ref byte':>14}  kernel, overall SQNR")
per = {}
for m in ("model.gguf", "model_q4.onnx"):
    d = json.load(open(f"{w}/{m}.json"))
    refb = sum(x["K"] * x["N"] * 2 for x in d["tensors"])  # the fp16 reference rows compared
    med = statistics.median(t[m])
    per[m] = med / refb
    print(f"{m:14} {len(d['tensors']):6} {refb / 1e6:8.1f} {med:16.3f} {1e9 * med / refb:14.3f}  "
          f"{d['kernel']}, {d['summary']['overall']['sqnr_db']:.2f} dB; all runs {t[m]}")
print(f"GGUF / ONNX time per reference byte: {per['model.gguf'] / per['model_q4.onnx']:.2f}")
PY
