# onnxruntime's own schema registry as JSON (run where the onnxruntime Python package is, e.g. the device
# machine): python3 spec/dump_ort_schemas.py -> $OUT/ort_schemas.json; spec/ort_schemas_1.30.tsv is made from it.
# with history) as JSON to $OUT/ort_schemas.json; records why when it cannot.
import json, os, sys
out = os.environ.get("OUT", ".")
info = {"python": sys.version}
try:
    import onnxruntime as ort
    info["onnxruntime"] = ort.__version__
except Exception as e:
    info["import_error"] = repr(e)
    json.dump(info, open(os.path.join(out, "ort_schemas.json"), "w"), indent=1); sys.exit(0)
try:
    import onnx
    info["onnx"] = onnx.__version__
except Exception as e:
    info["onnx_error"] = repr(e)
fn = None
for modname in ("onnxruntime.capi.onnxruntime_pybind11_state", "onnxruntime.capi._pybind_state"):
    try:
        m = __import__(modname, fromlist=["x"])
        info.setdefault("modules", {})[modname] = sorted(n for n in dir(m) if "schema" in n.lower() or "kernel" in n.lower())
        if fn is None and hasattr(m, "get_all_operator_schema"):
            fn = m.get_all_operator_schema
    except Exception as e:
        info.setdefault("module_errors", {})[modname] = repr(e)
def name_of(x):
    return getattr(x, "name", str(x))
rows = []
if fn is not None:
    try:
        for s in fn():
            r = {"domain": s.domain, "name": s.name, "since": s.since_version,
                 "deprecated": bool(getattr(s, "deprecated", False)),
                 "min_input": s.min_input, "max_input": s.max_input,
                 "min_output": s.min_output, "max_output": s.max_output,
                 "inputs": [[p.name, name_of(p.option), getattr(p, "typeStr", getattr(p, "type_str", ""))] for p in s.inputs],
                 "outputs": [[p.name, name_of(p.option), getattr(p, "typeStr", getattr(p, "type_str", ""))] for p in s.outputs],
                 "attributes": [[a.name, name_of(a.type), bool(a.required)] for a in s.attributes.values()]}
            try:
                r["type_constraints"] = [[t.type_param_str, list(t.allowed_type_strs)] for t in s.type_constraints]
            except Exception as e:
                r["tc_error"] = repr(e)
            rows.append(r)
    except Exception as e:
        info["dump_error"] = repr(e)
info["schemas"] = rows
info["providers"] = ort.get_available_providers()
json.dump(info, open(os.path.join(out, "ort_schemas.json"), "w"), indent=0)
print("schemas:", len(rows), "ort", info.get("onnxruntime"), "onnx", info.get("onnx"))
