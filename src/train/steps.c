/*
 * steps.c — N optimiser steps on one fixed batch (see steps.h): the library's training pieces
 * (train forward, loss, backward, clipping, AdamW) strung together with nothing else in between.
 */
#include "train/steps.h"

#include <math.h>
#include <stdlib.h>

#include "model/backward.h"
#include "train/loss.h"

lorat_status fixed_steps_run(lorat_model *m, const fixed_steps_config *c, const float *z,
                             const float *x, const uint8_t *mask, const float *gt, int B,
                             float *losses, lorat_error *err) {
    const model_config *mc = &m->cfg;
    const size_t Mx = (size_t)B * mc->search_w * mc->search_h;
    model_grads *g = NULL;
    train_workspace *ws = NULL;
    optim_segment *segs = NULL;
    int n_segs = 0;
    adamw *opt = NULL;
    float *dscore = malloc(Mx * sizeof(float)), *dboxes = malloc(Mx * 4 * sizeof(float));
    lorat_status st = LORAT_STATUS_OK;
    if (!dscore || !dboxes) {
        st = err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the loss gradients");
        goto done;
    }
    if ((st = model_grads_create(m, c->full, &g, err))) goto done;
    if ((st = train_workspace_create(m, B, c->full, 0, &ws, err))) goto done;
    if ((st = optim_segments_for_model(m, g->trainable, c->full ? g->frozen : NULL, &segs, &n_segs,
                                       err)))
        goto done;
    if ((st = adamw_create(segs, n_segs, &c->opt, &opt, err))) goto done;
    for (int t = 0; t < c->steps; t++) {
        model_grads_zero(g);
        model_train_forward(m, ws, z, x, mask);
        loss_value lv;
        loss_forward_backward(&lv, dscore, dboxes, NULL, ws->score, ws->boxes, gt, B, mc->search_h,
                              mc->search_w);
        losses[t] = (float)lv.total;
        losses[c->steps + t] = (float)lv.cls;
        losses[2 * c->steps + t] = (float)lv.reg;
        model_backward(m, ws, g, dscore, dboxes, mask);
        const double norm = grads_clip(segs, n_segs, c->clip);
        if (!isfinite(norm) || !isfinite(lv.total)) {
            st =
                err_set(err, LORAT_STATUS_BAD_INPUT,
                        "step %d of %d: loss %g, gradient norm %g: not finite (is --lr too large?)",
                        t + 1, c->steps, lv.total, norm);
            goto done;
        }
        adamw_step(opt, c->lr);
        model_weights_changed(m, c->full);
    }
done:
    adamw_free(opt);
    free(segs);
    train_workspace_free(ws);
    model_grads_free(g);
    free(dscore);
    free(dboxes);
    return st;
}
