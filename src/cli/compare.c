/*
 * compare.c — `lorat compare A B`: every tensor of B (the reference) against the same-named
 * tensor of A, as relative error ‖a − b‖ / ‖b‖ and max |a − b|, with the worst elements of each
 * tensor that fails. Exits 1 when a tensor is missing, of another shape, or over the tolerance.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/safetensors.h"

static const char *usage = "lorat compare A.safetensors REF.safetensors [--rtol 1e-5] [--atol 0]\n"
                           "             [--only name1,name2,...] [--quiet]";

static int in_list(const char *list, const char *name) {
    if (!list) return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* Prints the unravelled index of element i of a tensor. */
static void print_index(const tensor_info *t, size_t i) {
    int64_t idx[TENSOR_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = (int64_t)(i % (size_t)t->shape[d]);
        i /= (size_t)t->shape[d];
    }
    printf("[");
    for (int d = 0; d < t->ndim; d++) printf(d ? ",%lld" : "%lld", (long long)idx[d]);
    printf("]");
}

int cli_compare(int argc, char **argv) {
    const char *a_path = NULL, *b_path = NULL, *rtol_s = NULL, *atol_s = NULL, *only = NULL;
    int quiet = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--rtol", &rtol_s) || cli_opt(argc, argv, &i, "--atol", &atol_s) ||
            cli_opt(argc, argv, &i, "--only", &only))
            continue;
        if (cli_flag(argv, i, "--quiet")) quiet = 1;
        else if (cli_flag(argv, i, "--help")) { printf("usage: %s\n", usage); return 0; }
        else if (!a_path) a_path = argv[i];
        else if (!b_path) b_path = argv[i];
        else return cli_usage_error("compare", usage, "unexpected argument '%s'", argv[i]);
    }
    if (!a_path || !b_path) return cli_usage_error("compare", usage, "two files are needed");
    double rtol = 1e-5, atol = 0.0;
    if ((rtol_s && (!cli_parse_double(rtol_s, &rtol) || !(rtol >= 0))) ||
        (atol_s && (!cli_parse_double(atol_s, &atol) || !(atol >= 0))))
        return cli_usage_error("compare", usage, "--rtol and --atol take non-negative numbers");
    lorat_error err = {0};
    safetensors *a = NULL, *b = NULL;
    if (safetensors_open(a_path, &a, &err) || safetensors_open(b_path, &b, &err)) {
        safetensors_close(a);
        return cli_fail("compare", &err);
    }
    int n = 0, failures = 0, compared = 0;
    const tensor_info *tb = safetensors_tensors(b, &n);
    for (int i = 0; i < n; i++) {
        const tensor_info *rb = &tb[i];
        if (!in_list(only, rb->name)) continue;
        const tensor_info *ra = safetensors_find(a, rb->name);
        if (!ra) {
            printf("MISSING %s: in %s but not in %s\n", rb->name, b_path, a_path);
            failures++;
            continue;
        }
        int same = ra->ndim == rb->ndim;
        for (int d = 0; same && d < ra->ndim; d++) same = ra->shape[d] == rb->shape[d];
        if (!same) {
            char sa[96], sb[96];
            printf("SHAPE   %s: %s vs reference %s\n", rb->name, shape_str(sa, sizeof sa, ra->ndim, ra->shape),
                   shape_str(sb, sizeof sb, rb->ndim, rb->shape));
            failures++;
            continue;
        }
        size_t cnt = (size_t)tensor_numel(rb);
        float *va = malloc(sizeof(float) * (cnt ? cnt : 1)), *vb = malloc(sizeof(float) * (cnt ? cnt : 1));
        if (!va || !vb) {
            printf("FAIL    %s: cannot allocate %zu values to compare\n", rb->name, cnt);
            failures++;
            free(va);
            free(vb);
            continue;
        }
        if (dtype_is_float(ra->dtype) && dtype_is_float(rb->dtype)) {
            dtype_to_f32(va, ra->data, ra->dtype, cnt);
            dtype_to_f32(vb, rb->data, rb->dtype, cnt);
        } else { /* integers and booleans: compare the bytes' values as int64 */
            for (size_t k = 0; k < cnt; k++) {
                int64_t x = 0, y = 0;
                memcpy(&x, (const char *)ra->data + k * dtype_size(ra->dtype), dtype_size(ra->dtype));
                memcpy(&y, (const char *)rb->data + k * dtype_size(rb->dtype), dtype_size(rb->dtype));
                va[k] = (float)x;
                vb[k] = (float)y;
            }
        }
        double diff2 = 0, ref2 = 0, maxabs = 0;
        size_t worst = 0;
        for (size_t k = 0; k < cnt; k++) {
            double d = (double)va[k] - vb[k];
            diff2 += d * d;
            ref2 += (double)vb[k] * vb[k];
            if (fabs(d) > maxabs || isnan(d)) { maxabs = isnan(d) ? INFINITY : fabs(d); worst = k; }
        }
        double rel = ref2 > 0 ? sqrt(diff2 / ref2) : sqrt(diff2);
        int bad = !(rel <= rtol || maxabs <= atol);
        compared++;
        if (bad || !quiet) {
            printf("%s %-40s rel %.3e  max|diff| %.3e", bad ? "FAIL   " : "ok     ", rb->name, rel, maxabs);
            if (cnt) { printf(" at "); print_index(rb, worst); printf(" (%.8g vs %.8g)", va[worst], vb[worst]); }
            printf("\n");
        }
        if (bad) {
            failures++;
            int shown = 0;
            for (size_t k = 0; k < cnt && shown < 5; k++) {
                double d = fabs((double)va[k] - vb[k]);
                if (d > rtol * (fabs((double)vb[k]) + 1e-30) && d > atol) {
                    printf("        element ");
                    print_index(rb, k);
                    printf(": %.8g vs reference %.8g\n", va[k], vb[k]);
                    shown++;
                }
            }
        }
        free(va);
        free(vb);
    }
    /* A name asked for that the reference lacks, or nothing compared at all, is a failure: a
     * comparison that compared nothing proves nothing. */
    for (const char *p = only; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len < 255 ? len : 255), p);
        if (len && !safetensors_find(b, name)) {
            printf("MISSING %s: asked for by --only but not in %s\n", name, b_path);
            failures++;
        }
        p = e ? e + 1 : p + len;
    }
    if (compared == 0) {
        printf("FAIL    no tensor was compared (%s has %d tensors%s)\n", b_path, n,
               only ? " and none of --only's names" : "");
        failures++;
    }
    printf("%d tensors compared, %d differ (rtol %g)\n", compared, failures, rtol);
    safetensors_close(a);
    safetensors_close(b);
    return failures ? 1 : 0;
}
