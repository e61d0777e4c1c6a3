/*
 * runner.h — one-pass evaluation: the tracker over every sequence of a dataset, writing each
 * sequence's boxes (and seconds per frame) in the benchmark's own layout.
 *
 * Sequences run in parallel (jobs, each with its own tracker over the shared model and its share
 * of the threads). A sequence's file is written atomically when it is finished, and a sequence
 * whose file exists is skipped, so an interrupted run resumes where it stopped.
 */
#ifndef LORAT_EVAL_RUNNER_H
#define LORAT_EVAL_RUNNER_H

#include "data/datasets.h"
#include "lorat.h"

/* A work queue shared by several processes (dist/ makes one over MPI). Every process computes the
 * same list of what is left to do, sorted longest first, then calls ready; take gives each free
 * job the next position in that list, or -1 when none is left. */
typedef struct runner_queue {
    lorat_status (*ready)(void *ctx, int n, lorat_error *err);
    int (*take)(void *ctx);
    void *ctx;
    int lead; /* this process tidies the output folder (rank 0) */
} runner_queue;

typedef struct runner_options {
    int jobs;            /* sequences tracked at once (>= 1) */
    int threads;         /* threads in all; each job gets threads / jobs (at least 1) */
    int runs;            /* repetitions: GOT-10k layout <seq>_00N.txt, else DIR/run_00N/ */
    const char *out_dir; /* results folder */
    int quiet;           /* no progress bar */
    const runner_queue *queue; /* NULL: this process alone */
} runner_options;

typedef struct runner_stats {
    int sequences_run, sequences_skipped;
    long frames;
    double seconds; /* wall time */
} runner_stats;

/* The folder that holds run r's files (from 1): out_dir itself, or out_dir/run_00r for the
 * plain layout with several runs. Returns buf. */
const char *runner_run_dir(char *buf, size_t size, const runner_options *o, dataset_kind kind, int run);

lorat_status runner_run(const dataset *ds, const lorat_model *model, const runner_options *o,
                        runner_stats *stats, lorat_error *err);

#endif
