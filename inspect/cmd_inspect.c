/* slminspect inspect: what a file or folder holds, in one screen.
 *
 * Each artifact is first described as a JSON object (what --json prints);
 * the text view is rendered from that object, so the two never disagree. */
#include "cli.h"
#include "inspect.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* ---- weights: safetensors files and sharded checkpoints ------------------ */

static cJSON *shape_json(const uint64_t *shape, size_t ndim)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < ndim; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)shape[i]));
    return a;
}

cJSON *inspect_tensor_json(const slm_tensor *t, bool with_stats)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "dtype", slm_tensor_type_name(t));
    cJSON_AddItemToObject(o, "shape", shape_json(t->shape, t->ndim));
    cJSON_AddNumberToObject(o, "parameters", (double)t->nelem);
    cJSON_AddNumberToObject(o, "bytes", (double)t->nbytes);
    cJSON_AddStringToObject(o, "file", t->file ? t->file : "");
    cJSON_AddNumberToObject(o, "offset", (double)t->offset);
    if (with_stats && t->data && slm_dtype_info_of(t->dtype)->decodes) {
        slm_stats s;
        slm_stats_init(&s);
        slm_stats_add(&s, t->dtype, t->data, 0, t->nelem);
        cJSON *st = cJSON_AddObjectToObject(o, "stats");
        uint64_t finite = s.n - s.nan - s.inf;
        cJSON_AddNumberToObject(st, "nan", (double)s.nan);
        cJSON_AddNumberToObject(st, "inf", (double)s.inf);
        cJSON_AddNumberToObject(st, "zeros", (double)s.zero);
        if (finite) {
            double mean = s.sum / (double)finite;
            cJSON_AddNumberToObject(st, "min", s.min);
            cJSON_AddNumberToObject(st, "max", s.max);
            cJSON_AddNumberToObject(st, "mean", mean);
            cJSON_AddNumberToObject(st, "rms", sqrt(s.sumsq / (double)finite));
        }
        cJSON_AddNumberToObject(st, "fp16_overflow", (double)s.f16_over);
        cJSON_AddNumberToObject(st, "fp16_underflow", (double)s.f16_under);
    }
    return o;
}

static int by_bytes_desc(const void *a, const void *b)
{
    const slm_tensor *x = *(const slm_tensor *const *)a, *y = *(const slm_tensor *const *)b;
    if (x->nbytes != y->nbytes)
        return x->nbytes > y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void add_st_file(cJSON *files, const slm_st *st)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "path", st->file);
    cJSON_AddNumberToObject(f, "bytes", (double)st->size);
    cJSON_AddNumberToObject(f, "header_bytes", (double)st->header_len);
    cJSON_AddNumberToObject(f, "tensors", (double)st->n);
    cJSON_AddBoolToObject(f, "valid", st->valid);
    cJSON *m = cJSON_AddObjectToObject(f, "metadata");
    for (size_t i = 0; i < st->nmeta; i++)
        cJSON_AddStringToObject(m, st->meta_key[i], st->meta_val[i]);
    cJSON_AddItemToArray(files, f);
}

