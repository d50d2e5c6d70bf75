# Real exporter output with onnxruntime's fused contrib operators, from the
# repository's tiny checkpoint (examples/tiny-qwen2), for tests/corpus/ort/
# (PROVENANCE.md).  Run on the device machine (onnxruntime 1.30.0, onnx 1.23.1,
# onnx_ir 1.0.0, onnxscript 0.7.2, torch 2.11, transformers 5.17) from the
# repository's root:
#
#   GENAI_MODELS=DIR OUT=DIR python3 tests/corpus/tools/make_ort_fused.py
#
# GENAI_MODELS: src/python/py/models of an onnxruntime-genai checkout (commit
# a0c04eb1 was used): its model builder, the tool that makes the ONNX models
# onnxruntime-genai and Transformers.js run (GroupQueryAttention,
# SkipSimplifiedLayerNormalization, RotaryEmbedding, MatMulNBits,
# GatherBlockQuantized).  Nothing of it is kept in this repository.
# Each model is saved self-contained (external data pulled in); the op
# histogram of each and onnxruntime's verdict go to $OUT/fused.json.
import collections, json, os, shutil, subprocess, sys
import onnx, onnxruntime as ort

OUT, B = os.environ["OUT"], os.environ["GENAI_MODELS"]
SRC = "examples/tiny-qwen2"
log = {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "models": {}}


def record(path):
    m = onnx.load(path, load_external_data=False)
    ops = collections.Counter("%s:%s" % (n.domain or "", n.op_type) for n in m.graph.node)
    try:
        ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        verdict = "ok"
    except Exception as e:
        verdict = "fail: " + str(e)[:300]
    log["models"][os.path.basename(path)] = {"ops": dict(sorted(ops.items())), "ort": verdict}


# 1. the model builder: -e cpu|webgpu|dml -p int4|fp16 (dml keeps RotaryEmbedding out of
#    GroupQueryAttention: it does not fuse rotary into attention for that provider)
for ep, prec in (("webgpu", "int4"), ("cpu", "int4"), ("dml", "fp16")):
    work = os.path.abspath(os.path.join(OUT, "builder_%s_%s" % (ep, prec)))
    subprocess.run([sys.executable, "builder.py", "-m", "tiny-qwen2", "-i", os.path.abspath(SRC), "-o", work,
                    "-p", prec, "-e", ep, "-c", work + "_cache"], cwd=B, check=True)
    dst = os.path.join(OUT, "tiny_qwen2_genai_%s_%s.onnx" % (ep, prec))
    onnx.save(onnx.load(os.path.join(work, "model.onnx")), dst, save_as_external_data=False)
    shutil.rmtree(work), shutil.rmtree(work + "_cache", ignore_errors=True)
    record(dst)

# 2. onnxscript's onnxruntime fusions (the PyTorch exporter's optimize_for_ort) on the
#    dynamo export examples/tiny-qwen2/onnx/model.onnx
import onnx_ir as ir
from onnxscript.rewriter.ort_fusions import optimize_for_ort

m = ir.load(os.path.join(SRC, "onnx", "model.onnx"))
m, counts = optimize_for_ort(m)
log["onnxscript_fusions"] = {k: int(v) for k, v in counts.items() if v}
dst = os.path.join(OUT, "tiny_qwen2_onnxscript_ort.onnx")
ir.save(m, dst)
record(dst)
json.dump(log, open(os.path.join(OUT, "fused.json"), "w"), indent=1)
print(json.dumps(log, indent=1))
