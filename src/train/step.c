/* step.c — see step.h. */
#include "train/step.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void train_shard(int global, int rank, int size, int *offset, int *count) {
    const int base = global / size, extra = global % size;
    *count = base + (rank < extra ? 1 : 0);
    *offset = rank * base + (rank < extra ? rank : extra);
}

lorat_status train_stepper_create(train_stepper *s, lorat_model *m, int batch, int full,
                                  int recompute, const adamw_config *ac, const train_comm *comm,
                                  lorat_error *err) {
    memset(s, 0, sizeof *s);
    s->m = m;
    s->batch = batch;
    s->full = full;
    s->comm = comm && comm->size > 1 ? comm : NULL;
    const size_t Mx = (size_t)batch * m->cfg.search_w * m->cfg.search_h;
    lorat_status st;
    if ((st = model_grads_create(m, full, &s->g, err)) ||
        (st = train_workspace_create(m, batch, full, recompute, &s->ws, err)) ||
        (st = optim_segments_for_model(m, s->g->trainable, full ? s->g->frozen : NULL, &s->segs,
                                       &s->n_segs, err)) ||
        (st = adamw_create(s->segs, s->n_segs, ac, &s->opt, err))) {
        train_stepper_free(s);
        return st;
    }
    s->dscore = malloc(sizeof(float) * Mx);
    s->dboxes = malloc(sizeof(float) * Mx * 4);
    if (!s->dscore || !s->dboxes) {
        train_stepper_free(s);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the loss gradients");
    }
    return LORAT_STATUS_OK;
}

void train_stepper_free(train_stepper *s) {
    adamw_free(s->opt);
    free(s->segs);
    train_workspace_free(s->ws);
    model_grads_free(s->g);
    free(s->dscore);
    free(s->dboxes);
    memset(s, 0, sizeof *s);
}

lorat_status train_step(train_stepper *s, train_next_fn next, void *next_ctx, int accum, double lr,
                        double clip, train_step_result *out, lorat_error *err) {
    const model_config *mc = &s->m->cfg;
    const int B = s->batch, H = mc->search_h, W = mc->search_w;
    const size_t Mx = (size_t)B * H * W;
    lorat_status st;
    memset(out, 0, sizeof *out);
    model_grads_zero(s->g);
    for (int a = 0; a < accum; a++) {
        train_micro mb;
        if ((st = next(next_ctx, a, &mb, err))) return st;
        model_train_forward(s->m, s->ws, mb.z, mb.x, mb.z_mask);
        int npos = loss_count_positive(mb.gt, B, H, W);
        if (s->comm) {
            double n = npos;
            if ((st = s->comm->sum_f64(s->comm->ctx, &n, 1, err))) return st;
            npos = (int)n;
        }
        loss_value lv;
        loss_forward_backward_norm(&lv, s->dscore, s->dboxes, NULL, s->ws->score, s->ws->boxes,
                                   mb.gt, B, H, W, npos);
        if (accum > 1) {
            const float k = 1.0f / (float)accum;
            for (size_t i = 0; i < Mx; i++) s->dscore[i] *= k;
            for (size_t i = 0; i < Mx * 4; i++) s->dboxes[i] *= k;
        }
        model_backward(s->m, s->ws, s->g, s->dscore, s->dboxes, mb.z_mask);
        out->loss.total += lv.total / accum;
        out->loss.cls += lv.cls / accum;
        out->loss.reg += lv.reg / accum;
        out->loss.num_pos += lv.num_pos;
    }
    if (s->comm) {
        /* the gradient blocks are contiguous: one sum each (the frozen one in full mode) */
        if ((st = s->comm->sum_f32(s->comm->ctx, s->g->trainable, s->g->n_trainable, err))) return st;
        if (s->g->frozen && (st = s->comm->sum_f32(s->comm->ctx, s->g->frozen, s->g->n_frozen, err)))
            return st;
        double parts[2] = {out->loss.cls, out->loss.reg};
        if ((st = s->comm->sum_f64(s->comm->ctx, parts, 2, err))) return st;
        out->loss.cls = parts[0];
        out->loss.reg = parts[1];
        out->loss.total = parts[0] + parts[1];
    }
    out->grad_norm = grads_clip(s->segs, s->n_segs, clip);
    if (isfinite(out->grad_norm) && isfinite(out->loss.total)) {
        adamw_step(s->opt, lr);
        model_weights_changed(s->m, s->full);
        out->applied = 1;
    }
    return LORAT_STATUS_OK;
}
