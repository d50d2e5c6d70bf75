#!/usr/bin/env python3
"""Makes tests/corpus/qwen2: one small Qwen2 model written by the real tools
(tests/corpus/PROVENANCE.md).  Run where transformers, torch, onnx and
onnxruntime are installed (the device machine; CI never runs it):

    python3 make_qwen2_corpus.py OUT

OUT gets hf_fp16/ and hf_fp32_single/ (transformers save_pretrained),
onnx/model.onnx (torch.onnx.export, dynamo, opset 18), onnx/model_q4.onnx
(onnxruntime's MatMulNBitsQuantizer: 4 bits, block 32, symmetric),
onnx/model_q4f16.onnx (onnxruntime's float16 converter), onnx/model_q4_ext.onnx
+ .onnx_data (onnx external data), mlc_q4f16_1/ and mlc_q4f32_1/ (MLC-LLM's
group quantization, written here), and truth.json files: error metrics computed
with numpy in float64, independently of slminspect.

The weights are random (seeded) with a few outlier input channels per linear
layer, like real checkpoints.  The exporter writes this script's absolute path
into node metadata (stack traces); it is rewritten to a neutral path of the
same length, so no offset moves."""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch
import transformers
from onnx import helper, numpy_helper
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
from onnxruntime.transformers.float16 import convert_float_to_float16

OUT = sys.argv[1]
MLC_SHARD_BYTES = 256 * 1024
GROUP = 32


def metrics(got, ref):
    """The truth files' metrics (PROVENANCE.md), float64, over all elements."""
    got, ref = np.asarray(got, np.float64).ravel(), np.asarray(ref, np.float64).ravel()
    e = got - ref
    se, sr = float((e * e).sum()), float((ref * ref).sum())
    return {"n": int(e.size), "max_abs_err": float(np.abs(e).max()), "mean_abs_err": float(np.abs(e).mean()),
            "rmse": float(np.sqrt(se / e.size)), "ref_rms": float(np.sqrt(sr / e.size)),
            "rel_rmse": float(np.sqrt(se / sr)) if sr else None,
            "cosine": float((got * ref).sum() / np.sqrt((got * got).sum() * sr)) if sr else None,
            "sqnr_db": float(10 * np.log10(sr / se)) if se else None}


def make_model():
    torch.manual_seed(0)
    cfg = transformers.Qwen2Config(hidden_size=256, intermediate_size=688, num_hidden_layers=2,
                                   num_attention_heads=8, num_key_value_heads=2, vocab_size=2048,
                                   max_position_embeddings=512, tie_word_embeddings=True)
    model = transformers.Qwen2ForCausalLM(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.02)
                if "proj" in name:  # a few outlier input channels, as real checkpoints have
                    cols = torch.randperm(p.shape[1])[:4]
                    p[:, cols] *= 10
    return model


def export_onnx(model, onnx_dir):
    ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8]], dtype=torch.long)
    path = os.path.join(onnx_dir, "model.onnx")
    torch.onnx.export(model, (ids,), path, dynamo=True, opset_version=18, input_names=["input_ids"],
                      output_names=["logits"], dynamic_shapes={"input_ids": {1: torch.export.Dim("seq", max=512)}},
                      external_data=False)
    onnx.checker.check_model(onnx.load(path))
    q = MatMulNBitsQuantizer(onnx.load(path), block_size=32, is_symmetric=True)
    q.process()
    q4 = os.path.join(onnx_dir, "model_q4.onnx")
    q.model.save_model_to_file(q4, use_external_data_format=False)
    onnx.save(convert_float_to_float16(onnx.load(q4)), os.path.join(onnx_dir, "model_q4f16.onnx"))
    onnx.save_model(onnx.load(q4), os.path.join(onnx_dir, "model_q4_ext.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model_q4_ext.onnx_data", size_threshold=1024)


def neutral_paths(onnx_dir):
    """This script's absolute path, in the exporter's stack traces, becomes a
    neutral path of the same length (every protobuf length and offset stays)."""
    mine = os.path.abspath(__file__).encode()
    tail = b"/export/" + os.path.basename(mine)
    neutral = (b"/home/user" + b"x" * max(0, len(mine) - len(tail) - 10) + tail)[-len(mine):]
    assert len(neutral) == len(mine)
    for f in os.listdir(onnx_dir):
        p = os.path.join(onnx_dir, f)
        b = open(p, "rb").read()
        if mine in b:
            open(p, "wb").write(b.replace(mine, neutral))


def dequant_matmulnbits(B, scales, K, N, block):
    """com.microsoft MatMulNBits, 4 bits, symmetric (zero point 8): [K, N]."""
    q = np.stack([B & 0x0F, B >> 4], axis=-1).reshape(N, -1)  # low nibble first
    nb = (K + block - 1) // block
    q = q.reshape(N, nb, block).astype(np.float64) - 8
    w = (q * np.asarray(scales, np.float64).reshape(N, nb, 1)).reshape(N, nb * block)[:, :K]
    return w.T


def onnx_truth(onnx_dir, ckpt32, ckpt16, x):
    fp32 = {i.name: numpy_helper.to_array(i) for i in onnx.load(os.path.join(onnx_dir, "model.onnx")).graph.initializer}
    hf_of = {}
    for oname, w in fp32.items():
        if w.ndim == 2:
            hf_of[oname] = next((k for k, v in ckpt32.items() if v.shape == w.T.shape and np.array_equal(v, w.T)), None)
    variants = {}
    for v, params in (("model_q4.onnx", {"block_size": 32, "symmetric": True}),
                      ("model_q4f16.onnx", {"block_size": 32, "symmetric": True, "fp16": True}),
                      ("model_q4_ext.onnx", {"block_size": 32, "symmetric": True})):
        m = onnx.load(os.path.join(onnx_dir, v))
        init = {i.name: numpy_helper.to_array(i, base_dir=onnx_dir) for i in m.graph.initializer}
        tensors = []
        for n in m.graph.node:
            if n.op_type != "MatMulNBits":
                continue
            a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            K, N, block = a["K"], a["N"], a["block_size"]
            B, S = init[n.input[1]], init[n.input[2]]
            W = dequant_matmulnbits(B, S, K, N, block)
            oname = n.input[1][: -len("_Q4")]
            ref32, hf = fp32[oname], hf_of.get(oname)
            xk = x[:, :K]
            single = helper.make_model(helper.make_graph(
                [helper.make_node("MatMulNBits", ["x", "B", "S"], ["y"], domain="com.microsoft", K=K, N=N, bits=4,
                                  block_size=block)], "g",
                [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, xk.shape)],
                [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                [numpy_helper.from_array(B, "B"), numpy_helper.from_array(S.astype(np.float32), "S")]),
                opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)])
            ort_y = onnxruntime.InferenceSession(single.SerializeToString(), providers=["CPUExecutionProvider"]).run(
                None, {"x": xk.astype(np.float32)})[0]
            tensors.append({"node": n.name, "B": n.input[1], "scales": n.input[2],
                            "zero_points": n.input[3] if len(n.input) > 3 and n.input[3] else None,
                            "K": K, "N": N, "bits": a.get("bits", 4), "block_size": block,
                            "scales_dtype": str(S.dtype), "accuracy_level": a.get("accuracy_level"),
                            "onnx_weight": oname, "hf_name": hf,
                            "vs_fp32": metrics(W, ref32), "matmul_vs_fp32": metrics(xk @ W, xk @ ref32.astype(np.float64)),
                            "vs_fp16_ref": metrics(W, ckpt16[hf].T) if hf else None,
                            "ort_vs_numpy_dequant_matmul": metrics(ort_y, xk @ W)})
        variants[v] = {"params": params, "external": v.endswith("_ext.onnx"), "tensors": tensors}
    return variants


