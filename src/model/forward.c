/*
 * forward.c — the LoRAT forward pass (spec §1): patch embedding, position and token-type
 * embeddings, the DINOv2 blocks over template+search tokens, the final norm and the MLP head.
 * One pass serves inference and training: where it writes each activation is the caller's
 * forward_acts (training keeps every block's; inference reuses a few buffers), so the two
 * cannot drift apart. Every kernel runs through the model's compute backend.
 *
 * The inference workspace is planned once for a batch size; a forward call allocates nothing.
 * Each block needs only the residual stream, one normalised copy, the qkv projection, one D-wide
 * output and the FFN hidden layer. LoRA, when not merged, runs as y = Wx + b + s·B(Ax) beside
 * each frozen linear.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"

const char *const forward_stage_names[STAGE_COUNT] = {"embed", "norm+qkv", "attention", "proj",
                                                       "ffn", "head"};

struct model_workspace {
    int B, N, Nz, Nx;
    forward_acts fa;
    block_acts *blocks; /* depth, every one pointing at the same buffers */
    compute_ctx *ctx;
    float *block;
};

compute_plan model_compute_plan(const lorat_model *m, int B, compute_use use) {
    const model_config *c = &m->cfg;
    const int fc1_out = c->swiglu ? 2 * c->ffn_hidden : c->ffn_hidden;
    const int pp = 3 * c->patch * c->patch;
    int wide = fc1_out > pp ? fc1_out : pp;
    wide = wide > 3 * c->dim ? wide : 3 * c->dim;
    compute_plan p = {
        .threads = omp_get_max_threads(),
        .B = B,
        .N = c->template_w * c->template_h + c->search_w * c->search_h,
        .heads = c->heads,
        .head_dim = c->head_dim,
        .max_width = wide,
        .use = use,
    };
    return p;
}

lorat_status model_workspace_create(const lorat_model *m, int B, model_workspace **out,
                                    lorat_error *err) {
    *out = NULL;
    const model_config *c = &m->cfg;
    model_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the workspace");
    ws->blocks = calloc((size_t)c->depth, sizeof *ws->blocks);
    if (!ws->blocks) {
        free(ws);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the workspace");
    }
    ws->B = B;
    ws->Nz = c->template_w * c->template_h;
    ws->Nx = c->search_w * c->search_h;
    ws->N = ws->Nz + ws->Nx;
    const compute_plan plan = model_compute_plan(m, B, COMPUTE_INFERENCE);
    lorat_status st = compute_ctx_create(m->be, &plan, &ws->ctx, err);
    if (st) {
        model_workspace_free(ws);
        return st;
    }
    const size_t D = c->dim, BN = (size_t)B * ws->N, BNx = (size_t)B * ws->Nx;
    const size_t H = c->ffn_hidden, fc1_out = c->swiglu ? 2 * H : H;
    const size_t pp = 3 * (size_t)c->patch * c->patch;
    const size_t r = c->lora_rank > 0 ? c->lora_rank : 1;
    float *tokens, *ln, *qkv, *attn, *hidden, *hidden2, *lora, *head_a, *head_b;
    forward_acts *fa = &ws->fa;
    struct {
        float **p;
        size_t n;
    } plan_[] = {
        {&tokens, BN * D},         {&ln, BN * D},
        {&qkv, BN * 3 * D},        {&attn, BN * D},
        {&hidden, BN * fc1_out},   {&hidden2, c->swiglu ? BN * H : 16},
        {&fa->patches, BN * pp},   {&lora, BN * r},
        {&fa->head_in, BNx * D},   {&head_a, BNx * D},
        {&head_b, BNx * D},        {&fa->reg_sig, BNx * 4},
        {&fa->score, BNx},         {&fa->boxes, BNx * 4},
    };
    const int n_plan = (int)(sizeof plan_ / sizeof plan_[0]);
    size_t total = 0;
    for (int i = 0; i < n_plan; i++) total += (plan_[i].n + 15) & ~(size_t)15;
    ws->block = ws->ctx->ops->buffer_alloc(ws->ctx, total * sizeof(float));
    if (!ws->block) {
        model_workspace_free(ws);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "cannot allocate %.1f MB of activations for batch %d", total * 4.0 / 1e6, B);
    }
    size_t off = 0;
    for (int i = 0; i < n_plan; i++) {
        *plan_[i].p = ws->block + off;
        off += (plan_[i].n + 15) & ~(size_t)15;
    }
    /* Every block in place on the same buffers: the stream is updated where it is, LN1 and LN2
     * share one buffer that also takes the proj output (LN1's output is dead by then), the FFN
     * output reuses the attention output, GELU runs in place. */
    const block_acts shared = {
        .res_in = tokens, .ln1 = ln, .qkv = qkv, .att = attn, .y1 = ln, .res_mid = tokens,
        .ln2 = ln, .hpre = hidden, .act = c->swiglu ? hidden2 : hidden, .y2 = attn,
        .res_out = tokens,
        .u_qkv = {lora, lora, lora}, .u_proj = lora, .u_fc1 = lora, .u_fc2 = lora,
    };
    for (int l = 0; l < c->depth; l++) ws->blocks[l] = shared;
    fa->blocks = ws->blocks;
    fa->normed = ln;
    for (int h = 0; h < 2; h++) {
        fa->head_pre[h][0] = fa->head_act[h][0] = head_a;
        fa->head_pre[h][1] = fa->head_act[h][1] = head_b;
    }
    *out = ws;
    return LORAT_STATUS_OK;
}

