/* The table of weight formats (slm/format.h). */
#include "model_impl.h"
#include "slm/safetensors.h"

#include <string.h>

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool st_name(const char *b) { return ends_with(b, ".safetensors"); }
static bool index_name(const char *b) { return ends_with(b, ".index.json"); }
static bool onnx_name(const char *b) { return ends_with(b, ".onnx"); }
static bool mlc_name(const char *b)
{
    return strcmp(b, "ndarray-cache.json") == 0 || strcmp(b, "tensor-cache.json") == 0;
}

/* A little-endian length of at most SLM_ST_MAX_HEADER that fits the file,
 * then (after whitespace) '{'. */
static bool st_content(const uint8_t *h, size_t r, uint64_t size)
{
    if (r < 9)
        return false;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | h[i];
    size_t i = 8;
    while (i < r && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t'))
        i++;
    return n <= SLM_ST_MAX_HEADER && n + 8 <= size && i < r && h[i] == '{';
}

static const slm_format FORMATS[] = {
    {SLM_KIND_SAFETENSORS, st_name, st_content, slm_model_open_safetensors, slm_model_close_safetensors},
    {SLM_KIND_HF_INDEX, index_name, NULL, slm_model_open_index, slm_model_close_index},
    {SLM_KIND_MLC_CACHE, mlc_name, NULL, slm_model_open_mlc, slm_model_close_mlc},
    {SLM_KIND_ONNX, onnx_name, NULL, slm_model_open_onnx, slm_model_close_onnx},
    {SLM_KIND_GGUF, slm_gguf_by_name, slm_gguf_by_content, slm_model_open_gguf, slm_model_close_gguf},
};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

const slm_format *slm_format_at(size_t i) { return i < N_FORMATS ? &FORMATS[i] : NULL; }
size_t slm_format_count(void) { return N_FORMATS; }

const slm_format *slm_format_of(slm_kind k)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (FORMATS[i].kind == k)
            return &FORMATS[i];
    return NULL;
}
