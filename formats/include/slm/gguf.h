/* GGUF, the llama.cpp / ggml file format (spec/gguf.md): a bounded,
 * zero-copy parser of versions 2 and 3.
 *
 *   file    = magic "GGUF" | version u32 | n_tensors i64 | n_kv i64
 *             | kv[n_kv] | tensor_info[n_tensors] | padding | data
 *   kv      = key:str | type u32 | value
 *   value   = u8 | i8 | u16 | i16 | u32 | i32 | f32 | bool(u8) | str
 *             | u64 | i64 | f64 | array
 *   array   = elem_type u32 | n u64 | value[n]     (no arrays of arrays)
 *   str     = len u64 | bytes[len]                 (no terminator)
 *   tensor_info = name:str | n_dims u32 | ne i64[n_dims] | type i32 | offset u64
 *   data    : starts at the first multiple of general.alignment (u32,
 *             default 32) after the tensor infos; tensor i begins at
 *             offset_i from there, each offset the padded sum of the
 *             sizes before it.
 * All integers little-endian.  Every read is checked against the bytes
 * left; every string, key, value and tensor is a view into the mapped file.
 * Problems are GGUF- findings (rules_gguf.def); nothing prints or exits. */
#ifndef SLM_GGUF_H
#define SLM_GGUF_H

#include "slm/core.h"
#include "slm/ggml_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_GGUF_DEFAULT_ALIGNMENT 32
#define SLM_GGUF_MAX_STRING (1024ull * 1024 * 1024) /* ggml's GGUF_MAX_STRING_LENGTH */
#define SLM_GGUF_MAX_ARRAY (1024ull * 1024 * 1024)  /* ggml's GGUF_MAX_ARRAY_ELEMENTS */
#define SLM_GGUF_MAX_NAME 64                         /* ggml's GGML_MAX_NAME: names are < 64 bytes */
#define SLM_GGUF_MAX_DIMS 4                          /* GGML_MAX_DIMS */

/* Metadata value types (gguf_type). */
typedef enum slm_gguf_vtype {
    SLM_GGUF_U8 = 0, SLM_GGUF_I8 = 1, SLM_GGUF_U16 = 2, SLM_GGUF_I16 = 3,
    SLM_GGUF_U32 = 4, SLM_GGUF_I32 = 5, SLM_GGUF_F32 = 6, SLM_GGUF_BOOL = 7,
    SLM_GGUF_STRING = 8, SLM_GGUF_ARRAY = 9, SLM_GGUF_U64 = 10, SLM_GGUF_I64 = 11,
    SLM_GGUF_F64 = 12, SLM_GGUF_VTYPE_COUNT = 13
} slm_gguf_vtype;

/* "u32", "str", "arr"... as ggml names them; "?" for an unknown type. */
const char *slm_gguf_vtype_name(uint32_t t);

/* A string in the file: N bytes at P, not NUL-terminated, not trusted. */
typedef struct slm_gguf_str {
    const char *p;
    uint64_t n;
} slm_gguf_str;

typedef struct slm_gguf_kv {
    slm_gguf_str key;
    uint32_t type;        /* the value's type; for an array, its elements' */
    bool is_array;
    uint64_t n;           /* elements: 1 for a scalar */
    const uint8_t *value; /* the value's bytes (an array's first element; a string's length prefix) */
    uint64_t value_len;   /* bytes from VALUE to the end of the value */
    uint64_t offset;      /* file offset of the key's length prefix */
} slm_gguf_kv;

typedef struct slm_gguf_tensor {
    const char *name;     /* NUL-terminated copy (owned by the context) */
    size_t name_len;
    uint32_t n_dims;
    int64_t ne[SLM_GGUF_MAX_DIMS];    /* ggml order: ne[0] the row (innermost); 1 past n_dims */
    uint64_t shape[SLM_GGUF_MAX_DIMS]; /* row-major order (ne reversed), n_dims of them */
    uint32_t type;        /* ggml type id (slm/ggml_types.h) */
    uint64_t rel_offset;  /* as stored: from the start of the data section */
    uint64_t offset;      /* absolute file offset of the tensor's bytes */
    uint64_t nelem;
    uint64_t nbytes;      /* 0 when the type or shape gives no size */
    uint64_t ggml_nbytes; /* the size by ggml's own arithmetic: differs only where it wraps (GGUF-105) */
    const uint8_t *data;  /* view into the map; NULL unless all NBYTES are in the file */
    uint64_t info_offset; /* file offset of its tensor info */
    bool ok;              /* well-formed: a known type, a size, inside the file */
} slm_gguf_tensor;

typedef struct slm_gguf {
    slm_map map;
    char *file;           /* display path */
    uint32_t version;
    int64_t n_tensors, n_kv; /* as declared */
    slm_gguf_kv *kv;      /* the pairs read, in file order */
    size_t nkv;
    slm_gguf_tensor *t;   /* the tensor infos read, in file order */
    size_t nt;
    uint64_t alignment;
    uint64_t info_end;    /* file offset after the last tensor info */
    uint64_t data_offset; /* start of the data section */
    uint64_t data_size;   /* the padded sum of tensor sizes */
    bool header_ok;       /* magic, version and counts read */
    bool valid;           /* ggml's gguf_init_from_file (with data) would load it */
} slm_gguf;

/* Maps PATH and parses it (DISPLAY names it in findings).  Returns 0 when
 * the file was read (findings go to D, G->valid says whether ggml loads it),
 * or an errno value when it cannot be read; close G either way. */
int slm_gguf_open(slm_gguf *g, const char *path, const char *display, slm_diag *d);
/* Parses N bytes at P (not copied: they must outlive G). */
void slm_gguf_parse(slm_gguf *g, const uint8_t *p, uint64_t n, const char *display, slm_diag *d);
void slm_gguf_close(slm_gguf *g);

/* The pair whose key is KEY, or NULL. */
const slm_gguf_kv *slm_gguf_find(const slm_gguf *g, const char *key);
/* Scalar values: false when KV is NULL, an array, or not of a fitting type.
 * Integers of any width convert when the value fits. */
bool slm_gguf_kv_u64(const slm_gguf_kv *kv, uint64_t *v);
bool slm_gguf_kv_i64(const slm_gguf_kv *kv, int64_t *v);
bool slm_gguf_kv_f64(const slm_gguf_kv *kv, double *v);
bool slm_gguf_kv_str(const slm_gguf_kv *kv, slm_gguf_str *v);
/* Element I of an array of strings (walks the array: O(I)). */
bool slm_gguf_kv_arr_str(const slm_gguf_kv *kv, uint64_t i, slm_gguf_str *v);
/* Does S equal the C string Z? */
bool slm_gguf_str_eq(slm_gguf_str s, const char *z);
/* The tensor named NAME, or NULL. */
const slm_gguf_tensor *slm_gguf_tensor_find(const slm_gguf *g, const char *name);

/* llama.cpp's name of a general.file_type value (llama_ftype): "Q4_K_M",
 * "MOSTLY_F16" is "F16"...; NULL when unknown. */
const char *slm_gguf_ftype_name(uint64_t ftype);
/* The ggml type of a file type's main weights (Q4_K for Q4_K_M), or -1. */
int slm_gguf_ftype_main_type(uint64_t ftype);
/* GGUF-103: known keys stored with a type llama.cpp does not read. */
void slm_gguf_check_key_types(const slm_gguf *g, slm_diag *d);

/* Model-level rules (GGUF-2xx) for the architectures of gguf_arch.c. */
void slm_gguf_check_model(const slm_gguf *g, slm_diag *d);

#ifdef __cplusplus
}
#endif
#endif
