#!/usr/bin/python3
"""Seeds for fuzz_onnx_ext: small models whose initializers live in
model.onnx_data, packed as the harness reads them
(4-byte little-endian model length | model | data file).

    /usr/bin/python3 fuzz/seeds/onnx_ext.py fuzz/corpus/onnx_ext
"""
import os
import struct
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def external(t, offset, length, location="model.onnx_data", extra=()):
    t.data_location = TensorProto.EXTERNAL
    del t.external_data[:]
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))) + tuple(extra):
        e = t.external_data.add()
        e.key, e.value = k, v
    t.ClearField("raw_data")


def model(inits, nodes, inputs, outputs, opsets=(("", 18),)):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets], ir_version=8)


def pack(m, data):
    b = m.SerializeToString()
    return struct.pack("<I", len(b)) + b + data


def seeds():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((8, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    tw, tb = numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")
    data = w.tobytes() + b.tobytes()
    external(tw, 0, w.nbytes)
    external(tb, w.nbytes, b.nbytes, extra=(("checksum", "0" * 40),))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])]
    yield "matmul_add", pack(model([tw, tb], nodes, [x], [y]), data)
    # 4-bit MatMulNBits with external B and scales (K=16, N=4, block 16)
    q = rng.integers(0, 256, (4, 1, 8), dtype=np.uint8)
    s = rng.random(4).astype(np.float32)
    tq, ts = numpy_helper.from_array(q, "B"), numpy_helper.from_array(s, "scales")
    external(tq, 0, q.nbytes)
    external(ts, 64, s.nbytes)
    qdata = q.tobytes() + bytes(64 - q.nbytes) + s.tobytes()
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    n = helper.make_node("MatMulNBits", ["x", "B", "scales"], ["y"], domain="com.microsoft",
                         K=16, N=4, bits=4, block_size=16)
    yield "matmulnbits", pack(model([tq, ts], [n], [x], [y], (("", 18), ("com.microsoft", 1))), qdata)
    # locations that leave the folder, and a range past the end
    for name, loc, off in (("dotdot", "../model.onnx_data", 0), ("absolute", "/etc/passwd", 0),
                           ("past_end", "model.onnx_data", 1 << 20)):
        t = numpy_helper.from_array(w, "w")
        external(t, off, w.nbytes, location=loc)
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
        yield name, pack(model([t], [helper.make_node("MatMul", ["x", "w"], ["y"])], [x], [y]), w.tobytes())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, blob in seeds():
        with open(os.path.join(out, "seed_" + name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
