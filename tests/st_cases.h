/* safetensors test cases, built in code: hand-written cases each with the
 * verdict expected, truncations of a valid file at every byte, and seeded
 * random mutations.  tests/test_safetensors.c checks slminspect against the
 * expectations and against the reference implementation's recorded verdicts
 * (tests/data/safetensors_reference.tsv, made by
 * tests/reference/safetensors_verdicts.py on files that
 * `test_safetensors --write DIR` writes). */
#ifndef SLM_ST_CASES_H
#define SLM_ST_CASES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EXPECT: "ok" (valid, no finding), "ok ST-1xx" (valid, with that warning) or
 * "ST-0xx" (invalid, with that error among the findings); NULL for generated
 * cases judged only against the reference. */
typedef struct st_case {
    const char *name;
    const char *header;   /* JSON text of the header */
    uint64_t data_len;    /* bytes of tensor data after the header */
    const char *expect;
    int raw;              /* 1: header used as is, no space padding to 8 */
    uint64_t n_override;  /* nonzero: the length prefix written */
} st_case;

#define F32_1 "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"

static const st_case ST_CASES[] = {
    /* valid files */
    {"empty_object", "{}", 0, "ok", 0, 0},
    {"one_tensor", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "ok", 0, 0},
    {"two_reversed", "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                     "\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 12, "ok", 0, 0},
    {"zero_size_first", "{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                        "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "ok", 0, 0},
    {"zero_size_shared_end", "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                             "\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[3,3]},"
                             "\"e2\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[3,3]}}", 3, "ok", 0, 0},
    {"scalar", "{\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}", 8, "ok", 0, 0},
    {"zero_dim_huge", "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,18446744073709551615],\"data_offsets\":[0,0]}}", 0, "ok", 0, 0},
    {"metadata", "{\"__metadata__\":{\"format\":\"pt\",\"x\":\"y\"},\"a\":" F32_1 "}", 4, "ok", 0, 0},
    {"metadata_null", "{\"__metadata__\":null,\"a\":" F32_1 "}", 4, "ok", 0, 0},
    {"metadata_empty", "{\"__metadata__\":{}}", 0, "ok", 0, 0},
    {"escaped_name", "{\"\\u0041\\n\":" F32_1 "}", 4, "ok ST-108", 0, 0},
    {"surrogate_pair_name", "{\"\\ud83d\\ude00\":" F32_1 "}", 4, "ok", 0, 0},
    {"nul_in_name", "{\"a\\u0000b\":" F32_1 "}", 4, "ok ST-108", 0, 0},
    {"empty_name", "{\"\":" F32_1 "}", 4, "ok ST-108", 0, 0},
    {"utf8_name", "{\"\xc3\xa9t\xc3\xa9\":" F32_1 "}", 4, "ok", 0, 0},
    {"all_dtypes",
     "{\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
     "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
     "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[16,24]},"
     "\"c64\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[24,32]},"
     "\"f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]},"
     "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[36,40]},"
     "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[40,44]},"
     "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[44,46]},"
     "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[46,48]},"
     "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[48,50]},"
     "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[50,52]},"
     "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[52,53]},"
     "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[53,54]},"
     "\"b\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[54,55]},"
     "\"e4m3\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[55,56]},"
     "\"e5m2\":{\"dtype\":\"F8_E5M2\",\"shape\":[1],\"data_offsets\":[56,57]},"
     "\"e8m0\":{\"dtype\":\"F8_E8M0\",\"shape\":[1],\"data_offsets\":[57,58]},"
     "\"e4m3fnuz\":{\"dtype\":\"F8_E4M3FNUZ\",\"shape\":[1],\"data_offsets\":[58,59]},"
     "\"e5m2fnuz\":{\"dtype\":\"F8_E5M2FNUZ\",\"shape\":[1],\"data_offsets\":[59,60]},"
     "\"f4\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[60,61]},"
     "\"f6a\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[61,64]},"
     "\"f6b\":{\"dtype\":\"F6_E3M2\",\"shape\":[2,2],\"data_offsets\":[64,67]}}", 67, "ok", 0, 0},
    /* valid, but stricter slminspect warns */
    {"leading_ws", " \n{\"a\":" F32_1 "}", 4, "ok ST-103", 0, 0},
    {"newline_padding", "{\"a\":" F32_1 "}\n\t      ", 4, "ok ST-103", 1, 0},
    {"unpadded", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "ok ST-104", 1, 0},
    {"misaligned_data", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1,5]}}", 5, "ok ST-105", 0, 0},
    {"array_entry", "{\"a\":[\"F32\",[1],[0,4]]}", 4, "ok ST-107", 0, 0},
    {"dtype_as_map", "{\"a\":{\"dtype\":{\"F32\":null},\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ok ST-107", 0, 0},
    {"unknown_field", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":[1,{\"x\":null}]}}", 4,
     "ok ST-106", 0, 0},
    {"dup_name_same", "{\"a\":" F32_1 ",\"a\":" F32_1 "}", 4, "ok ST-101", 0, 0},
    {"dup_name_last_wins_gap", "{\"a\":" F32_1 ",\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
     "ST-012", 0, 0},
    {"dup_name_first_bad", "{\"a\":{\"dtype\":\"X\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":" F32_1 "}", 4,
     "ST-009", 0, 0},
    {"metadata_dup_key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "ok ST-102", 0, 0},
    {"unknown_field_depth_ok", NULL, 4, NULL, 0, 0},      /* built in code: depth 127 */
    {"unknown_field_depth_over", NULL, 4, "ST-005", 0, 0}, /* depth 128 */
    {"unknown_field_1e300", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1e300}}", 4,
     "ok ST-106", 0, 0},
    {"unknown_field_long_int", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":"
                               "1234567890123456789012345678901234567890123456789012345678901234567890}}", 4,
     "ok ST-106", 0, 0},
    /* JSON errors */
    {"unknown_field_1e400", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1e400}}", 4,
     "ST-005", 0, 0},
    {"leading_zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4, "ST-005", 0, 0},
    {"trailing_comma", "{\"a\":" F32_1 ",}", 4, "ST-005", 0, 0},
    {"single_quotes", "{'a':1}", 0, "ST-005", 0, 0},
    {"garbage_after", "{} x", 0, "ST-005", 0, 0},
    {"nul_padding", "{}\0\0\0\0\0\0", 0, "ST-005", 1, 8},
    {"comment", "/*c*/{}", 0, "ST-005", 0, 0},
    {"nan_literal", "{\"a\":NaN}", 0, "ST-005", 0, 0},
    {"raw_tab_in_key", "{\"a\tb\":" F32_1 "}", 4, "ST-005", 0, 0},
    {"bad_escape", "{\"a\\x\":" F32_1 "}", 4, "ST-005", 0, 0},
    {"lone_surrogate_key", "{\"a\\ud800\":" F32_1 "}", 4, "ST-005", 0, 0},
    {"lone_surrogate_unknown", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":\"\\udc00\"}}", 4,
     "ST-005", 0, 0},
    {"empty_header", "", 0, "ST-005", 1, 0},
    {"whitespace_header", "        ", 0, "ST-005", 1, 0},
    {"truncated_json", "{\"a\":{\"dtype\":\"F32\"", 0, "ST-005", 0, 0},
    /* not an object */
    {"root_array", "[]", 0, "ST-006", 0, 0},
    {"root_string", "\"x\"", 0, "ST-006", 0, 0},
    {"root_number", "1", 0, "ST-006", 0, 0},
    {"root_null", "null", 0, "ST-006", 0, 0},
    /* __metadata__ */
    {"metadata_array", "{\"__metadata__\":[]}", 0, "ST-007", 0, 0},
    {"metadata_number_value", "{\"__metadata__\":{\"k\":1}}", 0, "ST-007", 0, 0},
    {"metadata_nested", "{\"__metadata__\":{\"k\":{}}}", 0, "ST-007", 0, 0},
    {"metadata_twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "ST-007", 0, 0},
    /* entries */
    {"entry_string", "{\"a\":\"x\"}", 0, "ST-008", 0, 0},
    {"entry_null", "{\"a\":null}", 0, "ST-008", 0, 0},
    {"entry_array_2", "{\"a\":[\"F32\",[1]]}", 4, "ST-008", 0, 0},
    {"entry_array_4", "{\"a\":[\"F32\",[1],[0,4],1]}", 4, "ST-008", 0, 0},
    {"missing_dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-008", 0, 0},
    {"missing_shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "ST-008", 0, 0},
    {"missing_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "ST-008", 0, 0},
    {"dup_field", "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-008", 0, 0},
    {"dtype_number", "{\"a\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-008", 0, 0},
    {"dtype_map_value", "{\"a\":{\"dtype\":{\"F32\":1},\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-008", 0, 0},
    {"dtype_map_two", "{\"a\":{\"dtype\":{\"F32\":null,\"F16\":null},\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     "ST-008", 0, 0},
    {"dtype_unknown", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-009", 0, 0},
    {"dtype_lowercase", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-009", 0, 0},
    {"dtype_map_unknown", "{\"a\":{\"dtype\":{\"X\":null},\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "ST-009", 0, 0},
    {"shape_float", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, "ST-010", 0, 0},
    {"shape_exp", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", 4, "ST-010", 0, 0},
    {"shape_negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "ST-010", 0, 0},
    {"shape_minus_zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[0,0]}}", 0, "ST-010", 0, 0},
    {"shape_string", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, "ST-010", 0, 0},
    {"shape_2_64", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,18446744073709551616],\"data_offsets\":[0,0]}}", 0,
     "ST-010", 0, 0},
    {"shape_not_array", "{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "ST-010", 0, 0},
    {"offsets_three", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", 4, "ST-011", 0, 0},
    {"offsets_one", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "ST-011", 0, 0},
    {"offsets_float", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4, "ST-011", 0, 0},
    {"offsets_negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-1,3]}}", 4, "ST-011", 0, 0},
    {"offsets_string", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}", 4, "ST-011", 0, 0},
    {"offsets_object", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":0}}}", 4, "ST-011", 0, 0},
    /* tiling and sizes */
    {"end_before_begin", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "ST-012", 0, 0},
    {"gap", "{\"a\":" F32_1 ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "ST-012", 0, 0},
    {"overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "ST-012", 0, 0},
    {"not_from_zero", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "ST-012", 0, 0},
    {"same_offsets_nonempty", "{\"a\":" F32_1 ",\"b\":" F32_1 "}", 4, "ST-012", 0, 0},
    {"offsets_past_end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}}", 4,
     "ST-015", 0, 0},
    {"count_overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0,
     "ST-013", 0, 0},
    {"bits_overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0,
     "ST-013", 0, 0},
    {"f4_odd", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, "ST-014", 0, 0},
    {"f6_one", "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "ST-014", 0, 0},
    {"size_mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "ST-015", 0, 0},
    {"trailing_bytes", "{\"a\":" F32_1 "}", 5, "ST-016", 0, 0},
    {"data_truncated", "{\"a\":" F32_1 "}", 3, "ST-016", 0, 0},
    {"no_tensors_trailing", "{}", 1, "ST-016", 0, 0},
    /* UTF-8 */
    {"bad_utf8_key", "{\"\xff\":" F32_1 "}", 4, "ST-004", 0, 0},
    {"bad_utf8_padding", "{}\xc3", 0, "ST-004", 0, 0},
    {"overlong_utf8", "{\"\xc0\x80\":" F32_1 "}", 4, "ST-004", 0, 0},
    {"utf8_surrogate", "{\"\xed\xa0\x80\":" F32_1 "}", 4, "ST-004", 0, 0},
    /* the length prefix */
    {"n_max", "{}", 0, "ST-002", 0, UINT64_MAX},
    {"n_over_limit", "{}", 0, "ST-002", 0, 100000001},
    {"n_at_limit_short", "{}", 0, "ST-003", 0, 100000000},
    {"n_past_end", "{}", 0, "ST-003", 0, 9},
};
#define N_ST_CASES (sizeof ST_CASES / sizeof ST_CASES[0])

/* A buffer: the file's bytes. */
typedef struct st_buf {
    uint8_t *p;
    size_t n;
} st_buf;

static inline void st_put(st_buf *b, const void *p, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* The header of the depth cases: an unknown field nested so that the deepest
 * container sits at DEPTH (the root object is depth 1). */
static inline char *st_deep_header(int depth)
{
    int k = depth - 2;
    size_t n = 80 + 2 * (size_t)k;
    char *h = malloc(n), *o = h;
    o += sprintf(o, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":");
    for (int i = 0; i < k; i++)
        *o++ = '[';
    for (int i = 0; i < k; i++)
        *o++ = ']';
    o += sprintf(o, "}}");
    return h;
}

/* The file case C describes. */
static inline st_buf st_build(const st_case *c)
{
    st_buf b = {NULL, 0};
    char *deep = NULL;
    const char *h = c->header;
    size_t hl;
    if (!h) {
        deep = st_deep_header(strcmp(c->name, "unknown_field_depth_ok") == 0 ? 127 : 128);
        h = deep;
    }
    hl = strlen(h);
    if (c->raw && c->n_override == 8) /* headers with NUL bytes give their length */
        hl = 8;
    size_t padded = c->raw ? hl : (hl + 7) / 8 * 8;
    uint64_t n = c->n_override ? c->n_override : padded;
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(n >> (8 * i));
    st_put(&b, le, 8);
    st_put(&b, h, hl);
    for (size_t i = hl; i < padded; i++)
        st_put(&b, " ", 1);
    for (uint64_t i = 0; i < c->data_len; i++) {
        uint8_t v = (uint8_t)(i * 37 + 11);
        st_put(&b, &v, 1);
    }
    free(deep);
    return b;
}

/* A valid two-tensor file, the base of truncations and mutations. */
static inline st_buf st_base_file(void)
{
    st_case c = {"base",
                 "{\"__metadata__\":{\"format\":\"pt\"},"
                 "\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}}",
                 24, "ok", 0, 0};
    return st_build(&c);
}

/* xorshift64*: the mutations' seeded generator. */
static inline uint64_t st_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

#define ST_N_MUTANTS 400

/* Mutant I of the base file: 1-3 byte edits in the header, from a fixed
 * seed, biased towards JSON's structural characters and digits. */
static inline st_buf st_mutant(int i)
{
    static const char pool[] = "{}[]\",:0123456789-.eE \\u\x00\xff";
    st_buf b = st_base_file();
    uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)(i + 1) * 0x100000001b3ull;
    size_t hn = b.n - 24;
    int edits = 1 + (int)(st_rand(&s) % 3);
    for (int e = 0; e < edits; e++) {
        size_t at = 8 + (size_t)(st_rand(&s) % (hn - 8));
        uint64_t op = st_rand(&s) % 4;
        if (op == 0)
            b.p[at] = (uint8_t)st_rand(&s);
        else if (op == 1)
            b.p[at] = (uint8_t)pool[st_rand(&s) % (sizeof pool - 1)];
        else if (op == 2)
            b.p[at] = (uint8_t)(b.p[at] >= '0' && b.p[at] <= '8' ? b.p[at] + 1 : b.p[at]);
        else
            b.p[at] = ' ';
    }
    return b;
}

#endif
