/* The ggml dequantizers against ggml itself: every tensor of the GGUF files
 * in tests/corpus/gguf (written by ggml d99724f2, tests/reference/make_gguf.c)
 * dequantized by slminspect's reference kernel must hash to the XXH64 of
 * ggml's own to_float output recorded in truth.json, begin with its values,
 * and measure ggml's recorded error against the fp16 checkpoint; the fast
 * kernels of every level this CPU has must agree with the reference bit for
 * bit, on the real blocks and on random ones (NaN and Inf scales included). */
#include "test.h"

#include <xxhash.h>

#include "../formats/ggml_quants_internal.h"
#include "../formats/quant_internal.h"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
        free(s);
        s = NULL;
    }
    if (s)
        s[len] = 0;
    *n = (size_t)len;
    fclose(f);
    return s;
}

static int levels[4], nlevels;

static void find_levels(void)
{
    nlevels = 0;
#ifdef SLM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        levels[nlevels++] = KER_AVX2;
    if (__builtin_cpu_supports("avx512f") && slm_qi_level() == KER_AVX512)
        levels[nlevels++] = KER_AVX512;
#endif
}

/* The fast kernels of every level against the reference REF (N values). */
static void check_fast(uint32_t id, const uint8_t *src, uint64_t n, const float *ref, const char *what)
{
    float *out = malloc(n * sizeof(float));
    REQUIRE(out);
    for (int l = 0; l < nlevels; l++) {
#ifdef SLM_X86
        memset(out, 0xa5, n * sizeof(float));
        if (!slm_gq_dequant_x86(id, levels[l], src, n, out))
            continue;
        CHECK_MSG(memcmp(out, ref, n * sizeof(float)) == 0, "%s: %s kernel level %d differs from the reference", what,
                  slm_ggml_type_get(id)->name, levels[l]);
#endif
    }
    slm_ggml_dequant(id, src, n, out);
    CHECK_MSG(memcmp(out, ref, n * sizeof(float)) == 0, "%s: slm_ggml_dequant differs from the reference", what);
    free(out);
}

static int decoded_tensors, fast_checked;

static void check_tensor(const cJSON *t, const slm_map *m, const char *file, const slm_model *ckpt)
{
    const char *name = cJSON_GetObjectItem(t, "name")->valuestring;
    int id = cJSON_GetObjectItem(t, "type_id")->valueint;
    uint64_t off = (uint64_t)cJSON_GetObjectItem(t, "offset")->valuedouble;
    uint64_t nbytes = (uint64_t)cJSON_GetObjectItem(t, "nbytes")->valuedouble;
    const cJSON *ne = cJSON_GetObjectItem(t, "ne");
    uint64_t n = (uint64_t)cJSON_GetArrayItem(ne, 0)->valuedouble * (uint64_t)cJSON_GetArrayItem(ne, 1)->valuedouble;
    CHECK_MSG(slm_ggml_decodes((uint32_t)id), "%s %s: type %d not decoded", file, name, id);
    uint64_t want;
    CHECK(slm_ggml_nbytes((uint32_t)id, n, &want) && want == nbytes);
    REQUIRE(off <= m->size && nbytes <= m->size - off);
    float *d = malloc(n * sizeof(float));
    REQUIRE(d);
    slm_ggml_dequant_ref((uint32_t)id, m->data + off, n, d);
    decoded_tensors++;
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)XXH64(d, n * sizeof(float), 0));
    CHECK_MSG(strcmp(hex, cJSON_GetObjectItem(t, "dequant_xxh64")->valuestring) == 0,
              "%s %s (%s): dequantized values hash %s, ggml's %s", file, name, slm_ggml_type_get((uint32_t)id)->name,
              hex, cJSON_GetObjectItem(t, "dequant_xxh64")->valuestring);
    const cJSON *head = cJSON_GetObjectItem(t, "dequant_head");
    for (int i = 0; i < cJSON_GetArraySize(head); i++)
        CHECK_MSG(d[i] == (float)cJSON_GetArrayItem(head, i)->valuedouble, "%s %s: value %d is %.9g, ggml's %.9g",
                  file, name, i, d[i], cJSON_GetArrayItem(head, i)->valuedouble);
    check_fast((uint32_t)id, m->data + off, n, d, name);
    fast_checked++;
    /* ggml's error against the fp16 checkpoint (permuted rows: the llama file,
     * measured by quant after undoing the permutation, tests/cli/quant_gguf.sh) */
    const slm_tensor *r = slm_model_find(ckpt, cJSON_GetObjectItem(t, "ref")->valuestring);
    REQUIRE(r && r->nelem == n);
    if (!cJSON_IsTrue(cJSON_GetObjectItem(t, "permuted"))) {
        float *rv = malloc(n * sizeof(float));
        REQUIRE(rv);
        slm_q_load_row(r->dtype, r->data, 0, 1, n, rv);
        slm_qerr e;
        slm_qerr_init(&e);
        slm_qerr_add_f32(&e, d, rv, n);
        slm_qmetrics mt = slm_qerr_metrics(&e);
        const cJSON *v = cJSON_GetObjectItem(t, "vs_ref");
        const cJSON *sq = cJSON_GetObjectItem(v, "sqnr_db");
        CHECK_REL(mt.max_abs_err, cJSON_GetObjectItem(v, "max_abs_err")->valuedouble, 1e-12);
        CHECK_REL(mt.rmse, cJSON_GetObjectItem(v, "rmse")->valuedouble, 1e-9);
        CHECK_REL(mt.rel_rmse, cJSON_GetObjectItem(v, "rel_rmse")->valuedouble, 1e-9);
        if (cJSON_IsNull(sq))
            CHECK_MSG(isinf(mt.sqnr_db), "%s %s: sqnr %g, ggml's infinite", file, name, mt.sqnr_db);
        else
            CHECK_REL(mt.sqnr_db, sq->valuedouble, 1e-9);
        free(rv);
    }
    free(d);
}

