/* Fast value statistics (stats_x86.c): the same slm_stats as the scalar
 * definition slm_stats_add_ref (tensor.c) -- every count, min and max
 * identical, sum and sumsq equal up to the order of the additions. */
#ifndef SLM_STATS_FAST_H
#define SLM_STATS_FAST_H

#include "slm/tensor.h"

/* Adds elements [FIRST, FIRST+COUNT) of DATA (type T) to S with SIMD
 * kernels; false (S untouched) when T or this CPU has none. */
bool slm_stats_add_fast(slm_stats *s, slm_dtype t, const uint8_t *data, uint64_t first, uint64_t count);

#endif
