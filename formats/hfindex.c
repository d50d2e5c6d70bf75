/* Sharded-checkpoint manifests (slm/hfindex.h). */
#include "slm/hfindex.h"
#include "slm/pointer.h"
#include "slm/json.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? slm_strndup(path, s == path ? 1 : (size_t)(s - path)) : strdup(".");
}

/* A shard name must stay inside the index's folder: relative, no ".."
 * component (symbolic links are checked once the shard is opened). */
static bool name_escapes(const char *s)
{
    if (s[0] == '/' || s[0] == 0)
        return true;
    for (const char *p = s; *p;) {
        const char *q = strchr(p, '/');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += l + (q != NULL);
    }
    return strchr(s, '\\') != NULL;
}

static size_t shard_slot(slm_hfindex *x, const char *name, uint64_t off)
{
    for (size_t i = 0; i < x->nshards; i++)
        if (strcmp(x->shards[i], name) == 0)
            return i;
    x->shards[x->nshards] = strdup(name);
    x->shard_off[x->nshards] = off;
    return x->nshards++;
}

static void read_total(slm_hfindex *x, slm_json *j, const cJSON *meta, const char *key, bool *has,
                       uint64_t *v, slm_diag *d)
{
    const cJSON *t = slm_json_get(meta, key);
    if (!t)
        return;
    char *path = slm_jptr("/metadata", key);
    enum slm_jnum r = slm_json_u64(j, t, v);
    if (r == SLM_JNUM_OK)
        *has = true;
    else if (r == SLM_JNUM_NOTNUM || r == SLM_JNUM_FRACTION)
        slm_report(d, SLM_R_JS_004, x->file, (int64_t)slm_json_off(j, t, false), path,
                   "metadata.%s must be an integer, found %s", key, slm_json_type(t));
    else
        slm_report(d, SLM_R_JS_003, x->file, (int64_t)slm_json_off(j, t, false), path,
                   "metadata.%s is %s", key, r == SLM_JNUM_NEGATIVE ? "negative" : "above 2^64-1");
    free(path);
}