/* Random blocks (any bit pattern: NaN, Inf and subnormal scales, every
 * nibble), fast against reference. */
static void check_random(void)
{
    static const uint32_t ids[] = {SLM_GGML_F16, SLM_GGML_BF16, SLM_GGML_Q4_0, SLM_GGML_Q4_1, SLM_GGML_Q5_0,
                                   SLM_GGML_Q5_1, SLM_GGML_Q8_0, SLM_GGML_Q2_K, SLM_GGML_Q3_K, SLM_GGML_Q4_K,
                                   SLM_GGML_Q5_K, SLM_GGML_Q6_K, SLM_GGML_IQ4_NL, SLM_GGML_IQ4_XS, SLM_GGML_MXFP4};
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (size_t t = 0; t < sizeof ids / sizeof ids[0]; t++) {
        const slm_ggml_type *ty = slm_ggml_type_get(ids[t]);
        uint64_t n = 64 * 256, nb;
        REQUIRE(slm_ggml_nbytes(ids[t], n, &nb));
        uint8_t *src = malloc(nb);
        float *ref = malloc(n * sizeof(float));
        REQUIRE(src && ref);
        for (uint64_t i = 0; i < nb; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            src[i] = (uint8_t)(s >> 24);
        }
        slm_ggml_dequant_ref(ids[t], src, n, ref);
        check_fast(ids[t], src, n, ref, ty->name);
        free(src);
        free(ref);
    }
}

/* Hand-made blocks with values worked out here, independently of ggml. */
static void check_by_hand(void)
{
    uint8_t q40[18] = {0x00, 0x3c}; /* d = 1.0 */
    q40[2] = 0xf0;                  /* element 0: 0 - 8, element 16: 15 - 8 */
    float y[256];
    slm_ggml_dequant_ref(SLM_GGML_Q4_0, q40, 32, y);
    CHECK(y[0] == -8.0f && y[16] == 7.0f && y[1] == -8.0f);
    uint8_t mx[17] = {128}; /* 2^(128-128) = 1 */
    mx[1] = 0x9f;           /* element 0: FP4 code 15 = -12 (doubled -6), element 16: code 9 = -1 */
    slm_ggml_dequant_ref(SLM_GGML_MXFP4, mx, 32, y);
    CHECK(y[0] == -12.0f && y[16] == -1.0f && y[2] == 0.0f);
    CHECK(slm_gq_e8m0_half(0) == ldexpf(1, -128) && slm_gq_e8m0_half(1) == ldexpf(1, -127) &&
          slm_gq_e8m0_half(200) == ldexpf(1, 72));
    CHECK(!slm_ggml_decodes(SLM_GGML_IQ2_XXS) && !slm_ggml_decodes(SLM_GGML_TQ1_0) && slm_ggml_decodes(SLM_GGML_IQ4_XS));
    slm_ggml_dequant_ref(SLM_GGML_IQ2_XXS, q40, 256, y);
    CHECK(isnan(y[0]) && isnan(y[255]));
}

int main(void)
{
    char path[4096];
    const char *corpus = corpus_dir();
    find_levels();
    snprintf(path, sizeof path, "%s/gguf/truth.json", corpus);
    size_t len;
    char *text = slurp(path, &len);
    REQUIRE(text);
    cJSON *root = cJSON_Parse(text);
    REQUIRE(root);
    slm_model ckpt;
    slm_diag d;
    slm_diag_init(&d);
    snprintf(path, sizeof path, "%s/qwen2/hf_fp16", corpus);
    REQUIRE(slm_model_open(&ckpt, path, &d) == 0);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(root, "files"))
    {
        slm_map m;
        snprintf(path, sizeof path, "%s/gguf/%s", corpus, f->string);
        REQUIRE(slm_map_open(&m, path) == 0);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(f, "tensors")) check_tensor(t, &m, f->string, &ckpt);
        slm_map_close(&m);
    }
    CHECK(decoded_tensors >= 100);
    printf("%d tensors bit-exact against ggml; fast kernels at %d levels\n", decoded_tensors, nlevels);
    check_random();
    check_by_hand();
    slm_model_close(&ckpt);
    slm_diag_free(&d);
    cJSON_Delete(root);
    free(text);
    return test_done("test_ggml_quants");
}
