/* slminspect's parsing core: the public header.
 *
 *   #include <slm/slm.h>      link with -lslmformats -lcjson -lprotobuf-c -lxxhash -lm
 *
 * Modules: core (maps, cursors, rules, findings), dtype, json, tensor,
 * safetensors, hfindex (sharded-checkpoint manifests), model (artifacts).
 * No function prints or exits; problems are findings in an slm_diag. */
#ifndef SLM_SLM_H
#define SLM_SLM_H

#include "slm/core.h"
#include "slm/dtype.h"
#include "slm/format.h"
#include "slm/ggml_quants.h"
#include "slm/ggml_types.h"
#include "slm/gguf.h"
#include "slm/hfindex.h"
#include "slm/json.h"
#include "slm/llama_names.h"
#include "slm/mlc.h"
#include "slm/model.h"
#include "slm/onnx.h"
#include "slm/pointer.h"
#include "slm/ort.h"
#include "slm/quant.h"
#include "slm/safetensors.h"
#include "slm/tensor.h"
#include "slm/wasm.h"

#endif
