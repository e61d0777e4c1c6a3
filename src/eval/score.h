/*
 * score.h — scoring a tracker's results on a dataset: every sequence's ground truth against its
 * result file under one protocol, the per-sequence metrics and the dataset's average, and the
 * two ways `lorat eval` shows them (a table, one JSON object). Both modes of `lorat eval` (scoring
 * a results folder, and running the tracker first) end here.
 */
#ifndef LORAT_EVAL_SCORE_H
#define LORAT_EVAL_SCORE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "data/datasets.h"
#include "eval/metrics.h"
#include "eval/results.h"

typedef struct eval_scores {
    dataset_kind kind;
    dataset_split split;
    metrics_protocol protocol; /* as asked; metrics_protocol_for(protocol, dataset) computed */
    int count;
    char **names;           /* count sequence names, in the dataset's order */
    metrics_result *seqs;   /* count */
    metrics_result overall; /* the protocol's dataset average */
} eval_scores;

/* Scores one sequence: seq's ground truth against boxes (runs, length, 4 xyxy; length may exceed
 * the ground truth, which truncates, as the toolkits do). source names the boxes in messages. */
lorat_status eval_score_sequence(dataset_kind kind, const dataset_sequence *seq,
                                 const double *xyxy, int runs, int length, const char *source,
                                 metrics_protocol p, metrics_result *out, lorat_error *err);

/* Scores the result files in results_dir, read under reader (results.h), on every sequence of
 * ds. A folder lacking sequences, a file with fewer boxes than ground-truth lines or a bad line
 * is an error naming the sequences, file and line. */
lorat_status eval_score_results(const dataset *ds, const char *results_dir, metrics_protocol p,
                                results_reader reader, eval_scores *out, lorat_error *err);
/* The same for lorat's own result folders (RESULTS_READER_LORAT). */
lorat_status eval_score_dir(const dataset *ds, const char *results_dir, metrics_protocol p,
                            eval_scores *out, lorat_error *err);
void eval_scores_free(eval_scores *s);

/* {"dataset", "protocol", "overall": {...}, "sequences": {NAME: {...}}} with the keys
 * success_auc, precision, norm_precision, ao, sr50, sr75 (fractions; null where undefined) and
 * success_curve, precision_curve, norm_precision_curve. NULL when out of memory. */
cJSON *eval_scores_json(const eval_scores *s);

/* The table: SUC, P_norm, P (and AO, SR0.5, SR0.75 for GOT-10k) in percent, the overall row, and
 * with per_sequence a row per sequence above it. */
void eval_scores_print(FILE *f, const eval_scores *s, int per_sequence);

#endif
