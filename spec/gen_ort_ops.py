#!/usr/bin/env python3
"""The operator schemas onnxruntime registers beyond onnx's (spec/ort_ops.tsv), per
release, and the same table compiled into slminspect (formats/ort_ops.inc).

usage: gen_ort_ops.py probe > spec/ort_ops.tsv
           asks each onnxruntime-node release of tests/oracle/package.json (ort120,
           ort122, ort123, ort130; installed with npm --ignore-scripts) about probe
           models of one node each, built with /usr/bin/python3's onnx: the runtime's
           own checker (onnx's check_node over onnxruntime's schema registry) names
           what it found -- "not a registered function/op", "input size N not in
           range [min=A, max=B]", "Required attribute 'X' is missing", "Unrecognized
           attribute: X", "Mismatched attribute type ... Expected: 'T'".  The
           candidate operators are the com.microsoft operators of onnxruntime's
           docs/ContribOperators.md and of onnxruntime 1.30's own registry
           (spec/ort_schemas_1.30.tsv, dumped from its Python build), and the
           default-domain contrib operators; the candidate attributes (every one
           1.30 declares, and HYPOTHESES) are each confirmed or refuted per release
           by the runtime itself.
       gen_ort_ops.py tjs spec/transformersjs_runtimes.tsv > verify/transformersjs_runtimes.inc
           the Transformers.js -> onnxruntime-web pins, as C initializers.
       gen_ort_ops.py inc spec/ort_ops.tsv > formats/ort_ops.inc
           plain Python: the C table (tests/cli/ort_ops.sh checks the committed .inc
           is what the committed .tsv gives, and re-probes the releases).

Columns: release, domain, op, since_version, min_inputs, max_inputs, min_outputs,
max_outputs (2147483647: unbounded), unchecked_attrs (1: undeclared attributes
pass), attrs_known (1: every attribute the release declares is listed; 0: only
the required ones and those confirmed are -- undeclared attributes are then not
judged), attributes (name:TYPE:required, comma-separated; - for none).
"""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASES = [("1.20.1", "ort120"), ("1.22.0", "ort122"), ("1.23.2", "ort123"), ("1.30.0", "ort130")]
ATTR_TYPES = {"FLOAT": 1, "INT": 2, "STRING": 3, "TENSOR": 4, "GRAPH": 5, "FLOATS": 6, "INTS": 7,
              "STRINGS": 8, "TENSORS": 9, "GRAPHS": 10, "SPARSE_TENSOR": 11, "SPARSE_TENSORS": 12,
              "TYPE_PROTO": 13, "TYPE_PROTOS": 14}
COLS = ["release", "domain", "op", "since_version", "min_inputs", "max_inputs", "min_outputs", "max_outputs",
        "unchecked_attrs", "attrs_known", "attributes"]
