/* safetensors: every rule on a file that breaks exactly it, truncations at
 * every byte, seeded mutations, and agreement with the reference
 * implementation's verdicts (tests/data/safetensors_reference.tsv).
 *
 *   test_safetensors              run the tests
 *   test_safetensors --write DIR  write every case to DIR/NAME.safetensors,
 *                                 for tests/reference/safetensors_verdicts.py */
#include "st_cases.h"
#include "test.h"

#include <sys/stat.h>

typedef struct verdicts {
    char **name;
    int *ok;
    size_t n;
} verdicts;

static void load_verdicts(verdicts *v)
{
    memset(v, 0, sizeof *v);
    const char *src = getenv("SLM_SOURCE");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/safetensors_reference.tsv", src ? src : "..");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        v->name = realloc(v->name, (v->n + 1) * sizeof *v->name);
        v->ok = realloc(v->ok, (v->n + 1) * sizeof *v->ok);
        v->name[v->n] = strdup(line);
        v->ok[v->n] = strncmp(tab + 1, "ok", 2) == 0;
        v->n++;
    }
    fclose(f);
}

/* -1 when the reference has no verdict for NAME. */
static int reference_ok(const verdicts *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->name[i], name) == 0)
            return v->ok[i];
    return -1;
}

static size_t judged, agreed;

static void check_against_reference(const verdicts *v, const char *name, bool ours)
{
    int ref = reference_ok(v, name);
    if (ref < 0)
        return;
    judged++;
    agreed += (ref == 1) == ours;
    CHECK_MSG((ref == 1) == ours, "case %s: reference says %s, slminspect says %s", name, ref ? "valid" : "invalid",
              ours ? "valid" : "invalid");
}

static void parse(const st_buf *b, slm_st *st, slm_diag *d)
{
    slm_diag_init(d);
    memset(st, 0, sizeof *st);
    slm_st_parse(st, b->p, b->n, "case", d);
}

static void run_case(const st_case *c, const verdicts *v)
{
    st_buf b = st_build(c);
    slm_st st;
    slm_diag d;
    parse(&b, &st, &d);
    if (c->expect) {
        bool want_ok = strncmp(c->expect, "ok", 2) == 0;
        const char *rule = want_ok ? (c->expect[2] ? c->expect + 3 : NULL) : c->expect;
        CHECK_MSG(st.valid == want_ok, "case %s: valid=%d, expected %s", c->name, st.valid, c->expect);
        if (rule)
            CHECK_MSG(diag_has(&d, rule) > 0, "case %s: no %s finding", c->name, rule);
        if (want_ok && !rule)
            CHECK_MSG(d.n == 0, "case %s: expected no finding, got %zu", c->name, d.n);
        if (!want_ok) /* the error is the only kind of error reported */
            for (size_t i = 0; i < d.n; i++)
                if (d.v[i].severity == SLM_ERROR)
                    CHECK_MSG(strcmp(slm_rule_get(d.v[i].rule)->id, rule) == 0, "case %s: extra error %s: %s",
                              c->name, slm_rule_get(d.v[i].rule)->id, d.v[i].message);
        if (t_failures)
            diag_dump(&d);
    }
    check_against_reference(v, c->name, st.valid);
    slm_st_close(&st);
    slm_diag_free(&d);
    free(b.p);
}

