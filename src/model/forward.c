/*
 * forward.c — the LoRAT forward pass (spec §1): patch embedding, position and token-type
 * embeddings, the DINOv2 blocks over template+search tokens, the final norm and the MLP head.
 *
 * Activations live in a workspace planned once for a batch size; a forward call allocates
 * nothing. Buffers are reused as the pass goes: each block needs only the residual stream, one
 * normalised copy, the qkv projection, one D-wide output and the FFN hidden layer. LoRA, when not
 * merged, runs as y = Wx + b + s·B(Ax) beside each frozen linear.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "model/model.h"

const char *const forward_stage_names[STAGE_COUNT] = {"embed", "norm+qkv", "attention", "proj",
                                                       "ffn", "head"};

struct model_workspace {
    int B, N, Nz, Nx;
    float *tokens;  /* (B,N,D) residual stream */
    float *ln;      /* (B,N,D) normalised input of a sub-layer; also the proj output */
    float *qkv;     /* (B,N,3D) */
    float *attn;    /* (B,N,D) attention output; also the FFN output */
    float *hidden;  /* (B,N,H or 2H) */
    float *hidden2; /* (B,N,H) SwiGLU product */
    float *patches; /* (B,N,3·p·p) im2col of template and search */
    float *scratch; /* attention scores, one N×N per thread */
    float *lora;    /* (B·N, r) */
    float *head_in, *head_a, *head_b; /* (B·Nx, D) */
    float *head_out;                  /* (B·Nx, 4) */
    float *block;
};

lorat_status model_workspace_create(const lorat_model *m, int B, model_workspace **out,
                                    lorat_error *err) {
    const model_config *c = &m->cfg;
    model_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the workspace");
    ws->B = B;
    ws->Nz = c->template_w * c->template_h;
    ws->Nx = c->search_w * c->search_h;
    ws->N = ws->Nz + ws->Nx;
    const size_t D = c->dim, BN = (size_t)B * ws->N, BNx = (size_t)B * ws->Nx;
    const size_t H = c->ffn_hidden, fc1_out = c->swiglu ? 2 * H : H;
    const size_t pp = 3 * (size_t)c->patch * c->patch;
    const size_t r = c->lora_rank > 0 ? c->lora_rank : 1;
    int threads = omp_get_max_threads();
    struct { float **p; size_t n; } plan[] = {
        {&ws->tokens, BN * D}, {&ws->ln, BN * D}, {&ws->qkv, BN * 3 * D}, {&ws->attn, BN * D},
        {&ws->hidden, BN * fc1_out}, {&ws->hidden2, c->swiglu ? BN * H : 16},
        {&ws->patches, BN * pp}, {&ws->scratch, attention_scratch_floats(ws->N, threads)},
        {&ws->lora, BN * r}, {&ws->head_in, BNx * D}, {&ws->head_a, BNx * D},
        {&ws->head_b, BNx * D}, {&ws->head_out, BNx * 4},
    };
    const int n_plan = (int)(sizeof plan / sizeof plan[0]);
    size_t total = 0;
    for (int i = 0; i < n_plan; i++) total += (plan[i].n + 15) & ~(size_t)15;
    ws->block = aligned_alloc(64, total * sizeof(float));
    if (!ws->block) {
        free(ws);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "cannot allocate %.1f MB of activations for batch %d", total * 4.0 / 1e6, B);
    }
    size_t off = 0;
    for (int i = 0; i < n_plan; i++) {
        *plan[i].p = ws->block + off;
        off += (plan[i].n + 15) & ~(size_t)15;
    }
    *out = ws;
    return LORAT_STATUS_OK;
}

void model_workspace_free(model_workspace *ws) {
    if (!ws) return;
    free(ws->block);
    free(ws);
}

/* Copies the p×p patches of an image (3,h·p,w·p) into rows of 3·p·p values, in the order of a
 * Conv2d weight (channel, ky, kx), so that the patch embedding is one GEMM. */
static void im2col(float *rows, const float *img, int gh, int gw, int p) {
    const int W = gw * p, HW = gh * p * W;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < gh * gw; t++) {
        int ty = t / gw, tx = t % gw;
        float *dst = rows + (size_t)t * 3 * p * p;
        for (int ch = 0; ch < 3; ch++)
            for (int ky = 0; ky < p; ky++)
                memcpy(dst + (ch * p + ky) * p, img + (size_t)ch * HW + (size_t)(ty * p + ky) * W + tx * p,
                       sizeof(float) * p);
    }
}