UNBOUNDED = 2147483647
MS = "com.microsoft"
# com.microsoft operators of onnxruntime's docs/ContribOperators.md (main, 2026).
MS_OPS = """Attention AttnLSTM BeamSearch BiasAdd BiasDropout BiasGelu BiasSoftmax BiasSplitGelu BifurcationDetector
BitmaskBiasDropout BitmaskDropout CDist CausalConvWithState ComplexMul ComplexMulConj ConvTransposeWithDynamicPads
CropAndResize DecoderAttention DecoderMaskedMultiHeadAttention DecoderMaskedSelfAttention DequantizeBFP
DequantizeLinear DequantizeWithOrder DynamicQuantizeLSTM DynamicQuantizeMatMul DynamicTimeWarping EPContext
EmbedLayerNormalization EngramGate ExpandDims FastGelu FusedConv FusedGemm FusedMatMul FusedMatMulActivation GatedAdd
GatedDeltaNet GatedRMSNorm GatedRelativePositionBias GatherBlockQuantized GatherND Gelu GemmFastGelu GemmFloat8
GemmaRotaryEmbedding GreedySearch GridSample GroupNorm GroupQueryAttention Inverse Irfft LinearAttention
LinearAttentionGate LongformerAttention MRotaryEmbedding MatMulBlockQuantizedFp4Weight MatMulBlockQuantizedFp8Weight
MatMulBnb4 MatMulFpQ4 MatMulInteger16 MatMulIntegerToFloat MatMulNBits MatMulNBitsMlp MatMulNBitsQkv MaxpoolWithMask
MoE MulInteger MultiHeadAttention MurmurHash3 NGramHashMapping NGramRepeatBlock NhwcConv NhwcFusedConv NhwcMaxPool
PackedAttention PackedMultiHeadAttention Pad PagedAttention QAttention QGemm QLinearAdd QLinearAveragePool
QLinearConcat QLinearConv QLinearGlobalAveragePool QLinearLeakyRelu QLinearMul QLinearReduceMean QLinearSigmoid
QLinearSoftmax QLinearWhere QMoE QOrderedAttention QOrderedGelu QOrderedLayerNormalization QOrderedLongformerAttention
QOrderedMatMul QuantizeBFP QuantizeLinear QuantizeWithOrder QuickGelu Range ReduceSumInteger RelativePositionBias
RemovePadding RestorePadding Rfft RotaryEmbedding SampleOp Sampling SkipGroupNorm SkipLayerNormalization
SkipSimplifiedLayerNormalization Snpe SparseAttention SparseToDenseMatMul Tokenizer TorchEmbedding TransposeMatMul
Trilu UnfoldTensor Unique VarlenCausalConvWithState VarlenNGramHashMapping WhisperBeamSearch WordConvEmbedding
IsAllFinite QEmbedLayerNormalization""".split()
# Default-domain operators onnxruntime registers itself (contrib_defs.cc), probed at
# default-domain opset 1 where onnx has none.
DEFAULT_OPS = ["SimplifiedLayerNormalization", "LayerNormalization", "RMSNormalization"]
# Optional attributes to try, per operator (onnxruntime's schemas name them; each
# release's runtime confirms or refutes each).  Operators listed here have
# attrs_known = 1: their table rows list every attribute a release accepts.
HYPOTHESES = {
    (MS, "GroupQueryAttention"): "scale:FLOAT softcap:FLOAT local_window_size:INT do_rotary:INT rotary_interleaved:INT "
                                 "smooth_softmax:INT qk_output:INT k_quant_type:STRING v_quant_type:STRING "
                                 "kv_cache_bit_width:INT kv_quant_block_size:INT",
    (MS, "GatherBlockQuantized"): "gather_axis:INT quantize_axis:INT block_size:INT bits:INT",
    (MS, "RotaryEmbedding"): "scale:FLOAT interleaved:INT is_packed_batching:INT num_heads:INT rotary_embedding_dim:INT",
    (MS, "MatMulNBits"): "bits:INT accuracy_level:INT weight_prepacked:INT",
    (MS, "MultiHeadAttention"): "mask_filter_value:FLOAT scale:FLOAT unidirectional:INT",
    (MS, "SkipLayerNormalization"): "epsilon:FLOAT",
    (MS, "SkipSimplifiedLayerNormalization"): "epsilon:FLOAT",
    (MS, "PagedAttention"): "scale:FLOAT softcap:FLOAT local_window_size:INT do_rotary:INT rotary_interleaved:INT",
    (MS, "FastGelu"): "",
    (MS, "Gelu"): "",
    (MS, "BiasGelu"): "",
    (MS, "QuickGelu"): "alpha:FLOAT",
    (MS, "Attention"): "do_rotary:INT mask_filter_value:FLOAT past_present_share_buffer:INT qkv_hidden_sizes:INTS "
                       "rotary_embedding_dim:INT scale:FLOAT unidirectional:INT",
    ("", "SimplifiedLayerNormalization"): "axis:INT epsilon:FLOAT stash_type:INT",
}
SIZE = re.compile(r"(input|output) size (\d+) not in range \[min=(\d+), max=(\d+)\]")
REQUIRED = re.compile(r"Required attribute '([^']+)' is missing")
MISTYPED = re.compile(r"Mismatched attribute type in '[^']*: ([^']+)'\. Expected: '([A-Z_]+)'")


def model(path, dom, op, nin, nout, attrs):
    import onnx
    from onnx import helper, TensorProto
    ins = [helper.make_tensor_value_info("i%d" % k, TensorProto.FLOAT, None) for k in range(nin)]
    outs = [helper.make_tensor_value_info("o%d" % k, TensorProto.FLOAT, None) for k in range(nout)]
    n = helper.make_node(op, [v.name for v in ins], [v.name for v in outs], domain=dom)
    for name, ty in attrs:
        a = onnx.AttributeProto(name=name, type=ATTR_TYPES[ty])
        if ty == "INT": a.i = 1
        elif ty == "FLOAT": a.f = 1.0
        elif ty == "STRING": a.s = b"none"
        elif ty == "INTS": a.ints.extend([1])
        elif ty == "FLOATS": a.floats.extend([1.0])
        elif ty == "STRINGS": a.strings.extend([b"none"])
        elif ty == "TENSOR": a.t.CopyFrom(helper.make_tensor("t", TensorProto.FLOAT, [1], [1.0]))
        elif ty == "GRAPH": a.g.CopyFrom(helper.make_graph([], "g", [], []))
        n.attribute.append(a)
    opsets = [helper.make_opsetid("", 1 if dom == "" else 17), helper.make_opsetid(MS, 1)]
    m = helper.make_model(helper.make_graph([n], "g", ins, outs), opset_imports=opsets, ir_version=8)
    onnx.save(m, path)