void model_workspace_free(model_workspace *ws) {
    if (!ws) return;
    if (ws->ctx) {
        ws->ctx->ops->buffer_free(ws->ctx, ws->block);
        compute_ctx_free(ws->ctx);
    }
    free(ws->blocks);
    free(ws);
}

int model_workspace_threads(const model_workspace *ws) {
    return ws->ctx->plan.threads;
}

const char *model_workspace_failure(const model_workspace *ws) {
    return ws->ctx->ops->failure(ws->ctx);
}

static double stage_begin(const forward_probe *probe) {
    return probe && probe->timing ? omp_get_wtime() : 0.0;
}

static void stage_end(forward_probe *probe, int stage, double t0) {
    if (probe && probe->timing) probe->seconds[stage] += omp_get_wtime() - t0;
}

/* out = inp·Wᵀ [+ s·(inp·Aᵀ)·Bᵀ, u = inp·Aᵀ kept]; the bias is left to the pass that follows. */
static void linear_lora(compute_ctx *k, float *out, int ldo, const float *inp,
                        const compute_weight *W, const compute_weight *A, const compute_weight *B,
                        float s, float *u, int M) {
    k->ops->linear(k, out, ldo, inp, W, NULL, M);
    if (A) k->ops->lora(k, out, ldo, inp, A, B, s, u, M);
}

