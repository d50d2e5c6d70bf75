/* Fast value statistics (stats_x86.c): the same slm_stats as the scalar
 * definition slm_stats_add_ref (tensor.c) -- every count, min and max
 * identical, sum and sumsq equal up to the order of the additions. */
#ifndef SLM_STATS_FAST_H
#define SLM_STATS_FAST_H

#include "slm/tensor.h"

/* Adds elements [FIRST, FIRST+COUNT) of DATA (type T) to S with SIMD
 * kernels; false (S untouched) when T or this CPU has none. */
bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count);

/* The kernels by instruction set (the tests run each one this CPU has). */
enum { SLM_ISA_NONE = 0, SLM_ISA_AVX2 = 1, SLM_ISA_AVX512 = 2 };
/* The best this CPU runs. */
int slm_stats_isa(void);
/* slm_stats_add_fast with the kernels of ISA (false when this CPU lacks it). */
bool slm_stats_add_isa(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count, int isa);

/* Shared by the kernels.  A span's min LO and max HI (over its finite
 * values) into S: a zero takes the sign of the span's first zero (P, N
 * elements of ESZ bytes), as the definition keeps the first of equal values. */
void slm_stats_put_minmax(slm_stats *s, double lo, double hi, const uint8_t *p, uint64_t n, size_t esz);
/* Elements [0, N) of P (type T), the tail a kernel leaves, by the definition. */
void slm_stats_put_tail(slm_stats *s, slm_dtype t, const uint8_t *p, uint64_t n);
/* F16, BF16, F32 with AVX-512 (stats_avx512.c); false for other types. */
bool slm_stats_avx512(slm_stats *s, slm_dtype t, const uint8_t *p, uint64_t count);

#endif