/* out = inp·Wᵀ [+ s·(inp·Aᵀ)·Bᵀ]; the bias is left to the elementwise pass that follows. */
static void linear_lora(float *out, int ldo, const float *inp, const float *W, const lora_pair *lp,
                        float s, float *tmp, int M, int K, int N, int r) {
    linear_forward(out, ldo, inp, W, NULL, M, K, N);
    if (lp && lp->A) lora_forward(out, ldo, inp, lp->A, lp->B, s, tmp, M, K, N, r);
}

static double now(void) {
    return omp_get_wtime();
}

static double stage_begin(const forward_probe *probe) {
    return probe && probe->timing ? now() : 0.0;
}

static void stage_end(forward_probe *probe, int stage, double t0) {
    if (probe && probe->timing) probe->seconds[stage] += now() - t0;
}

void model_forward(const lorat_model *m, model_workspace *ws, const float *z, const float *x,
                   const uint8_t *z_mask, int B, float *score, float *boxes, forward_probe *probe) {
    const model_config *c = &m->cfg;
    const model_weights *w = &m->w;
    const int D = c->dim, H = c->ffn_hidden, p = c->patch, r = c->lora_rank;
    const int Nz = ws->Nz, Nx = ws->Nx, N = ws->N, M = B * N;
    const int fc1_out = c->swiglu ? 2 * H : H;
    const int pp = 3 * p * p;
    const int lora = r > 0 && !c->lora_merged;
    const float s = config_lora_scaling(c);
    char name[32];

    /* 1. Embedding: one GEMM over the patches of every template and search image, then position
     *    (the template takes the top-left Hz×Wz corner of the search grid) and token type. */
    {
        double t0 = stage_begin(probe);
            const size_t zsz = (size_t)3 * Nz * p * p, xsz = (size_t)3 * Nx * p * p;
        for (int b = 0; b < B; b++) {
            im2col(ws->patches + (size_t)b * N * pp, z + b * zsz, c->template_h, c->template_w, p);
            im2col(ws->patches + ((size_t)b * N + Nz) * pp, x + b * xsz, c->search_h, c->search_w, p);
        }
        linear_forward(ws->tokens, D, ws->patches, w->patch_w, NULL, M, pp, D);
#pragma omp parallel for schedule(static)
        for (int t = 0; t < M; t++) {
            int b = t / N, i = t % N;
            float *tok = ws->tokens + (size_t)t * D;
            const float *pos, *type;
            if (i < Nz) {
                int ty = i / c->template_w, tx = i % c->template_w;
                pos = w->pos_embed + ((size_t)ty * c->search_w + tx) * D;
                type = w->type_embed + (size_t)(z_mask[(size_t)b * Nz + i] ? 1 : 0) * D;
            } else {
                pos = w->pos_embed + (size_t)(i - Nz) * D;
                type = w->type_embed + (size_t)2 * D;
            }
            for (int d = 0; d < D; d++) tok[d] = ((tok[d] + w->patch_b[d]) + pos[d]) + type[d];
        }
        stage_end(probe, STAGE_EMBED, t0);
    }
    if (probe && probe->on_tokens) probe->on_tokens(probe->ctx, "tokens_embed", ws->tokens, B, N, D);

    /* 2. Blocks: x += γ1·proj(attn(LN1 x)); x += γ2·FFN(LN2 x). */
    for (int l = 0; l < c->depth; l++) {
        const block_weights *bw = &w->blocks[l];
        const lora_pair *lp = lora ? bw->lora : NULL;
        {
            double t0 = stage_begin(probe);
                    layernorm_forward(ws->ln, ws->tokens, bw->norm1_w, bw->norm1_b, c->layernorm_eps, M, D);
            linear_forward(ws->qkv, 3 * D, ws->ln, bw->qkv_w, NULL, M, D, 3 * D);
            if (lp)
                for (int k = 0; k < 3; k++)
                    lora_forward(ws->qkv + (size_t)k * D, 3 * D, ws->ln, lp[k].A, lp[k].B, s, ws->lora,
                                 M, D, D, r);
            bias_forward(ws->qkv, 3 * D, bw->qkv_b, M, 3 * D);
            stage_end(probe, STAGE_NORM_QKV, t0);
        }
        {
            double t0 = stage_begin(probe);
            attention_forward(ws->attn, ws->qkv, ws->scratch, B, N, c->heads, c->head_dim);
            stage_end(probe, STAGE_ATTENTION, t0);
        }
        {
            double t0 = stage_begin(probe);
                    linear_lora(ws->ln, D, ws->attn, bw->proj_w, lp ? &lp[LORA_PROJ] : NULL, s,
                        ws->lora, M, D, D, r);
            residual_forward(ws->tokens, ws->ln, bw->proj_b, bw->ls1, M, D);
            stage_end(probe, STAGE_PROJ, t0);
        }
        {
            double t0 = stage_begin(probe);
                    layernorm_forward(ws->ln, ws->tokens, bw->norm2_w, bw->norm2_b, c->layernorm_eps, M, D);
            linear_lora(ws->hidden, fc1_out, ws->ln, bw->fc1_w, lp ? &lp[LORA_FC1] : NULL,
                        s, ws->lora, M, D, fc1_out, r);
            const float *act = ws->hidden;
            if (c->swiglu) {
                swiglu_forward(ws->hidden2, ws->hidden, bw->fc1_b, M, H);
                act = ws->hidden2;
            } else {
                gelu_forward(ws->hidden, bw->fc1_b, M, H);
            }
            linear_lora(ws->attn, D, act, bw->fc2_w, lp ? &lp[LORA_FC2] : NULL, s,
                        ws->lora, M, H, D, r);
            residual_forward(ws->tokens, ws->attn, bw->fc2_b, bw->ls2, M, D);
            stage_end(probe, STAGE_FFN, t0);
        }
        if (probe && probe->on_tokens) {
            snprintf(name, sizeof name, "tokens_block%d", l);
            probe->on_tokens(probe->ctx, name, ws->tokens, B, N, D);
        }
    }

    /* 3. Final norm (all tokens), then the head on the search tokens. */
    {
        double t0 = stage_begin(probe);
            layernorm_forward(ws->ln, ws->tokens, w->norm_w, w->norm_b, c->layernorm_eps, M, D);
        stage_end(probe, STAGE_HEAD, t0);
    }
    if (probe && probe->on_tokens) probe->on_tokens(probe->ctx, "tokens_norm", ws->ln, B, N, D);
    {
        double t0 = stage_begin(probe);
            const int Mx = B * Nx;
        for (int b = 0; b < B; b++)
            memcpy(ws->head_in + (size_t)b * Nx * D, ws->ln + ((size_t)b * N + Nz) * D,
                   sizeof(float) * Nx * D);
        for (int h = 0; h < 2; h++) {
            const int outs = h == 0 ? 1 : 4;
            linear_forward(ws->head_a, D, ws->head_in, w->head_w[h][0], NULL, Mx, D, D);
            gelu_forward(ws->head_a, w->head_b[h][0], Mx, D);
            linear_forward(ws->head_b, D, ws->head_a, w->head_w[h][1], NULL, Mx, D, D);
            gelu_forward(ws->head_b, w->head_b[h][1], Mx, D);
            linear_forward(h == 0 ? score : ws->head_out, outs, ws->head_b, w->head_w[h][2],
                           w->head_b[h][2], Mx, D, outs);
        }
        /* Boxes: (l,t,r,b) = sigmoid(reg) around the cell's reference point, normalised xyxy. */
        sigmoid_forward(ws->head_out, (size_t)Mx * 4);
        for (int t = 0; t < Mx; t++) {
            int i = t % Nx, gy = i / c->search_w, gx = i % c->search_w;
            float cx = ((float)gx + 0.5f) / (float)c->search_w;
            float cy = ((float)gy + 0.5f) / (float)c->search_h;
            const float *o = ws->head_out + (size_t)t * 4;
            float *bx = boxes + (size_t)t * 4;
            bx[0] = cx - o[0];
            bx[1] = cy - o[1];
            bx[2] = cx + o[2];
            bx[3] = cy + o[3];
        }
        stage_end(probe, STAGE_HEAD, t0);
    }
}
