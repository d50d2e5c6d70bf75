/* Artifacts and tensor sets (slm/model.h). */
#include "model_impl.h"
#include "slm/mlc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *KIND_NAMES[SLM_KIND__COUNT] = {
    "unknown", "safetensors", "hf-index", "hf-config", "onnx", "onnx-data",
    "mlc-cache", "mlc-config", "mlc-shard", "wasm", "json", "folder", "gguf",
};

const char *slm_kind_name(slm_kind k)
{
    return (unsigned)k < SLM_KIND__COUNT ? KIND_NAMES[k] : "unknown";
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* By name: the formats of the table first (their own names), then the
 * files slminspect reads beside them. */
static slm_kind sniff_name(const char *b)
{
    for (size_t i = 0; i < slm_format_count(); i++)
        if (slm_format_at(i)->by_name && slm_format_at(i)->by_name(b))
            return slm_format_at(i)->kind;
    if (strcmp(b, "mlc-chat-config.json") == 0)
        return SLM_KIND_MLC_CONFIG;
    if (strcmp(b, "config.json") == 0)
        return SLM_KIND_HF_CONFIG;
    if (ends_with(b, ".onnx_data") || ends_with(b, ".onnx.data"))
        return SLM_KIND_ONNX_DATA;
    if (ends_with(b, ".wasm"))
        return SLM_KIND_WASM;
    if (strncmp(b, "params_shard_", 13) == 0 && ends_with(b, ".bin"))
        return SLM_KIND_MLC_SHARD;
    if (ends_with(b, ".json"))
        return SLM_KIND_JSON;
    return SLM_KIND_UNKNOWN;
}

slm_kind slm_sniff(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return SLM_KIND_UNKNOWN;
    if (S_ISDIR(st.st_mode))
        return SLM_KIND_DIR;
    slm_kind k = sniff_name(base_name(path));
    if (k != SLM_KIND_UNKNOWN)
        return k;
    /* By content: the formats' magic numbers, then the wasm magic. */
    uint8_t h[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SLM_KIND_UNKNOWN;
    ssize_t r = read(fd, h, sizeof h);
    close(fd);
    if (r < 0)
        return SLM_KIND_UNKNOWN;
    for (size_t i = 0; i < slm_format_count(); i++) {
        const slm_format *f = slm_format_at(i);
        if (f->by_content && f->by_content(h, (size_t)r, (uint64_t)st.st_size))
            return f->kind;
    }
    if (r >= 8 && memcmp(h, "\0asm", 4) == 0)
        return SLM_KIND_WASM;
    return SLM_KIND_UNKNOWN;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int slm_dir_each(const char *dir, void (*fn)(const char *path, const char *name, void *arg), void *arg)
{
    DIR *dd = opendir(dir);
    if (!dd)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                break;
            names = v;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(dd);
    if (n) /* qsort of a NULL array is undefined even when empty */
        qsort(names, n, sizeof *names, name_cmp);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = slm_strdupf("%s/%s", dir, names[i]);
        struct stat st;
        if (p && stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            fn(p, names[i], arg);
            count++;
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return count;
}

/* ---- tensor list --------------------------------------------------------- */

bool slm_model_push_tensor(slm_model *m, size_t *cap, const slm_tensor *t)
{
    if (m->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        slm_tensor *v = realloc(m->t, c * sizeof *v);
        if (!v)
            return false;
        m->t = v;
        *cap = c;
    }
    m->t[m->n++] = *t;
    return true;
}

/* ---- opening ------------------------------------------------------------- */

struct scan_dir {
    char *index;       /* the preferred *.safetensors.index.json */
    char **st;         /* *.safetensors files */
    size_t nst;
    char *gguf;        /* the *.gguf file, when there is exactly one */
    size_t ngguf;
};

static void scan_one(const char *path, const char *name, void *arg)
{
    struct scan_dir *s = arg;
    if (ends_with(name, ".safetensors.index.json")) {
        if (!s->index || strcmp(name, "model.safetensors.index.json") == 0) {
            free(s->index);
            s->index = strdup(path);
        }
    } else if (ends_with(name, ".gguf")) {
        if (!s->ngguf++)
            s->gguf = strdup(path);
    } else if (ends_with(name, ".safetensors")) {
        char **v = realloc(s->st, (s->nst + 1) * sizeof *v);
        if (v) {
            s->st = v;
            s->st[s->nst++] = strdup(path);
        }
    }
}

static char *config_beside(const char *dir)
{
    char *p = slm_strdupf("%s/config.json", dir);
    if (p && access(p, R_OK) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

static void index_names(slm_model *m);

int slm_model_open(slm_model *m, const char *path, slm_diag *d)
{
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    slm_kind k = slm_sniff(path);
    int e = ENOTSUP;
    if (k == SLM_KIND_UNKNOWN && access(path, R_OK) != 0)
        e = errno ? errno : ENOENT;
    else if (k == SLM_KIND_DIR) {
        m->dir = strdup(path);
        struct scan_dir s = {0};
        char *cache = NULL;
        if (slm_dir_each(path, scan_one, &s) < 0)
            e = errno ? errno : EACCES;
        else if (!s.index && !s.nst && (cache = slm_mlc_find_cache(path))) {
            m->format = slm_format_of(SLM_KIND_MLC_CACHE);
            e = m->format->open(m, cache, d);
        } else if (s.index) {
            m->format = slm_format_of(SLM_KIND_HF_INDEX);
            e = m->format->open(m, s.index, d);
        } else if (s.nst) {
            m->format = slm_format_of(SLM_KIND_SAFETENSORS);
            e = slm_model_open_st_files(m, s.st, s.nst, d);
        } else if (s.ngguf == 1) { /* a folder of one GGUF file: that file */
            m->format = slm_format_of(SLM_KIND_GGUF);
            e = m->format->open(m, s.gguf, d);
        }
        free(s.gguf);
        free(cache);
        free(s.index);
        for (size_t i = 0; i < s.nst; i++)
            free(s.st[i]);
        free(s.st);
    } else {
        const char *slash = strrchr(path, '/');
        m->dir = slash ? slm_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
        m->format = slm_format_of(k);
        if (m->format)
            e = m->format->open(m, path, d);
    }
    if (e == 0) {
        m->config = config_beside(m->dir);
        index_names(m);
    } else
        slm_model_close(m); /* nothing to close for the caller */
    return e;
}

void slm_model_close(slm_model *m)
{
    if (m->format)
        m->format->close(m);
    free(m->t);
    free(m->q);
    free(m->path);
    free(m->dir);
    free(m->config);
    free(m->by_name);
    memset(m, 0, sizeof *m);
}

uint64_t slm_model_params(const slm_model *m)
{
    uint64_t s = 0;
    for (size_t i = 0; i < m->n; i++)
        s += m->t[i].nelem;
    return s;
}

uint64_t slm_model_bytes(const slm_model *m)
{
    uint64_t s = 0;
    for (size_t i = 0; i < m->n; i++)
        s += m->t[i].nbytes;
    return s;
}

const slm_tensor *slm_model_find(const slm_model *m, const char *name)
{
    if (!m->by_name) { /* while opening */
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->t[i].name, name) == 0)
                return &m->t[i];
        return NULL;
    }
    size_t lo = 0, hi = m->n; /* the first index whose name is >= NAME */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->t[m->by_name[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && strcmp(m->t[m->by_name[lo]].name, name) == 0 ? &m->t[m->by_name[lo]] : NULL;
}

/* By name, then by position: equal names keep t's order. */
static int by_name_cmp(const void *x, const void *y, void *arg)
{
    const slm_tensor *t = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = strcmp(t[a].name, t[b].name);
    return c ? c : (a > b) - (a < b);
}

static void index_names(slm_model *m)
{
    size_t *v = malloc((m->n ? m->n : 1) * sizeof *v);
    if (!v)
        return; /* slm_model_find searches linearly */
    for (size_t i = 0; i < m->n; i++)
        v[i] = i;
    qsort_r(v, m->n, sizeof *v, by_name_cmp, m->t);
    m->by_name = v;
}
