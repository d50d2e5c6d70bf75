/* bench/quant.sh's kernel timing: the fast int4 GEMV (M=1) and GEMM (M=16)
 * on the MatMulNBits weight of gemm.onnx (read by slminspect's ONNX reader,
 * the same bytes onnxruntime gets), single thread, and the single-core
 * memory read bandwidth of this machine.
 *   quant_bench gemm.onnx */
#include <slm/slm.h>

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

__attribute__((target("avx2"))) static double read_bw(void)
{
    size_t n = (size_t)1 << 30; /* 1 GiB: beyond every cache */
    uint8_t *p = malloc(n);
    memset(p, 1, n);
    double best = 0;
    for (int r = 0; r < 5; r++) {
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        double t = now();
        for (size_t i = 0; i < n; i += 128) {
            a0 = _mm256_add_epi8(a0, _mm256_load_si256((const __m256i *)(const void *)(p + i)));
            a1 = _mm256_add_epi8(a1, _mm256_load_si256((const __m256i *)(const void *)(p + i + 32)));
            a2 = _mm256_add_epi8(a2, _mm256_load_si256((const __m256i *)(const void *)(p + i + 64)));
            a3 = _mm256_add_epi8(a3, _mm256_load_si256((const __m256i *)(const void *)(p + i + 96)));
        }
        t = now() - t;
        volatile int sink = _mm256_extract_epi8(_mm256_add_epi8(_mm256_add_epi8(a0, a1), _mm256_add_epi8(a2, a3)), 0);
        (void)sink;
        if (n / t > best)
            best = (double)n / t;
    }
    free(p);
    return best;
}

int main(int argc, char **argv)
{
    slm_model m;
    slm_diag d;
    slm_diag_init(&d);
    if (argc < 2 || slm_model_open(&m, argv[1], &d) || m.nq != 1) {
        fprintf(stderr, "usage: quant_bench gemm.onnx\n");
        return 2;
    }
    const slm_qweight *q = &m.q[0];
    uint64_t K = q->K, N = q->N, bytes = q->q->nbytes + q->scales->nbytes;
    printf("kernel %s, K=%llu N=%llu block %llu, packed weight + scales %.1f MiB\n", slm_q_kernel(),
           (unsigned long long)K, (unsigned long long)N, (unsigned long long)q->block_size, bytes / 1048576.0);
    double bw = read_bw();
    printf("single-core memory read bandwidth: %.2f GB/s (best of 5, 1 GiB, AVX2 loads)\n", bw / 1e9);
    static const int Ms[] = {1, 16};
    for (int mi = 0; mi < 2; mi++) {
        int M = Ms[mi], reps = M == 1 ? 200 : 20;
        float *x = malloc(sizeof(float) * M * K), *y = malloc(sizeof(float) * M * N);
        for (uint64_t i = 0; i < M * K; i++)
            x[i] = (float)__builtin_sin((double)i);
        double *t = malloc(sizeof(double) * reps);
        for (int r = 0; r < 3; r++)
            slm_q_matmul(q, x, M, y);
        for (int r = 0; r < reps; r++) {
            double a = now();
            slm_q_matmul(q, x, M, y);
            t[r] = (now() - a) * 1e3;
        }
        qsort(t, reps, sizeof *t, cmp);
        printf("slminspect M=%d: median %.3f ms, best %.3f ms", M, t[reps / 2], t[0]);
        if (M == 1)
            printf(" (%.2f GB/s of weights = %.0f%% of the read bandwidth)", bytes / (t[reps / 2] * 1e-3) / 1e9,
                   100.0 * bytes / (t[reps / 2] * 1e-3) / bw);
        printf("\n");
        free(x);
        free(y);
        free(t);
    }
    slm_model_close(&m);
    slm_diag_free(&d);
    return 0;
}
