/* eval.c — placeholder while the subcommand is written. */
#include <stdio.h>

#include "cli/cli.h"

int cli_eval(int argc, char **argv) {
    fprintf(stderr, "lorat eval: not written yet\n");
    return 1;
}
