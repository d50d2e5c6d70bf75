/* onnxruntime as a judge of ONNX models (spec/onnx.md "Two judges").
 *
 * onnxruntime checks each node with onnx's check_node over its own schema
 * registry: onnx's operators plus the contrib operators it registers (the
 * com.microsoft domain, and a few in the default domain such as
 * SimplifiedLayerNormalization).  That registry differs per release; the
 * table of the releases users meet is spec/ort_ops.tsv, compiled in as
 * formats/ort_ops.inc.  Then each kernel's constructor checks its attributes
 * against its inputs when the session is created (GatherBlockQuantized,
 * MatMulNBits, ...): slm_ort_check applies both, as release REL does. */
#ifndef SLM_ORT_H
#define SLM_ORT_H

#include "slm/onnx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The releases of the table, oldest first ("1.20.1", ...). */
int slm_ort_release_count(void);
const char *slm_ort_release_name(int rel);
/* The release a version names: "1.22", "1.22.0", "1.22.0-dev.2025..." match by
 * major.minor; a version between two releases takes the older one, a newer
 * one the newest, an older one the oldest.  -1 when V is not a version. */
int slm_ort_release_find(const char *v);

/* Does release REL register operator OP of domain DOM ("" = default) beyond
 * onnx's own operators?  *KNOWN: whether the table has DOM at all. */
bool slm_ort_registers(int rel, const char *dom, const char *op);
/* Is DOM a domain whose operators onnxruntime registers itself? */
bool slm_ort_domain(const char *dom);
/* The version of DOM ("" for the default domain) a node resolves to in
 * onnxruntime: the model's import, or 1 for a domain onnxruntime registers
 * that the model does not import. */
int64_t slm_ort_opset_of(const slm_onnx *o, const char *dom);

/* Whose rule an ONNX rule is (spec/onnx.md "Two judges"): "onnx.checker",
 * "onnxruntime", "protobuf" (both parsers), "slminspect" (stricter, or
 * deployment advice) or "onnx.checker, onnxruntime" (ONNX-320: they disagree);
 * NULL for the rules of other formats. */
const char *slm_onnx_rule_judge(slm_rule_id r);

/* Checks every node of O's main graph that release REL's contrib registry
 * judges (ONNX-301..ONNX-305) and the kernel constraints (ONNX-310..). */
void slm_ort_check(const slm_onnx *o, int rel, slm_diag *d);

#ifdef __cplusplus
}
#endif
#endif