def judge(pkg, jobs):
    """jobs: {name: (dom, op, nin, nout, attrs)} -> {name: message or ''}."""
    with tempfile.TemporaryDirectory() as d:
        for name, j in jobs.items():
            model(os.path.join(d, name + ".onnx"), *j)
        js = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle", "ort_judge.js")
        env = dict(os.environ, NODE_PATH=os.path.join(os.path.dirname(js), "node_modules"))
        out = subprocess.run(["node", js, pkg, d], capture_output=True, text=True, env=env, check=True).stdout
    res = {}
    for line in out.splitlines():
        f = line.split("\t")
        res[f[0]] = f[2] if f[1] == "fail" else ""
    return res


def key(dom, op):
    return (dom or "default") + "__" + op


def probe_release(pkg, cands):
    info = {c: {"present": True} for c in cands}
    # Round 1: counts, from the runtime's own range message.
    jobs = {}
    for dom, op in cands:
        for nin, nout in ((64, 1), (0, 64), (1, 64), (1, 0)):
            jobs["%s__%d_%d" % (key(dom, op), nin, nout)] = (dom, op, nin, nout, [])
    r = judge(pkg, jobs)
    for c in cands:
        inf = info[c]
        for nin, nout in ((64, 1), (0, 64), (1, 64), (1, 0)):
            msg = r["%s__%d_%d" % (key(*c), nin, nout)]
            if "is not a registered function/op" in msg:
                inf["present"] = False
            m = SIZE.search(msg)
            if m:
                inf[m.group(1)] = (int(m.group(3)), int(m.group(4)))
        if "input" not in inf:  # 0 and 64 inputs both pass the count
            inf["input"] = (0, UNBOUNDED)
    cands = [c for c in cands if info[c]["present"]]
    # Round 2: outputs at a valid input count, when round 1 did not reach them.
    jobs = {}
    for c in cands:
        if "output" not in info[c]:
            nin = info[c]["input"][0]
            for nout in (64, 0):
                jobs["%s__o%d" % (key(*c), nout)] = (c[0], c[1], nin, nout, [])
    r = judge(pkg, jobs) if jobs else {}
    for c in cands:
        inf = info[c]
        if "output" in inf:
            continue
        for nout in (64, 0):
            m = SIZE.search(r["%s__o%d" % (key(*c), nout)])
            if m and m.group(1) == "output":
                inf["output"] = (int(m.group(3)), int(m.group(4)))
        inf.setdefault("output", (0, UNBOUNDED))
    # Round 3..: required attributes, one message at a time.
    for c in cands:
        info[c]["attrs"] = {}
        info[c]["done"] = False
    for _ in range(10):
        jobs = {}
        for c in cands:
            inf = info[c]
            if not inf["done"]:
                req = [(a, t) for a, (t, q) in inf["attrs"].items() if q]
                jobs[key(*c)] = (c[0], c[1], inf["input"][0], max(inf["output"][0], 1), req)
        if not jobs:
            break
        r = judge(pkg, jobs)
        for name, msg in r.items():
            c = next(x for x in cands if key(*x) == name)
            inf = info[c]
            m, t = REQUIRED.search(msg), MISTYPED.search(msg)
            if t and t.group(1) in inf["attrs"]:
                inf["attrs"][t.group(1)] = (t.group(2), 1)
            elif m and m.group(1) not in inf["attrs"]:
                hyp = dict(h.split(":") for h in HYPOTHESES.get(c, "").split())
                inf["attrs"][m.group(1)] = (hyp.get(m.group(1), "INT"), 1)
            else:
                inf["done"] = True
    # Last round: undeclared attributes, and each hypothesized optional one.
    jobs = {}
    for c in cands:
        inf = info[c]
        req = [(a, t) for a, (t, q) in inf["attrs"].items() if q]
        base = (c[0], c[1], inf["input"][0], max(inf["output"][0], 1))
        jobs[key(*c) + "__zz"] = base + (req + [("zz_probe", "FLOAT")],)
        for h in HYPOTHESES.get(c, "").split():
            a, t = h.split(":")
            if a not in inf["attrs"]:
                jobs[key(*c) + "__a_" + a] = base + (req + [(a, t)],)
    r = judge(pkg, jobs)
    for c in cands:
        inf = info[c]
        inf["unchecked"] = 0 if "Unrecognized attribute: zz_probe" in r[key(*c) + "__zz"] else 1
        inf["known"] = 1 if c in HYPOTHESES else 0
        for h in HYPOTHESES.get(c, "").split():
            a, t = h.split(":")
            if a in inf["attrs"]:
                continue
            msg = r[key(*c) + "__a_" + a]
            m = MISTYPED.search(msg)
            if "Unrecognized attribute: " + a + " " in msg + " ":
                continue
            inf["attrs"][a] = (m.group(2) if m and m.group(1) == a else t, 0)
    return {c: info[c] for c in cands}