cJSON *inspect_weights(const char *path, const inspect_opts *o, slm_diag *d, int *err)
{
    slm_model m;
    *err = slm_model_open(&m, path, d);
    if (*err) {
        slm_model_close(&m);
        return NULL;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "path", path);
    cJSON_AddStringToObject(doc, "kind", slm_kind_name(m.kind));
    cJSON *files = cJSON_AddArrayToObject(doc, "files");
    if (m.index) {
        cJSON *ix = cJSON_AddObjectToObject(doc, "index");
        cJSON_AddStringToObject(ix, "path", m.index->file);
        cJSON_AddNumberToObject(ix, "shards", (double)m.index->nshards);
        cJSON_AddNumberToObject(ix, "entries", (double)m.index->n);
        if (m.index->has_total_size)
            cJSON_AddNumberToObject(ix, "total_size", (double)m.index->total_size);
        if (m.index->has_total_params)
            cJSON_AddNumberToObject(ix, "total_parameters", (double)m.index->total_params);
        for (size_t i = 0; i < m.index->nshards; i++)
            if (m.index->shard_ok && m.index->shard_ok[i])
                add_st_file(files, &m.index->st[i]);
    }
    for (size_t i = 0; i < m.nst; i++)
        add_st_file(files, &m.st[i]);
    if (m.config)
        cJSON_AddItemToObject(doc, "config", inspect_config_json(m.config));
    cJSON_AddNumberToObject(doc, "tensor_count", (double)m.n);
    cJSON_AddNumberToObject(doc, "parameters", (double)slm_model_params(&m));
    cJSON_AddNumberToObject(doc, "bytes", (double)slm_model_bytes(&m));

    /* By dtype, in the dtype table's order. */
    cJSON *bd = cJSON_AddArrayToObject(doc, "by_dtype");
    for (int t = 1; t < SLM_DT__COUNT; t++) {
        uint64_t n = 0, p = 0, b = 0;
        for (size_t i = 0; i < m.n; i++)
            if (m.t[i].dtype == (slm_dtype)t) {
                n++;
                p += m.t[i].nelem;
                b += m.t[i].nbytes;
            }
        if (!n)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", slm_dtype_name((slm_dtype)t));
        cJSON_AddNumberToObject(e, "tensors", (double)n);
        cJSON_AddNumberToObject(e, "parameters", (double)p);
        cJSON_AddNumberToObject(e, "bytes", (double)b);
        cJSON_AddItemToArray(bd, e);
    }
    const slm_tensor **order = malloc((m.n ? m.n : 1) * sizeof *order);
    cJSON *largest = cJSON_AddArrayToObject(doc, "largest");
    if (order) {
        for (size_t i = 0; i < m.n; i++)
            order[i] = &m.t[i];
        qsort(order, m.n, sizeof *order, by_bytes_desc);
        for (size_t i = 0; i < m.n && i < 5; i++)
            cJSON_AddItemToArray(largest, inspect_tensor_json(order[i], false));
        free(order);
    }
    cJSON *ts = cJSON_AddArrayToObject(doc, "tensors");
    for (size_t i = 0; i < m.n; i++)
        cJSON_AddItemToArray(ts, inspect_tensor_json(&m.t[i], o->stats));
    slm_model_close(&m);
    return doc;
}

/* ---- text rendering ------------------------------------------------------ */

static double num(const cJSON *o, const char *k)
{
    return out_jnum_or(o, k, 0);
}


const char *inspect_commas(char *buf, size_t n, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.0f", v);
    size_t l = strlen(tmp), o = 0;
    for (size_t i = 0; i < l && o + 2 < n; i++) {
        if (i && (l - i) % 3 == 0 && tmp[i - 1] != '-')
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

static void print_tensor_line(const cJSON *t, int name_w)
{
    char shp[64], b[32];
    size_t o = 0;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "shape"), *e;
    shp[o++] = '[';
    cJSON_ArrayForEach(e, s)
    {
        int w = snprintf(shp + o, sizeof shp - o, "%s%.0f", o > 1 ? ", " : "", e->valuedouble);
        if (w < 0 || (size_t)w >= sizeof shp - o - 5) {
            snprintf(shp + o, sizeof shp - o, "...");
            o += 3;
            break;
        }
        o += (size_t)w;
    }
    snprintf(shp + o, sizeof shp - o, "]");
    printf("%-*s  %-7s %-16s %10s", name_w, out_jtext(t, "name"), out_jtext(t, "dtype"), shp,
           slm_fmt_bytes(b, sizeof b, (uint64_t)num(t, "bytes")));
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "stats");
    if (st) {
        printf("  min %-11.4g max %-11.4g mean %.4g", num(st, "min"), num(st, "max"), num(st, "mean"));
        if (num(st, "nan") || num(st, "inf"))
            printf("  NaN %.0f Inf %.0f", num(st, "nan"), num(st, "inf"));
    }
    printf("\n");
}

