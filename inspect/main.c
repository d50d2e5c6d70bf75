/* slminspect: inspect, diff and validate the files small language models
 * ship in.  Subcommands in the style of git: slminspect COMMAND [options] PATH... */
#include "cli.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"inspect", cmd_inspect, "summarize model files and folders"},
    {"verify", cmd_verify, "check every rule; exit 1 when a finding reaches the failing severity"},
    {"quant", cmd_quant, "quantization error of every quantized weight against its reference checkpoint"},
    {"diff", cmd_diff, "compare two artifacts: tensors, content, metadata, config, ONNX graph"},
    {"hash", cmd_hash, "write or check an integrity manifest (XXH3-128 per file and per tensor)"},
    {"gate", cmd_gate, "release gate: verify + quantization thresholds + manifest check, one exit status"},
    {"merge", cmd_merge, "merge the --json outputs of separate runs into one report"},
    {"rules", cmd_rules, "list every rule with its ID, severity, title and fix"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: slminspect COMMAND [options] PATH...\n"
               "       slminspect --version | --help | help COMMAND\n\n"
               "Inspects, diffs and validates safetensors checkpoints, sharded-checkpoint manifests,\n"
               "ONNX models, MLC/WebLLM weights and WebAssembly model libraries.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nExit status: 0 clean, 1 findings at or above the failing severity,\n"
               "2 usage error or unreadable input.\n"
               "Run 'slminspect COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *c = argv[1];
    if (strcmp(c, "--version") == 0 || strcmp(c, "version") == 0) {
        printf("slminspect %s\n", SLM_VERSION);
        return 0;
    }
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(c, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        c = argv[2];
        char *args[] = {argv[2], "--help", NULL};
        for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
            if (strcmp(c, COMMANDS[i].name) == 0)
                return COMMANDS[i].fn(2, args);
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(c, COMMANDS[i].name) == 0)
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "slminspect: '%s' is not a command.\n\n", c);
    usage(stderr);
    return EXIT_USAGE;
}
