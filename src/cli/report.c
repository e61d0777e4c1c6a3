/*
 * report.c — `lorat report`: the plots and table that tracking papers show, for several
 * trackers side by side, from the files `lorat eval --json` writes. Only the arguments are
 * handled here; reading, drawing and the table are in src/eval/report.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/report.h"

static const char *usage =
    "lorat report --result NAME=eval.json [--result NAME=eval.json ...] --out DIR\n"
    "             [--title TEXT] [--json]\n"
    "  --result NAME=FILE  a tracker's `lorat eval --json` output; NAME is its legend label\n"
    "                      (FILE alone: the file's name without .json)\n"
    "  --out DIR           writes success, precision and norm_precision .png/.svg, table.txt\n"
    "                      and table.json there (made when missing)\n"
    "  --title TEXT        what was evaluated, for the titles (default: the dataset's name)\n"
    "  --json              print table.json's object instead of the text table";

#if defined(__SANITIZE_ADDRESS__)
/* fontconfig (under cairo's text) loses a few hundred bytes while it parses its configuration
 * (Debian bookworm's 2.14); not ours to fix, so the leak checker is told to look away. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) {
    return "print_suppressions=0";
}
#endif

typedef struct result_arg {
    const char *file;
    char *name;
} result_arg;

/* "NAME=FILE", or "FILE" named after its base name without ".json". */
static int split_result(const char *arg, result_arg *r) {
    const char *eq = strchr(arg, '=');
    if (eq) {
        r->file = eq + 1;
        r->name = strndup(arg, (size_t)(eq - arg));
    } else {
        r->file = arg;
        const char *base = strrchr(arg, '/');
        base = base ? base + 1 : arg;
        size_t n = strlen(base);
        if (n > 5 && !strcmp(base + n - 5, ".json")) n -= 5;
        r->name = strndup(base, n);
    }
    return r->name != NULL;
}

int cli_report(int argc, char **argv) {
    const char *out = NULL, *title = NULL, *value = NULL;
    int as_json = 0, n = 0, rc = 0;
    result_arg *results = calloc((size_t)(argc > 0 ? argc : 1), sizeof *results);
    report_tracker *trackers = NULL;
    if (!results) {
        fprintf(stderr, "lorat report: out of memory\n");
        return 1;
    }
    for (int i = 0; i < argc && !rc; i++) {
        if (cli_opt(argc, argv, &i, "--result", &value)) {
            if (!split_result(value, &results[n])) {
                fprintf(stderr, "lorat report: out of memory\n");
                rc = 1;
                break;
            }
            n++;
            if (!results[n - 1].name[0] || !results[n - 1].file[0])
                rc = cli_usage_error("report", usage,
                                     "--result '%s': expected NAME=FILE with both parts", value);
            for (int k = 0; !rc && k < n - 1; k++)
                if (!strcmp(results[k].name, results[n - 1].name))
                    rc = cli_usage_error("report", usage,
                                         "two results are named '%s': give each one its own "
                                         "NAME=FILE",
                                         results[k].name);
        } else if (cli_opt(argc, argv, &i, "--out", &out) ||
                   cli_opt(argc, argv, &i, "--title", &title)) {
            continue;
        } else if (cli_flag(argv, i, "--json")) {
            as_json = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            goto done;
        } else {
            rc = cli_usage_error("report", usage, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!rc && n == 0)
        rc = cli_usage_error("report", usage, "no --result given: name at least one eval file");
    if (!rc && (!out || !out[0])) rc = cli_usage_error("report", usage, "--out DIR is needed");
    if (rc) goto done;

    lorat_error err = {0};
    trackers = calloc((size_t)n, sizeof *trackers);
    if (!trackers) {
        fprintf(stderr, "lorat report: out of memory\n");
        rc = 1;
        goto done;
    }
    int loaded = 0;
    for (; loaded < n; loaded++)
        if (report_tracker_load(&trackers[loaded], results[loaded].name, results[loaded].file,
                                &err))
            break;
    if (loaded < n || report_check_same_dataset(trackers, n, &err) ||
        report_write(trackers, n, title, out, &err)) {
        rc = cli_fail("report", &err);
        goto done;
    }
    /* Allowed, but a reader of the table should know that the rows are not like for like. */
    for (int i = 1; i < n; i++) {
        if (strcmp(trackers[i].protocol, trackers[0].protocol) != 0)
            fprintf(stderr, "lorat report: warning: %s uses protocol \"%s\" but %s uses \"%s\"\n",
                    trackers[i].source, trackers[i].protocol, trackers[0].source,
                    trackers[0].protocol);
        if (trackers[i].n_sequences != trackers[0].n_sequences && trackers[i].n_sequences >= 0 &&
            trackers[0].n_sequences >= 0)
            fprintf(stderr, "lorat report: warning: %s has %d sequences but %s has %d\n",
                    trackers[i].source, trackers[i].n_sequences, trackers[0].source,
                    trackers[0].n_sequences);
    }
    if (as_json) {
        cJSON *j = report_table_json(trackers, n, title);
        char *s = j ? cJSON_Print(j) : NULL;
        cJSON_Delete(j);
        if (s) printf("%s\n", s);
        rc = s ? 0 : 1;
        free(s);
    } else {
        char *s = report_table_text(trackers, n, title);
        if (s) fputs(s, stdout);
        rc = s ? 0 : 1;
        free(s);
    }
    if (rc) fprintf(stderr, "lorat report: out of memory\n");

done:
    for (int i = 0; trackers && i < n; i++)
        report_tracker_free(&trackers[i]);
    free(trackers);
    for (int i = 0; i < n; i++)
        free(results[i].name);
    free(results);
    return rc;
}
