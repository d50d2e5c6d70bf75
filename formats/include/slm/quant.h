/* Quantized weights: the layouts slminspect understands, as one description
 * that the format modules fill (ONNX MatMulNBits and DequantizeLinear, MLC
 * group quantization) and the quantization checks consume.
 *
 * Orientation: a quantized weight W is N rows (output features) by K columns
 * (input features), as a checkpoint's Linear weight [out, in].  Y = X * W^T
 * for activations X of M rows by K columns. */
#ifndef SLM_QUANT_H
#define SLM_QUANT_H

#include "slm/core.h"
#include "slm/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum slm_qlayout {
    /* com.microsoft MatMulNBits: B uint8 [N, ceil(K/bs), bs*bits/8], scales
     * [N * ceil(K/bs)] (float or float16), zero_points packed uint8
     * [N, ceil(ceil(K/bs)*bits/8)] or typed like scales; absent means the
     * implicit zero point 2^(bits-1).  Low bits first within a byte. */
    SLM_QL_MATMULNBITS,
    /* ONNX DequantizeLinear with INT4/UINT4 (or 8-bit) x, blocked scales
     * (opset 21 block_size); w = (x - zero_point) * scale. */
    SLM_QL_DQL_BLOCKED,
    /* MLC q4f16_1 / q4f32_1 group quantization: q_weight uint32 [N, K/8]
     * (8 nibbles a word, element 0 in the low bits), q_scale [N, ceil(K/32)]
     * in the model dtype; w = (q - 7) * scale. */
    SLM_QL_MLC_GROUP,
} slm_qlayout;

typedef struct slm_qweight {
    const char *name;       /* the packed weight's name */
    const char *op;         /* the node (ONNX) or parameter (MLC) it belongs to */
    slm_qlayout layout;
    unsigned bits;
    uint64_t block_size;    /* elements per block (group) along K */
    uint64_t K, N;
    bool symmetric;         /* no zero points: the layout's implicit one */
    const slm_tensor *q;    /* packed values */
    const slm_tensor *scales;
    const slm_tensor *zero_points; /* NULL when symmetric */
    const slm_tensor *g_idx;       /* NULL when absent */
    const slm_tensor *bias;        /* NULL when absent */
    int64_t accuracy_level;        /* MatMulNBits attribute, -1 when absent */
    /* SLM_QL_DQL_BLOCKED only: x (q) is stored [K, N] row-major, blocks
     * along axis 0 (the MatMul weight layout, W transposed); scales and
     * zero_points are [ceil(K/block_size), N].  false: x is [N, K] with
     * blocks along axis 1, scales [N, ceil(K/block_size)]. */
    bool transposed;
} slm_qweight;

#ifdef __cplusplus
}
#endif
#endif
