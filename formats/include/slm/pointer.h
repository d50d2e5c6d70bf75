/* Pointer files: what a checkout holds instead of a large file when the
 * content was never fetched (IO-002).
 *
 *   Git LFS   "version https://git-lfs.github.com/spec/v1\noid sha256:HEX\nsize N\n"
 *             (older "version https://hawser.github.com/spec/v1"); what git sees
 *             of every large file on the Hugging Face Hub, Xet-stored ones too
 *   Xet       "# xet version 0\n" then TOML with filesize = N and hash = "HEX"
 *             (XetHub's git-xet)
 *   git-annex "/annex/objects/KEY\n" (an unlocked file), or a symlink whose
 *             target holds "annex/objects/" (a locked file; dangling until
 *             `git annex get`); KEY is BACKEND-sSIZE--HASH[.ext]
 * A pointer is short text: at most SLM_POINTER_MAX bytes. */
#ifndef SLM_POINTER_H
#define SLM_POINTER_H

#include "slm/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_POINTER_MAX 1024

typedef enum slm_pointer_kind { SLM_PTR_NONE = 0, SLM_PTR_GIT_LFS, SLM_PTR_XET, SLM_PTR_GIT_ANNEX } slm_pointer_kind;

typedef struct slm_pointer {
    slm_pointer_kind kind;
    char oid[160];   /* "sha256:HEX", the Xet hash or the annex key; printable */
    int64_t size;    /* of the content, -1 when the pointer does not say */
} slm_pointer;

/* Is P[0..N) a pointer file?  Fills *OUT (kind SLM_PTR_NONE when not). */
bool slm_pointer_parse(const uint8_t *p, uint64_t n, slm_pointer *out);
/* Is the symlink target TARGET a git-annex object? */
bool slm_pointer_annex_link(const char *target, slm_pointer *out);
/* The tool that wrote it ("git-lfs", "git-xet", "git-annex"). */
const char *slm_pointer_tool(slm_pointer_kind k);
/* When MAP (FILE) is a pointer file, reports IO-002 naming the tool, the
 * object and its size and the fix, and returns true: the caller parses
 * nothing more of it. */
bool slm_pointer_check(const slm_map *map, const char *file, slm_diag *d);
/* The same for a path: a pointer file, or a symlink to a git-annex object
 * (present or not).  Reads at most SLM_POINTER_MAX bytes. */
bool slm_pointer_check_path(const char *path, slm_diag *d);

#ifdef __cplusplus
}
#endif
#endif