void inspect_print_weights(const cJSON *doc, const inspect_opts *o)
{
    char a[32], b[32], c[32];
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(doc, "index");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files"), *f;
    printf("%s\n", out_jtext(doc, "path"));
    if (ix)
        printf("  format      sharded safetensors checkpoint: %s, %.0f shards\n", out_jtext(ix, "path"),
               num(ix, "shards"));
    else
        printf("  format      safetensors, %d file(s)\n", cJSON_GetArraySize(files));
    printf("  tensors     %s\n", inspect_commas(a, sizeof a, num(doc, "tensor_count")));
    printf("  parameters  %s (%s)\n", inspect_commas(a, sizeof a, num(doc, "parameters")),
           slm_fmt_count(b, sizeof b, (uint64_t)num(doc, "parameters")));
    printf("  bytes       %s (%s)\n", inspect_commas(a, sizeof a, num(doc, "bytes")),
           slm_fmt_bytes(b, sizeof b, (uint64_t)num(doc, "bytes")));
    if (ix && cJSON_GetObjectItemCaseSensitive(ix, "total_size"))
        printf("  index says  total_size %s, total_parameters %s\n",
               inspect_commas(a, sizeof a, num(ix, "total_size")),
               cJSON_GetObjectItemCaseSensitive(ix, "total_parameters")
                   ? inspect_commas(b, sizeof b, num(ix, "total_parameters")) : "(absent)");
    const cJSON *e;
    bool first = true;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "by_dtype"))
    {
        printf("  %-11s %-7s %6.0f tensors  %10s params  %10s\n", first ? "by dtype" : "", out_jtext(e, "dtype"),
               num(e, "tensors"), slm_fmt_count(a, sizeof a, (uint64_t)num(e, "parameters")),
               slm_fmt_bytes(b, sizeof b, (uint64_t)num(e, "bytes")));
        first = false;
    }
    /* Metadata: the distinct key=value pairs across files. */
    first = true;
    cJSON_ArrayForEach(f, files)
    {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(f, "metadata"))
        {
            printf("%s%s=%s", first ? "  metadata    " : ", ", e->string, e->valuestring);
            first = false;
        }
        if (!first)
            break; /* shards carry the same metadata; show the first file's */
    }
    if (!first)
        printf("\n");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(doc, "config");
    if (cfg)
        inspect_print_config_line(cfg);
    int w = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, o->tensors ? "tensors" : "largest");
    cJSON_ArrayForEach(e, list)
    {
        int l = (int)strlen(out_jtext(e, "name"));
        if (l > w)
            w = l < 60 ? l : 60;
    }
    printf("  %s\n", o->tensors ? "tensors" : "largest");
    cJSON_ArrayForEach(e, list)
    {
        printf("    ");
        print_tensor_line(e, w);
    }
    (void)c;
}

/* ---- the command --------------------------------------------------------- */