def registry_130():
    """spec/ort_schemas_1.30.tsv: onnxruntime 1.30's own registry -> {(domain, op): attributes of its newest version}."""
    reg = {}
    for l in open(os.path.join(HERE, "ort_schemas_1.30.tsv")):
        if l.startswith("#") or l.startswith("domain\t"):
            continue
        f = l.rstrip("\n").split("\t")
        reg[(f[0], f[1])] = [] if f[8] == "-" else [a.rsplit(":", 1)[0] for a in f[8].split(",")]
    return reg


def probe():
    reg = registry_130()
    for (dom, op), attrs in reg.items():  # every attribute 1.30 declares is a candidate in every release
        if dom == MS or (dom == "" and op in DEFAULT_OPS):
            have = HYPOTHESES.get((dom, op), "").split()
            names = {h.split(":")[0] for h in have}
            HYPOTHESES[(dom, op)] = " ".join(have + [a for a in attrs if a.split(":")[0] not in names])
    ms = sorted(set(MS_OPS) | {op for dom, op in reg if dom == MS})
    cands = [(MS, op) for op in ms] + [("", op) for op in DEFAULT_OPS]
    rows = []
    for rel, pkg in RELEASES:
        for (dom, op), inf in sorted(probe_release(pkg, cands).items()):
            attrs = ",".join("%s:%s:%d" % (a, t, q) for a, (t, q) in sorted(inf["attrs"].items())) or "-"
            rows.append([rel, dom, op, 1, inf["input"][0], inf["input"][1], inf["output"][0], inf["output"][1],
                         inf["unchecked"], inf["known"], attrs])
    print("# generated by spec/gen_ort_ops.py probe: onnxruntime-node %s (npm), each release's checker asked"
          % ", ".join(r for r, _ in RELEASES))
    print("\t".join(COLS))
    rows.sort(key=lambda r: (r[1], r[2], r[0]))
    for r in rows:
        print("\t".join(map(str, r)))


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def inc(path):
    rows = [l.split("\t") for l in open(path).read().splitlines() if l and not l.startswith("#")]
    assert rows[0] == COLS, "unexpected header"
    rows = rows[1:]
    rels = [r for r, _ in RELEASES]
    assert rows == sorted(rows, key=lambda r: (r[1], r[2], r[0])), "rows not sorted"
    print("/* generated by spec/gen_ort_ops.py inc from spec/ort_ops.tsv: do not edit */")
    print("static const char *const ORT_RELEASES[] = {%s};" % ", ".join(cstr(r) for r in rels))
    attrs = []
    print("static const struct ort_op_schema ORT_OPS[] = {")
    for r in rows:
        rel, d, op, since, mi, ma, mo, xo, unchk, known, al = r
        first = len(attrs)
        if al != "-":
            for a in al.split(","):
                name, ty, req = a.split(":")
                attrs.append((name, ATTR_TYPES[ty], int(req)))
        print("    {%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %d, %d}," % (
            rels.index(rel), cstr(d), cstr(op), since, mi, ma, mo, xo, unchk, known, first, len(attrs) - first))
    print("};")
    print("static const struct ort_op_attr ORT_ATTRS[] = {")
    for name, ty, req in attrs:
        print("    {%s, %d, %d}," % (cstr(name), ty, req))
    print("};")


def tjs(path):
    rows = [l.split("\t") for l in open(path).read().splitlines() if l and not l.startswith("#")][1:]
    print("/* generated by spec/gen_ort_ops.py tjs from spec/transformersjs_runtimes.tsv: do not edit */")
    for t, w in rows:
        print("    {%s, %s}," % (cstr(t), cstr(w)))


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "probe":
        probe()
    elif len(sys.argv) == 3 and sys.argv[1] == "tjs":
        tjs(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "inc":
        inc(sys.argv[2])
    else:
        sys.exit(__doc__)
