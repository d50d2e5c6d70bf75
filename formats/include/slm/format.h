/* The table of weight formats.
 *
 * Each format slminspect opens as a model (slm_model_open) is one row: its
 * kind, how a file of it is recognised (by name, by its first bytes), how it
 * opens into an slm_model (filling m->t, and m->q for quantized weights) and
 * how it closes.  slm_sniff and slm_model_open loop over this table; adding
 * a format is one module and one row in formats/format.c. */
#ifndef SLM_FORMAT_H
#define SLM_FORMAT_H

#include "slm/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slm_format {
    slm_kind kind;
    /* True when a file of this base name is of this format; NULL: never by name. */
    bool (*by_name)(const char *base);
    /* True when a file whose first bytes are HEAD[0..N) and whose size is
     * SIZE is of this format; NULL: never by content. */
    bool (*by_content)(const uint8_t *head, size_t n, uint64_t size);
    /* Opens PATH into M (m->path and m->dir are set): 0, or an errno value
     * (M then holds what close frees). */
    int (*open)(slm_model *m, const char *path, slm_diag *d);
    void (*close)(slm_model *m);
} slm_format;

/* The rows, in the order slm_sniff tries them. */
const slm_format *slm_format_at(size_t i);
size_t slm_format_count(void);
/* The row of kind K, or NULL. */
const slm_format *slm_format_of(slm_kind k);

#ifdef __cplusplus
}
#endif
#endif
