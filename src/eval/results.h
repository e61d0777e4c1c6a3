/*
 * results.h — a tracker's result files (spec/evaluation.md §3): reading a results folder to
 * score it, and writing results in each benchmark's own layout, plus the GOT-10k and
 * TrackingNet server zips (libzip).
 *
 * Files hold one x,y,w,h box per frame and line, frame 0 first. Readers accept comma, tab or
 * space separators (pytracking writes tabs, the got10k toolkit and pysot commas, MATLAB either),
 * and the folder layouts and file names of lorat / the got10k toolkit, pysot and pytracking
 * (results_reader; what each writes is listed in results_read.c). Writers
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

/* Whose results a folder holds (`lorat eval --results-layout`):
 *   LORAT       lorat's and the got10k toolkit's: DIR/<seq>.txt, DIR/<seq>/<seq>_NNN.txt (GOT-10k
 *               repetitions), DIR/<seq>/<seq>.txt (LoRAT's TrackingNet files); the dataset's
 *               aliases (OTB's Jogging.1) too.
 *   PYSOT       DIR = results/<dataset>/<model>: <seq>.txt (OPE), <seq>/<seq>_001.txt (GOT-10k),
 *               also under pysot's names (Jogging-1, and jogging_1 / fleetface as its OTB loader
 *               tries); DIR/baseline and DIR/longterm (VOT) are never read as one-pass results.
 *   PYTRACKING  DIR = <results>/<tracker>/<param>: <seq>.txt (tab-separated), <seq>_time.txt
 *               ignored; a DIR that does not exist but has run folders DIR_000, DIR_001, ...
 *               beside it is read as that many runs (each scored, then averaged as the protocol
 *               averages repetitions: pytracking's merge of runs).
 *   AUTO        every name and layout above (the default). */
typedef enum results_reader {
    RESULTS_READER_AUTO,
    RESULTS_READER_LORAT,
    RESULTS_READER_PYSOT,
    RESULTS_READER_PYTRACKING,
} results_reader;

/* "auto", "lorat", "pysot", "pytracking" */
const char *results_reader_name(results_reader r);
lorat_status results_reader_parse(const char *name, results_reader *r, lorat_error *err);

/* A results folder opened under a reader: the folders read (one, or pytracking's runs). */
typedef struct results_source {
    results_reader reader;
    int runs;    /* folders */
    char **dirs; /* runs folders, in order */
    char *vot;   /* pysot's VOT folder under DIR (baseline/, longterm/), NULL when none */
} results_source;

/* An error naming dir when there is neither the folder nor (PYTRACKING, AUTO) its run folders. */
lorat_status results_source_open(results_source *src, const char *dir, results_reader reader,
                                 lorat_error *err);
void results_source_free(results_source *src);
/* 1 when every folder of src holds a file for the sequence (name, or alias: may be NULL). */
int results_source_has(const results_source *src, const char *name, const char *alias);
/* The file names src looks for, for messages. */
const char *results_source_expects(const results_source *src);

/* Reads the results of one sequence: every repetition of the GOT-10k layout, in every folder of
 * src. one_based: the files count pixels from 1. A row that is not 4 finite numbers is an error
 * naming the file and line; an empty file too; so are repetitions of different lengths. */
lorat_status results_source_read(const results_source *src, const char *name, const char *alias,
                                 int one_based, results_sequence *r, lorat_error *err);

/* The same for one folder dir under the LORAT reader. */
lorat_status results_read_sequence(const char *dir, const char *name, const char *alias,
                                   int one_based, results_sequence *r, lorat_error *err);
void results_sequence_free(results_sequence *r);

/* N when file is "<name>_<N>.txt" (digits only), else -1. */
int results_run_number(const char *file, const char *name);

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
