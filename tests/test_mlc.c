/* MLC weight folders: the two real folders of the test corpus open clean
 * and agree with their truth.json; then one mutation per rule, each a copy
 * of mlc_q4f16_1 made in a temporary folder and changed in one place. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

static char root[256];
static char src[512];

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    if (b && fread(b, 1, (size_t)l, f) != (size_t)l) {
        free(b);
        b = NULL;
    }
    if (b)
        b[l] = 0;
    fclose(f);
    if (n)
        *n = (size_t)l;
    return b;
}

static void spit(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        CHECK_MSG(0, "cannot write %s", path);
        return;
    }
    fwrite(data, 1, n, f);
    fclose(f);
}

static const char *const FILES[] = {"ndarray-cache.json", "mlc-chat-config.json", "params_shard_0.bin",
                                    "params_shard_1.bin", "params_shard_2.bin", "params_shard_3.bin",
                                    "params_shard_4.bin", "params_shard_5.bin"};

/* A fresh copy of the corpus folder under ROOT/NAME. */
static const char *fresh(const char *name)
{
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    mkdir(dir, 0777);
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        char a[700], b[700];
        size_t n;
        snprintf(a, sizeof a, "%s/%s", src, FILES[i]);
        snprintf(b, sizeof b, "%s/%s", dir, FILES[i]);
        char *data = slurp(a, &n);
        if (data)
            spit(b, data, n);
        free(data);
    }
    return dir;
}

/* Replaces the first OLD in DIR/FILE by NEW; the case fails when absent. */
static void edit(const char *dir, const char *file, const char *old, const char *new_)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    size_t n;
    char *t = slurp(p, &n);
    char *at = t ? strstr(t, old) : NULL;
    CHECK_MSG(at != NULL, "'%s' not in %s", old, file);
    if (!at) {
        free(t);
        return;
    }
    size_t lo = strlen(old), ln = strlen(new_), pre = (size_t)(at - t);
    char *u = malloc(n - lo + ln + 1);
    memcpy(u, t, pre);
    memcpy(u + pre, new_, ln);
    memcpy(u + pre + ln, at + lo, n - pre - lo);
    spit(p, u, n - lo + ln);
    free(t);
    free(u);
}

static void resize(const char *dir, const char *file, long delta)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    struct stat st;
    CHECK(stat(p, &st) == 0);
    CHECK(truncate(p, st.st_size + delta) == 0);
}

/* Opens DIR as a model; RULE must be reported, and nothing outside RULE and
 * ALSO (a space-separated list of rules the same change implies). */
static void expect_in(const char *name, const char *dir, const char *rule, const char *also, bool hash)
{
    slm_diag d;
    slm_diag_init(&d);
    slm_model m;
    int e = slm_model_open(&m, dir, &d);
    CHECK_MSG(e == 0, "%s: open failed (%d)", name, e);
    if (e == 0 && hash)
        slm_mlc_check_md5(m.mlc, &d);
    int before = t_failures;
    CHECK_MSG(diag_has(&d, rule) >= 1, "case %s: no %s", name, rule);
    for (size_t i = 0; i < d.n; i++) {
        const char *id = slm_rule_get(d.v[i].rule)->id;
        CHECK_MSG(strcmp(id, rule) == 0 || (also && strstr(also, id)), "case %s: also %s: %s", name, id,
                  d.v[i].message);
    }
    if (t_failures != before)
        diag_dump(&d);
    slm_model_close(&m);
    slm_diag_free(&d);
}

#define EXPECT(name, rule) expect_in(name, dir, rule, NULL, false)

