# onnxruntime's Python tools on examples/tiny-qwen2/onnx/model.onnx (hidden 64, 4 heads,
# 2 KV heads), run on the device machine (onnxruntime 1.30.0, onnx 1.23.1) from the
# repository's root:  OUT=DIR python3 tests/corpus/tools/make_ort_python_exports.py
# Each step in its own try; the op histogram of each result and onnxruntime's verdict
# on it go to $OUT/exports.json, the models to $OUT/*.onnx.  tests/corpus/ort/ keeps
# opt_gpt2_fp16.onnx (transformer optimizer + fp16 converter with keep_io_types),
# q4_gather.onnx (MatMulNBitsQuantizer over MatMul and Gather) and q4f16_gather.onnx
# (that, through the fp16 converter) -- PROVENANCE.md.
import collections, json, os, sys, traceback
import onnx, onnxruntime as ort
OUT = os.environ.get("OUT", ".")
SRC = "examples/tiny-qwen2/onnx/model.onnx"
log = {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "steps": {}}

def hist(path):
    m = onnx.load(path, load_external_data=False)
    h = collections.Counter((n.domain or "", n.op_type) for n in m.graph.node)
    return {"%s:%s" % k: v for k, v in sorted(h.items())}, {o.domain: o.version for o in m.opset_import}

def judge(path):
    try:
        ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        return "ok"
    except Exception as e:
        return "fail: " + str(e)[:400]

def step(name, fn):
    try:
        path = fn()
        h, ops = hist(path)
        log["steps"][name] = {"file": os.path.basename(path), "bytes": os.path.getsize(path), "ops": h,
                              "opset": ops, "ort_1_30": judge(path)}
    except Exception:
        log["steps"][name] = {"error": traceback.format_exc()[-1500:]}

def ort_optimized(level, name):
    def f():
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        so.optimized_model_filepath = os.path.join(OUT, name)
        ort.InferenceSession(SRC, so, providers=["CPUExecutionProvider"])
        return so.optimized_model_filepath
    return f

step("session_extended", ort_optimized(ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "ort_extended.onnx"))

from onnxruntime.transformers import optimizer
from onnxruntime.transformers.fusion_options import FusionOptions
for mt in ("gpt2", "bert", "phi", "gpt_neox"):
    def f(mt=mt):
        opts = FusionOptions(mt)
        m = optimizer.optimize_model(SRC, model_type=mt, num_heads=4, hidden_size=64, opt_level=0,
                                     optimization_options=opts)
        p = os.path.join(OUT, "opt_%s.onnx" % mt)
        m.save_model_to_file(p)
        return p
    step("optimizer_" + mt, f)

def q4_gather():
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer, DefaultWeightOnlyQuantConfig
    cfg = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, op_types_to_quantize=("MatMul", "Gather"),
                                       quant_axes=(("MatMul", 0), ("Gather", 1)))
    q = MatMulNBitsQuantizer(onnx.load(SRC), algo_config=cfg)
    q.process()
    p = os.path.join(OUT, "q4_gather.onnx")
    q.model.save_model_to_file(p, False)
    return p
step("quant_q4_gather", q4_gather)

def fp16(src, dst):
    def f():
        from onnxruntime.transformers.float16 import convert_float_to_float16
        m = convert_float_to_float16(onnx.load(os.path.join(OUT, src)), keep_io_types=True)
        p = os.path.join(OUT, dst)
        onnx.save(m, p)
        return p
    return f
step("fp16_q4_gather", fp16("q4_gather.onnx", "q4f16_gather.onnx"))
for mt in ("gpt2", "bert", "phi", "gpt_neox"):
    step("fp16_opt_" + mt, fp16("opt_%s.onnx" % mt, "opt_%s_fp16.onnx" % mt))
json.dump(log, open(os.path.join(OUT, "exports.json"), "w"), indent=1)
for k, v in log["steps"].items():
    print(k, v.get("ops", v.get("error", "")[-300:]), v.get("ort_1_30", ""))
