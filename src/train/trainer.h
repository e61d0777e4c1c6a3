/*
 * trainer.h — the training loop: batches from the loader, forward and backward, the loss,
 * clipping, AdamW on the schedule, the progress line and the JSONL log, checkpoints every few
 * epochs with exact resumption, validation through the evaluation module every few epochs, and at
 * the end the merged model file that track and eval load.
 */
#ifndef LORAT_TRAIN_TRAINER_H
#define LORAT_TRAIN_TRAINER_H

#include <stdint.h>

#include "data/datasets.h"
#include "model/model.h"

struct train_comm;

typedef struct trainer_config {
    const dataset *const *datasets;
    const double *weights; /* per dataset; NULL: all 1 */
    int sources;
    int batch;             /* samples per micro-batch */
    int accum;             /* micro-batches per optimiser step (the batch is batch·accum) */
    int workers;           /* loader threads */
    int64_t samples_per_epoch;
    int epochs, warmup_epochs;
    double lr, min_lr, warmup_lr, weight_decay, clip;
    int full;              /* 1: every parameter trains (no LoRA); 0: LoRA + head + type embedding */
    double translation_jitter; /* the search crop's translation jitter; 0: the paper's 3 */
    int recompute;         /* recompute the blocks' LayerNorm outputs and MLP activations in
                              backward instead of keeping them (less memory, same gradients) */
    uint64_t seed;
    const char *out_dir;
    int keep;              /* checkpoints kept */
    int save_every;        /* epochs between checkpoints (the last epoch is always saved) */
    int resume;            /* continue from the newest complete checkpoint in out_dir */
    int stop_after;        /* > 0: stop after this epoch (checkpoint written, no model file), so
                              that a run can go in chunks; the schedule is still that of epochs */
    int log_every;         /* optimiser steps between progress lines */
    const dataset *val;    /* validation set (NULL: none): tracked and scored every val_every epochs */
    int val_every;
    int quiet;
    lorat_precision precision; /* fp32, or bf16: products in bf16, master weights, gradients and
                                  AdamW state in fp32 */
    /* Makes the model again as it was before training (the same construction, fp32). Given, bf16
     * LoRA training keeps its frozen weights in bf16 only, and the merged model file (and each
     * validation) is built from this fp32 model with the trained tensors copied in. */
    lorat_status (*rebuild)(void *ctx, lorat_model **out, lorat_error *err);
    void *rebuild_ctx;
    /* A data-parallel run (dist/ makes it from Open MPI; NULL: one process). --batch stays the
     * global batch, split over the processes; rank 0 writes the log, checkpoints, validation and
     * the model; every process reads the checkpoint it resumes from. */
    const struct train_comm *comm;
} trainer_config;

void trainer_config_default(trainer_config *c);

/* Trains m in place (unmerged LoRA layout, or rank 0 with full = 1), then writes
 * <out>/model.safetensors (merged). */
lorat_status trainer_run(lorat_model *m, const trainer_config *c, lorat_error *err);

#endif
