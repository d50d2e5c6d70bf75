#!/usr/bin/env python3
"""Reference verdicts on the cases of onnx_mutants.py: onnx.load (with its
external data), onnx.checker.check_model(path, full_check=False) and an
onnxruntime InferenceSession on CPU.  Run once where onnx 1.23 and
onnxruntime 1.30 are installed; the output is tests/data/onnx_reference.tsv.

usage: onnx_verdicts.py CASES_DIR > onnx_reference.tsv
"""
import os, sys, warnings

warnings.filterwarnings("ignore")
import onnx
import onnxruntime as ort

ort.set_default_logger_severity(4)

def verdict(fn):
    try:
        fn()
        return "ok", ""
    except BaseException as e:  # noqa: BLE001 -- any failure is a rejection
        msg = (type(e).__name__ + ": " + str(e)).replace("\t", " ").replace("\n", " ")
        return "fail", msg[:240]

def main():
    root = sys.argv[1]
    print("# onnx %s, onnxruntime %s: case, sha256[:16] of model.onnx, onnx.load, check_model, InferenceSession, messages"
          % (onnx.__version__, ort.__version__))
    names = [l.split("\t") for l in open(os.path.join(root, "cases.tsv")).read().splitlines()]
    for name, sha in names:
        path = os.path.join(root, name, "model.onnx")
        load = verdict(lambda: onnx.load(path))
        chk = verdict(lambda: onnx.checker.check_model(path, full_check=False))
        so = ort.SessionOptions()
        so.log_severity_level = 4
        rt = verdict(lambda: ort.InferenceSession(path, so, providers=["CPUExecutionProvider"]))
        print("\t".join([name, sha, load[0], chk[0], rt[0], " | ".join(m for m in (load[1], chk[1], rt[1]))]))
        sys.stdout.flush()

if __name__ == "__main__":
    main()
