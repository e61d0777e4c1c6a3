/*
 * metrics.h — one-pass evaluation (OPE) metrics exactly as each toolkit computes them
 * (spec/evaluation.md §0, §1, §4): success, precision and normalised-precision curves per
 * sequence, their read-outs, and the average over a dataset.
 *
 * Protocols:
 *   PAPER          LoRAT's one_pass_evaluation_compatible handler (pytracking / STARK rules), the
 *                  numbers the paper reports. Per sequence: valid frames have GT w > 0 and h > 0
 *                  (and, for LaSOT / LaSOT_Extension / VastTrack, a visible target); IoU in the
 *                  pixel-inclusive form with no clipping; invalid frames get IoU −1, normalised
 *                  error −1 and centre error +Inf (−1 for UAV*); for LaSOT / VastTrack invisible
 *                  frames then get both errors +Inf. Every frame is in the denominator. Curves:
 *                  IoU > i·0.05 (21), error <= 0..50 px (51), normalised error <= j/100 (51), each
 *                  rounded to float32. SUC = mean of the 21 points (float32, as numpy), P =
 *                  curve[20], P_norm = curve[20], SR0.5 = curve[10], SR0.75 = curve[15]. The
 *                  prediction on frame 0 is scored as given (LoRAT records the init box there).
 *                  Dataset: float64 mean of the per-sequence curves, then the same read-outs.
 *   GOT10K         the got10k toolkit, whose experiment depends on the dataset
 *                  (metrics_protocol_for): on GOT-10k (and the custom layout, which is GOT-10k's)
 *                  it is its GOT-10k experiment, i.e. GOT10K_AO below. Elsewhere its OTB / LaSOT /
 *                  TrackingNet experiments: frame 0 replaced by
 *                  the GT; frames whose GT has a NaN dropped (from the denominator too); occlusion
 *                  flags ignored; continuous IoU with eps 2.22e-16 in the union, clipped to 0..1;
 *                  normalised error divides the centre difference by max(1, GT w/h) with
 *                  thresholds linspace(0, 0.5, 51); SUC = mean of 21 points, P = curve[20],
 *                  P_norm = mean of the whole 51-point curve.
 *   LASOT_TOOLKIT  the official LaSOT MATLAB toolkit (and TNL2K's copy of it): predictions with a
 *                  NaN or w/h <= 0 replaced by the previous frame's; frame 0 replaced by the GT;
 *                  absent frames removed but the denominator stays all GT lines (+eps); a frame
 *                  whose GT has any coordinate <= 0 (in the file's 1-based coordinates) gets IoU −1
 *                  and centre error −1 (a precision success); thresholds 0:0.05:1 built as MATLAB's
 *                  colon operator does; dataset mean skips sequences whose curve sums to <= eps.
 *   GOT10K_AO      the got10k toolkit's GOT-10k experiment (ExperimentGOT10k.report on val; the
 *                  test server): frame 0 left out (b[1:], anno[1:]); both boxes clipped to the
 *                  image (rect_iou's bound: x <- clip(x, 0, W), w <- clip(w, 0, W−x)); only frames
 *                  with cover > 0 (absence.label is not read); continuous IoU as in GOT10K;
 *                  AO = mean IoU, SR0.5 = share of IoU > 0.5 (_evaluate); SR0.75 = share of
 *                  IoU > 0.75 (the server's, the same rule); success curve over 101 thresholds;
 *                  over a dataset all frames are pooled (concatenated, so frame-weighted), not
 *                  averaged per sequence; repetitions are pooled too. `got10k` names it on
 *                  GOT-10k; `got10k_ao` names it on any dataset.
 *   TRACKINGNET    the TrackingNet devkit's metrics.py (what the server runs): every number
 *                  rounded half to even first; frame 0 replaced by the GT; IoU >= linspace(0,1,21);
 *                  error <= linspace(0,50,21); normalised error <= linspace(0,0.5,21); each score
 *                  is the trapezoid area of its curve over x = linspace(0,1,21).
 *
 * Values no toolkit of a protocol defines are still filled from the same per-frame numbers, so that
 * every protocol gives every key (documented per field below); ao is NAN except for GOT10K_AO.
 *
 * Boxes come in lorat's internal xyxy; a dataset whose files are 1-based (LaSOT) passes
 * rules.one_based so that the toolkits see the coordinates they read from the files.
 */
#ifndef LORAT_EVAL_METRICS_H
#define LORAT_EVAL_METRICS_H

#include <stdint.h>

#include "core/error.h"

typedef enum metrics_protocol {
    METRICS_PROTOCOL_PAPER,
    METRICS_PROTOCOL_GOT10K,
    METRICS_PROTOCOL_LASOT_TOOLKIT,
    METRICS_PROTOCOL_GOT10K_AO,
    METRICS_PROTOCOL_TRACKINGNET,
} metrics_protocol;

