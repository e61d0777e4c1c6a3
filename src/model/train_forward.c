/*
 * train_forward.c — the training side of the forward pass: the arena in which model_forward_acts
 * (model/forward.c, the one forward pass) keeps every activation that backward reads, planned
 * once for (batch, tokens); and the gradient blocks, which mirror the parameter blocks.
 *
 * What is kept per block (M = B·N rows): the stream entering it, LN1's output and statistics,
 * the LoRA down-projections u = x·Aᵀ (M×r each; they make dB a single product), qkv, the
 * attention output, the stream after the attention residual, LN2's output and statistics, the
 * FFN pre-activation and activation. Full mode also keeps the two sub-layer outputs before
 * their bias (for the LayerScale gradient) and the im2col patches (for the patch embedding).
 * Attention probabilities are not kept: backward recomputes them.
 */
#include <stdlib.h>
#include <string.h>

#include "model/backward.h"

/* ---- gradients ------------------------------------------------------------------------------ */

lorat_status model_grads_create(const lorat_model *m, int full, model_grads **out,
                                lorat_error *err) {
    *out = NULL;
    model_grads *g = calloc(1, sizeof *g);
    if (!g) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the gradients");
    g->full = full;
    g->n_trainable = m->n_trainable;
    g->n_frozen = full ? m->n_frozen : 0;
    g->trainable = aligned_alloc(64, sizeof(float) * (g->n_trainable ? g->n_trainable : 16));
    if (full) g->frozen = aligned_alloc(64, sizeof(float) * (g->n_frozen ? g->n_frozen : 16));
    if (!g->trainable || (full && !g->frozen)) {
        model_grads_free(g);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate %.1f MB of gradients",
                       (m->n_trainable + (full ? m->n_frozen : 0)) * 4.0 / 1e6);
    }
    model_grads_zero(g);
    *out = g;
    return LORAT_STATUS_OK;
}

void model_grads_zero(model_grads *g) {
    memset(g->trainable, 0, sizeof(float) * g->n_trainable);
    if (g->frozen) memset(g->frozen, 0, sizeof(float) * g->n_frozen);
}

void model_grads_free(model_grads *g) {
    if (!g) return;
    free(g->trainable);
    free(g->frozen);
    free(g);
}

float *model_grad_of(const lorat_model *m, const model_grads *g, const float *param) {
    if (!param) return NULL;
    if (param >= m->trainable && param < m->trainable + m->n_trainable)
        return g->trainable + (param - m->trainable);
    if (g->frozen && param >= m->frozen && param < m->frozen + m->n_frozen)
        return g->frozen + (param - m->frozen);
    return NULL;
}

/* ---- workspace ------------------------------------------------------------------------------ */

typedef struct plan_entry {
    float **p;
    size_t n;
} plan_entry;

