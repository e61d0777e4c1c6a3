/*
 * prepare.c — the model's matrices as its compute backend holds them: binding the handles of
 * kernels/compute.h to the parameter views, packing them for a precision, making the packs
 * again after the values change, and releasing the fp32 copies a bf16 / int8 model no longer
 * reads (the frozen block is rebuilt without them, so the memory really goes).
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static void bind(compute_weight *w, const float *f32, int N, int K) {
    memset(w, 0, sizeof *w);
    w->f32 = f32;
    w->N = N;
    w->K = K;
}

/* Calls fn on every matrix handle of the model: frozen = a frozen backbone matrix, quantisable =
 * one of the blocks' linears (what int8 quantises). */
typedef void (*handle_fn)(void *ctx, compute_weight *w, int frozen, int quantisable);

static void for_each_handle(lorat_model *m, handle_fn fn, void *ctx) {
    const model_config *c = &m->cfg;
    fn(ctx, &m->w.patch_lin, 1, 0);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 3; k++) fn(ctx, &m->w.head_lin[h][k], 0, 0);
    const int lora = c->lora_rank > 0 && !c->lora_merged;
    for (int l = 0; l < c->depth; l++) {
        block_linears *li = &m->w.blocks[l].lin;
        fn(ctx, &li->qkv, 1, 1);
        fn(ctx, &li->proj, 1, 1);
        fn(ctx, &li->fc1, 1, 1);
        fn(ctx, &li->fc2, 1, 1);
        for (int s = 0; lora && s < LORA_SITES; s++) {
            fn(ctx, &li->lora_A[s], 0, 0);
            fn(ctx, &li->lora_B[s], 0, 0);
        }
    }
}

typedef struct visit {
    lorat_model *m;
    const compute_backend *be;
    compute_use use;
    int all;
    size_t bytes;
    lorat_status st;
    lorat_error *err;
} visit;

static void visit_free(void *ctx, compute_weight *w, int frozen, int quantisable) {
    visit *v = ctx;
    v->be->ops->weight_free(v->be, w);
}

static void visit_pack(void *ctx, compute_weight *w, int frozen, int quantisable) {
    visit *v = ctx;
    if (v->st) return;
    const int quantise = v->be->precision == LORAT_PRECISION_INT8 && quantisable &&
                         v->use == COMPUTE_INFERENCE;
    v->st = v->be->ops->weight_pack(v->be, w, v->use, quantise, v->err);
}

static void visit_refresh(void *ctx, compute_weight *w, int frozen, int quantisable) {
    visit *v = ctx;
    if (v->all || !frozen) v->be->ops->weight_refresh(v->be, w);
}

static void visit_bytes(void *ctx, compute_weight *w, int frozen, int quantisable) {
    visit *v = ctx;
    v->bytes += w->packed_bytes;
}

void model_bind_linears(lorat_model *m) {
    const model_config *c = &m->cfg;
    model_weights *w = &m->w;
    const int D = c->dim, H = c->ffn_hidden, r = c->lora_rank, p = c->patch;
    const int fc1_out = c->swiglu ? 2 * H : H;
    const int lora = r > 0 && !c->lora_merged;
    bind(&w->patch_lin, w->patch_w, D, 3 * p * p);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 3; k++)
            bind(&w->head_lin[h][k], w->head_w[h][k], k < 2 ? D : (h == 0 ? 1 : 4), D);
    for (int l = 0; l < c->depth; l++) {
        block_weights *b = &w->blocks[l];
        block_linears *li = &b->lin;
        bind(&li->qkv, b->qkv_w, 3 * D, D);
        bind(&li->proj, b->proj_w, D, D);
        bind(&li->fc1, b->fc1_w, fc1_out, D);
        bind(&li->fc2, b->fc2_w, D, H);
        for (int s = 0; s < LORA_SITES; s++) {
            const int in = s == LORA_FC2 ? H : D, out = s == LORA_FC1 ? fc1_out : D;
            if (lora) {
                bind(&li->lora_A[s], b->lora[s].A, r, in);
                bind(&li->lora_B[s], b->lora[s].B, out, r);
            } else {
                memset(&li->lora_A[s], 0, sizeof li->lora_A[s]);
                memset(&li->lora_B[s], 0, sizeof li->lora_B[s]);
            }
        }
    }
    if (!m->be) m->be = compute_fp32();
}

void model_unpack(lorat_model *m) {
    if (!m->be || m->be == compute_fp32()) return;
    visit v = {.m = m, .be = m->be};
    for_each_handle(m, visit_free, &v);
}

