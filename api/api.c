/* The binding API (slminspect.h): a command's options, given as a JSON
 * object, become its command line; the command runs as `slminspect COMMAND
 * --json` does, and the document it would print is handed back instead
 * (out_capture_begin, inspect/out.c).  The commands are not duplicated:
 * the CLI and this API run the same code. */
#define SLMINSPECT_BUILDING 1
#include "slminspect.h"

#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options a binding may not pass: they change where or how the document is
 * written (or print text instead of it), which the API decides. */
static const char *const RESERVED[] = {"json", "format", "output", "o", "html", "help", "h", "quiet", "q", "diffable"};

typedef struct command_entry {
    const char *name; /* as the API names it */
    int (*fn)(int argc, char **argv);
    const char *argv0; /* as the command line names it */
    const char *required; /* an option without which the command does something else */
} command_entry;

static const command_entry COMMANDS[] = {
    {"verify", cmd_verify, "verify", NULL},   {"inspect", cmd_inspect, "inspect", NULL},
    {"quant", cmd_quant, "quant", "ref"},     {"diff", cmd_diff, "diff", NULL},
    {"hash-check", cmd_hash, "hash", "check"},
};

/* A growing argv; every string owned. */
typedef struct args {
    char **v;
    size_t n, cap;
    bool oom;
} args;

static void push(args *a, char *s)
{
    if (!s || a->oom) {
        free(s);
        a->oom = true;
        return;
    }
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            free(s);
            a->oom = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void args_free(args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* --NAME for option KEY ('_' read as '-'). */
static char *option_name(const char *key)
{
    char *s = slm_strdupf("--%s", key);
    for (char *p = s; p && *p; p++)
        if (*p == '_')
            *p = '-';
    return s;
}

/* A long option's name: letters, digits, '-' and '_', not starting with '-'
 * (so that no key can end the options, "--", or carry a value, "a=b"). */
static bool option_key(const char *key)
{
    if (!key || !*key || *key == '-' || *key == '_')
        return false;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return false;
    return true;
}

static bool reserved(const char *key)
{
    for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
        if (strcmp(key, RESERVED[i]) == 0)
            return true;
    return false;
}

/* One value of option NAME: a flag, or NAME and the value.  NULL when the
 * value is of a kind no option takes (an error message). */
static char *push_value(args *a, const char *name, const cJSON *v)
{
    if (cJSON_IsTrue(v)) {
        push(a, strdup(name));
    } else if (cJSON_IsString(v)) {
        push(a, strdup(name));
        push(a, strdup(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        push(a, strdup(name));
        double d = v->valuedouble;
        if (d == (double)(long long)d && d > -9e15 && d < 9e15)
            push(a, slm_strdupf("%lld", (long long)d));
        else
            push(a, slm_strdupf("%.17g", d));
    } else if (!cJSON_IsFalse(v) && !cJSON_IsNull(v)) {
        return slm_strdupf("option '%s' takes true, a string or a number", name + 2);
    }
    return NULL;
}

/* OPTIONS (a JSON object) as command-line options; NULL, or why not. */
static char *push_options(args *a, const char *options, const command_entry *c)
{
    if (!options)
        return c->required ? slm_strdupf("%s needs the option '%s'", c->name, c->required) : NULL;
    cJSON *o = cJSON_Parse(options);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return strdup("options must be a JSON object");
    }
    char *why = NULL;
    bool has_required = !c->required;
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        if (!option_key(it->string))
            why = strdup("option names are letters, digits, '-' and '_'");
        else if (reserved(it->string))
            why = slm_strdupf("option '%s' is not available through the API (the API returns the JSON document)",
                              it->string);
        if (why)
            break;
        char *name = option_name(it->string);
        if (!name) {
            why = strdup("out of memory");
            break;
        }
        if (c->required && strcmp(name + 2, c->required) == 0 && !cJSON_IsNull(it) && !cJSON_IsFalse(it))
            has_required = true;
        if (cJSON_IsArray(it)) {
            for (const cJSON *e = it->child; e && !why; e = e->next)
                why = push_value(a, name, e);
        } else {
            why = push_value(a, name, it);
        }
        free(name);
    }
    cJSON_Delete(o);
    if (!why && !has_required)
        why = slm_strdupf("%s needs the option '%s'", c->name, c->required);
    return why;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int run_locked(const command_entry *c, args *a, char **json, char **error)
{
    pthread_mutex_lock(&lock);
    int saved_opterr = opterr;
    opterr = 0; /* getopt's own messages would go to stderr; usage_error says it */
    optind = 0; /* GNU getopt: a full reinitialization (the commands then set 1) */
    out_capture_begin();
    int rc = c->fn((int)a->n, a->v);
    out_capture_end(json, error);
    opterr = saved_opterr;
    pthread_mutex_unlock(&lock);
    return rc;
}

int slminspect_run(const char *command, const char *const *paths, size_t npaths, const char *options,
                   char **json_out, char **error_out)
{
    char *json = NULL, *error = NULL;
    int rc = EXIT_USAGE;
    const command_entry *c = NULL;
    for (size_t i = 0; command && i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(command, COMMANDS[i].name) == 0)
            c = &COMMANDS[i];
    args a = {0};
    if (!c) {
        error = slm_strdupf("'%s' is not a command of the API (verify, inspect, quant, diff, hash-check)",
                            command ? command : "(null)");
    } else if (npaths && !paths) {
        error = strdup("paths is NULL");
    } else {
        push(&a, strdup(c->argv0));
        error = push_options(&a, options, c);
        if (!error) {
            push(&a, strdup("--json"));
            push(&a, strdup("--"));
            for (size_t i = 0; i < npaths; i++)
                push(&a, strdup(paths[i] ? paths[i] : ""));
            if (a.oom || a.n > (size_t)INT32_MAX)
                error = strdup("out of memory");
            else
                rc = run_locked(c, &a, &json, &error);
        }
    }
    if (rc == EXIT_USAGE && !error)
        error = slm_strdupf("slminspect %s: an input could not be read%s", c ? c->argv0 : "?",
                            json ? " (the document says which)" : "");
    args_free(&a);
    if (json_out)
        *json_out = json;
    else
        free(json);
    if (error_out)
        *error_out = error;
    else
        free(error);
    return rc;
}

void slminspect_free(char *s)
{
    free(s);
}

const char *slminspect_version(void)
{
    return SLM_VERSION;
}

int slminspect_abi_version(void)
{
    return SLMINSPECT_ABI_VERSION;
}
