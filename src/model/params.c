/*
 * params.c — the parameter layout of a LoRAT model: which tensors exist for a configuration,
 * their official names and shapes, and where each lives in the frozen or trainable block.
 * Also the LoRA merge and the parameter / MAC counts.
 */
#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

typedef struct layout {
    param_desc *p;
    int n, cap;
    int failed; /* an allocation failed: the layout is incomplete */
} layout;

static void add(layout *l, float **slot, param_role role, param_kind kind, int ndim, const int64_t *shape,
                const char *fmt, ...) {
    if (l->failed) return;
    if (l->n == l->cap) {
        const int cap = l->cap ? 2 * l->cap : 64;
        param_desc *grown = realloc(l->p, sizeof *l->p * cap);
        if (!grown) {
            l->failed = 1;
            return;
        }
        l->p = grown;
        l->cap = cap;
    }
    param_desc *d = &l->p[l->n++];
    memset(d, 0, sizeof *d);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->name, sizeof d->name, fmt, ap);
    va_end(ap);
    d->ndim = ndim;
    d->numel = 1;
    for (int i = 0; i < ndim; i++) {
        d->shape[i] = shape[i];
        d->numel *= (size_t)shape[i];
    }
    d->role = role;
    d->kind = kind;
    d->slot = slot;
}

#define SHAPE(...) (const int64_t[]){__VA_ARGS__}
#define ADD1(slot, role, kind, a, ...) add(l, slot, role, kind, 1, SHAPE(a), __VA_ARGS__)
#define ADD2(slot, role, kind, a, b, ...) add(l, slot, role, kind, 2, SHAPE(a, b), __VA_ARGS__)