void slm_hfindex_parse(slm_hfindex *x, const uint8_t *data, uint64_t size, const char *display,
                       const char *dir, slm_diag *d)
{
    slm_map keep = x->map;
    memset(x, 0, sizeof *x);
    x->map = keep;
    x->file = strdup(display ? display : "<memory>");
    x->dir = strdup(dir ? dir : ".");
    slm_json j;
    int r = slm_json_parse(&j, (const char *)data, (size_t)size, SLM_JSON_DEPTH_DEFAULT);
    if (r) {
        slm_report(d, SLM_R_JS_001, x->file, (int64_t)j.err_off, NULL, "%s", j.err);
        slm_json_free(&j);
        return;
    }
    const cJSON *wm = slm_json_get(j.root, "weight_map");
    if (!cJSON_IsObject(j.root) || !cJSON_IsObject(wm)) {
        slm_report(d, SLM_R_IX_001, x->file, wm ? (int64_t)slm_json_off(&j, wm, false) : 0,
                   wm ? "/weight_map" : NULL, "expected an object with a weight_map object, found %s%s",
                   cJSON_IsObject(j.root) ? "weight_map as " : "", slm_json_type(cJSON_IsObject(j.root) ? wm : j.root));
        slm_json_free(&j);
        return;
    }
    const cJSON *meta = slm_json_get(j.root, "metadata");
    const cJSON *dups[2] = {slm_json_dup(j.root), slm_json_dup(meta)};
    for (int k = 0; k < 2; k++)
        if (dups[k])
            slm_report(d, SLM_R_JS_002, x->file, (int64_t)slm_json_off(&j, dups[k], true), NULL,
                       "key '%s' repeats; readers keep the last value", dups[k]->string);
    if (meta && !cJSON_IsObject(meta) && !cJSON_IsNull(meta))
        slm_report(d, SLM_R_JS_004, x->file, (int64_t)slm_json_off(&j, meta, false), "/metadata",
                   "metadata must be an object, found %s", slm_json_type(meta));
    read_total(x, &j, meta, "total_size", &x->has_total_size, &x->total_size, d);
    read_total(x, &j, meta, "total_parameters", &x->has_total_params, &x->total_params, d);
    if (!slm_json_get(meta, "total_size"))
        slm_report(d, SLM_R_IX_011, x->file, 0, "/metadata/total_size", "metadata.total_size is missing");

    size_t n = 0;
    for (const cJSON *e = wm->child; e; e = e->next)
        n++;
    x->e = calloc(n ? n : 1, sizeof *x->e);
    x->shards = calloc(n ? n : 1, sizeof *x->shards);
    x->shard_off = calloc(n ? n : 1, sizeof *x->shard_off);
    if (!x->e || !x->shards || !x->shard_off) {
        slm_json_free(&j);
        return;
    }
    x->ok = true;
    char buf[160];
    size_t nsup, k = 0;
    bool *sup = slm_json_superseded(wm, &nsup);
    for (const cJSON *e = wm->child; e; e = e->next, k++) {
        char *path = slm_jptr("/weight_map", e->string);
        int64_t off = (int64_t)slm_json_off(&j, e, true);
        if (sup ? sup[k] : slm_json_get(wm, e->string) != e) {
            slm_report(d, SLM_R_JS_002, x->file, off, path,
                       "tensor '%s' is mapped again later; readers keep the last shard",
                       slm_printable(buf, sizeof buf, e->string, strlen(e->string)));
        } else if (!cJSON_IsString(e) || !*e->valuestring) {
            slm_report(d, SLM_R_IX_002, x->file, (int64_t)slm_json_off(&j, e, false), path,
                       "expected a shard file name, found %s", cJSON_IsString(e) ? "an empty string" : slm_json_type(e));
            x->ok = false;
        } else if (name_escapes(e->valuestring)) {
            slm_report(d, SLM_R_IX_004, x->file, (int64_t)slm_json_off(&j, e, false), path,
                       "shard name '%s' leaves the index's folder",
                       slm_printable(buf, sizeof buf, e->valuestring, strlen(e->valuestring)));
            x->ok = false;
        } else {
            slm_hfindex_entry *en = &x->e[x->n++];
            en->tensor = strdup(e->string);
            en->shard = shard_slot(x, e->valuestring, slm_json_off(&j, e, false));
            en->off = (uint64_t)off;
        }
        free(path);
    }
    free(sup);
    slm_json_free(&j);
}

int slm_hfindex_open(slm_hfindex *x, const char *path, const char *display, slm_diag *d)
{
    memset(x, 0, sizeof *x);
    int e = slm_map_open(&x->map, path);
    if (e)
        return e;
    char *dir = dir_of(path);
    if (slm_pointer_check(&x->map, display ? display : path, d)) { /* an empty index, and nothing more to say */
        slm_diag none;
        slm_diag_init(&none);
        slm_hfindex_parse(x, NULL, 0, display ? display : path, dir, &none);
        slm_diag_free(&none);
    } else
        slm_hfindex_parse(x, x->map.data, x->map.size, display ? display : path, dir, d);
    free(dir);
    return 0;
}

static char *join(const char *dir, const char *name)
{
    return slm_strdupf("%s/%s", dir, name);
}

