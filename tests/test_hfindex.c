/* Sharded-checkpoint manifests: one case per rule, each a folder built in a
 * temporary directory; then the real checkpoints of the test corpus. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

static char root[256];

/* A safetensors file with F16 tensors NAMES (each [2, 3]). */
static void write_shard(const char *dir, const char *file, const char *const *names, int n)
{
    char h[4096], path[512];
    size_t o = (size_t)snprintf(h, sizeof h, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(h + o, sizeof h - o, ",\"%s\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[%d,%d]}",
                              names[i], 12 * i, 12 * i + 12);
    o += (size_t)snprintf(h + o, sizeof h - o, "}");
    while (o % 8)
        h[o++] = ' ';
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "wb");
    uint64_t len = o;
    fwrite(&len, 8, 1, f); /* little-endian host */
    fwrite(h, 1, o, f);
    for (int i = 0; i < 12 * n; i++)
        fputc(0x3c, f);
    fclose(f);
}

static void write_file(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* A fresh folder with two good shards: a, b in s1; c in s2. */
static const char *fresh(const char *name)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    mkdir(dir, 0777);
    static const char *const s1[] = {"a", "b"}, *const s2[] = {"c"};
    write_shard(dir, "model-00001-of-00002.safetensors", s1, 2);
    write_shard(dir, "model-00002-of-00002.safetensors", s2, 1);
    return dir;
}

#define GOOD_MAP "\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00001-of-00002.safetensors\"," \
                 "\"c\":\"model-00002-of-00002.safetensors\"}"
#define GOOD_META "\"metadata\":{\"total_size\":36,\"total_parameters\":18}"

/* Verifies DIR's index; checks that exactly the rule RULE is reported (any
 * severity), or nothing when RULE is NULL. */
static void expect(const char *name, const char *index_text, const char *rule)
{
    const char *dir = fresh(name);
    write_file(dir, "model.safetensors.index.json", index_text);
    slm_diag d;
    slm_diag_init(&d);
    slm_model m;
    int e = slm_model_open(&m, dir, &d);
    CHECK_MSG(e == 0, "%s: open failed (%d)", name, e);
    if (rule) {
        CHECK_MSG(diag_has(&d, rule) >= 1, "case %s: no %s", name, rule);
        for (size_t i = 0; i < d.n; i++)
            CHECK_MSG(strcmp(slm_rule_get(d.v[i].rule)->id, rule) == 0, "case %s: also %s: %s", name,
                      slm_rule_get(d.v[i].rule)->id, d.v[i].message);
    } else {
        CHECK_MSG(d.n == 0, "case %s: %zu findings", name, d.n);
    }
    if (t_failures)
        diag_dump(&d);
    slm_model_close(&m);
    slm_diag_free(&d);
}

static void cases(void)
{
    expect("clean", "{" GOOD_META "," GOOD_MAP "}", NULL);
    expect("not_object", "[]", "IX-001");
    expect("json_syntax", "{\"weight_map\": {,}}", "JS-001");
    expect("no_weight_map", "{" GOOD_META "}", "IX-001");
    expect("shard_not_string", "{" GOOD_META ",\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                               "\"b\":\"model-00001-of-00002.safetensors\",\"c\":7}}", "IX-002");
    expect("traversal", "{" GOOD_META ",\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                        "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"../x/model-00002-of-00002.safetensors\"}}",
           "IX-004");
    expect("absolute", "{" GOOD_META ",\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                       "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"/etc/passwd\"}}", "IX-004");
    expect("renamed_tensor", "{" GOOD_META ",\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                             "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\","
                             "\"d\":\"model-00002-of-00002.safetensors\"}}", "IX-005");
    expect("unmapped_tensor", "{\"metadata\":{\"total_size\":24,\"total_parameters\":12},"
                              "\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                              "\"c\":\"model-00002-of-00002.safetensors\"}}", "IX-007");
    expect("wrong_total_size", "{\"metadata\":{\"total_size\":37,\"total_parameters\":18}," GOOD_MAP "}", "IX-008");
    expect("wrong_total_parameters", "{\"metadata\":{\"total_size\":36,\"total_parameters\":36}," GOOD_MAP "}",
           "IX-009");
    expect("no_total_size", "{\"metadata\":{}," GOOD_MAP "}", "IX-011");
    expect("total_size_2_64", "{\"metadata\":{\"total_size\":18446744073709551616}," GOOD_MAP "}", "JS-003");
    expect("total_size_string", "{\"metadata\":{\"total_size\":\"36\"}," GOOD_MAP "}", "JS-004");
    expect("dup_weight_map_key", "{" GOOD_META ",\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                                 "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\","
                                 "\"c\":\"model-00002-of-00002.safetensors\"}}", "JS-002");
    /* exact integers: 2^53 + 1 is not rounded to 2^53 */
    expect("total_size_2_53p1", "{\"metadata\":{\"total_size\":9007199254740993}," GOOD_MAP "}", "IX-008");
}