static void layout_build(layout *l, const model_config *c, model_weights *w) {
    const int64_t D = c->dim, H = c->ffn_hidden, r = c->lora_rank, p = c->patch;
    const int64_t fc1_out = c->swiglu ? 2 * H : H;
    const char *fc1 = c->swiglu ? "w12" : "fc1", *fc2 = c->swiglu ? "w3" : "fc2";
    const int lora = c->lora_rank > 0 && !c->lora_merged;

    add(l, &w->patch_w, PARAM_FROZEN, PARAM_BACKBONE, 4, SHAPE(D, 3, p, p), "patch_embed.proj.weight");
    ADD1(&w->patch_b, PARAM_FROZEN, PARAM_BACKBONE, D, "patch_embed.proj.bias");
    add(l, &w->pos_embed, PARAM_FROZEN, PARAM_BACKBONE, 3, SHAPE(1, (int64_t)c->search_w * c->search_h, D),
        "pos_embed");
    for (int i = 0; i < c->depth; i++) {
        block_weights *b = &w->blocks[i];
        ADD1(&b->norm1_w, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.norm1.weight", i);
        ADD1(&b->norm1_b, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.norm1.bias", i);
        ADD2(&b->qkv_w, PARAM_FROZEN, PARAM_BACKBONE, 3 * D, D, "blocks.%d.attn.qkv.weight", i);
        ADD1(&b->qkv_b, PARAM_FROZEN, PARAM_BACKBONE, 3 * D, "blocks.%d.attn.qkv.bias", i);
        ADD2(&b->proj_w, PARAM_FROZEN, PARAM_BACKBONE, D, D, "blocks.%d.attn.proj.weight", i);
        ADD1(&b->proj_b, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.attn.proj.bias", i);
        ADD1(&b->ls1, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.ls1.gamma", i);
        ADD1(&b->norm2_w, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.norm2.weight", i);
        ADD1(&b->norm2_b, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.norm2.bias", i);
        ADD2(&b->fc1_w, PARAM_FROZEN, PARAM_BACKBONE, fc1_out, D, "blocks.%d.mlp.%s.weight", i, fc1);
        ADD1(&b->fc1_b, PARAM_FROZEN, PARAM_BACKBONE, fc1_out, "blocks.%d.mlp.%s.bias", i, fc1);
        ADD2(&b->fc2_w, PARAM_FROZEN, PARAM_BACKBONE, D, H, "blocks.%d.mlp.%s.weight", i, fc2);
        ADD1(&b->fc2_b, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.mlp.%s.bias", i, fc2);
        ADD1(&b->ls2, PARAM_FROZEN, PARAM_BACKBONE, D, "blocks.%d.ls2.gamma", i);
        if (lora) {
            static const char *const qkv[3] = {"q", "k", "v"};
            for (int s = 0; s < 3; s++) {
                ADD2(&b->lora[s].A, PARAM_TRAINABLE, PARAM_LORA, r, D, "blocks.%d.attn.qkv.%s.lora.A", i, qkv[s]);
                ADD2(&b->lora[s].B, PARAM_TRAINABLE, PARAM_LORA, D, r, "blocks.%d.attn.qkv.%s.lora.B", i, qkv[s]);
            }
            ADD2(&b->lora[LORA_PROJ].A, PARAM_TRAINABLE, PARAM_LORA, r, D, "blocks.%d.attn.proj.lora.A", i);
            ADD2(&b->lora[LORA_PROJ].B, PARAM_TRAINABLE, PARAM_LORA, D, r, "blocks.%d.attn.proj.lora.B", i);
            ADD2(&b->lora[LORA_FC1].A, PARAM_TRAINABLE, PARAM_LORA, r, D, "blocks.%d.mlp.%s.lora.A", i, fc1);
            ADD2(&b->lora[LORA_FC1].B, PARAM_TRAINABLE, PARAM_LORA, fc1_out, r, "blocks.%d.mlp.%s.lora.B", i, fc1);
            ADD2(&b->lora[LORA_FC2].A, PARAM_TRAINABLE, PARAM_LORA, r, H, "blocks.%d.mlp.%s.lora.A", i, fc2);
            ADD2(&b->lora[LORA_FC2].B, PARAM_TRAINABLE, PARAM_LORA, D, r, "blocks.%d.mlp.%s.lora.B", i, fc2);
        }
    }
    ADD1(&w->norm_w, PARAM_FROZEN, PARAM_BACKBONE, D, "norm.weight");
    ADD1(&w->norm_b, PARAM_FROZEN, PARAM_BACKBONE, D, "norm.bias");
    ADD2(&w->type_embed, PARAM_TRAINABLE, PARAM_TYPE_EMBED, 3, D, "token_type_embed");
    static const char *const mlp[2] = {"cls_mlp", "reg_mlp"};
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 3; k++) {
            int64_t out = k < 2 ? D : (h == 0 ? 1 : 4);
            ADD2(&w->head_w[h][k], PARAM_TRAINABLE, PARAM_HEAD, out, D, "head.%s.layers.%d.weight", mlp[h], k);
            ADD1(&w->head_b[h][k], PARAM_TRAINABLE, PARAM_HEAD, out, "head.%s.layers.%d.bias", mlp[h], k);
        }
}

/* Carves both blocks into the views named by the layout; frozen, if given, is an existing frozen
 * block to keep (its layout depends only on the backbone, the same with and without LoRA). Each view starts on a 16-float
 * (64-byte) boundary so that vector loads of any tensor are aligned. */
static lorat_status place(lorat_model *m, float *frozen, lorat_error *err) {
    size_t size[2] = {0, 0};
    for (int i = 0; i < m->n_params; i++) {
        param_desc *p = &m->params[i];
        p->offset = size[p->role];
        size[p->role] += (p->numel + 15) & ~(size_t)15;
    }
    m->n_frozen = size[PARAM_FROZEN];
    m->n_trainable = size[PARAM_TRAINABLE];
    m->frozen = frozen ? frozen : aligned_alloc(64, sizeof(float) * (m->n_frozen ? m->n_frozen : 16));
    m->trainable = aligned_alloc(64, sizeof(float) * (m->n_trainable ? m->n_trainable : 16));
    if (!m->frozen || !m->trainable)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate %.1f MB of parameters",
                       (m->n_frozen + m->n_trainable) * 4.0 / 1e6);
    if (!frozen) memset(m->frozen, 0, sizeof(float) * m->n_frozen);
    memset(m->trainable, 0, sizeof(float) * m->n_trainable);
    for (int i = 0; i < m->n_params; i++) {
        param_desc *p = &m->params[i];
        *p->slot = (p->role == PARAM_FROZEN ? m->frozen : m->trainable) + p->offset;
    }
    return LORAT_STATUS_OK;
}

lorat_status model_create(const model_config *cfg, lorat_model **out, lorat_error *err) {
    *out = NULL;
    lorat_model *m = calloc(1, sizeof *m);
    if (!m) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the model");
    m->cfg = *cfg;
    lorat_status st = config_validate(&m->cfg, err);
    if (st) {
        free(m);
        return st;
    }
    m->w.blocks = calloc((size_t)cfg->depth, sizeof *m->w.blocks);
    if (!m->w.blocks) {
        free(m);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the model's %d blocks",
                       cfg->depth);
    }
    layout l = {0};
    layout_build(&l, &m->cfg, &m->w);
    m->params = l.p;
    m->n_params = l.n;
    if (l.failed) {
        lorat_model_free(m);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the model's parameter list");
    }
    if ((st = place(m, NULL, err))) {
        lorat_model_free(m);
        return st ? st : err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the model");
    }
    model_bind_linears(m);
    *out = m;
    return LORAT_STATUS_OK;
}

void lorat_model_free(lorat_model *m) {
    if (!m) return;
    model_unpack(m);
    if (m->be && m->be != compute_fp32()) compute_backend_free(m->be);
    free(m->frozen);
    free(m->trainable);
    free(m->params);
    free(m->w.blocks);
    free(m);
}

lorat_status model_clone(const lorat_model *src, lorat_model **out, lorat_error *err) {
    if (src->f32_released)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "a model prepared for %s inference holds no fp32 weights to copy",
                       compute_precision_name(src->be->precision));
    lorat_status st = model_create(&src->cfg, out, err);
    if (st) return st;
    /* Same configuration, same layout: the blocks copy as they are. */
    memcpy((*out)->frozen, src->frozen, sizeof(float) * src->n_frozen);
    memcpy((*out)->trainable, src->trainable, sizeof(float) * src->n_trainable);
    return LORAT_STATUS_OK;
}

const param_desc *model_find_param(const lorat_model *m, const char *name) {
    for (int i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0) return &m->params[i];
    return NULL;
}

lorat_status model_set_param(lorat_model *m, const param_desc *p, const tensor_info *t,
                             const char *file, lorat_error *err) {
    char want[96], got[96];
    shape_str(want, sizeof want, p->ndim, p->shape);
    shape_str(got, sizeof got, t->ndim, t->shape);
    if (!dtype_is_float(t->dtype))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s has dtype %s, but a parameter must be F32, F16, BF16 or F64",
                       file, p->name, dtype_name(t->dtype));
    int same = t->ndim == p->ndim;
    for (int i = 0; same && i < p->ndim; i++) same = t->shape[i] == p->shape[i];
    if (!same) {
        const model_config *c = &m->cfg;
        const char *hint = "the checkpoint was trained for another variant";
        if (p->kind == PARAM_LORA)
            hint = "the checkpoint was trained with another LoRA rank or for another backbone";
        else if (p->kind == PARAM_BACKBONE)
            hint = "is this the backbone of another size (ViT-S/14 has dim 384, B 768, L 1024, g 1536)?";
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s has shape %s but variant %s (dim %d, depth %d, FFN %d) "
                       "expects %s: %s",
                       file, p->name, got, c->variant, c->dim, c->depth, c->ffn_hidden, want, hint);
    }
    dtype_to_f32(*p->slot, t->data, t->dtype, p->numel);
    return LORAT_STATUS_OK;
}

lorat_status model_merge_lora(lorat_model *m, lorat_error *err) {
    const model_config *c = &m->cfg;
    if (c->lora_rank <= 0 || c->lora_merged) return LORAT_STATUS_OK;
    if (m->be != compute_fp32())
        return err_set(err, LORAT_STATUS_INTERNAL,
                       "LoRA is merged before the model is prepared for %s, not after",
                       compute_precision_name(m->be->precision));
    const float s = config_lora_scaling(c);
    const int D = c->dim, H = c->ffn_hidden, r = c->lora_rank;
    const int fc1_out = c->swiglu ? 2 * H : H;
    for (int i = 0; i < c->depth; i++) {
        block_weights *b = &m->w.blocks[i];
        /* (out,in) += s · B (out,r) · A (r,in); q, k, v each onto their third of the fused rows. */
        struct { float *W; int out, in; } site[LORA_SITES] = {
            {b->qkv_w, D, D}, {b->qkv_w + (size_t)D * D, D, D}, {b->qkv_w + (size_t)2 * D * D, D, D},
            {b->proj_w, D, D}, {b->fc1_w, fc1_out, D}, {b->fc2_w, D, H},
        };
        for (int k = 0; k < LORA_SITES; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, site[k].out, site[k].in, r, s,
                        b->lora[k].B, r, b->lora[k].A, site[k].in, 1.0f, site[k].W, site[k].in);
    }
    /* Rebuild the layout without the LoRA tensors around the same frozen block (no second copy
     * of the weights; its layout does not depend on LoRA); only head and type embedding move to
     * a new, smaller trainable block. The views are rebuilt in place: their slots point into m. */
    param_desc *old = m->params;
    int n_old = m->n_params;
    float *old_trainable = m->trainable;
    for (int i = 0; i < c->depth; i++) memset(m->w.blocks[i].lora, 0, sizeof m->w.blocks[i].lora);
    m->cfg.lora_merged = 1;
    layout l = {0};
    layout_build(&l, &m->cfg, &m->w);
    m->params = l.p;
    m->n_params = l.n;
    lorat_status st = l.failed ? err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the model's parameter list")
                               : place(m, m->frozen, err);
    if (st) {
        free(old);
        m->trainable = old_trainable; /* freed with the model */
        return st;
    }
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role != PARAM_TRAINABLE) continue;
        for (int k = 0; k < n_old; k++)
            if (!strcmp(old[k].name, p->name)) memcpy(*p->slot, old_trainable + old[k].offset, sizeof(float) * p->numel);
    }
    free(old);
    free(old_trainable);
    model_bind_linears(m);
    return LORAT_STATUS_OK;
}