lorat_status train_workspace_create(const lorat_model *m, int B, int full, int recompute,
                                    train_workspace **out, lorat_error *err) {
    *out = NULL;
    const model_config *c = &m->cfg;
    train_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the training workspace");
    ws->blocks = calloc((size_t)c->depth, sizeof *ws->blocks);
    plan_entry *plan = calloc((size_t)c->depth * 24 + 48, sizeof *plan);
    if (!ws->blocks || !plan) {
        free(plan);
        train_workspace_free(ws);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the training workspace");
    }
    ws->B = B;
    ws->full = full;
    ws->recompute = recompute;
    ws->Nz = c->template_w * c->template_h;
    ws->Nx = c->search_w * c->search_h;
    ws->N = ws->Nz + ws->Nx;
    const compute_plan cplan = model_compute_plan(m, B, COMPUTE_TRAINING);
    lorat_status st = compute_ctx_create(m->be, &cplan, &ws->ctx, err);
    if (st) {
        free(plan);
        train_workspace_free(ws);
        return st;
    }
    const size_t D = c->dim, M = (size_t)B * ws->N, Mx = (size_t)B * ws->Nx;
    const size_t H = c->ffn_hidden, fc1_out = c->swiglu ? 2 * H : H;
    const size_t pp = 3 * (size_t)c->patch * c->patch;
    const int lora = c->lora_rank > 0 && !c->lora_merged;
    const size_t r = lora ? (size_t)c->lora_rank : 0;
    forward_acts *fa = &ws->fa;
    fa->blocks = ws->blocks;
    int n = 0;
#define PLAN(ptr, count) plan[n++] = (plan_entry){&(ptr), (count)}
    PLAN(fa->patches, M * pp);
    for (int l = 0; l < c->depth; l++) {
        block_acts *a = &ws->blocks[l];
        PLAN(a->res_in, M * D);
        if (!recompute) PLAN(a->ln1, M * D);
        PLAN(a->mean1, M);
        PLAN(a->rstd1, M);
        PLAN(a->qkv, M * 3 * D);
        PLAN(a->att, M * D);
        PLAN(a->res_mid, M * D);
        if (!recompute) PLAN(a->ln2, M * D);
        PLAN(a->mean2, M);
        PLAN(a->rstd2, M);
        PLAN(a->hpre, M * fc1_out);
        if (!recompute) PLAN(a->act, M * H);
        if (lora) {
            for (int k = 0; k < 3; k++)
                PLAN(a->u_qkv[k], M * r);
            PLAN(a->u_proj, M * r);
            PLAN(a->u_fc1, M * r);
            PLAN(a->u_fc2, M * r);
        }
        if (full) {
            PLAN(a->y1, M * D);
            PLAN(a->y2, M * D);
        }
    }
    if (recompute) {
        PLAN(ws->ln_shared, M * D);
        PLAN(ws->act_shared, M * H);
    }
    PLAN(ws->res_out, M * D);
    PLAN(fa->normed, M * D);
    PLAN(fa->nmean, M);
    PLAN(fa->nrstd, M);
    PLAN(fa->head_in, Mx * D);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 2; k++) {
            PLAN(fa->head_pre[h][k], Mx * D);
            PLAN(fa->head_act[h][k], Mx * D);
        }
    PLAN(fa->reg_sig, Mx * 4);
    PLAN(ws->score, Mx);
    PLAN(ws->boxes, Mx * 4);
    PLAN(ws->d_score, Mx);
    PLAN(ws->d_boxes, Mx * 4);
    PLAN(ws->d_res, M * D);
    PLAN(ws->d_y, M * D);
    PLAN(ws->d_ln, M * D);
    PLAN(ws->d_att, M * D);
    PLAN(ws->d_qkv, M * 3 * D);
    PLAN(ws->d_hidden, M * fc1_out);
    PLAN(ws->d_act, M * H);
    PLAN(ws->d_lora, M * (r ? r : 1));
    PLAN(ws->d_head_in, Mx * D);
    PLAN(ws->d_head[0], Mx * D);
    PLAN(ws->d_head[1], Mx * D);
    PLAN(ws->d_out, Mx * 4);
#undef PLAN
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (plan[i].n + 15) & ~(size_t)15;
    ws->floats = total;
    ws->block = ws->ctx->ops->buffer_alloc(ws->ctx, total * sizeof(float));
    if (!ws->block) {
        free(plan);
        train_workspace_free(ws);
        return err_set(
            err, LORAT_STATUS_NO_MEMORY,
            "cannot allocate %.1f MB of training activations for batch %d: use a smaller "
            "batch",
            total * 4.0 / 1e6, B);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        *plan[i].p = ws->block + off;
        off += (plan[i].n + 15) & ~(size_t)15;
    }
    /* the forward's outputs: the caller reads them (the loss), so they live where the backend
     * puts what the caller sees — the same memory on the CPU */
    fa->score = ws->score;
    fa->boxes = ws->boxes;
    for (int l = 0; l < c->depth; l++) {
        block_acts *a = &ws->blocks[l];
        if (recompute) {
            a->ln1 = a->ln2 = ws->ln_shared;
            a->act = ws->act_shared;
        }
        /* LoRA mode needs no sub-layer output before its bias: both go to scratch. */
        if (!a->y1) a->y1 = ws->d_y;
        if (!a->y2) a->y2 = ws->d_y;
        a->res_out = l + 1 < c->depth ? ws->blocks[l + 1].res_in : ws->res_out;
    }
    free(plan);
    *out = ws;
    return LORAT_STATUS_OK;
}

void train_workspace_free(train_workspace *ws) {
    if (!ws) return;
    if (ws->ctx) {
        ws->ctx->ops->buffer_free(ws->ctx, ws->block);
        compute_ctx_free(ws->ctx);
    }
    free(ws->blocks);
    free(ws);
}

/* ---- forward -------------------------------------------------------------------------------- */

void model_train_forward(const lorat_model *m, train_workspace *ws, const float *z, const float *x,
                         const uint8_t *z_mask) {
    model_forward_acts(m, ws->ctx, &ws->fa, z, x, z_mask, ws->B, ws->score, ws->boxes, NULL);
}
