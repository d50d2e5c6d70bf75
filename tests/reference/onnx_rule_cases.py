#!/usr/bin/env python3
"""Small ONNX models that each break one rule the hostile real-model cases
(onnx_mutants.py) do not reach.  Made with onnx.helper (Debian's python3-onnx
1.12 is enough) at test time.

usage: onnx_rule_cases.py OUT_DIR   -> OUT_DIR/<RULE-ID>[_n].onnx, one per case
"""
import os, sys
import numpy as np
from onnx import TensorProto as T, helper as h, numpy_helper as nh

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def vi(name, dt=T.FLOAT, shape=(2,)):
    return h.make_tensor_value_info(name, dt, list(shape))

def model(nodes, inits=(), inputs=None, outputs=None, opsets=(("", 18),), ir=8, functions=(), sparse=(), name="g"):
    inputs = [vi("x")] if inputs is None else inputs
    outputs = [vi("y")] if outputs is None else outputs
    g = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits), sparse_initializer=list(sparse))
    m = h.make_model(g, opset_imports=[h.make_opsetid(d, v) for d, v in opsets], functions=list(functions))
    m.ir_version = ir
    return m

def save(rule, m):
    data = m if isinstance(m, bytes) else m.SerializeToString()
    open(os.path.join(out, rule + ".onnx"), "wb").write(data)

relu = h.make_node("Relu", ["x"], ["y"], name="relu")
save("ok", model([relu]))

# ONNX-002: types nested 120 deep (a graph input of sequence of sequence of ...)
tp = h.make_tensor_type_proto(T.FLOAT, [2])
for _ in range(120):
    tp = h.make_sequence_type_proto(tp)
