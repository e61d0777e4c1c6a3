/*
 * backward.c — the backward pass of LoRAT, layer by layer in reverse (llm.c style), from the
 * loss gradients of the score map and boxes to every parameter gradient.
 *
 * Through a frozen linear only the input gradient flows (dinp = dout·W); its weight gradient is
 * computed only in full mode (model_grad_of returns NULL for frozen tensors otherwise, and every
 * kernel skips a NULL gradient). So gradients reach the LoRA tensors of early blocks through the
 * frozen later ones at the cost of one GEMM per frozen linear, not two.
 */
#include <string.h>

#include "model/backward.h"

void model_backward(const lorat_model *m, train_workspace *ws, model_grads *g, const float *dscore,
                    const float *dboxes, const uint8_t *z_mask) {
    const model_config *c = &m->cfg;
    const model_weights *w = &m->w;
    const int B = ws->B, D = c->dim, H = c->ffn_hidden, r = c->lora_rank;
    const int Nz = ws->Nz, Nx = ws->Nx, N = ws->N, M = B * N, Mx = B * Nx;
    const int fc1_out = c->swiglu ? 2 * H : H;
    const int lora = r > 0 && !c->lora_merged;
    const float s = config_lora_scaling(c);
    compute_ctx *k = ws->ctx;
    const compute_ops *op = k->ops;
    const forward_acts *fa = &ws->fa;
#define G(param) model_grad_of(m, g, (param))

    /* Head: the loss gradients into the backend's memory, through the box decode. */
    op->upload(k, ws->d_score, dscore, (size_t)Mx);
    op->upload(k, ws->d_boxes, dboxes, (size_t)Mx * 4);
    op->box_decode_backward(k, ws->d_out, ws->d_boxes, fa->reg_sig, (size_t)Mx);
    for (int h = 0; h < 2; h++) {
        const int outs = h == 0 ? 1 : 4;
        const float *dout = h == 0 ? ws->d_score : ws->d_out;
        op->linear_backward(k, ws->d_head[0], G(w->head_w[h][2]), G(w->head_b[h][2]), dout, outs,
                            fa->head_act[h][1], &w->head_lin[h][2], Mx, 0);
        op->gelu_backward(k, ws->d_head[0], ws->d_head[0], fa->head_pre[h][1], Mx, D);
        op->linear_backward(k, ws->d_head[1], G(w->head_w[h][1]), G(w->head_b[h][1]),
                            ws->d_head[0], D, fa->head_act[h][0], &w->head_lin[h][1], Mx, 0);
        op->gelu_backward(k, ws->d_head[1], ws->d_head[1], fa->head_pre[h][0], Mx, D);
        op->linear_backward(k, ws->d_head_in, G(w->head_w[h][0]), G(w->head_b[h][0]),
                            ws->d_head[1], D, fa->head_in, &w->head_lin[h][0], Mx, h > 0);
    }

    /* Final norm: the template rows got no gradient from the head. */
    float *d_normed = ws->d_ln;
    op->scatter_rows(k, d_normed, ws->d_head_in, B, N, Nz, Nx, D);
    op->zero(k, ws->d_res, (size_t)M * D);
    op->layernorm_backward(k, ws->d_res, G(w->norm_w), G(w->norm_b), d_normed, ws->res_out,
                           w->norm_w, fa->nmean, fa->nrstd, M, D);

    /* Blocks, last first. d_res is the gradient of the stream leaving the block; both residual
     * branches pass it through unchanged and add their LayerNorm input gradient to it. */
    for (int l = c->depth - 1; l >= 0; l--) {
        const block_weights *bw = &w->blocks[l];
        const block_linears *li = &bw->lin;
        const block_acts *a = &ws->blocks[l];
        const lora_pair *lp = bw->lora;

        op->residual_backward(k, ws->d_y, G(bw->ls2), G(bw->fc2_b), ws->d_res,
                              ws->full ? a->y2 : NULL, bw->fc2_b, bw->ls2, M, D);
        if (ws->recompute) { /* this block's MLP activation, as the forward computed it */
            if (c->swiglu) {
                op->swiglu(k, a->act, a->hpre, NULL, M, H);
            } else {
                op->copy(k, a->act, a->hpre, (size_t)M * H);
                op->gelu(k, a->act, NULL, M, H);
            }
        }
        op->linear_backward(k, ws->d_act, G(bw->fc2_w), NULL, ws->d_y, D, a->act, &li->fc2, M, 0);
        if (lora)
            op->lora_backward(k, ws->d_act, G(lp[LORA_FC2].A), G(lp[LORA_FC2].B), ws->d_y, D,
                              a->act, a->u_fc2, &li->lora_A[LORA_FC2], &li->lora_B[LORA_FC2], s,
                              ws->d_lora, M);
        if (c->swiglu)
            op->swiglu_backward(k, ws->d_hidden, ws->d_act, a->hpre, M, H);
        else
            op->gelu_backward(k, ws->d_hidden, ws->d_act, a->hpre, M, H);
        if (ws->recompute)
            op->layernorm(k, a->ln2, a->mean2, a->rstd2, a->res_mid, bw->norm2_w, bw->norm2_b,
                          c->layernorm_eps, M, D);
        op->linear_backward(k, ws->d_ln, G(bw->fc1_w), G(bw->fc1_b), ws->d_hidden, fc1_out, a->ln2,
                            &li->fc1, M, 0);
        if (lora)
            op->lora_backward(k, ws->d_ln, G(lp[LORA_FC1].A), G(lp[LORA_FC1].B), ws->d_hidden,
                              fc1_out, a->ln2, a->u_fc1, &li->lora_A[LORA_FC1],
                              &li->lora_B[LORA_FC1], s, ws->d_lora, M);
        op->layernorm_backward(k, ws->d_res, G(bw->norm2_w), G(bw->norm2_b), ws->d_ln, a->res_mid,
                               bw->norm2_w, a->mean2, a->rstd2, M, D);

        op->residual_backward(k, ws->d_y, G(bw->ls1), G(bw->proj_b), ws->d_res,
                              ws->full ? a->y1 : NULL, bw->proj_b, bw->ls1, M, D);
        op->linear_backward(k, ws->d_att, G(bw->proj_w), NULL, ws->d_y, D, a->att, &li->proj, M,
                            0);
        if (lora)
            op->lora_backward(k, ws->d_att, G(lp[LORA_PROJ].A), G(lp[LORA_PROJ].B), ws->d_y, D,
                              a->att, a->u_proj, &li->lora_A[LORA_PROJ], &li->lora_B[LORA_PROJ],
                              s, ws->d_lora, M);
        op->attention_backward(k, ws->d_qkv, ws->d_att, a->qkv, B, N, c->heads, c->head_dim);
        if (ws->recompute)
            op->layernorm(k, a->ln1, a->mean1, a->rstd1, a->res_in, bw->norm1_w, bw->norm1_b,
                          c->layernorm_eps, M, D);
        op->linear_backward(k, ws->d_ln, G(bw->qkv_w), G(bw->qkv_b), ws->d_qkv, 3 * D, a->ln1,
                            &li->qkv, M, 0);
        if (lora)
            for (int q = 0; q < 3; q++)
                op->lora_backward(k, ws->d_ln, G(lp[q].A), G(lp[q].B), ws->d_qkv + (size_t)q * D,
                                  3 * D, a->ln1, a->u_qkv[q], &li->lora_A[q], &li->lora_B[q], s,
                                  ws->d_lora, M);
        op->layernorm_backward(k, ws->d_res, G(bw->norm1_w), G(bw->norm1_b), ws->d_ln, a->res_in,
                               bw->norm1_w, a->mean1, a->rstd1, M, D);
    }

    /* Embedding: d_res is now the gradient of tokens_embed = patches·Wᵀ + b + pos + type. */
    float *dtype = G(w->type_embed), *dpos = G(w->pos_embed);
    if (dtype || dpos)
        op->embed_backward(k, dpos, dtype, ws->d_res, z_mask, B, c->template_h, c->template_w,
                           c->search_h, c->search_w, D);
    if (G(w->patch_w) || G(w->patch_b))
        op->linear_backward(k, NULL, G(w->patch_w), G(w->patch_b), ws->d_res, D, fa->patches,
                            &w->patch_lin, M, 0);
#undef G
}

