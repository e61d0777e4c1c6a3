/* track.c — placeholder while the subcommand is written. */
#include <stdio.h>

#include "cli/cli.h"

int cli_track(int argc, char **argv) {
    fprintf(stderr, "lorat track: not written yet\n");
    return 1;
}
