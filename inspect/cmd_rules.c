/* slminspect rules: the rule table, for people and for tools. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

int cmd_rules(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else if (c == 'h') {
            printf("usage: slminspect rules [--json] [PREFIX]\n\n"
                   "Lists every rule: its ID, severity, title and how to fix what it finds.\n"
                   "PREFIX (e.g. ST, IX, ONNX) keeps the rules whose ID starts with it.\n"
                   "The rules are described in full in spec/*.md.\n");
            return 0;
        } else
            return usage_error("rules", "unknown option");
    }
    const char *prefix = optind < argc ? argv[optind] : "";
    cJSON *a = json ? cJSON_CreateArray() : NULL;
    for (int i = 0; i < SLM_R__COUNT; i++) {
        const slm_rule *r = slm_rule_get((slm_rule_id)i);
        if (strncmp(r->id, prefix, strlen(prefix)) != 0)
            continue;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", r->id);
            cJSON_AddStringToObject(o, "severity", slm_severity_name(r->severity));
            cJSON_AddStringToObject(o, "title", r->title);
            cJSON_AddStringToObject(o, "help", r->help);
            cJSON_AddItemToArray(a, o);
        } else {
            printf("%-9s %-7s %s\n          fix: %s\n", r->id, slm_severity_name(r->severity), r->title, r->help);
        }
    }
    if (json)
        out_print_json(a);
    return 0;
}