lorat_status model_release_frozen(lorat_model *m, lorat_error *err) {
    if (m->f32_released) return LORAT_STATUS_OK;
    if (!m->be || m->be == compute_fp32())
        return err_set(err, LORAT_STATUS_INTERNAL, "fp32 weights are released only once a bf16 or int8 backend holds them");
    const model_weights *w = &m->w;
    const model_config *c = &m->cfg;
    /* The released views, by pointer. */
    const float **gone = calloc((size_t)(1 + 4 * c->depth), sizeof *gone);
    if (!gone) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the release list");
    int n_gone = 0;
    gone[n_gone++] = w->patch_w;
    for (int l = 0; l < c->depth; l++) {
        gone[n_gone++] = w->blocks[l].qkv_w;
        gone[n_gone++] = w->blocks[l].proj_w;
        gone[n_gone++] = w->blocks[l].fc1_w;
        gone[n_gone++] = w->blocks[l].fc2_w;
    }
    size_t size = 0;
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role != PARAM_FROZEN) continue;
        int is_gone = 0;
        for (int k = 0; k < n_gone && !is_gone; k++) is_gone = *p->slot == gone[k];
        if (!is_gone) size += (p->numel + 15) & ~(size_t)15;
    }
    float *frozen = aligned_alloc(64, sizeof(float) * (size ? size : 16));
    if (!frozen) {
        free(gone);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate %.1f MB of parameters",
                       size * 4e-6);
    }
    size_t off = 0;
    for (int i = 0; i < m->n_params; i++) {
        param_desc *p = &m->params[i];
        if (p->role != PARAM_FROZEN) continue;
        int is_gone = 0;
        for (int k = 0; k < n_gone && !is_gone; k++) is_gone = *p->slot == gone[k];
        if (is_gone) {
            *p->slot = NULL;
            p->offset = (size_t)-1;
            continue;
        }
        memcpy(frozen + off, *p->slot, sizeof(float) * p->numel);
        *p->slot = frozen + off;
        p->offset = off;
        off += (p->numel + 15) & ~(size_t)15;
    }
    free(gone);
    free(m->frozen);
    m->frozen = frozen;
    m->n_frozen = size;
    m->w.patch_lin.f32 = NULL;
    for (int l = 0; l < c->depth; l++) {
        block_linears *li = &m->w.blocks[l].lin;
        li->qkv.f32 = li->proj.f32 = li->fc1.f32 = li->fc2.f32 = NULL;
    }
    m->f32_released = 1;
    return LORAT_STATUS_OK;
}

lorat_status model_prepare(lorat_model *m, lorat_precision precision, compute_use use,
                           lorat_error *err) {
    if (m->f32_released)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the model's fp32 weights were released when it was prepared for %s: load "
                       "it again to use another precision",
                       compute_precision_name(m->be->precision));
    if (use == COMPUTE_TRAINING && precision == LORAT_PRECISION_INT8)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "int8 is for inference only: train with --precision fp32 or bf16");
    const compute_backend *be = NULL;
    lorat_status st = compute_backend_create(precision, &be, err);
    if (st) return st;
    model_unpack(m);
    if (m->be && m->be != compute_fp32()) compute_backend_free(m->be);
    m->be = be;
    m->use = use;
    visit v = {.m = m, .be = be, .use = use, .err = err};
    for_each_handle(m, visit_pack, &v);
    if (v.st) {
        model_unpack(m);
        return v.st;
    }
    if (be != compute_fp32() && use == COMPUTE_INFERENCE) /* the backend holds its own copy */
        return model_release_frozen(m, err);
    return LORAT_STATUS_OK;
}

void model_weights_changed(lorat_model *m, int all) {
    if (!m->be || m->be == compute_fp32()) return;
    visit v = {.m = m, .be = m->be, .all = all};
    for_each_handle(m, visit_refresh, &v);
}

size_t model_weight_bytes(const lorat_model *m) {
    visit v = {.be = m->be};
    for_each_handle((lorat_model *)m, visit_bytes, &v);
    return (m->n_frozen + m->n_trainable) * sizeof(float) + v.bytes;
}

lorat_status lorat_model_set_precision(lorat_model *m, lorat_precision precision,
                                       lorat_error *err) {
    if ((int)precision < 0 || precision > LORAT_PRECISION_INT8)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "precision %d is not one of fp32, bf16, int8",
                       (int)precision);
    if (m->be && m->be->precision == precision && m->use == COMPUTE_INFERENCE)
        return LORAT_STATUS_OK;
    return model_prepare(m, precision, COMPUTE_INFERENCE, err);
}

lorat_precision lorat_model_get_precision(const lorat_model *m) {
    return m->be ? m->be->precision : LORAT_PRECISION_FP32;
}

const char *lorat_precision_name(lorat_precision p) {
    return compute_precision_name(p);
}
