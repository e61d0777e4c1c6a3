/*
 * log.h — the training log: one JSON object per line (JSONL), appended and flushed line by line
 * so that a killed run keeps every line it finished and a resumed run continues the same file.
 *   {"step": 1200, "epoch": 1, "loss": 1.234, "loss_cls": 0.5, "loss_reg": 0.734,
 *    "lr": 6.1e-05, "grad_norm": 0.81, "samples_per_s": 41.3, "elapsed": 3605.2}
 * Non-finite numbers are written as null (JSON has no NaN).
 */
#ifndef LORAT_TRAIN_LOG_H
#define LORAT_TRAIN_LOG_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

typedef struct train_log_entry {
    int64_t step; /* optimiser steps done */
    int64_t epoch;
    double loss, loss_cls, loss_reg;
    double lr;
    double grad_norm; /* before clipping */
    double samples_per_s;
    double elapsed; /* seconds since the run (or the resumed run) started */
} train_log_entry;

typedef struct train_log {
    FILE *f;
    char path[1024];
} train_log;

/* Opens path for appending (created when absent). */
lorat_status train_log_open(train_log *log, const char *path, lorat_error *err);
/* For a resumed run: first drops the lines of steps after `step` (those the checkpoint does not
 * hold: the resumed run logs them again) and a last line cut short by a kill, rewriting the file
 * atomically; then opens it for appending. The log is then one run's, step after step. */
lorat_status train_log_open_resumed(train_log *log, const char *path, int64_t step,
                                    lorat_error *err);
/* Writes one line and flushes it. */
lorat_status train_log_write(train_log *log, const train_log_entry *e, lorat_error *err);
void train_log_close(train_log *log);

#endif
