/* Private to formats/: TypeProto trees (slm_onnx_type, slm/onnx.h) built
 * from protobuf-c's unpacked messages, and freed. */
#ifndef SLM_ONNX_TYPE_PRIVATE_H
#define SLM_ONNX_TYPE_PRIVATE_H

#include "slm/onnx.h"

#include "onnx.pb-c.h"

/* A copy of TP (NULL for NULL, or when memory runs out).  The caller bounded
 * TP's nesting before protobuf-c unpacked it (SLM_ONNX_MAX_DEPTH). */
slm_onnx_type *slm_onnx_type_from_pb(const Onnx__TypeProto *tp);
void slm_onnx_type_free(slm_onnx_type *t);

/* The highest TensorProto.DataType code onnxruntime reads in a type
 * (measured: onnxruntime 1.30 refuses "Invalid tensor data type 23", the
 * FLOAT4E2M1 of onnx 1.18, and every code above, tests/cli/onnx_types.sh). */
#define SLM_ONNX_ORT_MAX_TYPE_CODE 22

/* Why onnxruntime cannot turn TYPE into one of its data types (ONNX-029), or
 * NULL: an element or key type it does not know (0, unset, or above
 * SLM_ONNX_ORT_MAX_TYPE_CODE), or a nested type (sequence or optional
 * element, map value) without a value case.  A top-level type without a
 * value case is no problem: onnxruntime leaves such a value untyped. */
const char *slm_onnx_type_ort_problem(const slm_onnx_type *t, bool top);

#endif