void model_count(const model_config *c, model_counts *k) {
    memset(k, 0, sizeof *k);
    const int64_t D = c->dim, H = c->ffn_hidden, p = c->patch, L = c->depth;
    const int64_t r = c->lora_rank > 0 ? c->lora_rank : 0;
    const int64_t fc1_out = c->swiglu ? 2 * H : H;
    const int64_t Nz = (int64_t)c->template_w * c->template_h, Nx = (int64_t)c->search_w * c->search_h;
    const int64_t N = Nz + Nx;
    int64_t block = 4 * D + 2 * D + (3 * D * D + 3 * D) + (D * D + D) + (fc1_out * D + fc1_out) + (H * D + D);
    k->frozen = D * 3 * p * p + D + Nx * D + L * block + 2 * D;
    int64_t lora_block = 3 * (r * D + D * r) + (r * D + D * r) + (r * D + fc1_out * r) + (r * H + D * r);
    k->lora = L * lora_block;
    k->head = 2 * (2 * (D * D + D)) + (D + 1) + (4 * D + 4);
    k->type_embed = 3 * D;
    k->inference = k->frozen + k->head + k->type_embed;
    k->total = k->inference + k->lora;
    k->macs_patch = N * D * 3 * p * p;
    k->macs_blocks = L * N * (3 * D * D + D * D + fc1_out * D + H * D);
    k->macs_attention = L * 2 * N * N * D;
    k->macs_head = Nx * (2 * (2 * D * D) + D * 1 + D * 4);
    k->macs_total = k->macs_patch + k->macs_blocks + k->macs_attention + k->macs_head;
}
