/* slminspect gate (work in progress). */
#include "cli.h"

int cmd_gate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slminspect gate: not built yet\n");
    return EXIT_USAGE;
}
