#!/usr/bin/env python3
"""One-node models of the contrib operators LLM exports use, valid and hostile,
for onnxruntime's verdict against slminspect's (tests/cli/ort_oracle.sh,
tests/data/ort_verdicts.tsv, spec/onnx.md "Two judges").  Made with onnx.helper
(Debian's python3-onnx 1.12 is enough; 4-bit tensors are written as raw
TensorProtos).

usage: ort_cases.py OUT_DIR   -> OUT_DIR/<case>.onnx, and OUT_DIR/cases.tsv
                                 (name, what the case is)
"""
import os, sys
import numpy as np
from onnx import TensorProto as T, helper as h, numpy_helper as nh

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
MS = "com.microsoft"
UINT4, INT4 = 21, 22  # TensorProto.DataType, newer than onnx 1.12
cases = []


def vi(name, dt=T.FLOAT, shape=("b", "s", 64)):
    return h.make_tensor_value_info(name, dt, list(shape))


def save(name, what, nodes, inputs, outputs, inits=(), opsets=(("", 17), (MS, 1)), ir=10):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = ir
    open(os.path.join(out, name + ".onnx"), "wb").write(m.SerializeToString())
    cases.append((name, what))


def raw(name, dt, dims, nbytes):
    t = T()
    t.name, t.data_type = name, dt
    t.dims.extend(dims)
    t.raw_data = bytes((i * 37) & 0xFF for i in range(nbytes))
    return t


def node(op, ins, outs, dom=MS, **attrs):
    return h.make_node(op, ins, outs, name=op.lower(), domain=dom, **attrs)


# ---- GroupQueryAttention: query [b, s, 4*16], key/value [b, s, 2*16], past [b, 2, p, 16]
def gqa(name, what, n_in=7, n_out=3, dt=T.FLOAT, **attrs):
    ins = [vi("query", dt, ("b", "s", 64)), vi("key", dt, ("b", "s", 32)), vi("value", dt, ("b", "s", 32)),
           vi("past_key", dt, ("b", 2, "p", 16)), vi("past_value", dt, ("b", 2, "p", 16)),
           vi("seqlens_k", T.INT32, ("b",)), vi("total_sequence_length", T.INT32, ())]
    while len(ins) < n_in:
        ins.append(vi("extra%d" % len(ins), dt, ("b",)))
    ins = ins[:n_in]
    outs = [vi("output", dt, ("b", "s", 64)), vi("present_key", dt, ("b", 2, "t", 16)),
            vi("present_value", dt, ("b", 2, "t", 16)), vi("qk", dt, ("b", 4, "s", "t"))][:n_out]
    save(name, what, [node("GroupQueryAttention", [i.name for i in ins], [o.name for o in outs], **attrs)], ins, outs)


gqa("gqa_ok", "valid: num_heads 4, kv_num_heads 2", num_heads=4, kv_num_heads=2)
gqa("gqa_fp16_ok", "valid, float16", dt=T.FLOAT16, num_heads=4, kv_num_heads=2)
gqa("gqa_no_num_heads", "num_heads missing", kv_num_heads=2)
gqa("gqa_float_num_heads", "num_heads a FLOAT", num_heads=4.0, kv_num_heads=2)
gqa("gqa_undeclared", "an attribute the schema does not declare", num_heads=4, kv_num_heads=2, window=3)
gqa("gqa_17_inputs", "17 inputs", n_in=17, num_heads=4, kv_num_heads=2)
gqa("gqa_6_inputs", "6 inputs", n_in=6, num_heads=4, kv_num_heads=2)
gqa("gqa_heads_not_multiple", "num_heads 4, kv_num_heads 3", num_heads=4, kv_num_heads=3)
gqa("gqa_local_window", "local_window_size 8", num_heads=4, kv_num_heads=2, local_window_size=8)
gqa("gqa_softcap", "softcap 30", num_heads=4, kv_num_heads=2, softcap=30.0)
gqa("gqa_smooth_softmax", "smooth_softmax 1", num_heads=4, kv_num_heads=2, smooth_softmax=1)
gqa("gqa_qk_output", "qk_output 1 and a 4th output", n_out=4, num_heads=4, kv_num_heads=2, qk_output=1)
gqa("gqa_k_quant_type", "k_quant_type NONE", num_heads=4, kv_num_heads=2, k_quant_type="NONE")
gqa("gqa_rotary_interleaved", "do_rotary 1, rotary_interleaved 1 (cos/sin caches missing)", num_heads=4,
    kv_num_heads=2, do_rotary=1, rotary_interleaved=1)
