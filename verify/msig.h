/* OpenSSF model signing (the model_signing package, sigstore/model-transparency):
 * the unsigned in-toto statement it signs for a model, and the check of a
 * model against a signature bundle (integrity only: the signature itself is
 * model_signing verify's to check).  spec/hash.md, "model_signing".
 *
 * Statement (in-toto v1, predicate https://model_signing/signature/v1.0):
 *   { "_type": "https://in-toto.io/Statement/v1",
 *     "subject": [ { "name": MODEL NAME, "digest": { "sha256": ROOT } } ],
 *     "predicateType": "https://model_signing/signature/v1.0",
 *     "predicate": { "serialization": { "method": "files", "hash_type": "sha256",
 *                                       "allow_symlinks": false, "ignore_paths": [...] },
 *                    "resources": [ { "name": PATH, "algorithm": "sha256", "digest": HEX }, ... ] } }
 *
 * Method "files": every regular file under the model folder (links to files
 * followed when allow_symlinks, else refused; links to folders not entered),
 * less the ignored paths (a path and everything under it); a single-file
 * model is one resource named ".".  Resources are sorted by path component
 * by component (Python's PurePosixPath order: "a/b" before "a-c"); ROOT is
 * SHA-256 over their raw 32-byte digests in that order; MODEL NAME is the
 * folder's (or file's) name.
 *
 * Bundle (Sigstore bundle v0.3 JSON): dsseEnvelope.payload is the statement,
 * base64, payloadType application/vnd.in-toto+json.  The v0.2 predicate
 * (https://model_signing/Digests/v0.1: every file a subject) is read too. */
#ifndef SLM_MSIG_H
#define SLM_MSIG_H

#include "manifest.h"

#define SLM_MSIG_PREDICATE "https://model_signing/signature/v1.0"
#define SLM_MSIG_PREDICATE_V01 "https://model_signing/Digests/v0.1"
#define SLM_INTOTO_STATEMENT "https://in-toto.io/Statement/v1"
#define SLM_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* More paths to leave out, as model_signing's --ignore-paths: each a path
 * inside the model (as given, or relative to the model folder), a path and
 * everything under it. */
typedef struct slm_msig_ignore {
    const char *const *v;
    size_t n;
} slm_msig_ignore;

/* The statement model_signing signs for PATH (a file or a folder), with the
 * ignore paths its command line records by default (.git, .gitattributes,
 * .github, .gitignore, model.sig) and those of IGNORE (NULL: none), all
 * recorded in ignore_paths.  O->skip (the file being written) is left out
 * too.  Returns 0 with *STATEMENT set, or an errno value (PATH cannot be
 * read, ENOMEM); unreadable files are findings (IO-001). */
int slm_msig_statement(const char *path, const slm_manifest_opts *o, const slm_msig_ignore *ignore,
                       cJSON **statement, slm_diag *d);

/* Whether the file at PATH looks like a model_signing bundle (a JSON object
 * with a "dsseEnvelope" member) rather than an slminspect manifest. */
bool slm_msig_is_bundle(const char *path);

/* Checks the model at ROOT (NULL: the folder that holds BUNDLE) against the
 * statement in BUNDLE: every resource recomputed with the serialization it
 * records; missing (HS-010), different (HS-012) and unlisted (HS-034) files
 * named; the bundle and statement validated first (HS-030..HS-033).  The
 * bundle file itself is never a resource; IGNORE (NULL: none) leaves out
 * more paths than the statement's ignore_paths.  Returns 0 (the verdict is in D),
 * or an errno value when BUNDLE or ROOT cannot be read at all. */
int slm_msig_check(const char *bundle, const char *root, const slm_manifest_opts *o, const slm_msig_ignore *ignore,
                   slm_diag *d);

#endif
