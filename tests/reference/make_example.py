#!/usr/bin/env python3
"""Makes examples/tiny-qwen2: a tiny Qwen2 model written by the real tools, the
bundled example of the README.  Run where transformers, torch, onnx and
onnxruntime are installed (the reference machine):

    python3 make_example.py OUT

OUT gets config.json, generation_config.json, a sharded fp16 safetensors
checkpoint (transformers save_pretrained), onnx/model.onnx (torch.onnx.export)
and onnx/model_q4.onnx (onnxruntime's MatMulNBitsQuantizer, 4 bits, block 32,
symmetric), and versions.json saying which versions made them."""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch
import transformers
from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

out = sys.argv[1]
os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
torch.manual_seed(0)
cfg = transformers.Qwen2Config(hidden_size=64, intermediate_size=172, num_hidden_layers=2, num_attention_heads=4,
                               num_key_value_heads=2, vocab_size=512, max_position_embeddings=256,
                               tie_word_embeddings=True, use_cache=False)
model = transformers.Qwen2ForCausalLM(cfg).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() == 2:
            p.normal_(0, 0.02)
model.to(torch.float16).save_pretrained(out, max_shard_size="150KB")
model.to(torch.float32)

ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8]], dtype=torch.long)
onnx_path = os.path.join(out, "onnx", "model.onnx")
how = "dynamo"
try:
    torch.onnx.export(model, (ids,), onnx_path, dynamo=True, opset_version=18, input_names=["input_ids"],
                      output_names=["logits"], dynamic_shapes={"input_ids": {1: torch.export.Dim("seq", max=256)}},
                      external_data=False)
except Exception as e:  # fall back to the TorchScript exporter
    print("dynamo export failed:", e)
    how = "torchscript"
    torch.onnx.export(model, (ids,), onnx_path, dynamo=False, opset_version=17, input_names=["input_ids"],
                      output_names=["logits"], dynamic_axes={"input_ids": {1: "seq"}})
m = onnx.load(onnx_path)
onnx.checker.check_model(m)
q = MatMulNBitsQuantizer(m, block_size=32, is_symmetric=True)
q.process()
q4_path = os.path.join(out, "onnx", "model_q4.onnx")
q.model.save_model_to_file(q4_path, use_external_data_format=False)
onnx.checker.check_model(onnx.load(q4_path))
feeds = {"input_ids": ids.numpy()}
ref = model(ids).logits.detach().numpy()
for p in (onnx_path, q4_path):
    got = onnxruntime.InferenceSession(p, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    print(p, "max |onnxruntime - torch| =", float(np.abs(got - ref).max()))
json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "onnx": onnx.__version__,
           "onnxruntime": onnxruntime.__version__, "exporter": how}, open(os.path.join(out, "versions.json"), "w"),
          indent=2)
for dp, dn, fn in os.walk(out):
    for f in sorted(fn):
        print(os.path.join(dp, f), os.path.getsize(os.path.join(dp, f)))