/* The shard's real path lies inside the real folder (no symbolic link out). */
static bool inside(const char *dir, const char *path)
{
    char *rd = realpath(dir, NULL), *rp = realpath(path, NULL);
    bool ok = rd && rp && strncmp(rp, rd, strlen(rd)) == 0 && rp[strlen(rd)] == '/';
    free(rd);
    free(rp);
    return ok;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Shard-like files in the folder that no weight_map entry names. */
static void stray_shards(slm_hfindex *x, slm_diag *d)
{
    DIR *dd = opendir(x->dir);
    if (!dd)
        return;
    const char *base = strrchr(x->file, '/');
    base = base ? base + 1 : x->file;
    /* model.safetensors.index.json -> shards look like model-*.safetensors */
    size_t stem = strcspn(base, ".");
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0;
    while ((de = readdir(dd))) {
        if (!ends_with(de->d_name, ".safetensors") || strncmp(de->d_name, base, stem) != 0 ||
            de->d_name[stem] != '-')
            continue;
        bool named = false;
        for (size_t i = 0; i < x->nshards && !named; i++)
            named = strcmp(x->shards[i], de->d_name) == 0;
        if (!named) {
            char **v = realloc(names, (nn + 1) * sizeof *v);
            if (!v)
                break;
            names = v;
            names[nn++] = strdup(de->d_name);
        }
    }
    closedir(dd);
    for (size_t i = 0; i < nn; i++) {
        char *p = join(x->dir, names[i]);
        slm_report(d, SLM_R_IX_010, p, -1, NULL, "'%s' looks like a shard of %s but weight_map names no tensor in it",
                   names[i], base);
        free(p);
        free(names[i]);
    }
    free(names);
}

typedef struct held {
    const char *name;
    size_t shard;
    const slm_st_tensor *t;
} held;

static int held_cmp(const void *a, const void *b)
{
    const held *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->shard > y->shard) - (x->shard < y->shard);
}

/* The first weight_map entry that names shard S. */
static size_t first_entry(const slm_hfindex *x, size_t s)
{
    size_t k = 0;
    while (k + 1 < x->n && x->e[k].shard != s)
        k++;
    return k;
}

