/*
 * eval.c — `lorat eval`: one-pass evaluation on a benchmark. With --results it scores a folder of
 * result files; with --model it first runs the tracker over the dataset (eval/runner) and then
 * scores what it wrote, through the same score_and_print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/datasets.h"
#include "eval/metrics.h"
#include "dist/dist.h"
#include "eval/runner.h"
#include "eval/score.h"
#include "kernels/kernels.h"
#include "model/model.h"

static const char *usage =
    "lorat eval --results DIR --dataset NAME --root DIR [--split test|val|train|all]\n"
    "           [--protocol paper|got10k|lasot_toolkit|got10k_ao|trackingnet] [--json]\n"
    "           [--per-sequence] [--results-layout auto|lorat|pysot|pytracking]\n"
    "  NAME: lasot, lasot_ext, got10k, trackingnet, otb, tnl2k, custom (the layout of `lorat synth`)\n"
    "  --results DIR   a tracker's result files: DIR/<seq>.txt, or DIR/<seq>/<seq>_001.txt\n"
    "                  (GOT-10k layout), one x,y,w,h box per frame (LaSOT files 1-based)\n"
    "  --results-layout  whose folder DIR is: lorat (and the got10k toolkit's), pysot\n"
    "                  (results/<dataset>/<model>: comma files, its OTB names such as Jogging-1;\n"
    "                  VOT baseline/ folders are not read), pytracking (<tracker>/<param>: tab\n"
    "                  files, <seq>_time.txt ignored; DIR_000, DIR_001, ... beside a DIR that does\n"
    "                  not exist are its runs); auto (default): any of these\n"
    "  --protocol      paper (default): LoRAT's evaluation, the numbers the paper reports;\n"
    "                  got10k: the got10k toolkit: on GOT-10k (and custom) its GOT-10k experiment\n"
    "                  (AO, SR0.5, SR0.75 over the pooled frames, first frame left out, cover > 0,\n"
    "                  clipped to the image), elsewhere its OTB/LaSOT experiments; lasot_toolkit:\n"
    "                  the official LaSOT/TNL2K MATLAB toolkit; got10k_ao: the GOT-10k experiment\n"
    "                  on any dataset; trackingnet: the TrackingNet server's metrics.py\n"
    "  --json          print one JSON object instead of the table\n"
    "  --per-sequence  add a row per sequence to the table\n"
    "lorat eval --model M --dataset NAME --root DIR [--split ...] [--out DIR] [--jobs N]\n"
    "           [--threads N] [--runs N] [--zip FILE] [--quiet] [--protocol ...] [--json]\n"
    "           [--precision fp32|bf16|int8]\n"
    "  runs the tracker over every sequence, writes the result files (and seconds per frame) to\n"
    "  --out (default results/<dataset>), then scores them. A sequence whose file exists is\n"
    "  skipped, so an interrupted run resumes. --jobs: sequences tracked at once, each with\n"
    "  threads/jobs threads. --runs N: repetitions (GOT-10k layout: <seq>_00N.txt; else\n"
    "  OUT/run_00N/), each scored. --zip: also pack the files as the evaluation server takes them\n"
    "  (GOT-10k, TrackingNet); test splits without public ground truth are packed, not scored.\n"
    CLI_TRACKING_USAGE CLI_PRECISION_USAGE;

typedef struct eval_args {
    const char *results, *dataset, *root, *split, *protocol, *model, *results_layout;
    const char *out, *jobs, *threads, *runs, *zip, *precision;
    int json, per_sequence, quiet;
    cli_tracking tracking;
} eval_args;

/* Opens the dataset, scores the results folder (read under reader) and prints the table or the
 * JSON. */
