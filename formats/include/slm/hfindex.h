/* Sharded-checkpoint manifests: model.safetensors.index.json and every other
 * *.index.json of the same shape (spec/hf-index.md).
 *
 *   { "metadata": { "total_size": bytes, "total_parameters": elements, ... },
 *     "weight_map": { tensor name: shard file name, ... } }
 *
 * As transformers reads it (json.load: the last of repeated keys wins). */
#ifndef SLM_HFINDEX_H
#define SLM_HFINDEX_H

#include "slm/core.h"
#include "slm/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_hfindex_entry {
    char *tensor;
    size_t shard;      /* index into shards */
    uint64_t off;      /* byte offset of the entry in the index file */
} slm_hfindex_entry;

typedef struct slm_hfindex {
    slm_map map;
    char *file;        /* display name */
    char *dir;         /* folder the shard names are relative to */
    slm_hfindex_entry *e; /* weight_map, in file order, repeats removed */
    size_t n;
    char **shards;     /* distinct shard names, in first-seen order */
    uint64_t *shard_off; /* offset of the first entry naming each shard */
    size_t nshards;
    slm_st *st;        /* one per shard after slm_hfindex_load_shards */
    bool *shard_ok;    /* shard opened (it may still have findings) */
    bool has_total_size, has_total_params;
    uint64_t total_size, total_params;
    bool ok;           /* the manifest itself is usable */
} slm_hfindex;

/* Reads the manifest at PATH.  0 when the file could be read, else errno. */
int slm_hfindex_open(slm_hfindex *x, const char *path, const char *display, slm_diag *d);
/* Reads a manifest in memory; shard names are relative to DIR. */
void slm_hfindex_parse(slm_hfindex *x, const uint8_t *data, uint64_t size, const char *display,
                       const char *dir, slm_diag *d);
/* Opens every shard and checks the manifest against them: presence,
 * placement of every tensor, totals, stray shard files in the folder. */
void slm_hfindex_load_shards(slm_hfindex *x, slm_diag *d);
void slm_hfindex_close(slm_hfindex *x);

#ifdef __cplusplus
}
#endif
#endif
