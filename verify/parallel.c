/* Work spread over threads (parallel.h). */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct pool {
    size_t n;
    const size_t *order;
    atomic_size_t next;
    void (*fn)(void *arg, unsigned worker, size_t i);
    void *arg;
} pool;

typedef struct worker {
    pool *P;
    unsigned id;
    pthread_t th;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    pool *P = w->P;
    for (size_t k; (k = atomic_fetch_add(&P->next, 1)) < P->n;)
        P->fn(P->arg, w->id, P->order ? P->order[k] : k);
    return NULL;
}

void slm_parallel(size_t n, const size_t *order, unsigned threads, void (*fn)(void *arg, unsigned worker, size_t i),
                  void *arg)
{
    pool P = {n, order, 0, fn, arg};
    atomic_init(&P.next, 0);
    if (threads < 1)
        threads = 1;
    worker *w = threads > 1 ? calloc(threads, sizeof *w) : NULL;
    unsigned started = 1;
    for (; w && started < threads; started++) {
        w[started].P = &P;
        w[started].id = started;
        if (pthread_create(&w[started].th, NULL, run, &w[started]) != 0)
            break;
    }
    worker self = {&P, 0, pthread_self()};
    run(&self);
    for (unsigned i = 1; w && i < started; i++)
        pthread_join(w[i].th, NULL);
    free(w);
}

typedef struct sized {
    uint64_t size;
    size_t i;
} sized;

static int largest_first(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

size_t *slm_order_largest_first(const uint64_t *size, size_t n)
{
    sized *v = malloc((n ? n : 1) * sizeof *v);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!v || !order) {
        free(v);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (sized){size[i], i};
    qsort(v, n, sizeof *v, largest_first);
    for (size_t i = 0; i < n; i++)
        order[i] = v[i].i;
    free(v);
    return order;
}

unsigned slm_parallel_threads(unsigned want, size_t n)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned t = want ? want : cpus > 0 ? (unsigned)cpus : 1u;
    if (t > n)
        t = n ? (unsigned)n : 1u;
    return t;
}
