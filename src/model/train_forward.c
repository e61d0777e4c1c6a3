/*
 * train_forward.c — the training forward pass: the same arithmetic as model_forward (so its
 * outputs are identical), but every activation that backward reads is kept, in one arena planned
 * once for (batch, tokens). Also the gradient blocks, which mirror the parameter blocks.
 *
 * What is kept per block (M = B·N rows): the stream entering it, LN1's output and statistics,
 * the LoRA down-projections u = x·Aᵀ (M×r each; they make dB a single product), qkv, the
 * attention output, the stream after the attention residual, LN2's output and statistics, the
 * FFN pre-activation and activation. Full mode also keeps the two sub-layer outputs before
 * their bias (for the LayerScale gradient) and the im2col patches (for the patch embedding).
 * Attention probabilities are not kept: backward recomputes them.
 */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"
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
    const size_t D = c->dim, M = (size_t)B * ws->N, Mx = (size_t)B * ws->Nx;
    const size_t H = c->ffn_hidden, fc1_out = c->swiglu ? 2 * H : H;
    const size_t pp = 3 * (size_t)c->patch * c->patch;
    const int lora = c->lora_rank > 0 && !c->lora_merged;
    const size_t r = lora ? (size_t)c->lora_rank : 0;
    const int threads = omp_get_max_threads();
    int n = 0;
#define PLAN(ptr, count) plan[n++] = (plan_entry){&(ptr), (count)}
    PLAN(ws->patches, M * pp);
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
    PLAN(ws->normed, M * D);
    PLAN(ws->nmean, M);
    PLAN(ws->nrstd, M);
    PLAN(ws->head_in, Mx * D);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 2; k++) {
            PLAN(ws->head_pre[h][k], Mx * D);
            PLAN(ws->head_act[h][k], Mx * D);
        }
    PLAN(ws->reg_sig, Mx * 4);
    PLAN(ws->score, Mx);
    PLAN(ws->boxes, Mx * 4);
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
    PLAN(ws->scratch, attention_backward_scratch_floats(ws->N, threads));
#undef PLAN
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (plan[i].n + 15) & ~(size_t)15;
    ws->floats = total;
    ws->block = aligned_alloc(64, total * sizeof(float));
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
    for (int l = 0; recompute && l < c->depth; l++) {
        ws->blocks[l].ln1 = ws->blocks[l].ln2 = ws->ln_shared;
        ws->blocks[l].act = ws->act_shared;
    }
    free(plan);
    *out = ws;
    return LORAT_STATUS_OK;
}

void train_workspace_free(train_workspace *ws) {
    if (!ws) return;
    free(ws->block);
    free(ws->blocks);
    free(ws);
}

/* ---- forward -------------------------------------------------------------------------------- */

/* The p×p patches of an image (3,gh·p,gw·p) as rows of 3·p·p values in Conv2d weight order
 * (channel, ky, kx). */
static void patches_of(float *rows, const float *img, int gh, int gw, int p) {
    const int W = gw * p, HW = gh * p * W;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < gh * gw; t++) {
        const int ty = t / gw, tx = t % gw;
        float *dst = rows + (size_t)t * 3 * p * p;
        for (int ch = 0; ch < 3; ch++)
            for (int ky = 0; ky < p; ky++)
                memcpy(dst + (ch * p + ky) * p,
                       img + (size_t)ch * HW + (size_t)(ty * p + ky) * W + tx * p,
                       sizeof(float) * p);
    }
}

