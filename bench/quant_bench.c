/* bench/quant.sh's kernel timing: slminspect's fast int4 GEMV (M=1) and
 * GEMM (M=16) on the MatMulNBits weight of gemm.onnx (read by slminspect's
 * ONNX reader, the same bytes onnxruntime gets), one thread, and the
 * single-core memory read bandwidth of this machine.
 *
 *   quant_bench gemm.onnx [REPS]
 *
 * Two ways of running the same kernel:
 *   hot   the same weight every call: after the first call its 10 MiB sit
 *         in the 32 MiB last-level cache, as in onnxruntime's loop over one
 *         model (quant_ort.js on gemm.onnx);
 *   cold  calls rotate over COPIES distinct copies of the weight (together
 *         at least 256 MiB, 8x the last-level cache), so every call reads
 *         its weight from DRAM: the figure to hold against the bandwidth.
 * The bandwidth is read the same way: a 1 GiB buffer streamed once per pass,
 * and the cold copies themselves streamed in the cold calls' rotation (the
 * memory those calls read: in a VM, copies of the same size read at rates
 * 2x apart, wherever their pages landed).
 * Every call is timed twice, wall clock and this thread's CPU time (the
 * machine is shared: CPU time leaves out the time other processes held the
 * core); medians and best of REPS calls are printed, one line each, as
 *   name: wall median W ms best B ms, cpu median C ms best D ms [...] */
#include <slm/slm.h>

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct timing {
    double wall_med, wall_best, cpu_med, cpu_best;
} timing;

static timing summarize(double *wall, double *cpu, int n)
{
    qsort(wall, (size_t)n, sizeof *wall, cmp);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp);
    return (timing){wall[n / 2], wall[0], cpu[n / 2], cpu[0]};
}

static void print_timing(const char *name, timing t, double scale, const char *unit)
{
    printf("%s: wall median %.3f %s best %.3f %s, cpu median %.3f %s best %.3f %s", name, t.wall_med * scale, unit,
           t.wall_best * scale, unit, t.cpu_med * scale, unit, t.cpu_best * scale, unit);
}

/* One pass over N bytes (a multiple of 128) with AVX2 loads: the
 * single-core read bandwidth. */
__attribute__((target("avx2"))) static void read_pass(const uint8_t *p, size_t n)
{
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 128) {
        a0 = _mm256_add_epi8(a0, _mm256_loadu_si256((const __m256i *)(const void *)(p + i)));
        a1 = _mm256_add_epi8(a1, _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32)));
        a2 = _mm256_add_epi8(a2, _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 64)));
        a3 = _mm256_add_epi8(a3, _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 96)));
    }
    volatile int sink = _mm256_extract_epi8(_mm256_add_epi8(_mm256_add_epi8(a0, a1), _mm256_add_epi8(a2, a3)), 0);
    (void)sink;
}

/* Seconds per pass over 1 GiB (touched first: no page faults timed). */
static timing read_bw(void)
{
    enum { PASSES = 9 };
    size_t n = (size_t)1 << 30;
    uint8_t *p = aligned_alloc(64, n);
    double w[PASSES], c[PASSES];
    if (!p)
        exit(1);
    memset(p, 1, n);
    for (int r = 0; r < PASSES; r++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        read_pass(p, n);
        c[r] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        w[r] = clock_s(CLOCK_MONOTONIC) - w0;
    }
    free(p);
    return summarize(w, c, PASSES);
}

/* A copy of Q whose packed values and scales live in their own buffers. */
typedef struct wcopy {
    slm_qweight q;
    slm_tensor tq, ts;
} wcopy;

/* N rounded up to a multiple of 128 (read_pass reads whole buffers). */
static size_t round128(size_t n)
{
    return (n + 127) & ~(size_t)127;
}

static void copy_weight(wcopy *c, const slm_qweight *q)
{
    c->q = *q;
    c->tq = *q->q;
    c->ts = *q->scales;
    uint8_t *a = aligned_alloc(64, round128(q->q->nbytes)), *b = aligned_alloc(64, round128(q->scales->nbytes));
    if (!a || !b)
        exit(1);
    memcpy(a, q->q->data, q->q->nbytes);
    memcpy(b, q->scales->data, q->scales->nbytes);
    c->tq.data = a;
    c->ts.data = b;
    c->q.q = &c->tq;
    c->q.scales = &c->ts;
}

/* What one timed call does to copy C: a matmul of J's X, or a read. */
typedef struct job {
    const float *x;
    int M;
    float *y;
} job;

static void call_matmul(const wcopy *c, const job *j)
{
    slm_q_matmul(&c->q, j->x, (uint64_t)j->M, j->y);
}