def mlc_group_quant(w, dtype):
    """MLC-LLM group quantization along the input axis: [out, in] -> q_weight
    [out, ceil(in/32)*4] uint32 (8 nibbles, the first in the lowest bits), q_scale."""
    w = w.astype(dtype)
    out, k = w.shape
    kp = (k + GROUP - 1) // GROUP * GROUP
    wp = np.zeros((out, kp), dtype)
    wp[:, :k] = w
    g = wp.reshape(out, kp // GROUP, GROUP)
    scale = (np.abs(g).max(axis=2) / dtype(7)).astype(dtype)
    safe = np.where(scale == 0, dtype(1), scale)
    q = np.clip(np.round(g / safe[:, :, None] + dtype(7)), 0, 14).astype(np.uint32).reshape(out, kp // 8, 8)
    packed = np.zeros((out, kp // 8), np.uint32)
    for i in range(8):
        packed |= q[:, :, i] << np.uint32(4 * i)
    return packed, scale


def write_mlc(out, quant, ckpt16, cfg):
    dtype = np.float16 if quant == "q4f16_1" else np.float32
    L = cfg.num_hidden_layers
    params, truth = [], []  # (name, array), truth rows

    def quantized(mlc, parts):
        w = np.concatenate([ckpt16[p].astype(np.float32) for p in parts]).astype(dtype)
        qw, qs = mlc_group_quant(w, dtype)
        params.extend([(mlc + ".q_weight", qw), (mlc + ".q_scale", qs)])
        deq = ((np.stack([(qw >> np.uint32(4 * i)) & 15 for i in range(8)], -1).reshape(w.shape[0], -1).astype(
            np.float64) - 7).reshape(w.shape[0], -1, GROUP) * qs.astype(np.float64)[:, :, None]).reshape(w.shape[0], -1)
        row = 0
        for p in parts:
            n = ckpt16[p].shape[0]
            k = ckpt16[p].shape[1]
            truth.append({"mlc_name": mlc, "rows": [row, row + n], "hf_name": p, "K": k, "N": n,
                          "vs_fp16_ref": metrics(deq[row:row + n, :k], ckpt16[p])})
            row += n

    quantized("model.embed_tokens", ["model.embed_tokens.weight"])
    for i in range(L):
        pre = f"model.layers.{i}."
        quantized(pre + "self_attn.c_attn", [pre + f"self_attn.{x}_proj.weight" for x in "qkv"])
        params.append((pre + "self_attn.c_attn.bias",
                       np.concatenate([ckpt16[pre + f"self_attn.{x}_proj.bias"] for x in "qkv"]).astype(dtype)))
        quantized(pre + "self_attn.o_proj", [pre + "self_attn.o_proj.weight"])
        quantized(pre + "mlp.gate_up_proj", [pre + "mlp.gate_proj.weight", pre + "mlp.up_proj.weight"])
        quantized(pre + "mlp.down_proj", [pre + "mlp.down_proj.weight"])
        for n in ("input_layernorm", "post_attention_layernorm"):
            params.append((pre + n + ".weight", ckpt16[pre + n + ".weight"].astype(dtype)))
    params.append(("model.norm.weight", ckpt16["model.norm.weight"].astype(dtype)))

    os.makedirs(out, exist_ok=True)
    shards, cur = [], []
    for name, a in params:  # a new shard when the next record would pass 256 KiB
        if cur and sum(x.nbytes for _, x in cur) + a.nbytes > MLC_SHARD_BYTES:
            shards.append(cur)
            cur = []
        cur.append((name, a))
    shards.append(cur)
    records = []
    for s, recs in enumerate(shards):
        blob, rs = b"", []
        for name, a in recs:
            rs.append({"name": name, "shape": list(a.shape), "dtype": str(a.dtype), "format": "raw",
                       "nbytes": a.nbytes, "byteOffset": len(blob)})
            blob += np.ascontiguousarray(a).tobytes()
        path = f"params_shard_{s}.bin"
        open(os.path.join(out, path), "wb").write(blob)
        records.append({"dataPath": path, "format": "raw-shard", "nbytes": len(blob), "records": rs,
                        "md5sum": hashlib.md5(blob).hexdigest()})
    nbytes = float(sum(a.nbytes for _, a in params))
    nparams = sum(v.size for v in ckpt16.values())
    json.dump({"metadata": {"ParamSize": len(params), "ParamBytes": nbytes, "BitsPerParam": nbytes * 8 / nparams},
               "records": records}, open(os.path.join(out, "ndarray-cache.json"), "w"))
    mc = {"hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
          "num_attention_heads": cfg.num_attention_heads, "num_hidden_layers": L,
          "num_key_value_heads": cfg.num_key_value_heads, "rms_norm_eps": cfg.rms_norm_eps, "rope_theta": 10000.0,
          "vocab_size": cfg.vocab_size, "tie_word_embeddings": True, "context_window_size": 512,
          "prefill_chunk_size": 128, "tensor_parallel_shards": 1,
          "head_dim": cfg.hidden_size // cfg.num_attention_heads, "dtype": "float32", "max_batch_size": 1}
    json.dump({"version": "0.1.0", "model_type": "qwen2", "quantization": quant, "model_config": mc,
               "vocab_size": cfg.vocab_size, "context_window_size": 512, "sliding_window_size": -1,
               "prefill_chunk_size": 128, "attention_sink_size": -1, "tensor_parallel_shards": 1,
               "temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.05, "conv_template": {"name": "qwen2"},
               "tokenizer_files": ["tokenizer.json"]}, open(os.path.join(out, "mlc-chat-config.json"), "w"), indent=1)
    json.dump({"quantization": quant, "group_size": GROUP, "tensors": truth},
              open(os.path.join(out, "truth.json"), "w"), indent=1)


def main():
    model = make_model()
    ckpt32 = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}  # tied lm_head once
    model.to(torch.float16).save_pretrained(os.path.join(OUT, "hf_fp16"), max_shard_size="500KB")
    ckpt16 = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}
    model.to(torch.float32).save_pretrained(os.path.join(OUT, "hf_fp32_single"), max_shard_size="1GB")
    onnx_dir = os.path.join(OUT, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    export_onnx(model, onnx_dir)
    neutral_paths(onnx_dir)
    x = np.random.default_rng(0).standard_normal((4, 1024))
    truth = {"family": "qwen2", "exporter": "dynamo", "torch": torch.__version__, "onnx": onnx.__version__,
             "onnxruntime": onnxruntime.__version__, "transformers": transformers.__version__,
             "variants": onnx_truth(onnx_dir, ckpt32, ckpt16, x)}
    json.dump(truth, open(os.path.join(OUT, "truth.json"), "w"), indent=1)
    for q in ("q4f16_1", "q4f32_1"):
        write_mlc(os.path.join(OUT, "mlc_" + q), q, ckpt16, model.config)
    for dp, _, fn in sorted(os.walk(OUT)):
        for f in sorted(fn):
            print(os.path.join(dp, f), os.path.getsize(os.path.join(dp, f)))


if __name__ == "__main__":
    main()
