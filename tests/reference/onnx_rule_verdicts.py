#!/usr/bin/env python3
"""Reference verdicts on the cases of onnx_rule_cases.py: onnx.checker.check_model
(full_check=False) and an onnxruntime InferenceSession on CPU.  Run once where
onnx 1.23 and onnxruntime 1.30 are installed (the device machine):

usage: onnx_rule_verdicts.py CASES_DIR > tests/data/onnx_rule_cases.tsv (then the header line edited)
"""
import os, sys, warnings
warnings.filterwarnings("ignore")
import onnx, onnxruntime as ort
ort.set_default_logger_severity(4)
def verdict(fn):
    try:
        fn(); return "ok", ""
    except BaseException as e:
        return "fail", (type(e).__name__ + ": " + str(e)).replace("\t", " ").replace("\n", " ")[:200]
print("# onnx %s, onnxruntime %s: case, check_model, InferenceSession, messages" % (onnx.__version__, ort.__version__))
for f in sorted(os.listdir(sys.argv[1])):
    p = os.path.join(sys.argv[1], f)
    c = verdict(lambda: onnx.checker.check_model(p, full_check=False))
    so = ort.SessionOptions(); so.log_severity_level = 4
    r = verdict(lambda: ort.InferenceSession(p, so, providers=["CPUExecutionProvider"]))
    print("\t".join([f[:-5], c[0], r[0], c[1] + " | " + r[1]]))