gqa("gqa_hidden_not_multiple", "num_heads 5 over a query hidden size of 64", num_heads=5, kv_num_heads=1)
gqa("gqa_zero_kv_heads", "kv_num_heads 0", num_heads=4, kv_num_heads=0)


# ---- GatherBlockQuantized: data [16, 64] of 4-bit (packed) or uint8, indices, scales [16, 64/bs]
def gbq(name, what, dt=UINT4, bs=32, K=64, scales=True, zp=False, **attrs):
    attrs.setdefault("block_size", bs)
    nbytes = 16 * K // 2 if dt in (UINT4, INT4) else 16 * K
    if dt == T.UINT8 and attrs.get("bits", 4) == 4:
        data = raw("data", T.UINT8, [16, K // 2], 16 * K // 2)
    else:
        data = raw("data", dt, [16, K], nbytes)
    nb = max(1, -(-K // max(bs, 1)))
    inits = [data, nh.from_array(np.full((16, nb), 0.01, np.float32), "scales")]
    ins_names = ["data", "indices", "scales"] if scales else ["data", "indices"]
    if zp:
        inits.append(raw("zp", dt, [16, nb], (16 * nb + 1) // 2 if dt in (UINT4, INT4) else 16 * nb))
        ins_names.append("zp")
    ins = [vi("indices", T.INT64, ("b", "s"))]
    outs = [vi("y", T.FLOAT, ("b", "s", K))]
    save(name, what, [node("GatherBlockQuantized", ins_names, ["y"], **attrs)], ins, outs, inits)


gbq("gbq_uint4_ok", "valid: uint4 data, block_size 32", gather_axis=0, quantize_axis=1)
gbq("gbq_int4_ok", "valid: int4 data, block_size 16", dt=INT4, bs=16, gather_axis=0, quantize_axis=1)
gbq("gbq_bs128_ok", "valid: block_size 128 over K 128", K=128, bs=128, gather_axis=0, quantize_axis=1)
gbq("gbq_bs8", "block_size 8", bs=8, K=64)
gbq("gbq_bs48", "block_size 48", bs=48, K=96)
gbq("gbq_bs0", "block_size 0", bs=0, K=64)
gbq("gbq_bits3", "bits 3", bits=3)
gbq("gbq_bits4", "bits 4 (declared from 1.23)", bits=4)
gbq("gbq_uint8_bits8", "uint8 data, bits 8", dt=T.UINT8, bits=8)
gbq("gbq_uint8_bits4", "uint8 data packing two 4-bit values, bits 4", dt=T.UINT8, bits=4)
gbq("gbq_uint8_nobits", "uint8 data, no bits attribute", dt=T.UINT8)
gbq("gbq_no_scales", "scales missing", scales=False)
gbq("gbq_undeclared", "an attribute the schema does not declare", axis=0)
gbq("gbq_zero_points", "uint4 zero points", zp=True)


# ---- RotaryEmbedding: input [b, s, 64], position_ids [b, s], cos/sin cache [max, 8]
def rope(name, what, n_in=4, dt=T.FLOAT, **attrs):
    ins = [vi("input", dt, ("b", "s", 64)), vi("position_ids", T.INT64, ("b", "s")),
           vi("cos_cache", dt, (256, 8)), vi("sin_cache", dt, (256, 8))][:n_in]
    while len(ins) < n_in:
        ins.append(vi("extra%d" % len(ins), dt, (1,)))
    outs = [vi("output", dt, ("b", "s", 64))]
    save(name, what, [node("RotaryEmbedding", [i.name for i in ins], ["output"], **attrs)], ins, outs)


rope("rope_ok", "valid: 4 inputs, num_heads 4")
rope("rope_fp16_ok", "valid, float16", dt=T.FLOAT16, num_heads=4)
rope("rope_no_sin_cache", "sin_cache missing", n_in=3)
rope("rope_5_inputs", "5 inputs", n_in=5)
rope("rope_undeclared", "an attribute the schema does not declare", theta=10000.0)
rope("rope_interleaved", "interleaved 1", interleaved=1)
rope("rope_dim_without_heads", "rotary_embedding_dim 16 without num_heads", rotary_embedding_dim=16)
rope("rope_float_scale_int", "scale written as an INT", scale=1)


# ---- Skip(Simplified)LayerNormalization and SimplifiedLayerNormalization
def skipln(name, what, op="SkipSimplifiedLayerNormalization", n_in=3, dom=MS, opsets=(("", 17), (MS, 1)), **attrs):
    ins = [vi("input"), vi("skip"), vi("gamma", T.FLOAT, (64,)), vi("beta", T.FLOAT, (64,)),
           vi("bias", T.FLOAT, (64,)), vi("extra", T.FLOAT, (64,))][:n_in]
    outs = [vi("output")]
    save(name, what, [node(op, [i.name for i in ins], ["output"], dom=dom, **attrs)], ins, outs, opsets=opsets)


skipln("sskipln_ok", "valid SkipSimplifiedLayerNormalization", epsilon=1e-6)
skipln("sskipln_2_inputs", "gamma missing", n_in=2)
skipln("sskipln_5_inputs", "5 inputs", n_in=5)
skipln("sskipln_int_epsilon", "epsilon an INT", epsilon=1)
skipln("sskipln_undeclared", "an attribute the schema does not declare", axis=-1)
skipln("skipln_ok", "valid SkipLayerNormalization with beta", op="SkipLayerNormalization", n_in=4)
skipln("skipln_undeclared", "SkipLayerNormalization with an undeclared attribute", op="SkipLayerNormalization",
       stash_type=1)


def sln(name, what, dom="", opsets=(("", 17), (MS, 1)), **attrs):
    ins = [vi("x"), vi("scale", T.FLOAT, (64,))]
    save(name, what, [node("SimplifiedLayerNormalization", ["x", "scale"], ["y"], dom=dom, **attrs)], ins,
         [vi("y")], opsets=opsets)


sln("sln_default_ok", "SimplifiedLayerNormalization in the default domain, as onnxruntime's tools write it",
    epsilon=1e-6, axis=-1)
sln("sln_com_microsoft", "SimplifiedLayerNormalization put in com.microsoft", dom=MS)
sln("sln_undeclared", "default domain, an attribute the schema does not declare", foo=1)
sln("sln_opset_1", "default domain at opset 1", opsets=(("", 1),))


# ---- activations
def act(name, what, op, n_in=1, opsets=(("", 17), (MS, 1)), **attrs):
    ins = [vi("x"), vi("bias", T.FLOAT, (64,)), vi("extra", T.FLOAT, (64,))][:n_in]
    save(name, what, [node(op, [i.name for i in ins], ["y"], **attrs)], ins, [vi("y")], opsets=opsets)


act("fastgelu_ok", "valid FastGelu", "FastGelu")
act("fastgelu_bias_ok", "FastGelu with bias", "FastGelu", n_in=2)
act("fastgelu_undeclared", "FastGelu with an undeclared attribute", "FastGelu", approximate="tanh")
act("fastgelu_3_inputs", "FastGelu with 3 inputs", "FastGelu", n_in=3)
act("quickgelu_ok", "valid QuickGelu alpha 1.702", "QuickGelu", alpha=1.702)
act("quickgelu_int_alpha", "QuickGelu alpha an INT", "QuickGelu", alpha=2)
act("gelu_ok", "valid com.microsoft Gelu", "Gelu")
act("biasgelu_ok", "valid BiasGelu", "BiasGelu", n_in=2)
act("unknown_op", "an operator com.microsoft does not have", "FancyGelu")
act("no_ms_import", "a com.microsoft node without a com.microsoft opset import", "FastGelu", opsets=(("", 17),))
act("opset_999", "default-domain opset 999", "FastGelu", opsets=(("", 999), (MS, 1)))


# ---- MatMulNBits: A [b, K], B [N, K/bs, bs*bits/8], scales [N * K/bs]
def mnb(name, what, K=64, N=32, bits=4, bs=32, b_shape=None, zp=False, dt=T.FLOAT, n_extra=0, drop=(), **attrs):
    kb = -(-K // bs)
    bits_attr = bits
    bits = 4 if bits is None else bits
    blob = bs * bits // 8
    B = raw("B", T.UINT8, b_shape or [N, kb, blob], int(np.prod(b_shape or [N, kb, blob])))
    sc = nh.from_array(np.full(N * kb, 0.01, np.float16 if dt == T.FLOAT16 else np.float32), "scales")
    inits, ins_names = [B, sc], ["A", "B", "scales"]
    if zp:
        inits.append(raw("zp", T.UINT8, [N, -(-kb * bits // 8)], N * -(-kb * bits // 8)))
        ins_names.append("zp")
    attrs = dict(dict(K=K, N=N, bits=bits_attr, block_size=bs), **attrs)
    attrs = {k: v for k, v in attrs.items() if v is not None and k not in drop}
    ins = [vi("A", dt, ("b", K))]
    ins_names = ins_names + [""] * n_extra
    if n_extra == 3:  # the 6th input: bias [N]
        ins_names[5] = "bias"
        inits.append(nh.from_array(np.zeros(N, np.float32), "bias"))
    save(name, what, [node("MatMulNBits", ins_names, ["Y"], **attrs)], ins, [vi("Y", dt, ("b", N))], inits)


mnb("mnb_ok", "valid: 4 bits, block_size 32")
mnb("mnb_fp16_ok", "valid, float16", dt=T.FLOAT16)
mnb("mnb_zp_ok", "valid with packed zero points", zp=True)
mnb("mnb_8bit_bs16", "8 bits, block_size 16", bits=8, bs=16)
mnb("mnb_8bit_bs32", "8 bits, block_size 32", bits=8, bs=32)
mnb("mnb_2bit", "2 bits, block_size 32", bits=2, bs=32)
mnb("mnb_3bit", "3 bits", bits=3, bs=32, b_shape=[32, 2, 12])
mnb("mnb_bs24", "block_size 24", bs=24, K=48, b_shape=[32, 2, 12])
mnb("mnb_bs8", "block_size 8", bs=8)
mnb("mnb_bs256", "block_size 256", bs=256, K=256)
mnb("mnb_bs512", "block_size 512", bs=512, K=512)
mnb("mnb_no_bits", "bits missing (4 by default where optional)", bits=None)
mnb("mnb_no_K", "K missing", drop=("K",))
mnb("mnb_accuracy_level", "accuracy_level 4", accuracy_level=4)
mnb("mnb_undeclared", "an undeclared attribute", transB=1)
mnb("mnb_bias", "a bias input (the 6th)", n_extra=3)
mnb("mnb_B_shape", "B's shape does not match K/N/block_size", b_shape=[32, 4, 16])


# ---- MultiHeadAttention and PagedAttention
def mha(name, what, **attrs):
    ins = [vi("query"), vi("key"), vi("value")]
    save(name, what, [node("MultiHeadAttention", ["query", "key", "value"], ["output"], **attrs)], ins,
         [vi("output")])


mha("mha_ok", "valid MultiHeadAttention, num_heads 4", num_heads=4)
mha("mha_no_num_heads", "num_heads missing")
mha("mha_undeclared", "an undeclared attribute", num_heads=4, kv_num_heads=2)


def paged(name, what, dt=T.FLOAT, **attrs):
    names = ["query", "key", "value", "key_cache", "value_cache", "cumulative_sequence_length",
             "past_seqlens", "block_table"]
    ins = [vi(n, dt) if i < 5 else vi(n, T.INT32, ("b",)) for i, n in enumerate(names)]
    outs = [vi("output", dt), vi("key_cache_out", dt), vi("value_cache_out", dt)]
    save(name, what, [node("PagedAttention", names, [o.name for o in outs], **attrs)], ins, outs)


paged("paged_ok", "PagedAttention (a CUDA kernel only)", num_heads=4, kv_num_heads=2)
paged("paged_fp16", "PagedAttention, float16", num_heads=4, kv_num_heads=2, dt=T.FLOAT16)
paged("paged_no_heads", "PagedAttention without num_heads", kv_num_heads=2)

# ---- a default-domain operator some WebGPU kernel tables lack
save("gathernd_ok", "GatherND (opset 17)", [h.make_node("GatherND", ["x", "ix"], ["y"], name="gathernd")],
     [vi("x", T.FLOAT, (4, 8)), vi("ix", T.INT64, (3, 1))], [vi("y", T.FLOAT, (3, 8))])

# ---- contrib operators inside a subgraph: onnxruntime resolves If/Loop/Scan
# bodies with their graph and judges their nodes as the main graph's
def in_if(name, what, inner, opsets=(("", 17), (MS, 1))):
    then_g = h.make_graph([inner], "then", [], [vi("y")])
    else_g = h.make_graph([h.make_node("Identity", ["x"], ["y_else"], name="id")], "else", [], [vi("y_else")])
    save(name, what, [h.make_node("If", ["cond"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
         [vi("cond", T.BOOL, ()), vi("x")], [vi("y")], opsets=opsets)


in_if("if_fastgelu_ok", "FastGelu inside an If branch", node("FastGelu", ["x"], ["y"]))
in_if("if_unknown_ms_op", "an operator com.microsoft does not have, inside an If branch",
      node("NoSuchContribOp", ["x"], ["y"]))
in_if("if_fastgelu_undeclared", "FastGelu with an undeclared attribute, inside an If branch",
      node("FastGelu", ["x"], ["y"], alpha=1.0))
in_if("if_mha_no_num_heads", "MultiHeadAttention without num_heads, inside an If branch",
      node("MultiHeadAttention", ["x", "x", "x"], ["y"]))

# GatherND (no WebGPU kernel in onnxruntime-web 1.20.1) in an If branch, its
# indices from a Constant node (onnxruntime makes it an initializer at load)
then_g = h.make_graph([h.make_node("GatherND", ["x", "ix"], ["y"], name="gathernd")], "then", [], [vi("y", T.FLOAT, (3, 8))])
else_g = h.make_graph([h.make_node("Slice", ["x", "s0", "s3"], ["y_else"], name="slice")], "else", [],
                      [vi("y_else", T.FLOAT, (3, 8))])
save("if_gathernd_const", "GatherND in an If branch, indices from a Constant node",
     [h.make_node("Constant", [], ["ix"], name="const", value=nh.from_array(np.array([[0], [2], [3]], np.int64))),
      h.make_node("Constant", [], ["s0"], name="s0", value=nh.from_array(np.array([0], np.int64))),
      h.make_node("Constant", [], ["s3"], name="s3", value=nh.from_array(np.array([3], np.int64))),
      h.make_node("If", ["cond"], ["y"], name="if", then_branch=then_g, else_branch=else_g)],
     [vi("cond", T.BOOL, ()), vi("x", T.FLOAT, (4, 8))], [vi("y", T.FLOAT, (3, 8))], opsets=(("", 17),))

with open(os.path.join(out, "cases.tsv"), "w") as f:
    for name, what in cases:
        f.write("%s\t%s\n" % (name, what))
print(len(cases), "cases")