void model_train_forward(const lorat_model *m, train_workspace *ws, const float *z, const float *x,
                         const uint8_t *z_mask) {
    const model_config *c = &m->cfg;
    const model_weights *w = &m->w;
    const int B = ws->B, D = c->dim, H = c->ffn_hidden, p = c->patch, r = c->lora_rank;
    const int Nz = ws->Nz, Nx = ws->Nx, N = ws->N, M = B * N, Mx = B * Nx;
    const int fc1_out = c->swiglu ? 2 * H : H;
    const int pp = 3 * p * p;
    const int lora = r > 0 && !c->lora_merged;
    const float s = config_lora_scaling(c);

    /* Embedding: patches (one GEMM), then position (template: top-left of the search grid) and
     * token type, in model_forward's order of additions. */
    float *tok = ws->blocks[0].res_in;
    const size_t zsz = (size_t)3 * Nz * p * p, xsz = (size_t)3 * Nx * p * p;
    for (int b = 0; b < B; b++) {
        patches_of(ws->patches + (size_t)b * N * pp, z + b * zsz, c->template_h, c->template_w, p);
        patches_of(ws->patches + ((size_t)b * N + Nz) * pp, x + b * xsz, c->search_h, c->search_w,
                   p);
    }
    linear_forward(tok, D, ws->patches, w->patch_w, NULL, M, pp, D);
#pragma omp parallel for schedule(static)
    for (int t = 0; t < M; t++) {
        const int b = t / N, i = t % N;
        float *e = tok + (size_t)t * D;
        const float *pos, *type;
        if (i < Nz) {
            const int ty = i / c->template_w, tx = i % c->template_w;
            pos = w->pos_embed + ((size_t)ty * c->search_w + tx) * D;
            type = w->type_embed + (size_t)(z_mask[(size_t)b * Nz + i] ? 1 : 0) * D;
        } else {
            pos = w->pos_embed + (size_t)(i - Nz) * D;
            type = w->type_embed + (size_t)2 * D;
        }
        for (int d = 0; d < D; d++)
            e[d] = ((e[d] + w->patch_b[d]) + pos[d]) + type[d];
    }

    /* Blocks: x += γ1·proj(attn(LN1 x)); x += γ2·FFN(LN2 x). */
    for (int l = 0; l < c->depth; l++) {
        const block_weights *bw = &w->blocks[l];
        block_acts *a = &ws->blocks[l];
        float *next = l + 1 < c->depth ? ws->blocks[l + 1].res_in : ws->res_out;
        float *y1 = a->y1 ? a->y1 : ws->d_y, *y2 = a->y2 ? a->y2 : ws->d_y;

        layernorm_forward_stats(a->ln1, a->mean1, a->rstd1, a->res_in, bw->norm1_w, bw->norm1_b,
                                c->layernorm_eps, M, D);
        linear_forward(a->qkv, 3 * D, a->ln1, bw->qkv_w, NULL, M, D, 3 * D);
        if (lora)
            for (int k = 0; k < 3; k++)
                lora_forward(a->qkv + (size_t)k * D, 3 * D, a->ln1, bw->lora[k].A, bw->lora[k].B, s,
                             a->u_qkv[k], M, D, D, r);
        bias_forward(a->qkv, 3 * D, bw->qkv_b, M, 3 * D);
        attention_forward(a->att, a->qkv, ws->scratch, B, N, c->heads, c->head_dim);
        linear_forward(y1, D, a->att, bw->proj_w, NULL, M, D, D);
        if (lora)
            lora_forward(y1, D, a->att, bw->lora[LORA_PROJ].A, bw->lora[LORA_PROJ].B, s, a->u_proj,
                         M, D, D, r);
        memcpy(a->res_mid, a->res_in, sizeof(float) * (size_t)M * D);
        residual_forward(a->res_mid, y1, bw->proj_b, bw->ls1, M, D);

        layernorm_forward_stats(a->ln2, a->mean2, a->rstd2, a->res_mid, bw->norm2_w, bw->norm2_b,
                                c->layernorm_eps, M, D);
        linear_forward(a->hpre, fc1_out, a->ln2, bw->fc1_w, NULL, M, D, fc1_out);
        if (lora)
            lora_forward(a->hpre, fc1_out, a->ln2, bw->lora[LORA_FC1].A, bw->lora[LORA_FC1].B, s,
                         a->u_fc1, M, D, fc1_out, r);
        bias_forward(a->hpre, fc1_out, bw->fc1_b, M, fc1_out);
        if (c->swiglu) {
            swiglu_forward(a->act, a->hpre, NULL, M, H);
        } else {
            memcpy(a->act, a->hpre, sizeof(float) * (size_t)M * H);
            gelu_forward(a->act, NULL, M, H);
        }
        linear_forward(y2, D, a->act, bw->fc2_w, NULL, M, H, D);
        if (lora)
            lora_forward(y2, D, a->act, bw->lora[LORA_FC2].A, bw->lora[LORA_FC2].B, s, a->u_fc2, M,
                         H, D, r);
        memcpy(next, a->res_mid, sizeof(float) * (size_t)M * D);
        residual_forward(next, y2, bw->fc2_b, bw->ls2, M, D);
    }

    /* Final norm over all tokens; the head reads the search tokens. */
    layernorm_forward_stats(ws->normed, ws->nmean, ws->nrstd, ws->res_out, w->norm_w, w->norm_b,
                            c->layernorm_eps, M, D);
    for (int b = 0; b < B; b++)
        memcpy(ws->head_in + (size_t)b * Nx * D, ws->normed + ((size_t)b * N + Nz) * D,
               sizeof(float) * (size_t)Nx * D);
    for (int h = 0; h < 2; h++) {
        const float *in = ws->head_in;
        for (int k = 0; k < 2; k++) {
            linear_forward(ws->head_pre[h][k], D, in, w->head_w[h][k], w->head_b[h][k], Mx, D, D);
            memcpy(ws->head_act[h][k], ws->head_pre[h][k], sizeof(float) * (size_t)Mx * D);
            gelu_forward(ws->head_act[h][k], NULL, Mx, D);
            in = ws->head_act[h][k];
        }
        linear_forward(h == 0 ? ws->score : ws->reg_sig, h == 0 ? 1 : 4, in, w->head_w[h][2],
                       w->head_b[h][2], Mx, D, h == 0 ? 1 : 4);
    }
    sigmoid_forward(ws->reg_sig, (size_t)Mx * 4);
    for (int t = 0; t < Mx; t++) {
        const int i = t % Nx, gy = i / c->search_w, gx = i % c->search_w;
        const float cx = ((float)gx + 0.5f) / (float)c->search_w;
        const float cy = ((float)gy + 0.5f) / (float)c->search_h;
        const float *o = ws->reg_sig + (size_t)t * 4;
        float *bx = ws->boxes + (size_t)t * 4;
        bx[0] = cx - o[0];
        bx[1] = cy - o[1];
        bx[2] = cx + o[2];
        bx[3] = cy + o[3];
    }
}
