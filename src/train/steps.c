/*
 * steps.c — N optimiser steps on one fixed batch (see steps.h): the library's training pieces
 * (train forward, loss, backward, clipping, AdamW) strung together with nothing else in between.
 */
#include "train/steps.h"

#include <math.h>
#include <stdlib.h>

#include "model/backward.h"
#include "train/step.h"

typedef struct fixed_batch {
    train_micro mb;
} fixed_batch;

static lorat_status same_batch(void *ctx, int k, train_micro *mb, lorat_error *err) {
    (void)k, (void)err;
    *mb = ((const fixed_batch *)ctx)->mb;
    return LORAT_STATUS_OK;
}

lorat_status fixed_steps_run(lorat_model *m, const fixed_steps_config *c, const float *z,
                             const float *x, const uint8_t *mask, const float *gt, int B,
                             float *losses, lorat_error *err) {
    train_stepper s;
    lorat_status st = train_stepper_create(&s, m, B, c->full, 0, &c->opt, NULL, err);
    if (st) return st;
    fixed_batch fb = {{z, x, mask, gt}};
    for (int t = 0; t < c->steps && !st; t++) {
        train_step_result r;
        if ((st = train_step(&s, same_batch, &fb, 1, c->lr, c->clip, &r, err))) break;
        losses[t] = (float)r.loss.total;
        losses[c->steps + t] = (float)r.loss.cls;
        losses[2 * c->steps + t] = (float)r.loss.reg;
        if (!r.applied)
            st = err_set(err, LORAT_STATUS_BAD_INPUT,
                         "step %d of %d: loss %g, gradient norm %g: not finite (is --lr too large?)",
                         t + 1, c->steps, r.loss.total, r.grad_norm);
    }
    train_stepper_free(&s);
    return st;
}
