/* slminspect merge (work in progress). */
#include "cli.h"

int cmd_merge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slminspect merge: not built yet\n");
    return EXIT_USAGE;
}
