/* common.c — helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_fail(const char *cmd, const lorat_error *err) {
    fprintf(stderr, "lorat %s: %s\n", cmd, err->message);
    return 1;
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...) {
    fprintf(stderr, "lorat %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return 2;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **value) {
    if (strcmp(argv[*i], name) != 0) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "lorat: option %s needs a value\n", name);
        exit(2);
    }
    *value = argv[++*i];
    return 1;
}

int cli_flag(char **argv, int i, const char *name) {
    return strcmp(argv[i], name) == 0;
}

int cli_parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end) return 0;
    *out = (int)v;
    return 1;
}