static void help(void)
{
    printf("usage: slminspect inspect [options] PATH...\n\n"
           "Summarizes each PATH in one screen.  PATH is a file or a model folder (each\n"
           "artifact directly in it is described):\n"
           "  safetensors files and sharded checkpoints: tensors, parameters and bytes by\n"
           "    dtype, __metadata__, the index totals, config.json's key facts, the largest\n"
           "    tensors;\n"
           "  ONNX models: IR and opsets, producer, inputs and outputs with shapes, the\n"
           "    operator histogram, initializer bytes by dtype and embedded/external, the\n"
           "    quantization summary (MatMulNBits, blocked DequantizeLinear: bits, block\n"
           "    sizes, symmetric or not, scale dtype);\n"
           "  MLC weight folders: the tensor cache, shards, quantization, mlc-chat-config;\n"
           "  WebAssembly model libraries: ABI generation, imports, exports, the embedded\n"
           "    metadata (model type, quantization, context, params);\n"
           "  GGUF files: architecture, name, file type (Q4_K_M...), quantization version,\n"
           "    alignment, the model's key facts, tokenizer and vocabulary size, parameters\n"
           "    and bytes by ggml type, the quantization mix, the largest tensors;\n"
           "  config.json and mlc-chat-config.json.\n\n"
           "Options:\n"
           "  --tensors   list every tensor (name, dtype, shape, bytes; GGUF: ggml type,\n"
           "              shape, absolute file offset, bytes)\n"
           "  --stats     read tensor values: min, max, mean, NaN/Inf counts\n"
           "  --json      print everything as JSON: {\"artifacts\": [...], \"findings\": [...]}\n"
           "              (spec/schema/inspect.schema.json)\n"
           "  --target PROFILE, --runtime SPEC\n"
           "              for ONNX models: the onnxruntime release (as verify takes them);\n"
           "              with either, the operators that fall back from WebGPU to wasm\n"
           "  --all       list every finding met while reading (text folds repeated ones)\n\n"
           "Findings met while reading are listed at the end (run 'slminspect verify' for\n"
           "every rule).  Exit status: 0 readable and valid, 1 the files have errors,\n"
           "2 usage error or unreadable input.\n");
}

int cmd_inspect(int argc, char **argv)
{
    enum { O_JSON = 256, O_TENSORS, O_STATS, O_TARGET, O_RUNTIME, O_ALL };
    static const struct option opts[] = {{"json", no_argument, 0, O_JSON},
                                         {"all", no_argument, 0, O_ALL},
                                         {"tensors", no_argument, 0, O_TENSORS},
                                         {"stats", no_argument, 0, O_STATS},
                                         {"target", required_argument, 0, O_TARGET},
                                         {"runtime", required_argument, 0, O_RUNTIME},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    inspect_opts o = {0};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: json = true; break;
        case O_TENSORS: o.tensors = true; break;
        case O_STATS: o.stats = true; break;
        case O_TARGET:
            if (!slm_verify_target_known(optarg))
                return usage_error("inspect", "--target takes webllm, transformers.js, hf or auto, not '%s'", optarg);
            o.target = optarg;
            break;
        case O_RUNTIME: o.runtime = optarg; break;
        case O_ALL: out_set_show_all(true); break;
        case 'h': help(); return 0;
        default: return usage_error("inspect", "unknown option");
        }
    }
    if (optind >= argc)
        return usage_error("inspect", "no PATH given");
    slm_diag d;
    slm_diag_init(&d);
    cJSON *arts = cJSON_CreateArray();
    int unreadable = 0;
    for (int i = optind; i < argc; i++) {
        int before = cJSON_GetArraySize(arts);
        int e = inspect_path(argv[i], &o, &d, arts);
        if (e) {
            unreadable++;
            fprintf(stderr, "slminspect inspect: %s: %s\n", argv[i],
                    e == ENOTSUP ? "holds nothing slminspect reads" : strerror(e));
        }
        if (!json)
            for (int k = before; k < cJSON_GetArraySize(arts); k++) {
                if (k)
                    printf("\n");
                inspect_print(cJSON_GetArrayItem(arts, k), &o);
            }
    }
    slm_diag_sort(&d);
    if (json) {
        cJSON *doc = out_doc("inspect");
        cJSON_AddItemToObject(doc, "artifacts", arts);
        slm_report_add(doc, &d);
        out_print_json(doc);
    } else {
        cJSON_Delete(arts);
        if (d.n) {
            printf("\nfindings while reading:\n");
            out_findings_text(stdout, &d);
        }
    }
    int rc = unreadable ? EXIT_USAGE : out_exit_code(&d, SLM_ERROR);
    slm_diag_free(&d);
    return rc;
}