/* The copy's packed values and scales streamed (the memory a matmul reads). */
static void call_read(const wcopy *c, const job *j)
{
    (void)j;
    read_pass(c->tq.data, round128(c->tq.nbytes));
    read_pass(c->ts.data, round128(c->ts.nbytes));
}

/* REPS timed calls, rotating over COPIES copies (cold) or on copy 0 alone
 * (COPIES 1, hot), after WARM untimed ones on copy 0. */
static timing timed(void (*call)(const wcopy *, const job *), const wcopy *w, int copies, const job *j, int reps,
                    int warm)
{
    double *wt = malloc(sizeof(double) * reps), *ct = malloc(sizeof(double) * reps);
    for (int r = 0; r < warm; r++)
        call(&w[0], j);
    for (int r = 0; r < reps; r++) {
        const wcopy *c = &w[copies > 1 ? (r + 1) % copies : 0];
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        call(c, j);
        ct[r] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        wt[r] = clock_s(CLOCK_MONOTONIC) - w0;
    }
    timing t = summarize(wt, ct, reps);
    free(wt);
    free(ct);
    return t;
}

int main(int argc, char **argv)
{
    slm_model m;
    slm_diag d;
    slm_diag_init(&d);
    if (argc < 2 || slm_model_open(&m, argv[1], &d) || m.nq != 1) {
        fprintf(stderr, "usage: quant_bench gemm.onnx [REPS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 100;
    const slm_qweight *q = &m.q[0];
    uint64_t K = q->K, N = q->N, bytes = q->q->nbytes + q->scales->nbytes;
    int copies = (int)((256ull << 20) / bytes + 1);
    wcopy *w = malloc(sizeof *w * (size_t)copies);
    for (int i = 0; i < copies; i++)
        copy_weight(&w[i], q);
    printf("kernel %s, K=%llu N=%llu block %llu, packed weight + scales %.2f MiB, cold: %d copies (%.0f MiB)\n",
           slm_q_kernel(), (unsigned long long)K, (unsigned long long)N, (unsigned long long)q->block_size,
           bytes / 1048576.0, copies, copies * (bytes / 1048576.0));
    timing bw = read_bw();
    print_timing("read bandwidth, s per GiB", bw, 1.0, "s");
    printf(" = %.2f GB/s (median wall), %.2f GB/s (median cpu)\n", (1 << 30) / bw.wall_med / 1e9,
           (1 << 30) / bw.cpu_med / 1e9);
    static const int Ms[] = {1, 16};
    for (int mi = 0; mi < 2; mi++) {
        int M = Ms[mi];
        float *x = malloc(sizeof(float) * M * K), *y = malloc(sizeof(float) * M * N);
        for (uint64_t i = 0; i < M * K; i++)
            x[i] = (float)__builtin_sin((double)i);
        for (int cold = 0; cold < 2; cold++) {
            char name[64];
            snprintf(name, sizeof name, "slminspect M=%d %s", M, cold ? "cold" : "hot");
            job j = {x, M, y};
            timing t = timed(call_matmul, w, cold ? copies : 1, &j, M == 1 ? reps : reps / 5 + 1, 3);
            print_timing(name, t, 1e3, "ms");
            if (M == 1)
                printf(", weights at %.2f GB/s (median wall) = %.0f%% of the read bandwidth; %.2f GB/s cpu = %.0f%%",
                       bytes / t.wall_med / 1e9, 100.0 * bytes / t.wall_med / ((1 << 30) / bw.wall_med),
                       bytes / t.cpu_med / 1e9, 100.0 * bytes / t.cpu_med / ((1 << 30) / bw.cpu_med));
            printf("\n");
            if (M == 1 && cold) { /* right after the cold calls, the same copies in the same order */
                timing rc = timed(call_read, w, copies, NULL, reps, 0);
                print_timing("read of the cold copies, per copy", rc, 1e3, "ms");
                printf(" = %.2f GB/s (median wall), %.2f GB/s (median cpu); the cold GEMV reads them at %.0f%% "
                       "(wall) / %.0f%% (cpu) of that\n",
                       bytes / rc.wall_med / 1e9, bytes / rc.cpu_med / 1e9, 100.0 * rc.wall_med / t.wall_med,
                       100.0 * rc.cpu_med / t.cpu_med);
            }
        }
        free(x);
        free(y);
    }
    for (int i = 0; i < copies; i++) {
        free((void *)w[i].tq.data);
        free((void *)w[i].ts.data);
    }
    free(w);
    slm_model_close(&m);
    slm_diag_free(&d);
    return 0;
}
