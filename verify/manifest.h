/* Integrity manifests (slminspect hash, spec/hash.md): XXH3-128 of every
 * file of a model folder and of every tensor in it, written as JSON, and
 * checked against a deployed copy.
 *
 *   { "manifest_version": 1, "tool": "slminspect 0.1.0", "algorithm": "xxh3-128",
 *     "files": [ { "path": "model-00001-of-00002.safetensors", "size": 1048712,
 *                  "xxh3_128": "<32 hex digits, as xxhsum -H2 prints>",
 *                  "kind": "safetensors", ["md5sum": "<32 hex>",]
 *                  ["tensors": [ { "name", "offset", "nbytes", "xxh3_128" }, ... ]] },
 *                ... ] }
 *
 * Files are sorted by path; a file's tensors by offset, none overlapping.
 * Each file is hashed in one pass over its mmap: the same cache-hot chunk
 * feeds the file's hash and the hash of the tensor that holds it.  Files are
 * hashed in parallel (opts.jobs threads); the result does not depend on it. */
#ifndef SLM_MANIFEST_H
#define SLM_MANIFEST_H

#include "verify.h"

#include <xxhash.h>

/* The largest manifest slm_manifest_check reads (HS-005). */
#define SLM_MANIFEST_MAX_BYTES (256u << 20)
/* The most threads --jobs starts. */
#define SLM_MANIFEST_MAX_JOBS 256u

typedef struct slm_manifest_stats {
    size_t files;            /* files hashed */
    size_t tensors;          /* tensors hashed (make) or listed for the files checked (check) */
    uint64_t bytes;          /* bytes hashed */
} slm_manifest_stats;

typedef struct slm_manifest_opts {
    unsigned jobs;               /* threads; 0: one per online CPU */
    slm_progress_fn progress;    /* called from one thread at a time, or NULL */
    void *progress_arg;
    const char *skip;            /* make: a file never listed (the manifest being written), or NULL */
    slm_manifest_stats *stats;   /* filled in when not NULL */
} slm_manifest_opts;

/* Hashes the files under PATHS[0..N) (files, or folders walked recursively
 * in name order) into a manifest.  With one PATH, manifest paths are
 * relative to it (a single file: its base name); with several, each starts
 * with its PATH's base name.  Unreadable files are findings (IO-001) and are
 * left out.  Returns 0 with *MANIFEST set, or an errno value: a PATH cannot
 * be read (ENOENT, EACCES, ...) or is neither a file nor a folder (EINVAL),
 * two PATHs have the same base name (EEXIST), ENOMEM.  The integers of
 * *MANIFEST are raw items (their exact decimal text): write it with
 * cJSON_Print, read it back after printing. */
int slm_manifest_make(const char *const *paths, size_t n, const slm_manifest_opts *o, cJSON **manifest,
                      slm_diag *d);

/* Checks the copy under ROOT (NULL: the folder that holds MANIFEST_PATH)
 * against the manifest: every listed file present with its size and hash,
 * every tensor of a file that differs named (HS-013), every file of the copy
 * the manifest does not list (HS-014), the manifest itself validated first
 * (HS-001..005).  Returns 0 (the verdict is in D), or an errno value when
 * the manifest or ROOT cannot be read at all. */
int slm_manifest_check(const char *manifest_path, const char *root, const slm_manifest_opts *o, slm_diag *d);

/* XXH3-128 of N bytes at P as 32 lowercase hex digits (xxhsum -H2's canonical form). */
void slm_xxh128_hex(const void *p, size_t n, char out[33]);
/* XXH3-128 of N bytes at P, through libxxhash's run-time dispatched AVX2 /
 * AVX-512 code where the library has it (diff uses it too). */
XXH128_hash_t slm_xxh128(const void *p, size_t n);
/* H as 32 lowercase hex digits, canonical form. */
void slm_xxh128_fmt(XXH128_hash_t h, char out[33]);

#endif