double model_train_flops(const model_config *c, int B, int full) {
    const double D = c->dim, H = c->ffn_hidden, L = c->depth, pp = 3.0 * c->patch * c->patch;
    const double r = c->lora_rank > 0 && !c->lora_merged ? c->lora_rank : 0;
    const double fc1_out = c->swiglu ? 2 * H : H;
    const double Nz = (double)c->template_w * c->template_h, Nx = (double)c->search_w * c->search_h;
    const double N = Nz + Nx, M = B * N, Mx = B * Nx;
    /* MACs of one pass through each part (forward); one MAC = 2 FLOPs. */
    const double patch = M * pp * D;
    const double linears = L * M * (3 * D * D + D * D + fc1_out * D + H * D);
    const double lora = L * M * r * (3 * (D + D) + (D + D) + (D + fc1_out) + (H + D));
    const double attn = L * B * 2 * N * N * D;
    const double head = Mx * (2 * 2 * D * D + D + 4 * D);
    const double fwd = patch + linears + lora + attn + head;
    /* Backward: frozen linears give dinp only (1×; 2× with dW in full mode); LoRA 2× (dA, dB,
     * du, dinp); attention 2.5× (recomputed scores + dV, dP, dQ, dK); head 2×; the patch
     * embedding needs dW only in full mode. */
    const double bwd =
        (full ? 2 : 1) * linears + 2 * lora + 2.5 * attn + 2 * head + (full ? patch : 0);
    return 2.0 * (fwd + bwd);
}