void model_forward_acts(const lorat_model *m, compute_ctx *k, const forward_acts *a,
                        const float *z, const float *x, const uint8_t *z_mask, int B, float *score,
                        float *boxes, forward_probe *probe) {
    const model_config *c = &m->cfg;
    const model_weights *w = &m->w;
    const compute_ops *op = k->ops;
    const int D = c->dim, H = c->ffn_hidden, p = c->patch, r = c->lora_rank;
    const int Nz = c->template_w * c->template_h, Nx = c->search_w * c->search_h, N = Nz + Nx;
    const int M = B * N, Mx = B * Nx;
    const int fc1_out = c->swiglu ? 2 * H : H;
    const int lora = r > 0 && !c->lora_merged;
    const float s = config_lora_scaling(c);
    char name[32];

    /* 1. Embedding: one GEMM over the patches of every template and search image, then position
     *    (the template takes the top-left Hz×Wz corner of the search grid) and token type. */
    float *tok = a->blocks[0].res_in;
    {
        double t0 = stage_begin(probe);
        op->patchify(k, a->patches, z, x, B, c->template_h, c->template_w, c->search_h,
                     c->search_w, p);
        op->linear(k, tok, D, a->patches, &w->patch_lin, NULL, M);
        op->embed(k, tok, w->patch_b, w->pos_embed, w->type_embed, z_mask, B, c->template_h,
                  c->template_w, c->search_h, c->search_w, D);
        stage_end(probe, STAGE_EMBED, t0);
    }
    if (probe && probe->on_tokens) probe->on_tokens(probe->ctx, "tokens_embed", tok, B, N, D);

    /* 2. Blocks: x += γ1·proj(attn(LN1 x)); x += γ2·FFN(LN2 x). */
    for (int l = 0; l < c->depth; l++) {
        const block_weights *bw = &w->blocks[l];
        const block_linears *li = &bw->lin;
        const block_acts *ba = &a->blocks[l];
        {
            double t0 = stage_begin(probe);
            op->layernorm(k, ba->ln1, ba->mean1, ba->rstd1, ba->res_in, bw->norm1_w, bw->norm1_b,
                          c->layernorm_eps, M, D);
            op->linear(k, ba->qkv, 3 * D, ba->ln1, &li->qkv, NULL, M);
            if (lora)
                for (int q = 0; q < 3; q++)
                    op->lora(k, ba->qkv + (size_t)q * D, 3 * D, ba->ln1, &li->lora_A[q],
                             &li->lora_B[q], s, ba->u_qkv[q], M);
            op->bias(k, ba->qkv, 3 * D, bw->qkv_b, M, 3 * D);
            stage_end(probe, STAGE_NORM_QKV, t0);
        }
        {
            double t0 = stage_begin(probe);
            op->attention(k, ba->att, ba->qkv, B, N, c->heads, c->head_dim);
            stage_end(probe, STAGE_ATTENTION, t0);
        }
        {
            double t0 = stage_begin(probe);
            linear_lora(k, ba->y1, D, ba->att, &li->proj, lora ? &li->lora_A[LORA_PROJ] : NULL,
                        &li->lora_B[LORA_PROJ], s, ba->u_proj, M);
            if (ba->res_mid != ba->res_in) op->copy(k, ba->res_mid, ba->res_in, (size_t)M * D);
            op->residual(k, ba->res_mid, ba->y1, bw->proj_b, bw->ls1, M, D);
            stage_end(probe, STAGE_PROJ, t0);
        }
        {
            double t0 = stage_begin(probe);
            op->layernorm(k, ba->ln2, ba->mean2, ba->rstd2, ba->res_mid, bw->norm2_w, bw->norm2_b,
                          c->layernorm_eps, M, D);
            linear_lora(k, ba->hpre, fc1_out, ba->ln2, &li->fc1,
                        lora ? &li->lora_A[LORA_FC1] : NULL, &li->lora_B[LORA_FC1], s, ba->u_fc1,
                        M);
            /* The bias joins the activation's pass when hpre need not be kept with it. */
            if (c->swiglu) {
                op->bias(k, ba->hpre, fc1_out, bw->fc1_b, M, fc1_out);
                op->swiglu(k, ba->act, ba->hpre, NULL, M, H);
            } else if (ba->act == ba->hpre) {
                op->gelu(k, ba->hpre, bw->fc1_b, M, H);
            } else {
                op->bias(k, ba->hpre, fc1_out, bw->fc1_b, M, fc1_out);
                op->copy(k, ba->act, ba->hpre, (size_t)M * H);
                op->gelu(k, ba->act, NULL, M, H);
            }
            linear_lora(k, ba->y2, D, ba->act, &li->fc2, lora ? &li->lora_A[LORA_FC2] : NULL,
                        &li->lora_B[LORA_FC2], s, ba->u_fc2, M);
            if (ba->res_out != ba->res_mid) op->copy(k, ba->res_out, ba->res_mid, (size_t)M * D);
            op->residual(k, ba->res_out, ba->y2, bw->fc2_b, bw->ls2, M, D);
            stage_end(probe, STAGE_FFN, t0);
        }
        if (probe && probe->on_tokens) {
            snprintf(name, sizeof name, "tokens_block%d", l);
            probe->on_tokens(probe->ctx, name, ba->res_out, B, N, D);
        }
    }

    /* 3. Final norm (all tokens), then the head on the search tokens. */
    const float *res = a->blocks[c->depth - 1].res_out;
    {
        double t0 = stage_begin(probe);
        op->layernorm(k, a->normed, a->nmean, a->nrstd, res, w->norm_w, w->norm_b,
                      c->layernorm_eps, M, D);
        stage_end(probe, STAGE_HEAD, t0);
    }
    if (probe && probe->on_tokens) probe->on_tokens(probe->ctx, "tokens_norm", a->normed, B, N, D);
    {
        double t0 = stage_begin(probe);
        op->gather_rows(k, a->head_in, a->normed, B, N, Nz, Nx, D);
        for (int h = 0; h < 2; h++) {
            const float *in = a->head_in;
            for (int q = 0; q < 2; q++) {
                if (a->head_act[h][q] == a->head_pre[h][q]) { /* bias inside the GELU pass */
                    op->linear(k, a->head_pre[h][q], D, in, &w->head_lin[h][q], NULL, Mx);
                    op->gelu(k, a->head_act[h][q], w->head_b[h][q], Mx, D);
                } else {
                    op->linear(k, a->head_pre[h][q], D, in, &w->head_lin[h][q], w->head_b[h][q],
                               Mx);
                    op->copy(k, a->head_act[h][q], a->head_pre[h][q], (size_t)Mx * D);
                    op->gelu(k, a->head_act[h][q], NULL, Mx, D);
                }
                in = a->head_act[h][q];
            }
            const int outs = h == 0 ? 1 : 4;
            op->linear(k, h == 0 ? a->score : a->reg_sig, outs, in, &w->head_lin[h][2],
                       w->head_b[h][2], Mx);
        }
        /* Boxes: (l,t,r,b) = sigmoid(reg) around the cell's reference point, normalised xyxy;
         * then the two outputs into the caller's memory. */
        op->sigmoid(k, a->reg_sig, (size_t)Mx * 4);
        op->box_decode(k, a->boxes, a->reg_sig, B, c->search_w, c->search_h);
        op->download(k, score, a->score, (size_t)Mx);
        op->download(k, boxes, a->boxes, (size_t)Mx * 4);
        stage_end(probe, STAGE_HEAD, t0);
    }
}

void model_forward(const lorat_model *m, model_workspace *ws, const float *z, const float *x,
                   const uint8_t *z_mask, int B, float *score, float *boxes, forward_probe *probe) {
    model_forward_acts(m, ws->ctx, &ws->fa, z, x, z_mask, B, score, boxes, probe);
}