static void mutations(void)
{
    const char *dir;
    const char *C = "ndarray-cache.json", *G = "mlc-chat-config.json";

    dir = fresh("clean"); /* the copy itself is clean */
    {
        slm_diag d;
        slm_diag_init(&d);
        slm_model m;
        REQUIRE(slm_model_open(&m, dir, &d) == 0);
        CHECK_MSG(d.n == 0, "clean copy: %zu findings", d.n);
        slm_model_close(&m);
        slm_diag_free(&d);
    }

    dir = fresh("not_object");
    {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", dir, C);
        spit(p, "{\"metadata\": {}}", 16);
    }
    EXPECT("not_object", "MLC-001");

    dir = fresh("no_nbytes");
    edit(dir, C, "\"format\": \"raw-shard\",\n   \"nbytes\": 262144,", "\"format\": \"raw-shard\",");
    EXPECT("no_nbytes", "MLC-002");

    dir = fresh("missing_shard");
    {
        char p[700];
        snprintf(p, sizeof p, "%s/params_shard_2.bin", dir);
        unlink(p);
    }
    EXPECT("missing_shard", "MLC-003");

    dir = fresh("traversal");
    edit(dir, C, "\"dataPath\": \"params_shard_0.bin\"", "\"dataPath\": \"../clean/params_shard_0.bin\"");
    expect_in("traversal", dir, "MLC-004", "MLC-017", false); /* the real shard 0 is then unnamed */

    dir = fresh("wrong_size");
    resize(dir, "params_shard_5.bin", -1);
    EXPECT("wrong_size", "MLC-005");

    dir = fresh("offset_string");
    edit(dir, C, "\"byteOffset\": 88064", "\"byteOffset\": \"88064\"");
    expect_in("offset_string", dir, "MLC-006", "MLC-011", false); /* its bytes are then unclaimed */

    dir = fresh("bad_dtype");
    edit(dir, C, "\"dtype\": \"float16\"", "\"dtype\": \"float17\"");
    expect_in("bad_dtype", dir, "MLC-007", "MLC-011", false);

    dir = fresh("changed_shape");
    edit(dir, C, "\"name\": \"model.norm.weight\",\n     \"shape\": [\n      256\n",
         "\"name\": \"model.norm.weight\",\n     \"shape\": [\n      255\n");
    expect_in("changed_shape", dir, "MLC-008", "MLC-011", false);

    /* 2^63 elements fit in 64 bits, their 2^64 bytes do not (the message
     * once printed an unset size here: valgrind) */
    dir = fresh("bytes_overflow");
    edit(dir, C, "\"name\": \"model.norm.weight\",\n     \"shape\": [\n      256\n",
         "\"name\": \"model.norm.weight\",\n     \"shape\": [\n      4294967296, 2147483648\n");
    expect_in("bytes_overflow", dir, "MLC-008", "MLC-011", false);
    {
        slm_diag d;
        slm_diag_init(&d);
        slm_model m;
        if (slm_model_open(&m, dir, &d) == 0)
            slm_model_close(&m);
        bool said = false;
        for (size_t i = 0; i < d.n; i++)
            said |= strstr(d.v[i].message, "takes more than 2^64 bytes") != NULL;
        CHECK_MSG(said, "bytes_overflow: no 'more than 2^64' message");
        slm_diag_free(&d);
    }

    dir = fresh("beyond_shard");
    edit(dir, C, "\"byteOffset\": 102400\n    }\n   ],", "\"byteOffset\": 102912\n    }\n   ],");
    expect_in("beyond_shard", dir, "MLC-009", "MLC-011", false);

    dir = fresh("overlap");
    edit(dir, C, "\"byteOffset\": 101888\n    },\n    {\n     \"name\": \"model.layers.1",
         "\"byteOffset\": 101376\n    },\n    {\n     \"name\": \"model.layers.1");
    expect_in("overlap", dir, "MLC-010", "MLC-011", false);

    dir = fresh("gap");
    resize(dir, "params_shard_5.bin", 512);
    edit(dir, C, "\"nbytes\": 102912,", "\"nbytes\": 103424,");
    EXPECT("gap", "MLC-011");

    dir = fresh("name_twice");
    edit(dir, C, "\"model.layers.1.post_attention_layernorm.weight\"", "\"model.layers.1.input_layernorm.weight\"");
    EXPECT("name_twice", "MLC-012");

    dir = fresh("param_size");
    edit(dir, C, "\"ParamSize\": 25", "\"ParamSize\": 24");
    EXPECT("param_size", "MLC-013");

    dir = fresh("param_bytes");
    edit(dir, C, "\"ParamBytes\": 1082368.0", "\"ParamBytes\": 1082369.0");
    EXPECT("param_bytes", "MLC-014");

    dir = fresh("md5");
    {
        char p[700];
        snprintf(p, sizeof p, "%s/params_shard_3.bin", dir);
        FILE *f = fopen(p, "r+b");
        fseek(f, 1000, SEEK_SET);
        int ch = fgetc(f);
        fseek(f, 1000, SEEK_SET);
        fputc(ch ^ 1, f);
        fclose(f);
    }
    expect_in("md5", dir, "MLC-015", NULL, true);

    dir = fresh("shard_format");
    edit(dir, C, "\"raw-shard\"", "\"raw-shards\"");
    EXPECT("shard_format", "MLC-016");

    dir = fresh("stray_shard");
    {
        char p[700];
        snprintf(p, sizeof p, "%s/params_shard_9.bin", dir);
        spit(p, "x", 1);
    }
    EXPECT("stray_shard", "MLC-017");

    dir = fresh("no_model_type");
    edit(dir, G, "\"model_type\": \"qwen2\",", "");
    EXPECT("no_model_type", "MLC-020");

    dir = fresh("prefill_too_long");
    edit(dir, G, "\"prefill_chunk_size\": 128,\n \"attention_sink_size\"", "\"prefill_chunk_size\": 1024,\n \"attention_sink_size\"");
    EXPECT("prefill_too_long", "MLC-021");

    dir = fresh("negative_temperature");
    edit(dir, G, "\"temperature\": 0.7", "\"temperature\": -0.7");
    EXPECT("negative_temperature", "MLC-022");

    dir = fresh("unknown_quant");
    edit(dir, G, "\"quantization\": \"q4f16_1\"", "\"quantization\": \"q4f16_9\"");
    EXPECT("unknown_quant", "MLC-023");

    dir = fresh("config_quant_disagrees");
    edit(dir, G, "\"quantization\": \"q4f16_1\"", "\"quantization\": \"q4f32_1\"");
    EXPECT("config_quant_disagrees", "MLC-024");

    dir = fresh("no_config");
    {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", dir, G);
        unlink(p);
    }
    EXPECT("no_config", "MLC-025");

    dir = fresh("dup_key");
    edit(dir, C, "\"ParamSize\": 25,", "\"ParamSize\": 25, \"ParamSize\": 25,");
    EXPECT("dup_key", "JS-002");
}

