/*
 * results.h — a tracker's result files (spec/evaluation.md §3): reading a results folder to
 * score it, and writing results in each benchmark's own layout, plus the GOT-10k and
 * TrackingNet server zips (libzip).
 *
 * Files hold one x,y,w,h box per frame and line, frame 0 first. Readers accept comma, tab or
 * space separators (pytracking writes tabs, the got10k toolkit commas, MATLAB either). Writers
 * use commas, which every toolkit reads (the got10k toolkit and the TrackingNet server read
 * commas only). A benchmark whose files are 1-based (LaSOT: ground truth and the official raw
 * results alike) is read with x and y shifted down by 1 and written shifted up by 1, so that
 * scoring compares boxes in one frame of reference. Every write is atomic (a temporary file in
 * the target folder, then rename).
 *
 * Not here: running the tracker (eval/runner), scoring (eval/metrics, eval/score).
 */
#ifndef LORAT_EVAL_RESULTS_H
#define LORAT_EVAL_RESULTS_H

#include "core/error.h"
#include "data/datasets.h"

typedef enum results_layout {
    RESULTS_LAYOUT_PLAIN,  /* DIR/<seq>.txt (+ DIR/<seq>_time.txt): pytracking, the OTB, LaSOT
                              and TNL2K toolkits, TrackingNet */
    RESULTS_LAYOUT_GOT10K, /* DIR/<seq>/<seq>_001.txt (_002, ... for repetitions)
                              + DIR/<seq>/<seq>_time.txt */
} results_layout;

/* GOT-10k (and custom, which has GOT-10k's layout): GOT10K; everything else: PLAIN. */
results_layout results_layout_for(dataset_kind kind);

/* Repetitions of one sequence that a results folder may hold (and `lorat eval --runs` run). */
#define RESULTS_MAX_RUNS 1000

typedef struct results_sequence {
    char *path;   /* the (first) file read, for messages */
    int runs;     /* repetitions: 1, or the number of <seq>_NNN.txt files */
    int length;   /* boxes per run */
    double *xyxy; /* (runs, length, 4), lorat's internal xyxy */
} results_sequence;

/* The result file of a sequence in dir, trying in order DIR/<name>.txt,
 * DIR/<name>/<name>_001.txt (GOT-10k) and DIR/<name>/<name>.txt (LoRAT's TrackingNet files), then
 * the same with alias (may be NULL). NULL when there is none; else free() the path. */
char *results_find(const char *dir, const char *name, const char *alias);

/* Reads the results of one sequence (every repetition of the GOT-10k layout). one_based: the
 * files count pixels from 1. A row that is not 4 finite numbers is an error naming the file and
 * line; an empty file too. */
lorat_status results_read_sequence(const char *dir, const char *name, const char *alias,
                                   int one_based, results_sequence *r, lorat_error *err);
void results_sequence_free(results_sequence *r);

typedef struct results_write_options {
    results_layout layout;
    int one_based; /* write 1-based coordinates (LaSOT) */
    int run;       /* repetition number for the GOT-10k layout's _NNN suffix, from 1 */
    int rasterize; /* integer boxes that cover the continuous one, as LoRAT writes its GOT-10k and
                      TrackingNet server files: x2 += 1−1e-4, y2 += 1−1e-4, floor all four */
    int decimals;  /* digits after the point */
} results_write_options;

/* The layout and coordinate base of kind; run 1, no rasterizing, 4 decimals. */
void results_write_options_default(results_write_options *o, dataset_kind kind);

/* Writes the boxes (n, xyxy) of one sequence and, when times is not NULL, its seconds per frame
 * (n values, "%.8f"). dir is created when missing. */
lorat_status results_write_sequence(const char *dir, const char *name, const double *xyxy, int n,
                                    const double *times, const results_write_options *o,
                                    lorat_error *err);

/* Packs the results of the count sequences in dir into zip_path, as the evaluation servers take
 * them: GOT10K: <seq>/<seq>_NNN.txt and <seq>/<seq>_time.txt at the root of the zip (what the
 * got10k toolkit submits); PLAIN (TrackingNet): <seq>.txt at the root. A sequence without its
 * box file is an error naming it. */
lorat_status results_zip(const char *dir, results_layout layout, char *const *names, int count,
                         const char *zip_path, lorat_error *err);

#endif
