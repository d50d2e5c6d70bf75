/* Element types of every format slminspect reads, as one table.
 *
 * Each type has a canonical name (the safetensors spelling where safetensors
 * has the type), its safetensors, ONNX and MLC/numpy names where those exist,
 * its width in bits, and a decoder to double.  Sub-byte types pack elements
 * from the least significant bits of each byte up (element 0 in bits 0..3 of
 * byte 0 for 4-bit types), as ONNX INT4/UINT4/FLOAT4E2M1 and torch's
 * float4_e2m1fn_x2 do. */
#ifndef SLM_DTYPE_H
#define SLM_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slm_dtype {
    SLM_DT_INVALID = 0,
    SLM_DT_BOOL,
    SLM_DT_U8, SLM_DT_I8, SLM_DT_U16, SLM_DT_I16,
    SLM_DT_U32, SLM_DT_I32, SLM_DT_U64, SLM_DT_I64,
    SLM_DT_U4, SLM_DT_I4, SLM_DT_U2, SLM_DT_I2,
    SLM_DT_F16, SLM_DT_BF16, SLM_DT_F32, SLM_DT_F64,
    SLM_DT_F8_E4M3, SLM_DT_F8_E4M3FNUZ, SLM_DT_F8_E5M2, SLM_DT_F8_E5M2FNUZ,
    SLM_DT_F8_E8M0,
    SLM_DT_F6_E2M3, SLM_DT_F6_E3M2, SLM_DT_F4,
    SLM_DT_C64, SLM_DT_C128,
    SLM_DT_STRING,
    SLM_DT__COUNT
} slm_dtype;

typedef enum slm_dtype_kind {
    SLM_KIND_FLOAT, SLM_KIND_INT, SLM_KIND_UINT, SLM_KIND_BOOL,
    SLM_KIND_COMPLEX, SLM_KIND_STRING
} slm_dtype_kind;

typedef struct slm_dtype_info {
    slm_dtype id;
    const char *name;    /* canonical: "F32", "I4", ... */
    const char *st;      /* safetensors dtype string, or NULL */
    int onnx;            /* ONNX TensorProto.DataType, or 0 */
    const char *mlc;     /* MLC / numpy name ("float16"), or NULL */
    uint8_t bits;        /* storage bits per element (0: variable, STRING) */
    slm_dtype_kind kind;
    bool decodes;        /* slm_dtype_get_f64 gives element values */
} slm_dtype_info;

const slm_dtype_info *slm_dtype_info_of(slm_dtype t);
const char *slm_dtype_name(slm_dtype t);
/* SLM_DT_INVALID when unknown.  N is the string's length. */
slm_dtype slm_dtype_from_st(const char *s, size_t n);
slm_dtype slm_dtype_from_onnx(int64_t code);
slm_dtype slm_dtype_from_mlc(const char *s);
slm_dtype slm_dtype_from_name(const char *s);

/* Bytes that N elements occupy: false on overflow or when N elements of a
 * sub-byte type do not fill whole bytes and EXACT is set (safetensors);
 * otherwise rounds up (ONNX packs 4-bit types into ceil(N/2) bytes). */
bool slm_dtype_nbytes(slm_dtype t, uint64_t nelem, bool exact, uint64_t *nbytes);

/* Value of element I of an array of type T at DATA (which must hold it).
 * NaN for types that do not decode (complex, string, 6-bit floats). */
double slm_dtype_get_f64(slm_dtype t, const uint8_t *data, uint64_t i);

/* Scalar conversions, exact. */
float slm_f16_to_f32(uint16_t h);
float slm_bf16_to_f32(uint16_t b);
uint16_t slm_f32_to_f16(float f); /* round to nearest even, IEEE overflow to Inf */

#define SLM_F16_MAX 65504.0
#define SLM_F16_MIN_SUBNORMAL 5.9604644775390625e-08 /* 2^-24 */

#ifdef __cplusplus
}
#endif
#endif