/* K and N of every quantized weight, against truth.json (computed with numpy
 * from the checkpoint, independently of the cache). */
static void check_truth(const slm_model *m, const char *truth_path, const char *quant)
{
    slm_map t;
    REQUIRE(slm_map_open(&t, truth_path) == 0);
    slm_json j;
    CHECK(slm_json_parse(&j, (const char *)t.data, (size_t)t.size, 0) == 0);
    CHECK_STR(cJSON_GetObjectItem(j.root, "quantization")->valuestring, quant);
    size_t seen = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j.root, "tensors"))
    {
        const char *mn = cJSON_GetObjectItem(e, "mlc_name")->valuestring;
        uint64_t K, hi;
        slm_json_u64(&j, cJSON_GetObjectItem(e, "K"), &K);
        slm_json_u64(&j, cJSON_GetArrayItem(cJSON_GetObjectItem(e, "rows"), 1), &hi);
        const slm_qweight *q = NULL;
        for (size_t i = 0; i < m->nq; i++)
            if (strcmp(m->q[i].op, mn) == 0)
                q = &m->q[i];
        CHECK_MSG(q != NULL, "no quantized weight %s", mn);
        if (!q)
            continue;
        seen++;
        CHECK_EQ_U64(q->K, K);
        CHECK_MSG(hi <= q->N, "%s: rows end %llu beyond N %llu", mn, (unsigned long long)hi, (unsigned long long)q->N);
        CHECK(q->layout == SLM_QL_MLC_GROUP && q->bits == 4 && q->block_size == 32 && q->symmetric);
        CHECK(q->q->data != NULL && q->scales->data != NULL);
        CHECK_EQ_U64(q->q->nbytes, q->N * ((K + 31) / 32) * 16);
    }
    CHECK(seen >= 9);
    slm_json_free(&j);
    slm_map_close(&t);
}

static void corpus(void)
{
    const char *sh = corpus_dir();
    static const char *const Q[] = {"q4f16_1", "q4f32_1"};
    for (int k = 0; k < 2; k++) {
        char p[512], tp[600];
        snprintf(p, sizeof p, "%s/qwen2/mlc_%s", sh, Q[k]);
        slm_diag d;
        slm_diag_init(&d);
        slm_model m;
        REQUIRE(slm_model_open(&m, p, &d) == 0);
        CHECK(m.kind == SLM_KIND_MLC_CACHE && m.mlc != NULL);
        CHECK_EQ_U64(slm_mlc_check_md5(m.mlc, &d), 6);
        CHECK_MSG(d.n == 0, "mlc_%s: %zu findings", Q[k], d.n);
        if (d.n)
            diag_dump(&d);
        CHECK_EQ_U64(m.n, 25);
        CHECK_EQ_U64(m.nq, 9);
        CHECK_EQ_U64(m.mlc->param_size, m.n);
        CHECK_EQ_U64((uint64_t)m.mlc->param_bytes, slm_model_bytes(&m));
        CHECK_STR(m.mlc->cfg.quantization, Q[k]);
        CHECK(m.mlc->cfg.context_window_size == 512 && m.mlc->cfg.prefill_chunk_size == 128);
        /* tensors are views into the shards, at their records' offsets */
        for (size_t i = 0; i < m.n; i++) {
            const slm_mlc_record *r = slm_mlc_find(m.mlc, m.t[i].name);
            CHECK(r && m.t[i].data == m.mlc->s[r->shard].map.data + r->offset);
        }
        snprintf(tp, sizeof tp, "%s/truth.json", p);
        check_truth(&m, tp, Q[k]);
        slm_model_close(&m);
        slm_diag_free(&d);
    }
}

int main(void)
{
    const char *sh = corpus_dir();
    snprintf(src, sizeof src, "%s/qwen2/mlc_q4f16_1", sh);
    snprintf(root, sizeof root, "/tmp/slm_test_mlc_%d", (int)getpid());
    mkdir(root, 0777);
    corpus();
    mutations();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return test_done("test_mlc");
}