static void case_files(void)
{
    /* missing shard */
    const char *dir = fresh("missing_shard");
    write_file(dir, "model.safetensors.index.json", "{" GOOD_META "," GOOD_MAP "}");
    char p[600];
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    unlink(p);
    slm_diag d;
    slm_diag_init(&d);
    slm_model m;
    slm_model_open(&m, dir, &d);
    CHECK(diag_has(&d, "IX-003") == 1);
    CHECK_EQ_U64(m.n, 2); /* the tensors that could be read */
    slm_model_close(&m);
    slm_diag_free(&d);

    /* a tensor in two shards */
    dir = fresh("tensor_twice");
    static const char *const both[] = {"c", "a"};
    write_shard(dir, "model-00002-of-00002.safetensors", both, 2);
    write_file(dir, "model.safetensors.index.json", "{\"metadata\":{\"total_size\":36,\"total_parameters\":18},"
               GOOD_MAP "}");
    slm_diag_init(&d);
    slm_model_open(&m, dir, &d);
    CHECK(diag_has(&d, "IX-006") == 1 && d.n == 1); /* IX-007 is for names weight_map lacks */
    slm_model_close(&m);
    slm_diag_free(&d);

    /* a stray shard */
    dir = fresh("stray_shard");
    static const char *const z[] = {"z"};
    write_shard(dir, "model-00003-of-00003.safetensors", z, 1);
    write_file(dir, "model.safetensors.index.json", "{" GOOD_META "," GOOD_MAP "}");
    slm_diag_init(&d);
    slm_model_open(&m, dir, &d);
    CHECK(diag_has(&d, "IX-010") == 1 && d.n == 1);
    slm_model_close(&m);
    slm_diag_free(&d);

    /* a symbolic link that leaves the folder */
    dir = fresh("symlink_out");
    char outside[600];
    snprintf(outside, sizeof outside, "%s/outside.safetensors", root);
    static const char *const c[] = {"c"};
    write_shard(root, "outside.safetensors", c, 1);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    unlink(p);
    CHECK(symlink(outside, p) == 0);
    write_file(dir, "model.safetensors.index.json", "{" GOOD_META "," GOOD_MAP "}");
    slm_diag_init(&d);
    slm_model_open(&m, dir, &d);
    CHECK(diag_has(&d, "IX-004") == 1);
    slm_model_close(&m);
    slm_diag_free(&d);
}

/* The real checkpoints verify clean and their totals match the index. */
static void corpus(void)
{
    const char *sh = corpus_dir();
    char p[600];
    slm_diag d;
    slm_model m;
    snprintf(p, sizeof p, "%s/qwen2/hf_fp16", sh);
    slm_diag_init(&d);
    REQUIRE(slm_model_open(&m, p, &d) == 0);
    CHECK_MSG(d.n == 0, "hf_fp16: %zu findings", d.n);
    CHECK(m.index != NULL);
    CHECK_EQ_U64(m.index->nshards, 8);
    CHECK_EQ_U64(m.n, 26);
    CHECK(m.index->has_total_size && m.index->has_total_params);
    CHECK_EQ_U64(slm_model_bytes(&m), m.index->total_size);
    CHECK_EQ_U64(slm_model_params(&m), m.index->total_params);
    CHECK(m.config != NULL);
    uint64_t params16 = slm_model_params(&m);
    slm_model_close(&m);
    slm_diag_free(&d);

    snprintf(p, sizeof p, "%s/qwen2/hf_fp32_single", sh);
    slm_diag_init(&d);
    REQUIRE(slm_model_open(&m, p, &d) == 0);
    CHECK_MSG(d.n == 0, "hf_fp32_single: %zu findings", d.n);
    CHECK_EQ_U64(m.n, 26);
    CHECK_EQ_U64(slm_model_params(&m), params16);
    CHECK_EQ_U64(slm_model_bytes(&m), 4 * params16);
    /* every tensor's bytes lie inside its file */
    for (size_t i = 0; i < m.n; i++)
        CHECK(m.t[i].data && m.t[i].offset + m.t[i].nbytes <= m.st[0].size);
    slm_model_close(&m);
    slm_diag_free(&d);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/slm_test_hfindex_%d", (int)getpid());
    mkdir(root, 0777);
    cases();
    case_files();
    corpus();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return test_done("test_hfindex");
}
