/* SARIF 2.1.0 output of findings (work in progress). */
#include "cli.h"

#include <string.h>

int out_parse_format(const char *s)
{
    if (strcmp(s, "text") == 0)
        return OUT_TEXT;
    if (strcmp(s, "json") == 0)
        return OUT_JSON;
    if (strcmp(s, "sarif") == 0)
        return OUT_SARIF;
    return -1;
}

cJSON *out_sarif(const slm_diag *d)
{
    (void)d;
    return cJSON_CreateObject();
}
