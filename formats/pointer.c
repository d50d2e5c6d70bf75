/* Pointer files instead of content (slm/pointer.h). */
#include "slm/pointer.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The value after KEY at the start of a line of T[0..N) (up to the line's
 * end), copied printable into OUT; false when no line starts with KEY. */
static bool line_value(const char *t, size_t n, const char *key, char *out, size_t outn)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        if (e - i >= kl && memcmp(t + i, key, kl) == 0) {
            size_t a = i + kl, b = e;
            while (b > a && (t[b - 1] == '\r' || t[b - 1] == ' '))
                b--;
            slm_printable(out, outn, t + a, b - a);
            return true;
        }
        i = e + 1;
    }
    return false;
}

static int64_t parse_size(const char *s)
{
    int64_t v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* An annex key "BACKEND-sSIZE--HASH[.ext]" (or "BACKEND-sSIZE-mMTIME--..."): its size. */
static int64_t annex_key_size(const char *key)
{
    const char *s = strstr(key, "-s");
    return s ? parse_size(s + 2) : -1;
}

bool slm_pointer_annex_link(const char *target, slm_pointer *out)
{
    memset(out, 0, sizeof *out);
    out->size = -1;
    const char *a = strstr(target, "annex/objects/");
    if (!a)
        return false;
    const char *key = strrchr(target, '/');
    key = key ? key + 1 : target;
    out->kind = SLM_PTR_GIT_ANNEX;
    slm_printable(out->oid, sizeof out->oid, key, strlen(key));
    out->size = annex_key_size(out->oid);
    return true;
}

bool slm_pointer_parse(const uint8_t *p, uint64_t n, slm_pointer *out)
{
    memset(out, 0, sizeof *out);
    out->size = -1;
    if (!p || n == 0 || n > SLM_POINTER_MAX)
        return false;
    const char *t = (const char *)p;
    size_t len = (size_t)n;
    char v[160];
    static const char lfs[] = "version https://git-lfs.github.com/spec/", hawser[] = "version https://hawser.github.com/spec/";
    if ((len >= sizeof lfs - 1 && memcmp(t, lfs, sizeof lfs - 1) == 0) ||
        (len >= sizeof hawser - 1 && memcmp(t, hawser, sizeof hawser - 1) == 0)) {
        out->kind = SLM_PTR_GIT_LFS;
        if (line_value(t, len, "oid ", out->oid, sizeof out->oid) && line_value(t, len, "size ", v, sizeof v))
            out->size = parse_size(v);
        return true;
    }
    static const char xet[] = "# xet version ";
    if (len >= sizeof xet - 1 && memcmp(t, xet, sizeof xet - 1) == 0) {
        out->kind = SLM_PTR_XET;
        if (line_value(t, len, "filesize = ", v, sizeof v))
            out->size = parse_size(v);
        if (line_value(t, len, "hash = ", v, sizeof v)) {
            char *q = v[0] == '"' ? v + 1 : v, *e = strchr(q, '"');
            if (e)
                *e = 0;
            snprintf(out->oid, sizeof out->oid, "%s", q);
        }
        return true;
    }
    static const char annex[] = "/annex/objects/";
    if (len >= sizeof annex - 1 && memcmp(t, annex, sizeof annex - 1) == 0) {
        size_t e = sizeof annex - 1;
        while (e < len && t[e] != '\n' && t[e] != '\r')
            e++;
        for (size_t i = e; i < len; i++) /* one line of text, nothing else */
            if (t[i] != '\n' && t[i] != '\r')
                return false;
        out->kind = SLM_PTR_GIT_ANNEX;
        slm_printable(out->oid, sizeof out->oid, t + sizeof annex - 1, e - (sizeof annex - 1));
        out->size = annex_key_size(out->oid);
        return true;
    }
    return false;
}

const char *slm_pointer_tool(slm_pointer_kind k)
{
    switch (k) {
    case SLM_PTR_GIT_LFS: return "git-lfs";
    case SLM_PTR_XET: return "git-xet";
    case SLM_PTR_GIT_ANNEX: return "git-annex";
    default: return "none";
    }
}

static void report(const slm_pointer *ptr, const char *file, slm_diag *d)
{
    static const char *const FIX[] = {
        [SLM_PTR_GIT_LFS] = "fetch it: git lfs pull (in GitHub Actions: actions/checkout with lfs: true), or "
                            "install git-lfs before cloning",
        [SLM_PTR_XET] = "fetch it: git xet materialize, or download the file",
        [SLM_PTR_GIT_ANNEX] = "fetch it: git annex get",
    };
    char size[48] = "an unknown size";
    if (ptr->size >= 0)
        snprintf(size, sizeof size, "%lld bytes", (long long)ptr->size);
    slm_report(d, SLM_R_IO_002, file, 0, NULL, "this is a %s pointer, not the file: object %s of %s; %s",
               slm_pointer_tool(ptr->kind), ptr->oid[0] ? ptr->oid : "(not named)", size, FIX[ptr->kind]);
}

bool slm_pointer_check(const slm_map *map, const char *file, slm_diag *d)
{
    slm_pointer ptr;
    if (!slm_pointer_parse(map->data, map->size, &ptr))
        return false;
    report(&ptr, file, d);
    return true;
}

bool slm_pointer_check_path(const char *path, slm_diag *d)
{
    slm_pointer ptr;
    char target[4096];
    ssize_t l = readlink(path, target, sizeof target - 1);
    if (l > 0) {
        target[l] = 0;
        struct stat content;
        if (slm_pointer_annex_link(target, &ptr) && stat(path, &content) != 0) { /* not fetched */
            report(&ptr, path, d);
            return true;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SLM_POINTER_MAX || st.st_size == 0)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    uint8_t buf[SLM_POINTER_MAX];
    ssize_t r = read(fd, buf, sizeof buf);
    close(fd);
    if (r <= 0 || !slm_pointer_parse(buf, (uint64_t)r, &ptr))
        return false;
    report(&ptr, path, d);
    return true;
}
