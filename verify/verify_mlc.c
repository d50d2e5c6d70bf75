/* verify: MLC / WebLLM weight folders (a tensor cache, its shards and
 * mlc-chat-config.json).  The format rules live in formats/mlc.c; this adds
 * --hash, --stats and the reports of which files were read. */
#include "verify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void checked(const slm_verify_opts *o, const char *path, slm_kind k)
{
    if (o->checked)
        o->checked(o->checked_arg, path, k);
}

int slm_verify_mlc(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    slm_model m;
    int e = slm_model_open(&m, path, d);
    if (e || !m.mlc) {
        slm_model_close(&m);
        return e ? e : ENOTSUP;
    }
    slm_mlc *x = m.mlc;
    /* The caller reports PATH itself; mlc-chat-config.json is reported
     * where the folder walk meets it. */
    for (size_t i = 0; i < x->ns; i++)
        if (x->s[i].present)
            checked(o, x->s[i].path, SLM_KIND_MLC_SHARD);
    if (o->hash)
        slm_mlc_check_md5(x, d);
    if (o->stats) {
        bool fp16 = o->fp16 || (x->cfg.quantization && strstr(x->cfg.quantization, "f16"));
        slm_verify_model_values(&m, o, fp16, d);
    }
    slm_verify_cross_mlc(&m, o, d);
    slm_model_close(&m);
    return 0;
}

/* mlc-chat-config.json alone: with a tensor cache beside it, the cache's
 * check reads it. */
int slm_verify_mlc_config(const char *path, const slm_verify_opts *o, slm_diag *d)
{
    (void)o;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    char *cache = dir ? slm_mlc_find_cache(dir) : NULL;
    free(dir);
    if (cache) {
        free(cache);
        return 0;
    }
    slm_mlc_config c;
    int e = slm_mlc_config_open(&c, path, d);
    slm_mlc_config_close(&c);
    return e;
}