void slm_hfindex_load_shards(slm_hfindex *x, slm_diag *d)
{
    if (!x->ok && !x->n)
        return;
    x->st = calloc(x->nshards ? x->nshards : 1, sizeof *x->st);
    x->shard_ok = calloc(x->nshards ? x->nshards : 1, sizeof *x->shard_ok);
    if (!x->st || !x->shard_ok)
        return;
    char buf[160];
    for (size_t i = 0; i < x->nshards; i++) {
        char *p = join(x->dir, x->shards[i]);
        int e = slm_map_open(&x->st[i].map, p);
        if (e) {
            char *path = slm_jptr("/weight_map", x->e[first_entry(x, i)].tensor);
            slm_report(d, SLM_R_IX_003, x->file, (int64_t)x->shard_off[i], path, "shard '%s' cannot be opened: %s",
                       slm_printable(buf, sizeof buf, x->shards[i], strlen(x->shards[i])), strerror(e));
            free(path);
        } else if (!inside(x->dir, p)) {
            char *path = slm_jptr("/weight_map", x->e[first_entry(x, i)].tensor);
            slm_report(d, SLM_R_IX_004, x->file, (int64_t)x->shard_off[i], path,
                       "shard '%s' resolves outside the index's folder",
                       slm_printable(buf, sizeof buf, x->shards[i], strlen(x->shards[i])));
            free(path);
            slm_map_close(&x->st[i].map);
        } else if (slm_pointer_check(&x->st[i].map, p, d)) {
            slm_map_close(&x->st[i].map); /* not the shard: its tensors are not looked for */
        } else {
            slm_st_parse(&x->st[i], x->st[i].map.data, x->st[i].map.size, p, d);
            x->shard_ok[i] = true;
        }
        free(p);
    }
    /* Every tensor the shards hold, sorted by name then shard: where each
     * weight_map entry is found, and what no entry names. */
    size_t nheld = 0, k = 0;
    for (size_t s = 0; s < x->nshards; s++)
        nheld += x->shard_ok[s] ? x->st[s].n : 0;
    held *h = malloc((nheld ? nheld : 1) * sizeof *h);
    const char **names = malloc((x->n ? x->n : 1) * sizeof *names);
    if (!h || !names) {
        free(h);
        free(names);
        return;
    }
    for (size_t s = 0; s < x->nshards; s++)
        for (size_t i = 0; x->shard_ok[s] && i < x->st[s].n; i++)
            h[k++] = (held){x->st[s].t[i].name, s, &x->st[s].t[i]};
    qsort(h, nheld, sizeof *h, held_cmp);
    /* Count tensors once, where weight_map places them. */
    uint64_t bytes = 0, params = 0;
    bool totals_known = true;
    for (k = 0; k < x->n; k++) {
        const slm_hfindex_entry *en = &x->e[k];
        if (!x->shard_ok[en->shard] || !x->st[en->shard].header_ok) {
            totals_known = false;
            continue;
        }
        size_t lo = 0, hi = nheld; /* the first held tensor of this name */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(h[mid].name, en->tensor) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        const slm_st_tensor *t = NULL;
        for (size_t i = lo; i < nheld && strcmp(h[i].name, en->tensor) == 0; i++)
            if (h[i].shard == en->shard)
                t = h[i].t;
        char *path = NULL;
        if (!t) {
            path = slm_jptr("/weight_map", en->tensor);
            slm_report(d, SLM_R_IX_005, x->file, (int64_t)en->off, path, "tensor '%s' is not in shard '%s'",
                       slm_printable(buf, sizeof buf, en->tensor, strlen(en->tensor)), x->shards[en->shard]);
            totals_known = false;
        } else if (!slm_add_u64(bytes, t->nbytes, &bytes) || !slm_add_u64(params, t->nelem, &params)) {
            totals_known = false;
        }
        for (size_t i = lo; i < nheld && strcmp(h[i].name, en->tensor) == 0; i++) {
            if (h[i].shard == en->shard)
                continue;
            if (!path)
                path = slm_jptr("/weight_map", en->tensor);
            slm_report(d, SLM_R_IX_006, x->file, (int64_t)en->off, path,
                       "tensor '%s' is mapped to '%s' but '%s' holds it too",
                       slm_printable(buf, sizeof buf, en->tensor, strlen(en->tensor)), x->shards[en->shard],
                       x->shards[h[i].shard]);
        }
        free(path);
    }
    for (k = 0; k < x->n; k++)
        names[k] = x->e[k].tensor;
    qsort(names, x->n, sizeof *names, str_cmp);
    for (k = 0; k < nheld; k++) {
        const char *key = h[k].name;
        if (!bsearch(&key, names, x->n, sizeof *names, str_cmp))
            slm_report(d, SLM_R_IX_007, x->st[h[k].shard].file, (int64_t)h[k].t->entry_off, NULL,
                       "tensor '%s' is in this shard but weight_map does not name it",
                       slm_printable(buf, sizeof buf, key, strlen(key)));
    }
    free(h);
    free(names);
    if (!x->ok) /* entries were rejected: totals and strays would only echo that */
        return;
    if (totals_known && x->has_total_size && x->total_size != bytes)
        slm_report(d, SLM_R_IX_008, x->file, -1, "/metadata/total_size",
                   "metadata.total_size is %llu, the tensors hold %llu bytes",
                   (unsigned long long)x->total_size, (unsigned long long)bytes);
    if (totals_known && x->has_total_params && x->total_params != params)
        slm_report(d, SLM_R_IX_009, x->file, -1, "/metadata/total_parameters",
                   "metadata.total_parameters is %llu, the tensors hold %llu elements",
                   (unsigned long long)x->total_params, (unsigned long long)params);
    stray_shards(x, d);
}

void slm_hfindex_close(slm_hfindex *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->e[i].tensor);
    for (size_t i = 0; i < x->nshards; i++) {
        free(x->shards[i]);
        if (x->st)
            slm_st_close(&x->st[i]);
    }
    free(x->e);
    free(x->shards);
    free(x->shard_off);
    free(x->st);
    free(x->shard_ok);
    free(x->file);
    free(x->dir);
    slm_map_close(&x->map);
    memset(x, 0, sizeof *x);
}
