/* Work spread over threads: the pools of verify (paths), quant (pairs) and
 * hash (files) in one place. */
#ifndef SLM_PARALLEL_H
#define SLM_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

/* Calls FN(ARG, WORKER, ORDER[k]) for every k < N (ORDER NULL: k itself),
 * each once, on THREADS threads, the caller's among them; indices are handed
 * out in order, one at a time, to whichever thread is free.  WORKER (0 ..
 * THREADS-1) names the thread, for per-thread state.  A thread that cannot
 * be started makes it slower, never wrong. */
void slm_parallel(size_t n, const size_t *order, unsigned threads, void (*fn)(void *arg, unsigned worker, size_t i),
                  void *arg);
/* Indices 0..N-1 by SIZE, largest first (ties in index order), so the
 * last jobs to start are small; malloc'd, NULL when memory runs out. */
size_t *slm_order_largest_first(const uint64_t *size, size_t n);
/* THREADS for N jobs: WANT (0: one per online CPU), at most N, at least 1. */
unsigned slm_parallel_threads(unsigned want, size_t n);

#endif
