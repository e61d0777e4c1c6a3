/* report.c — placeholder while the subcommand is written. */
#include <stdio.h>

#include "cli/cli.h"

int cli_report(int argc, char **argv) {
    fprintf(stderr, "lorat report: not written yet\n");
    return 1;
}