static int score_and_print(const eval_args *a, const char *results_dir, results_reader reader) {
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
    lorat_status s = eval_score_results(&ds, results_dir, protocol, reader, &scores, &err);
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

/* --model: track every sequence (eval/runner), then score each run's folder. */
static int run_and_score(const eval_args *a) {
    if (!a->dataset || !a->root) return cli_usage_error("eval", usage, "--dataset and --root are required");
    lorat_error err = {0};
    dataset_kind kind;
    dataset_options opt = {0};
    metrics_protocol protocol = METRICS_PROTOCOL_PAPER;
    if (dataset_kind_parse(a->dataset, &kind, &err) || (a->split && dataset_split_parse(a->split, &opt.split, &err)) ||
        (a->protocol && metrics_protocol_parse(a->protocol, &protocol, &err)))
        return cli_usage_error("eval", usage, "%s", err.message);
    runner_options ro = {.jobs = 1, .threads = 0, .runs = 1, .quiet = a->quiet};
    if ((a->jobs && !cli_parse_threads(a->jobs, &ro.jobs)) ||
        (a->threads && !cli_parse_threads(a->threads, &ro.threads)) ||
        (a->runs && (!cli_parse_int(a->runs, &ro.runs) || ro.runs < 1 || ro.runs > RESULTS_MAX_RUNS)))
        return cli_usage_error("eval", usage, "--jobs and --threads take numbers in 1..%d, --runs in 1..%d",
                               CLI_MAX_THREADS, RESULTS_MAX_RUNS);
    char out[4096];
    snprintf(out, sizeof out, "%s", a->out ? a->out : "");
    if (!a->out) snprintf(out, sizeof out, "results/%s", dataset_kind_name(kind));
    ro.out_dir = out;
    if (ro.threads) kernels_set_threads(ro.threads);

    dataset ds;
    if (dataset_open(&ds, kind, a->root, &opt, &err)) return cli_fail("eval", &err);
    lorat_model *model = NULL;
    if (lorat_model_load(a->model, &model, &err)) {
        dataset_free(&ds);
        return cli_fail("eval", &err);
    }
    lorat_precision prec = LORAT_PRECISION_FP32;
    int urc = cli_tracking_apply(&a->tracking, &model->cfg, "eval", usage);
    if (!urc && !cli_parse_precision(a->precision, &prec))
        urc = cli_usage_error("eval", usage, "--precision '%s' is not fp32, bf16 or int8", a->precision);
    if (!urc) urc = cli_set_precision("eval", model, prec, a->quiet);
    if (urc) {
        lorat_model_free(model);
        dataset_free(&ds);
        return urc;
    }
    /* Under mpirun: the sequences go to the processes from one queue (dist/); rank 0 scores. */
    dist d;
    if (dist_start(&d, "eval", &err) || dist_queue_open(&d, &err)) {
        lorat_model_free(model);
        dataset_free(&ds);
        return cli_fail("eval", &err);
    }
    ro.queue = dist_runner_queue(&d);
    if (d.size > 1 && d.rank > 0) ro.quiet = 1;
    runner_stats stats;
    lorat_status st = runner_run(&ds, model, &ro, &stats, &err);
    lorat_model_free(model);
    lorat_error qerr;
    lorat_status qs = dist_queue_close(&d, &qerr);
    if (!st && qs) st = qs, err = qerr;
    if (st && d.size > 1) fprintf(stderr, "lorat eval: rank %d of %d: %s\n", d.rank, d.size, err.message);
    const lorat_status worst = dist_worst(&d, st);
    double sums[3] = {stats.sequences_run, (double)stats.frames, stats.seconds};
    if (!worst && d.size > 1) {
        lorat_error serr;
        dist_sum_f64(&d, sums, 3, &serr);
    }
    const int lead = d.rank == 0;
    dist_stop(&d);
    if (!lead) { /* rank 0 scores and prints; the others are done */
        dataset_free(&ds);
        return worst ? 1 : 0;
    }
    if (!a->quiet)
        fprintf(stderr, "lorat eval: tracked %d sequence runs (%ld frames) in %.1f s with %d job(s)%s; %d already done\n",
                (int)sums[0], (long)sums[1], stats.seconds, ro.jobs,
                d.size > 1 ? " on each of the processes" : "", stats.sequences_skipped);
    if (worst) {
        dataset_free(&ds);
        if (!st)
            fprintf(stderr, "lorat eval: another process of the job failed (its message is above)\n");
        return st ? cli_fail("eval", &err) : 1;
    }
    int rc = 0;
    if (a->zip) {
        char **names = malloc(sizeof(char *) * (size_t)(ds.count ? ds.count : 1));
        for (int i = 0; names && i < ds.count; i++) names[i] = ds.seqs[i].name;
        char dir[4096];
        if (!names || results_zip(runner_run_dir(dir, sizeof dir, &ro, kind, 1), results_layout_for(kind), names,
                                  ds.count, a->zip, &err))
            rc = cli_fail("eval", &err);
        else if (!a->quiet)
            fprintf(stderr, "lorat eval: wrote %s\n", a->zip);
        free(names);
    }
    /* The test splits of GOT-10k and TrackingNet publish only the first box: nothing to score here. */
    int hidden = (kind == DATASET_GOT10K || kind == DATASET_TRACKINGNET) && ds.split == DATASET_SPLIT_TEST;
    dataset_free(&ds);
    if (hidden) {
        fprintf(stderr, "lorat eval: the %s test ground truth is not public: submit the results%s to the "
                        "benchmark's server\n", dataset_display_name(kind), a->zip ? " zip" : " (--zip FILE packs them)");
        return rc;
    }
    int plain_runs = ro.runs > 1 && results_layout_for(kind) == RESULTS_LAYOUT_PLAIN;
    for (int r = 1; r <= (plain_runs ? ro.runs : 1) && !rc; r++) {
        char dir[4096];
        runner_run_dir(dir, sizeof dir, &ro, kind, r);
        if (plain_runs && !a->json) printf("run %d (%s):\n", r, dir);
        rc = score_and_print(a, dir, RESULTS_READER_LORAT);
    }
    return rc;
}

int cli_eval(int argc, char **argv) {
    eval_args a = {0};
    for (int i = 0; i < argc; i++) {
        if (cli_tracking_opt(argc, argv, &i, &a.tracking) || cli_opt(argc, argv, &i, "--results", &a.results) ||
            cli_opt(argc, argv, &i, "--dataset", &a.dataset) ||
            cli_opt(argc, argv, &i, "--root", &a.root) ||
            cli_opt(argc, argv, &i, "--split", &a.split) ||
            cli_opt(argc, argv, &i, "--protocol", &a.protocol) ||
            cli_opt(argc, argv, &i, "--results-layout", &a.results_layout) ||
            cli_opt(argc, argv, &i, "--model", &a.model) || cli_opt(argc, argv, &i, "--out", &a.out) ||
            cli_opt(argc, argv, &i, "--jobs", &a.jobs) || cli_opt(argc, argv, &i, "--threads", &a.threads) ||
            cli_opt(argc, argv, &i, "--precision", &a.precision) ||
            cli_opt(argc, argv, &i, "--runs", &a.runs) || cli_opt(argc, argv, &i, "--zip", &a.zip))
            continue;
        if (cli_flag(argv, i, "--quiet")) {
            a.quiet = 1;
            continue;
        }
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
        if (a.results_layout)
            return cli_usage_error("eval", usage, "--results-layout is for --results (--model writes lorat's layout)");
        return run_and_score(&a);
    }
    if (!a.results) return cli_usage_error("eval", usage, "--results DIR is required");
    if (!a.dataset) return cli_usage_error("eval", usage, "--dataset NAME is required");
    if (!a.root) return cli_usage_error("eval", usage, "--root DIR is required");
    results_reader reader = RESULTS_READER_AUTO;
    lorat_error err = {0};
    if (a.results_layout && results_reader_parse(a.results_layout, &reader, &err))
        return cli_usage_error("eval", usage, "%s", err.message);
    return score_and_print(&a, a.results, reader);
}
