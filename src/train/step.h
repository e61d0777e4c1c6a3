/*
 * step.h — one optimiser step of training, the one place it is written: the trainer
 * (train/trainer.c) and the fixed-batch steps (train/steps.c) both run it.
 *
 *   grads = 0; for each of `accum` micro-batches: forward (activations kept); the positive cells
 *   of the micro-batch summed over the processes (the loss normaliser is the global batch's);
 *   loss and its gradient, scaled by 1/accum; backward (accumulating). Then the gradients and
 *   the loss parts summed over the processes (one reduction over the fused gradient block);
 *   the global gradient norm clipped; AdamW at lr; the backend's weight copies refreshed.
 *
 * The processes of a data-parallel run meet only through train_comm, which the caller provides
 * (dist/ does it with Open MPI); train/ never includes MPI. With comm NULL (or size 1) the step
 * is one process's, to the bit what it was before data parallelism existed.
 */
#ifndef LORAT_TRAIN_STEP_H
#define LORAT_TRAIN_STEP_H

#include <stdint.h>

#include "model/backward.h"
#include "model/model.h"
#include "train/loss.h"
#include "train/optim.h"

typedef struct train_comm {
    int rank, size; /* this process and how many take part */
    /* In-place sums over the processes. */
    lorat_status (*sum_f32)(void *ctx, float *v, size_t n, lorat_error *err);
    lorat_status (*sum_f64)(void *ctx, double *v, size_t n, lorat_error *err);
    /* Every process reaches this point before any leaves it. */
    lorat_status (*barrier)(void *ctx, lorat_error *err);
    /* Told the step about to run (for a message when the run dies); may be NULL. */
    void (*at_step)(void *ctx, int64_t epoch, int64_t step);
    void *ctx;
} train_comm;

/* The part of a global batch of `global` samples that process `rank` of `size` takes: `*count`
 * samples from `*offset` (the first global % size processes take one more). */
void train_shard(int global, int rank, int size, int *offset, int *count);

typedef struct train_micro {
    const float *z, *x;     /* (B,3,Hz,Wz), (B,3,Hx,Wx) */
    const uint8_t *z_mask;  /* (B,hz,wz) */
    const float *gt;        /* (B,4) normalised xyxy */
} train_micro;

/* Gives micro-batch k (0..accum−1) of the step. */
typedef lorat_status (*train_next_fn)(void *ctx, int k, train_micro *mb, lorat_error *err);

typedef struct train_stepper {
    lorat_model *m;
    train_workspace *ws;
    model_grads *g;
    optim_segment *segs;
    int n_segs;
    adamw *opt;
    float *dscore, *dboxes;
    int batch, full;
    const train_comm *comm;
} train_stepper;

/* Plans everything a step needs for micro-batches of `batch` samples (this process's share). */
lorat_status train_stepper_create(train_stepper *s, lorat_model *m, int batch, int full,
                                  int recompute, const adamw_config *ac, const train_comm *comm,
                                  lorat_error *err);
void train_stepper_free(train_stepper *s);

typedef struct train_step_result {
    loss_value loss;  /* the global batch's: parts summed over the processes, mean over accum */
    double grad_norm; /* before clipping, of the summed gradients */
    int applied;      /* 0: loss or norm not finite, the update was skipped */
} train_step_result;

lorat_status train_step(train_stepper *s, train_next_fn next, void *next_ctx, int accum, double lr,
                        double clip, train_step_result *out, lorat_error *err);

#endif
