/* slminspect diff (work in progress). */
#include "cli.h"

int cmd_diff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slminspect diff: not built yet\n");
    return EXIT_USAGE;
}
