/* slminspect hash (work in progress). */
#include "cli.h"

int cmd_hash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slminspect hash: not built yet\n");
    return EXIT_USAGE;
}
