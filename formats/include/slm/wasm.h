/* WebAssembly model libraries (spec/wasm.md): the binary format's sections,
 * imports, exports, data segments and custom sections, the TVM ABI
 * generation the library was built for, and the metadata JSON its
 * _metadata function returns (stored in a data segment).
 *
 *   module  = magic "\0asm"  version 1:u32le  section*
 *   section = id:u8  size:u32 (LEB128)  content:size bytes
 *   import  = module:name  field:name  kind:u8  desc
 *   export  = name  kind:u8  index:u32
 *   data    = flags:u32 (0 active, 1 passive, 2 active+memidx)
 *             [memidx:u32] [offset expr ... 0x0b] bytes:vec(u8)
 *   name    = len:u32  UTF-8 bytes
 *
 * Names and payloads are views into the mapped file. */
#ifndef SLM_WASM_H
#define SLM_WASM_H

#include "slm/core.h"
#include "slm/json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_wasm_name {
    const char *p;  /* not NUL-terminated */
    size_t n;
} slm_wasm_name;

typedef struct slm_wasm_section {
    uint8_t id;
    uint64_t off;       /* of the id byte */
    uint64_t start, size; /* content */
    slm_wasm_name custom; /* custom sections: their name */
} slm_wasm_section;

typedef struct slm_wasm_import {
    slm_wasm_name module, field;
    uint8_t kind;       /* 0 func, 1 table, 2 memory, 3 global, 4 tag */
    uint64_t off;
} slm_wasm_import;

typedef struct slm_wasm_export {
    slm_wasm_name name;
    uint8_t kind;
    uint32_t index;
    uint64_t off;
} slm_wasm_export;

typedef struct slm_wasm_data {
    bool passive;
    uint32_t memory;
    bool offset_known;  /* a constant i32/i64 offset expression */
    int64_t mem_offset;
    const uint8_t *bytes;
    uint64_t size;
    uint64_t file_off;  /* of the bytes */
} slm_wasm_data;

typedef enum slm_wasm_abi {
    SLM_WASM_ABI_NONE = 0, /* no TVM runtime imports: not a TVM library */
    SLM_WASM_ABI_LEGACY,   /* TVM C ABI: env.TVMWasmPackedCFunc (web-llm <= 0.2.79) */
    SLM_WASM_ABI_FFI,      /* tvm-ffi: env.TVMFFIWasmSafeCall (web-llm >= 0.2.80) */
    SLM_WASM_ABI_MIXED,    /* both: no runtime provides both */
} slm_wasm_abi;

/* One weight of the embedded metadata's "params". */
typedef struct slm_wasm_param {
    char *name;
    char *dtype;
    size_t ndim;
    int64_t *shape;     /* -1 for a symbolic dimension */
    char **sym;         /* symbolic dimension names ("vocab_size"), NULL elsewhere */
} slm_wasm_param;

typedef struct slm_wasm_meta {
    bool found;
    uint64_t off, len;  /* the JSON text in the file */
    slm_json j;         /* parsed (views the map) */
    const char *model_type, *quantization;
    int64_t context_window_size, prefill_chunk_size, sliding_window_size, tensor_parallel_shards;
    slm_wasm_param *params;
    size_t nparams;
    bool params_ok;     /* "params" was an array of well-formed entries */
} slm_wasm_meta;

#define SLM_WASM_MAX_META (64u << 20) /* metadata JSON larger than this is not looked for (WASM-021) */

typedef struct slm_wasm {
    slm_map map;
    const uint8_t *data;
    uint64_t size;
    char *file;
    slm_wasm_section *sec;
    size_t nsec;
    slm_wasm_import *imp;
    size_t nimp;
    slm_wasm_export *exp;
    size_t nexp;
    slm_wasm_data *seg;
    size_t nseg;
    bool valid;         /* the whole module parsed */
    slm_wasm_abi abi;
    slm_wasm_meta meta;
} slm_wasm;

int slm_wasm_open(slm_wasm *w, const char *path, slm_diag *d);
void slm_wasm_parse(slm_wasm *w, const uint8_t *data, uint64_t size, const char *display, slm_diag *d);
void slm_wasm_close(slm_wasm *w);

bool slm_wasm_name_is(slm_wasm_name n, const char *s);
bool slm_wasm_imports(const slm_wasm *w, const char *module, const char *field);
bool slm_wasm_exports(const slm_wasm *w, const char *name);
const char *slm_wasm_abi_name(slm_wasm_abi a);
const char *slm_wasm_section_name(uint8_t id);

#ifdef __cplusplus
}
#endif
#endif
