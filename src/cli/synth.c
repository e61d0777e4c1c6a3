/* synth.c — placeholder while the subcommand is written. */
#include <stdio.h>

#include "cli/cli.h"

int cli_synth(int argc, char **argv) {
    fprintf(stderr, "lorat synth: not written yet\n");
    return 1;
}