static void run_truncations(const verdicts *v)
{
    st_buf base = st_base_file();
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | base.p[i];
    for (size_t len = 0; len < base.n; len++) {
        st_buf b = {base.p, len};
        slm_st st;
        slm_diag d;
        parse(&b, &st, &d);
        const char *want = len < 8 ? "ST-001" : len < 8 + n ? "ST-003" : "ST-016";
        CHECK_MSG(!st.valid && diag_has(&d, want) == 1 && d.n == 1, "truncation at %zu: expected only %s", len,
                  want);
        char name[64];
        snprintf(name, sizeof name, "trunc_%zu", len);
        check_against_reference(v, name, st.valid);
        slm_st_close(&st);
        slm_diag_free(&d);
    }
    slm_st st;
    slm_diag d;
    parse(&base, &st, &d);
    CHECK(st.valid && d.n == 0);
    CHECK_EQ_U64(st.n, 2);
    CHECK_EQ_U64(st.nmeta, 1);
    /* Tensors come sorted by offset, with their bytes in the file. */
    CHECK_STR(st.t[0].name, "w");
    CHECK_EQ_U64(st.t[1].begin, 12);
    CHECK(slm_st_tensor_data(&st, &st.t[1]) == base.p + st.data_start + 12);
    CHECK(slm_st_find(&st, "b") == &st.t[1]);
    CHECK(slm_st_find(&st, "c") == NULL);
    slm_st_close(&st);
    slm_diag_free(&d);
    free(base.p);
}

static void run_mutants(const verdicts *v)
{
    int valid = 0;
    for (int i = 0; i < ST_N_MUTANTS; i++) {
        st_buf b = st_mutant(i);
        slm_st st;
        slm_diag d;
        parse(&b, &st, &d);
        valid += st.valid;
        CHECK(st.valid == (d.count[SLM_ERROR] == 0));
        char name[64];
        snprintf(name, sizeof name, "mutant_%d", i);
        check_against_reference(v, name, st.valid);
        slm_st_close(&st);
        slm_diag_free(&d);
        free(b.p);
    }
    printf("mutants: %d of %d valid\n", valid, ST_N_MUTANTS);
}

/* Finding details: offsets point at the entry, messages say expected vs actual. */
static void run_details(void)
{
    st_case c = {"gap", "{\"a\":" F32_1 ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                 "ST-012", 0, 0};
    st_buf b = st_build(&c);
    slm_st st;
    slm_diag d;
    parse(&b, &st, &d);
    CHECK(d.n == 1);
    if (d.n == 1) {
        const slm_finding *f = &d.v[0];
        const char *entry = strstr((const char *)b.p + 8, "\"b\"");
        CHECK_EQ_U64(f->offset, (uint64_t)(entry - (const char *)b.p));
        CHECK_STR(f->path, "/b");
        CHECK(strstr(f->message, "begins at 8, expected 4") != NULL);
    }
    slm_st_close(&st);
    slm_diag_free(&d);
    free(b.p);
}

static int write_all(const char *dir)
{
    mkdir(dir, 0777);
    char path[4096];
    for (size_t i = 0; i < N_ST_CASES; i++) {
        st_buf b = st_build(&ST_CASES[i]);
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, ST_CASES[i].name);
        FILE *f = fopen(path, "wb");
        fwrite(b.p, 1, b.n, f);
        fclose(f);
        free(b.p);
    }
    st_buf base = st_base_file();
    for (size_t len = 0; len < base.n; len++) {
        snprintf(path, sizeof path, "%s/trunc_%zu.safetensors", dir, len);
        FILE *f = fopen(path, "wb");
        fwrite(base.p, 1, len, f);
        fclose(f);
    }
    free(base.p);
    for (int i = 0; i < ST_N_MUTANTS; i++) {
        st_buf b = st_mutant(i);
        snprintf(path, sizeof path, "%s/mutant_%d.safetensors", dir, i);
        FILE *f = fopen(path, "wb");
        fwrite(b.p, 1, b.n, f);
        fclose(f);
        free(b.p);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_all(argv[2]);
    verdicts v;
    load_verdicts(&v);
    for (size_t i = 0; i < N_ST_CASES; i++)
        run_case(&ST_CASES[i], &v);
    run_truncations(&v);
    run_mutants(&v);
    run_details();
    printf("reference verdicts: %zu judged, %zu agree\n", judged, agreed);
    CHECK_MSG(v.n > 0, "tests/data/safetensors_reference.tsv is missing or empty");
    for (size_t i = 0; i < v.n; i++)
        free(v.name[i]);
    free(v.name);
    free(v.ok);
    return test_done("test_safetensors");
}
