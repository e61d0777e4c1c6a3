/*
 * eval.c — `lorat eval`: one-pass evaluation on a benchmark. With --results it scores a folder of
 * result files; with --model it will first run the tracker over the dataset (eval/runner, not yet
 * written) and then score what it wrote, through the same score_and_print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/datasets.h"
#include "eval/metrics.h"
#include "eval/score.h"

static const char *usage =
    "lorat eval --results DIR --dataset NAME --root DIR [--split test|val|train|all]\n"
    "           [--protocol paper|got10k|lasot_toolkit|got10k_ao|trackingnet] [--json]\n"
    "           [--per-sequence]\n"
    "  NAME: lasot, lasot_ext, got10k, trackingnet, otb, tnl2k, custom (the layout of `lorat synth`)\n"
    "  --results DIR   a tracker's result files: DIR/<seq>.txt, or DIR/<seq>/<seq>_001.txt\n"
    "                  (GOT-10k layout), one x,y,w,h box per frame (LaSOT files 1-based)\n"
    "  --protocol      paper (default): LoRAT's evaluation, the numbers the paper reports;\n"
    "                  got10k: the got10k toolkit's OTB/LaSOT experiments; lasot_toolkit: the\n"
    "                  official LaSOT/TNL2K MATLAB toolkit; got10k_ao: GOT-10k's AO/SR (pooled,\n"
    "                  first frame left out, cover > 0, clipped to the image); trackingnet: the\n"
    "                  TrackingNet server's metrics.py\n"
    "  --json          print one JSON object instead of the table\n"
    "  --per-sequence  add a row per sequence to the table\n"
    "lorat eval --model M ...   (run the tracker, then score: not available yet)";

typedef struct eval_args {
    const char *results, *dataset, *root, *split, *protocol, *model;
    int json, per_sequence;
} eval_args;

/* Opens the dataset, scores the results folder and prints the table or the JSON. */
static int score_and_print(const eval_args *a, const char *results_dir) {
    lorat_error err = {0};
    dataset_kind kind;
    dataset_options opt = {0};
    metrics_protocol protocol = METRICS_PROTOCOL_PAPER;
    if (dataset_kind_parse(a->dataset, &kind, &err) ||
        (a->split && dataset_split_parse(a->split, &opt.split, &err)) ||
        (a->protocol && metrics_protocol_parse(a->protocol, &protocol, &err)))
        return cli_usage_error("eval", usage, "%s", err.message);
    dataset ds;
    if (dataset_open(&ds, kind, a->root, &opt, &err)) return cli_fail("eval", &err);
    eval_scores scores;
    lorat_status s = eval_score_dir(&ds, results_dir, protocol, &scores, &err);
    dataset_free(&ds);
    if (s) return cli_fail("eval", &err);
    int rc = 0;
    if (a->json) {
        cJSON *j = eval_scores_json(&scores);
        char *text = j ? cJSON_PrintUnformatted(j) : NULL;
        if (text) {
            printf("%s\n", text);
        } else {
            fprintf(stderr, "lorat eval: out of memory writing the JSON\n");
            rc = 1;
        }
        free(text);
        cJSON_Delete(j);
    } else {
        eval_scores_print(stdout, &scores, a->per_sequence);
    }
    eval_scores_free(&scores);
    return rc;
}

int cli_eval(int argc, char **argv) {
    eval_args a = {0};
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--results", &a.results) ||
            cli_opt(argc, argv, &i, "--dataset", &a.dataset) ||
            cli_opt(argc, argv, &i, "--root", &a.root) ||
            cli_opt(argc, argv, &i, "--split", &a.split) ||
            cli_opt(argc, argv, &i, "--protocol", &a.protocol) ||
            cli_opt(argc, argv, &i, "--model", &a.model))
            continue;
        if (cli_flag(argv, i, "--json")) {
            a.json = 1;
        } else if (cli_flag(argv, i, "--per-sequence")) {
            a.per_sequence = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("eval", usage, "unknown argument '%s'", argv[i]);
        }
    }
    if (a.model) {
        fprintf(stderr, "lorat eval: --model (running the tracker over a dataset, then scoring) is "
                        "not available yet; run the tracker elsewhere and score its result files "
                        "with --results DIR\n");
        return 1;
    }
    if (!a.results) return cli_usage_error("eval", usage, "--results DIR is required");
    if (!a.dataset) return cli_usage_error("eval", usage, "--dataset NAME is required");
    if (!a.root) return cli_usage_error("eval", usage, "--root DIR is required");
    return score_and_print(&a, a.results);
}
