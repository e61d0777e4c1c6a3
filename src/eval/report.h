/*
 * report.h — what tracking papers show for several trackers side by side: the success,
 * precision and normalised-precision plots (PNG and SVG, drawn with cairo) and the table of
 * scores (text and JSON). The input is the overall part of `lorat eval --json`; this module
 * computes no metric itself, it only reads, ranks and draws what the evaluation wrote.
 */
#ifndef LORAT_EVAL_REPORT_H
#define LORAT_EVAL_REPORT_H

#include <cairo.h>
#include <cjson/cJSON.h>

#include "core/error.h"

/* One curve as evaluated: y[i] at n thresholds spread evenly over [0, x_max]. */
typedef struct report_curve {
    double *y; /* n values in 0..1 */
    int n;     /* >= 2 */
} report_curve;

/* One tracker's overall scores, as fractions in 0..1. ao, sr50 and sr75 are NAN where the
 * protocol does not define them. */
typedef struct report_tracker {
    char *name;      /* as the legend and table show it */
    char *source;    /* the file it came from (or another label), for messages */
    char *dataset;   /* "lasot", "got10k", ... */
    char *protocol;  /* "paper", ...; "" when the file does not say */
    int n_sequences; /* -1 when the file has no "sequences" object */
    double success_auc, precision, norm_precision, ao, sr50, sr75;
    report_curve success;          /* thresholds 0..1 (IoU) */
    report_curve precision_c;      /* thresholds 0..50 px */
    report_curve norm_precision_c; /* thresholds 0..0.5 */
} report_tracker;

/* Fills t from the object `lorat eval --json` writes ({"dataset", "protocol", "overall": {...},
 * "sequences": {...}}). source names it in messages ("a.json: overall.precision_curve[3] is not
 * a number"). On failure t holds nothing to free. */
lorat_status report_tracker_from_json(report_tracker *t, const char *name, const cJSON *root,
                                      const char *source, lorat_error *err);
/* The same from a file. */
lorat_status report_tracker_load(report_tracker *t, const char *name, const char *path,
                                 lorat_error *err);
void report_tracker_free(report_tracker *t);

/* Fails, naming both files and datasets, unless all n trackers were evaluated on one dataset. */
lorat_status report_check_same_dataset(const report_tracker *t, int n, lorat_error *err);

typedef enum report_plot_kind {
    REPORT_PLOT_SUCCESS,        /* x: overlap threshold 0..1, legend: AUC */
    REPORT_PLOT_PRECISION,      /* x: location error 0..50 px, legend: P@20 */
    REPORT_PLOT_NORM_PRECISION, /* x: normalised location error 0..0.5, legend: P_norm@0.2 */
} report_plot_kind;

/* Draws one plot of all n trackers onto cr, filling a width × height area (user units: pixels
 * for an image surface, points for SVG). title is the whole title line. Trackers keep their
 * colour and line style (by index in t) across plots; the legend lists them by this plot's
 * score, best first. The same call draws the PNG and the SVG. */
void report_draw_plot(cairo_t *cr, double width, double height, report_plot_kind kind,
                      const report_tracker *t, int n, const char *title);

/* The table, trackers ranked by success AUC (best first): percentages with one decimal
 * (printf's "%.1f" of 100·x, so the JSON numbers are exactly the text's), best of each column
 * marked with '*' (all of them on a tie), AO / SR50 / SR75 only when some tracker has them.
 * heading is the first line of the text. Both returned strings / objects belong to the caller
 * (free / cJSON_Delete); NULL when out of memory. */
char *report_table_text(const report_tracker *t, int n, const char *heading);
cJSON *report_table_json(const report_tracker *t, int n, const char *heading);

/* The title the plots and table get when the user gives none: "LaSOT" for "lasot", ... */
const char *report_dataset_display_name(const char *dataset);

/* Writes success.{png,svg}, precision.{png,svg}, norm_precision.{png,svg}, table.txt and
 * table.json into dir (made, with its parents, when missing), each one atomically (temporary
 * file in dir, then rename). title names what was evaluated ("LaSOT"); NULL: the dataset's
 * name. */
lorat_status report_write(const report_tracker *t, int n, const char *title, const char *dir,
                          lorat_error *err);

#endif
