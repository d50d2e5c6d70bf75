/* slminspect's stable entry point for bindings (Python's ctypes, and any
 * language with a C foreign-function interface): a command, its paths and
 * its options in, the JSON document `slminspect COMMAND --json` prints out.
 * No C structs cross this boundary, so the ABI stays put while the library
 * inside changes.
 *
 *   #include <slminspect.h>      pkg-config --cflags --libs slminspect
 *                                or find_package(slminspect CONFIG), slminspect::slminspect
 *
 *   char *json = NULL, *error = NULL;
 *   const char *paths[] = {"models/qwen2"};
 *   int rc = slminspect_run("verify", paths, 1, "{\"target\": \"webllm\"}", &json, &error);
 *   ... rc 0 clean, 1 findings, 2 usage error or unreadable input ...
 *   slminspect_free(json);
 *   slminspect_free(error);
 *
 * Calls are serialized by a lock inside the library (the commands parse
 * their options with getopt); each call may use every CPU itself. */
#ifndef SLMINSPECT_H
#define SLMINSPECT_H

#include <stddef.h>

#if defined(SLMINSPECT_BUILDING) && defined(__GNUC__)
#define SLMINSPECT_API __attribute__((visibility("default")))
#else
#define SLMINSPECT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface: bumped when a signature or a document's
 * shape changes incompatibly (the library's SONAME follows it). */
#define SLMINSPECT_ABI_VERSION 0

/* Runs COMMAND on PATHS[0..NPATHS) with OPTIONS and returns its exit status:
 * 0 clean, 1 findings at or above the failing severity, 2 usage error or
 * unreadable input.
 *
 * COMMAND: "verify", "inspect", "quant" (PATHS: the quantized model; options
 * {"ref": ...} required), "diff" (PATHS: A and B) or "hash-check" (PATHS:
 * the copy, or none; options {"check": MANIFEST} required: an slminspect
 * manifest or a model_signing bundle).
 *
 * OPTIONS: NULL, or a JSON object of the command's long options by name
 * ('_' may stand for '-'): true for a flag ({"stats": true}), a string or a
 * number for a value ({"target": "webllm", "min_sqnr": 10}), an array for
 * an option given several times; false and null leave an option out.
 * --json, --format, --output, --html, --help, --quiet and --diffable are
 * not options here (they decide what is printed; the API returns the document).
 *
 * *JSON_OUT: the document the command prints with --json (the same bytes),
 * or NULL when it printed none (a usage error); *ERROR_OUT: why the exit
 * status is 2, or NULL.  Both are freed with slminspect_free.  Either
 * pointer may be NULL when the caller does not want that string. */
SLMINSPECT_API int slminspect_run(const char *command, const char *const *paths, size_t npaths,
                                  const char *options, char **json_out, char **error_out);

/* Frees a string slminspect_run returned (NULL is fine). */
SLMINSPECT_API void slminspect_free(char *s);

/* The library's version, "MAJOR.MINOR.PATCH" (what slminspect --version says). */
SLMINSPECT_API const char *slminspect_version(void);

/* SLMINSPECT_ABI_VERSION of the library loaded (a binding checks it). */
SLMINSPECT_API int slminspect_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif
