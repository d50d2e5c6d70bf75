/* model_signing's files serialization, shared by the statement (msig.c)
 * and the check of a bundle (msig_check.c): the model's files listed as
 * model_signing lists them, hashed with SHA-256 in parallel, sorted in
 * Python's PurePosixPath order.  Internal to verify/. */
#ifndef SLM_MSIG_FILES_H
#define SLM_MSIG_FILES_H

#include "msig.h"

#include <sys/stat.h>

#define MS_DIGEST 32
/* Deepest nesting of the bundle's and the statement's JSON. */
#define MS_JSON_DEPTH 64

typedef struct ms_file {
    char *rel;  /* the resource name */
    char *disk; /* the path read */
    uint8_t digest[MS_DIGEST];
    int err;    /* errno of reading it, or 0 */
    uint64_t size;
} ms_file;

typedef struct ms_list {
    ms_file *v;
    size_t n, cap;
    int err; /* ENOMEM */
} ms_list;

typedef struct ms_walk {
    ms_list *l;
    const char *const *ignore;
    size_t nignore;
    bool allow_symlinks;
    dev_t skip_dev[2];
    ino_t skip_ino[2];
    size_t nskip;
    slm_diag *d;
} ms_walk;

void msig_list_free(ms_list *l);
void msig_list_add(ms_list *l, const char *rel, const char *disk);
/* Lists the model at PATH (ST: its stat): a folder's files, or a single
 * file named "."; sorted.  0, or ENOMEM. */
int msig_list_model(const char *path, const struct stat *st, ms_walk *w);
/* SHA-256 of every file of L (O->jobs threads); unreadable ones are IO-001. */
void msig_hash_all(ms_list *l, const slm_manifest_opts *o, slm_diag *d);
/* H as 64 lowercase hex digits. */
void msig_hex(const uint8_t *h, char out[2 * MS_DIGEST + 1]);
/* 64 hex digits into OUT; false when S is not that. */
bool msig_parse_digest(const char *s, uint8_t out[MS_DIGEST]);
/* The ignore list: BASE[0..NBASE) and EXTRA's paths made relative to MODEL
 * (msig_relative), each malloc'd; *N set.  NULL when memory runs out. */
char **msig_ignore_list(const char *model, const char *const *base, size_t nbase, const slm_msig_ignore *extra,
                        size_t *n);
void msig_strings_free(char **v, size_t n);
/* PurePosixPath order: component by component ("a/b" before "a-c"). */
int msig_path_cmp(const char *a, const char *b);

#endif