/* "paper", "got10k", "lasot_toolkit", "got10k_ao", "trackingnet" */
const char *metrics_protocol_name(metrics_protocol p);
lorat_status metrics_protocol_parse(const char *name, metrics_protocol *p, lorat_error *err);

/* The computation protocol p stands for on the dataset of that official name: GOT10K on
 * "GOT10k" and "custom" is GOT10K_AO (the got10k toolkit runs ExperimentGOT10k there); every
 * other pair is p itself. */
metrics_protocol metrics_protocol_for(metrics_protocol p, const char *official_name);

/* What the official code decides from the dataset's name (LoRAT's compatibility helper and
 * calc_seq_err_robust). */
typedef struct metrics_rules {
    int one_based;       /* LaSOT, VastTrack: +1 on every coordinate (files are 1-based) */
    int use_visibility;  /* LaSOT, LaSOT_Extension, VastTrack: invisible frames are invalid */
    int invisible_inf;   /* LaSOT, VastTrack: invisible frames get both errors +Inf (PAPER) */
    int invalid_err_neg; /* UAV*: invalid frames get centre error −1 (PAPER) */
} metrics_rules;

/* From an official dataset name: "LaSOT", "LaSOT_Extension", "VastTrack", "UAV123", ... */
metrics_rules metrics_rules_for(const char *official_name);

#define METRICS_MAX_POINTS 101

typedef struct metrics_curve {
    int n;                          /* points: 21, 51 or 101 */
    double y[METRICS_MAX_POINTS];   /* fractions in 0..1 */
} metrics_curve;

typedef enum metrics_curve_kind {
    METRICS_CURVE_SUCCESS,        /* x: IoU threshold 0..1 */
    METRICS_CURVE_PRECISION,      /* x: centre error threshold 0..50 px */
    METRICS_CURVE_NORM_PRECISION, /* x: normalised error threshold 0..0.5 */
} metrics_curve_kind;

/* The thresholds of a curve, bit for bit as the protocol's toolkit builds them; returns n. */
int metrics_thresholds(metrics_protocol p, metrics_curve_kind kind, double *x);

/* Frame-pooled counts (GOT10K_AO), kept so that a dataset can pool them. */
typedef struct metrics_pool {
    long frames;
    double iou_sum;
    long above50, above75;
    long success[METRICS_MAX_POINTS], precision[METRICS_MAX_POINTS], norm_precision[METRICS_MAX_POINTS];
} metrics_pool;

typedef struct metrics_result {
    metrics_curve success_curve, precision_curve, norm_precision_curve;
    double success_auc;    /* SUC (AUC) */
    double precision;      /* P@20 px (TRACKINGNET: area of its precision curve) */
    double norm_precision; /* P_norm@0.2 (GOT10K: mean of the 51-point curve; TRACKINGNET: area) */
    double ao;             /* GOT10K_AO: mean IoU; NAN for the other protocols */
    double sr50, sr75;     /* success at IoU 0.5 / 0.75 (strict >, TRACKINGNET >=) */
    long frames;           /* frames scored (all runs) */
    metrics_pool pool;     /* GOT10K_AO only */
} metrics_result;

/* One sequence. */
typedef struct metrics_sequence {
    int n;                  /* frames */
    const double *gt;       /* (n, 4) xyxy */
    const double *pred;     /* (runs, n, 4) xyxy */
    int runs;               /* repetitions of the tracker (0 means 1) */
    const uint8_t *visible; /* (n), NULL: all visible */
    const int8_t *cover;    /* (n) GOT-10k cover labels, NULL: none (GOT10K_AO then keeps the
                               visible frames) */
    int width, height;      /* image size: GOT10K_AO clips to it and needs it */
} metrics_sequence;

/* Scores one sequence. frame_iou, when not NULL, receives (runs, n) per-frame IoUs as the
 * protocol computes them (−1 or NAN where it marks a frame invalid; frames a protocol leaves out
 * are NAN). With several runs, PAPER / GOT10K / LASOT_TOOLKIT / TRACKINGNET average the runs'
 * curves (as pytracking does) and GOT10K_AO pools their frames. */
lorat_status metrics_evaluate(metrics_protocol p, const metrics_rules *rules,
                              const metrics_sequence *seq, metrics_result *out, double *frame_iou,
                              lorat_error *err);

/* Averaging over a dataset: init, add each sequence's result, then finish. */
typedef struct metrics_average {
    metrics_protocol protocol;
    int sequences;
    long frames;
    int kept[3];              /* LASOT_TOOLKIT: sequences in each mean (curves summing to > eps) */
    double sum[3][METRICS_MAX_POINTS];
    metrics_pool pool;
} metrics_average;

void metrics_average_init(metrics_average *a, metrics_protocol p);
void metrics_average_add(metrics_average *a, const metrics_result *r);
void metrics_average_finish(const metrics_average *a, metrics_result *out);

#endif
