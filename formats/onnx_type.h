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

#endif
