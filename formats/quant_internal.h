/* What the quant_*.c files share, and nothing outside them uses: a
 * weight's geometry, the scalar accessors of the reference (quant.c), the
 * kernel level (quant_cpu.c) and the entry points of the fast kernels of
 * each instruction set (quant_x86_avx2.c, quant_x86_avx2_gemv.c,
 * quant_x86_avx2_gemm.c, quant_x86_avx512.c). */
#ifndef SLM_QUANT_INTERNAL_H
#define SLM_QUANT_INTERNAL_H

#include "slm/quant.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define SLM_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* The target of the AVX-512 kernels: AVX-512F (16-lane permutes, masks,
 * ternary logic) beside the AVX2 level they fall back on. */
#define T512 "avx512f,avx2,fma,f16c"
/* The target of the AVX2 kernels. */
#define T256 "avx2,fma,f16c"

typedef struct qgeom {
    uint64_t nb;         /* blocks along K (scale index stride per row) */
    uint64_t row_bytes;  /* MatMulNBits / MLC: bytes of one packed row */
    uint64_t zp_stride;  /* packed zero points: bytes per row */
    bool zp_packed;      /* zero points are uint8-packed */
} qgeom;

/* quant.c: why Q cannot be read (NULL when it can), and its geometry. */
const char *slm_qi_geom(const slm_qweight *q, qgeom *g);
/* Block of element K (g_idx when present; the caller checks it < nb). */
uint64_t slm_qi_block_of(const slm_qweight *q, uint64_t k);
/* Scale and zero point of block B of row R. */
float slm_qi_scale_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b);
float slm_qi_zp_at(const slm_qweight *q, const qgeom *g, uint64_t r, uint64_t b);

/* Element I of a stream of nibbles, low nibble first. */
static inline unsigned nibble(const uint8_t *p, uint64_t i)
{
    return (p[i / 2] >> (4 * (i & 1))) & 15u;
}

/* quant_cpu.c: the level of the fast kernels that runs here. */
typedef enum { KER_SCALAR, KER_SSE2, KER_AVX2, KER_AVX512 } kernel_level;
kernel_level slm_qi_level(void);
/* The rows the SIMD kernels take: a nibble or byte stream per row, blocks
 * of a multiple of 16 elements, no g_idx. */
bool slm_qi_streamable(const slm_qweight *q);
/* Scales and zero points of row R as floats (NB of each). */
void slm_qi_row_params(const slm_qweight *q, const qgeom *g, uint64_t r, float *s, float *z);

/* X for the GEMV ("rows") kernels of both x86 levels, which read each
 * class's field as a float as it is, RAW (quant_x86_avx2_gemv.c says why
 * that is exact), or convert it where FMAs take subnormal inputs slowly.
 * A step of a row is LANES dword lanes (8 or 16) of E = 32 / bits
 * elements, CE = LANES E elements; class u, element u of every lane, is
 * masked at bit P(u) (quant_cpu.c).  Each row's steps are stored class by
 * class, times 2^(149 - P(u) - c) (raw) or 2^(-P(u) - c), c = 22 + the
 * exponent of the row's largest finite |x| (at least -100). */
typedef struct slm_qi_xrows {
    float *x;    /* m rows of kq floats: steps of CE in class order, scaled, zero padded */
    float *bsum; /* m rows of nbp block sums (zero past nbk) */
    double *up;  /* m factors 2^c: back from the scaled sums */
    uint64_t kq, nbk, nbp, nch, used; /* used = nbk * block_size elements of a row are read */
} slm_qi_xrows;
/* False (nothing to free) when memory runs out or the sizes overflow. */
bool slm_qi_xrows_make(slm_qi_xrows *p, const slm_qweight *q, const float *x, uint64_t m, unsigned lanes, bool raw);
void slm_qi_xrows_free(slm_qi_xrows *p);
/* Whether FMAs take subnormal inputs at full speed here (measured once, in
 * microseconds; SLM_QUANT_SUBNORMAL=slow in the environment says no, for
 * the tests). */
bool slm_qi_subnormals_fast(void);
/* N zeroed floats, 64-byte aligned (vector loads never cross a cache
 * line), or NULL. */
float *slm_qi_zalloc64(uint64_t n);
/* X^T for the lanes (GEMM) kernels of both levels: panels of 16 rows, kq (a
 * multiple of 32) x 16, each row's elements in the lanes order below, zero
 * padded; USED elements of a row are read (quant_cpu.c makes it). */
typedef struct slm_qi_xlanes {
    float *x;
    uint64_t kq, used;
} slm_qi_xlanes;
/* The element at position K of the lanes order: a 4-bit row's 32-element
 * groups hold the low nibbles' elements first, then the high ones'. */
static inline uint64_t slm_qi_lane_elem(unsigned bits, uint64_t k)
{
    uint64_t p = k & 31;
    return bits != 4 ? k : (k - p) + (p < 16 ? 2 * p : 2 * (p - 16) + 1);
}
/* X (M rows of K) as Q's lanes kernels read it; false when memory runs out
 * or the sizes overflow (P->x NULL then). */
bool slm_qi_xlanes_make(slm_qi_xlanes *p, const slm_qweight *q, const float *x, uint64_t m);
/* Float I of P (native byte order, any alignment). */
static inline float slm_qi_ld_f32(const uint8_t *p, uint64_t i)
{
    float v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}

/* Row parameters without a heap allocation for the usual sizes. */
typedef struct rowbuf {
    float small[2 * 512];
    float *s, *z;
    float *heap;
} rowbuf;
bool slm_qi_rowbuf_get(rowbuf *rb, uint64_t nb);

#ifdef SLM_X86
/* Row dequantization from the packed row ROW and its parameters S, Z. */
void slm_qi_deq_row_sse2(const slm_qweight *q, const uint8_t *row, const float *s, const float *z, float *out);
void slm_qi_deq_row_avx2(const slm_qweight *q, const uint8_t *row, const float *s, const float *z, float *out);
void slm_qi_deq_row_avx512(const slm_qweight *q, const uint8_t *row, const float *s, const float *z, float *out);
/* The sum of the 8 lanes of V. */
__attribute__((target(T256), always_inline)) static inline float slm_qi_hsum256(__m256 v)
{
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_add_ps(a, _mm_movehl_ps(a, a));
    a = _mm_add_ss(a, _mm_movehdup_ps(a));
    return _mm_cvtss_f32(a);
}
/* Scales and zero points of row R as floats (nb of each). */
void slm_qi_row_params_avx2(const slm_qweight *q, const qgeom *g, uint64_t r, float *s, float *z);
/* Y = X W^T (block_size a power of 2); false when memory runs out: the
 * caller then computes Y itself. */
bool slm_qi_matmul_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y);
/* The GEMV kernel of slm_qi_matmul_avx2; false (nothing written) when
 * memory runs out. */
bool slm_qi_rows_avx2(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y);
bool slm_qi_matmul_avx512(const slm_qweight *q, const qgeom *g, const float *x, uint64_t m, float *y);
void slm_qi_f16_row_avx2(const uint8_t *p, uint64_t n, float *out);
double slm_qi_dot_avx2(const float *a, const float *b, uint64_t n);
#endif

#endif
