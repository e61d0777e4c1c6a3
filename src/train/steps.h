/*
 * steps.h — a few optimiser steps on one fixed batch, for checking the training pieces together
 * against PyTorch (`lorat forward --grad --steps N`).
 *
 * Each step: zero the gradients, train forward, loss, backward, clip the global gradient norm,
 * AdamW with the official parameter groups at a constant learning rate. The model's parameters
 * are updated in place. It is not the trainer (src/train/trainer.c): no data loader, schedule,
 * accumulation or checkpoints.
 */
#ifndef LORAT_TRAIN_STEPS_H
#define LORAT_TRAIN_STEPS_H

#include <stdint.h>

#include "core/error.h"
#include "model/model.h"
#include "train/optim.h"

typedef struct fixed_steps_config {
    int steps;        /* N optimiser steps */
    double lr;        /* constant learning rate */
    double clip;      /* max global gradient norm (clip_grad_norm_) */
    adamw_config opt; /* betas, eps, weight decay; its lr is ignored */
    int full;         /* 1: every parameter is trained (full fine-tuning) */
} fixed_steps_config;

/* z (B,3,Hz,Wz), x (B,3,Hx,Wx) normalised F32, mask (B,hz,wz), gt (B,4) normalised xyxy.
 * losses (3, steps): row 0 total, row 1 cls, row 2 reg, each at step t before its update.
 * Fails (leaving the parameters of the steps done) when a loss or gradient norm is not finite. */
lorat_status fixed_steps_run(lorat_model *m, const fixed_steps_config *c, const float *z,
                             const float *x, const uint8_t *mask, const float *gt, int B,
                             float *losses, lorat_error *err);

#endif