m = model([relu]); m.graph.input.append(h.make_value_info("deep", tp)); save("ONNX-002", m)
# ONNX-015: a model without a graph
m = model([relu]); m.ClearField("graph"); save("ONNX-015", m)
# ONNX-044: a STRING tensor in raw_data
t = T(); t.name = "w"; t.data_type = T.STRING; t.dims.append(1); t.raw_data = b"abcd"
save("ONNX-044", model([h.make_node("Identity", ["w"], ["y"])], inits=[t], inputs=[], outputs=[vi("y", T.STRING, (1,))]))
# ONNX-016: duplicate metadata key
m = model([relu]); h.set_model_props(m, {"a": "1"}); m.metadata_props.add(key="a", value="2"); save("ONNX-016", m)
# ONNX-021: main-graph input without a type
m = model([relu]); m.graph.input[0].ClearField("type"); save("ONNX-021", m)
# ONNX-022: graph input listed twice
save("ONNX-022", model([relu], inputs=[vi("x"), vi("x")]))
# ONNX-031: node with no inputs and no outputs
save("ONNX-031", model([relu, h.make_node("Relu", [], [], name="nothing")]))
# ONNX-034: attribute with two value fields
n = h.make_node("LeakyRelu", ["x"], ["y"], alpha=0.1); n.attribute[0].i = 3; save("ONNX-034", model([n]))
# ONNX-035: attribute referring to a parent attribute but holding a value, in a subgraph
a = h.make_attribute("alpha", 0.1); a.ref_attr_name = "outer"
sub = h.make_graph([h.make_node("LeakyRelu", ["x"], ["z"])], "then", [], [vi("z")])
sub.node[0].attribute.append(a)
els = h.make_graph([h.make_node("Identity", ["x"], ["w"])], "else", [], [vi("w")])
cond = nh.from_array(np.array(True), "c")
save("ONNX-035", model([h.make_node("If", ["c"], ["y"], then_branch=sub, else_branch=els)], inits=[cond]))
# ONNX-043: FLOAT16 values in float_data instead of int32_data
t = h.make_tensor("w", T.FLOAT16, [2], [0, 0]); t.ClearField("int32_data"); t.float_data.extend([1.0, 2.0])
save("ONNX-043", model([h.make_node("Add", ["x", "w"], ["y"])], inits=[t]))
# ONNX-046: float_data with 3 values for 2 elements
t = h.make_tensor("w", T.FLOAT, [2], [1.0, 2.0]); t.float_data.append(3.0)
save("ONNX-046", model([h.make_node("Add", ["x", "w"], ["y"])], inits=[t]))
# ONNX-050: sparse initializer whose indices are out of range
vals = nh.from_array(np.array([1.0, 2.0], np.float32), "s"); idx = nh.from_array(np.array([0, 9], np.int64), "si")
save("ONNX-050", model([h.make_node("Add", ["x", "s"], ["y"])], sparse=[h.make_sparse_tensor(vals, idx, [4])]))
# ONNX-080: two local functions with the same (domain, name)
f = h.make_function("local", "fn", ["a"], ["b"], [h.make_node("Relu", ["a"], ["b"])], [h.make_opsetid("", 18)])
save("ONNX-080", model([h.make_node("fn", ["x"], ["y"], domain="local")], opsets=(("", 18), ("local", 1)), functions=[f, f]))
# quantized operators
def mnb(K, N, bs=32, bits=4, bshape=None, sshape=None, sdt=np.float32, zp=None, gidx=None):
    kb = (K + bs - 1) // bs
    B = nh.from_array(np.zeros(bshape or (N, kb, bs * bits // 8), np.uint8), "B")
    S = nh.from_array(np.ones(sshape or (N * kb,), sdt), "S")
    inits, ins = [B, S], ["x", "B", "S"]
    if zp is not None:
        inits.append(nh.from_array(zp, "Z")); ins.append("Z")
    if gidx is not None:
        ins += [""] * (4 - len(ins)); inits.append(nh.from_array(gidx, "G")); ins.append("G")
    n = h.make_node("MatMulNBits", ins, ["y"], domain="com.microsoft", K=K, N=N, bits=bits, block_size=bs)
    return model([n], inits=inits, inputs=[vi("x", shape=(1, K))], outputs=[vi("y", shape=(1, N))],
                 opsets=(("", 18), ("com.microsoft", 1)))
save("mnb_ok", mnb(64, 8))
save("ONNX-090", mnb(64, 8, bs=24))
save("ONNX-091", mnb(64, 8, bshape=(8, 2, 8)))
save("ONNX-091_gidx", mnb(64, 8, gidx=np.zeros(63, np.int32)))
save("ONNX-092", mnb(64, 8, sshape=(8,)))
save("ONNX-092_zp", mnb(64, 8, zp=np.zeros(3, np.uint8)))
save("ONNX-203", mnb(40, 8))
# DequantizeLinear-21, INT4 blocked: scale [ceil(K/bs), N] along axis 0
def dql(K, N, bs, sshape):
    x = T(); x.name = "q"; x.dims.extend([K, N])
    x.data_type = 22  # INT4, which onnx 1.12 does not name
    x.raw_data = bytes((K * N + 1) // 2)
    s = nh.from_array(np.ones(sshape, np.float32), "s")
    n1 = h.make_node("DequantizeLinear", ["q", "s"], ["w"], axis=0, block_size=bs)
    n2 = h.make_node("MatMul", ["x", "w"], ["y"])
    return model([n1, n2], inits=[x, s], inputs=[vi("x", shape=(1, K))], outputs=[vi("y", shape=(1, N))],
                 opsets=(("", 21),), ir=10)
save("dql_ok", dql(64, 4, 32, (2, 4)))
save("ONNX-093", dql(64, 4, 32, (3, 4)))
# ONNX-094: MatMulInteger with a float B
Bf = nh.from_array(np.zeros((2, 2), np.float32), "B")
save("ONNX-094", model([h.make_node("MatMulInteger", ["x", "B"], ["y"])], inits=[Bf],
                       inputs=[vi("x", T.UINT8, (2, 2))], outputs=[vi("y", T.INT32, (2, 2))]))
# ONNX-105: an initializer that is also a graph input
w = nh.from_array(np.ones(2, np.float32), "w")
save("ONNX-105", model([h.make_node("Add", ["x", "w"], ["y"])], inits=[w], inputs=[vi("x"), vi("w")]))
# operator schemas (onnx.checker's check_node -> OpSchema::Verify)
# ok: LayerNormalization-17 takes attributes it does not declare; names that
# start with "__" are skipped; an optional input left empty
ln = h.make_node("LayerNormalization", ["x", "w"], ["y"], axis=-1, extra_attr=1, name="ln")
rl = h.make_node("Relu", ["x"], ["r"], __internal=3)
cl = h.make_node("Clip", ["x", "", "mx"], ["c"])
w2, mx = nh.from_array(np.ones(2, np.float32), "w"), nh.from_array(np.array(1.0, np.float32), "mx")
save("ok_schema", model([ln, rl, cl], inits=[w2, mx], outputs=[vi("y"), vi("r"), vi("c")]))
# ONNX-071: no operator of that name; an operator newer than the imported
# opset (Gelu is 20); the default domain spelled "ai.onnx" (the registry
# keeps its schemas under "")
save("ONNX-071", model([h.make_node("NoSuchOp", ["x"], ["y"])]))
save("ONNX-071_since", model([h.make_node("Gelu", ["x"], ["y"])]))
save("ONNX-071_aionnx", model([h.make_node("Relu", ["x"], ["y"], domain="ai.onnx")], opsets=(("", 18), ("ai.onnx", 18))))
# ONNX-072: Upsample is deprecated from opset 10
sc = nh.from_array(np.ones(1, np.float32), "scales")
save("ONNX-072", model([h.make_node("Upsample", ["x", "scales"], ["y"])], inits=[sc], opsets=(("", 10),), ir=5))
# ONNX-073: two inputs to Relu; an empty name for a single input; two outputs
# of BatchNormalization-15 (1 or 3)
save("ONNX-073", model([h.make_node("Relu", ["x", "x"], ["y"])]))
save("ONNX-073_empty", model([h.make_node("Add", ["x", ""], ["y"])]))
bn = [nh.from_array(np.ones(2, np.float32), k) for k in ("s", "b", "m", "v")]
save("ONNX-073_bn", model([h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm"])], inits=bn,
                          inputs=[vi("x", shape=(1, 2))], outputs=[vi("y", shape=(1, 2))]))
# ONNX-074: Concat without its required axis
save("ONNX-074", model([h.make_node("Concat", ["x", "x"], ["y"])], outputs=[vi("y", shape=(4,))]))
# ONNX-075: an attribute Relu does not declare
save("ONNX-075", model([h.make_node("Relu", ["x"], ["y"], alpha=0.5)]))
# ONNX-076: LeakyRelu's alpha as an INT; If's then_branch typed GRAPH without a graph
save("ONNX-076", model([h.make_node("LeakyRelu", ["x"], ["y"], alpha=1)]))
n = h.make_node("If", ["c"], ["y"], then_branch=els, else_branch=els)
n.attribute[0].ClearField("g")
save("ONNX-076_g", model([n], inits=[cond]))
# ONNX-050 with the indices in int64_data (not raw_data): out of range, unsorted
def sparse_typed(idx, shape):
    it = h.make_tensor("si", T.INT64, shape, idx)
    return model([h.make_node("Add", ["x", "s"], ["y"])], sparse=[h.make_sparse_tensor(vals, it, [4])],
                 inputs=[vi("x", shape=(4,))], outputs=[vi("y", shape=(4,))])
save("ONNX-050_typed", sparse_typed([0, 9], [2]))
save("ONNX-050_typed2d", sparse_typed([2, 1], [2, 1]))
save("sparse_typed_ok", sparse_typed([1, 3], [2]))
# ONNX-102 at the newest IR: opset 28 came with IR 14 (onnx 1.23)
save("ONNX-102_ir13", model([relu], opsets=(("", 28),), ir=13))
save("ir14_ok", model([relu], opsets=(("", 28),), ir=14))
