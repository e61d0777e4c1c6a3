/* common.c — helpers shared by the subcommands. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "kernels/compute.h"
#include "model/model.h"

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
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < INT_MIN || v > INT_MAX) return 0;
    *out = (int)v;
    return 1;
}

int cli_parse_int64(const char *s, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

int cli_parse_u64(const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    if (!s || *s == '-' || *s == '+') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno == ERANGE) return 0;
    *out = v;
    return 1;
}

int cli_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int cli_parse_grid(const char *s, int *w, int *h) {
    int gw, gh;
    if (!s || strlen(s) > 16 || !cli_parse_size(s, &gw, &gh) || gw < 1 || gh < 1 || gw > 256 ||
        gh > 256)
        return 0;
    *w = gw;
    *h = gh;
    return 1;
}

int cli_parse_size(const char *s, int *w, int *h) {
    const char *x = s ? strpbrk(s, "xX") : NULL;
    if (!x || x == s || x - s > 16) return 0;
    char a[17];
    snprintf(a, sizeof a, "%.*s", (int)(x - s), s);
    int vw, vh;
    if (!cli_parse_int(a, &vw) || !cli_parse_int(x + 1, &vh)) return 0;
    *w = vw;
    *h = vh;
    return 1;
}

int cli_parse_box(const char *s, lorat_box *box) {
    if (!s) return 0;
    double v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(p, ',');
        if ((i < 3) != (comma != NULL)) return 0; /* three commas, no fourth */
        const size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char piece[65];
        if (n == 0 || n >= sizeof piece) return 0;
        memcpy(piece, p, n);
        piece[n] = '\0';
        if (!cli_parse_double(piece, &v[i]) || fabs(v[i]) > 3.0e38) return 0;
        p = comma ? comma + 1 : p + n;
    }
    *box = (lorat_box){(float)v[0], (float)v[1], (float)v[2], (float)v[3]};
    return 1;
}

int cli_parse_threads(const char *s, int *out) {
    int v;
    if (!s || !cli_parse_int(s, &v) || v < 1 || v > CLI_MAX_THREADS) return 0;
    *out = v;
    return 1;
}

int cli_parse_precision(const char *s, lorat_precision *p) {
    if (!s) {
        *p = LORAT_PRECISION_FP32;
        return 1;
    }
    return compute_precision_parse(s, p) == 0;
}

int cli_set_precision(const char *cmd, lorat_model *m, lorat_precision p, int quiet) {
    lorat_error err = {0};
    if (p == LORAT_PRECISION_FP32) return 0;
    if (lorat_model_set_precision(m, p, &err)) return cli_fail(cmd, &err);
    if (!quiet) fprintf(stderr, "lorat %s: %s products: %s\n", cmd, compute_precision_name(p), m->be->isa);
    return 0;
}

int cli_tracking_opt(int argc, char **argv, int *i, cli_tracking *t) {
    return cli_opt(argc, argv, i, "--size-update", &t->size_update) ||
           cli_opt(argc, argv, i, "--size-gate", &t->size_gate) ||
           cli_opt(argc, argv, i, "--box-average", &t->box_average) ||
           cli_opt(argc, argv, i, "--window-influence", &t->window_influence);
}

int cli_tracking_apply(const cli_tracking *t, model_config *c, const char *cmd, const char *usage) {
    double v;
    if (t->size_update) {
        if (!cli_parse_double(t->size_update, &v) || !(v > 0 && v <= 1))
            return cli_usage_error(cmd, usage, "--size-update '%s' is not a number in (0, 1]", t->size_update);
        c->size_update = (float)v;
    }
    if (t->size_gate) {
        if (!cli_parse_double(t->size_gate, &v) || !(v >= 0 && v < 1))
            return cli_usage_error(cmd, usage, "--size-gate '%s' is not a number in [0, 1)", t->size_gate);
        c->size_gate = (float)v;
    }
    if (t->window_influence) {
        if (!cli_parse_double(t->window_influence, &v) || !(v >= 0 && v <= 1))
            return cli_usage_error(cmd, usage, "--window-influence '%s' is not a number in [0, 1]",
                                   t->window_influence);
        c->window_influence = (float)v;
    }
    if (t->box_average) {
        int r;
        if (!cli_parse_int(t->box_average, &r) || r < 0 || r > 8)
            return cli_usage_error(cmd, usage, "--box-average '%s' is not a whole number in 0..8", t->box_average);
        c->box_average = r;
    }
    return 0;
}
