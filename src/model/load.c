/*
 * load.c — getting weights into a model: from the files the authors publish (DINOv2 hub .pth +
 * LoRAT trainable-only checkpoint, spec §3) and from lorat's own canonical file; and writing the
 * canonical file.
 *
 * The official recipe: the backbone comes from DINOv2 (cls and mask tokens dropped; the 37×37
 * position grid resized bicubically to the search grid), LoRA / type embedding / head from the
 * checkpoint, with scaling alpha/r (alpha/√r for rsLoRA) or 1 when the checkpoint carries no
 * lora_alpha. Merging folds LoRA into the frozen weights in place: the weights are held once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "io/pth.h"
#include "kernels/kernels.h"
#include "io/safetensors.h"
#include "model/model.h"

/* A file of named tensors, whichever of the two formats it is in. */
typedef struct tensor_file {
    safetensors *st;
    pth_file *pth;
    const tensor_info *t;
    int n;
    const char *path;
} tensor_file;

static lorat_status tensor_file_open(const char *path, tensor_file *f, lorat_error *err) {
    memset(f, 0, sizeof *f);
    f->path = path;
    unsigned char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(err, LORAT_STATUS_IO, "%s: cannot open: %m", path);
    size_t got = fread(magic, 1, 4, fp);
    fclose(fp);
    lorat_status st;
    if (got == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
        st = pth_open(path, &f->pth, err);
        if (!st) f->t = pth_tensors(f->pth, &f->n);
    } else {
        /* .safetensors, and the official .bin checkpoints, which are safetensors too */
        st = safetensors_open(path, &f->st, err);
        if (!st) f->t = safetensors_tensors(f->st, &f->n);
    }
    return st;
}

static void tensor_file_close(tensor_file *f) {
    if (f->st) safetensors_close(f->st);
    if (f->pth) pth_close(f->pth);
    memset(f, 0, sizeof *f);
}

static const tensor_info *tensor_file_find(const tensor_file *f, const char *name) {
    return tensor_find(f->t, f->n, name);
}

static int64_t scalar_int(const tensor_info *t) {
    int64_t v = 0;
    switch (t->dtype) {
    case DTYPE_I64: memcpy(&v, t->data, 8); break;
    case DTYPE_I32: { int32_t x; memcpy(&x, t->data, 4); v = x; break; }
    case DTYPE_BOOL: case DTYPE_U8: v = *(const uint8_t *)t->data; break;
    default: { /* a float holding a whole number; anything else reads as -1 (out of every range) */
        float x;
        dtype_to_f32(&x, t->data, t->dtype, 1);
        v = isfinite(x) && fabsf(x) < 1e15f ? (int64_t)x : -1;
        break;
    }
    }
    return v;
}

lorat_status model_infer_backbone(const char *dinov2_path, model_config *cfg, lorat_error *err);

/* Reads the backbone's dimensions from its tensors (for files that are not a published variant). */
lorat_status model_infer_backbone(const char *dinov2_path, model_config *cfg, lorat_error *err) {
    tensor_file f;
    lorat_status st = tensor_file_open(dinov2_path, &f, err);
    if (st) return st;
    const tensor_info *pw = tensor_file_find(&f, "patch_embed.proj.weight");
    const tensor_info *pos = tensor_file_find(&f, "pos_embed");
    if (!pw || pw->ndim != 4 || !pos || pos->ndim != 3) {
        tensor_file_close(&f);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: no patch_embed.proj.weight (D,3,p,p) or pos_embed (1,1+G·G,D): not a "
                       "DINOv2 backbone state dict", dinov2_path);
    }
    /* Sizes read from the tensors, clamped into int before config_validate judges them (a value
     * past 2^31 becomes -1, never a wrapped one that looks valid). */
#define AS_INT(v) ((v) >= 0 && (v) <= INT32_MAX ? (int)(v) : -1)
    cfg->dim = AS_INT(pw->shape[0]);
    cfg->patch = AS_INT(pw->shape[2]);
    cfg->pos_grid = pos->shape[1] >= 2 && pos->shape[1] <= ((int64_t)1 << 40)
                        ? (int)lrint(sqrt((double)(pos->shape[1] - 1)))
                        : -1;
    cfg->depth = 0;
    char name[64];
    for (; cfg->depth <= 1024;) {
        snprintf(name, sizeof name, "blocks.%d.norm1.weight", cfg->depth);
        if (!tensor_file_find(&f, name)) break;
        cfg->depth++;
    }
    const tensor_info *w12 = tensor_file_find(&f, "blocks.0.mlp.w12.weight");
    const tensor_info *fc1 = tensor_file_find(&f, "blocks.0.mlp.fc1.weight");
    cfg->swiglu = w12 != NULL;
    cfg->ffn_hidden = w12 && w12->ndim >= 1 ? AS_INT(w12->shape[0] / 2)
                      : fc1 && fc1->ndim >= 1 ? AS_INT(fc1->shape[0])
                                              : 0;
#undef AS_INT
    if (cfg->heads <= 0) cfg->heads = cfg->dim / 64 > 0 ? cfg->dim / 64 : 1;
    tensor_file_close(&f);
    return LORAT_STATUS_OK;
}

/* The backbone: every DINOv2 tensor but cls_token/mask_token must map onto a frozen parameter,
 * and every frozen parameter must be there. */
static lorat_status load_backbone(lorat_model *m, const tensor_file *f, lorat_error *err) {
    const model_config *c = &m->cfg;
    for (int i = 0; i < f->n; i++) {
        const char *name = f->t[i].name;
        if (!strcmp(name, "cls_token") || !strcmp(name, "mask_token") || !strcmp(name, "pos_embed"))
            continue;
        const param_desc *p = model_find_param(m, name);
        if (!p || p->role != PARAM_FROZEN) {
            if (!strncmp(name, "blocks.", 7) && atoi(name + 7) >= c->depth)
                return err_set(err, LORAT_STATUS_FORMAT,
                               "%s: tensor %s belongs to a block beyond the %d of variant %s: is "
                               "this the backbone of a deeper model (S/B have 12 blocks, L 24, g 40)?",
                               f->path, name, c->depth, c->variant);
            if (!strcmp(name, "register_tokens"))
                return err_set(err, LORAT_STATUS_UNSUPPORTED,
                               "%s: a DINOv2 backbone with register tokens (reg4) is LoRATv2's, "
                               "not LoRAT's; use dinov2_vit*14_pretrain.pth", f->path);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: unexpected tensor %s: not a parameter of a DINOv2 backbone for "
                           "variant %s", f->path, name, c->variant);
        }
        lorat_status st = model_set_param(m, p, &f->t[i], f->path, err);
        if (st) return st;
    }
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role != PARAM_FROZEN || !strcmp(p->name, "pos_embed")) continue;
        if (!tensor_file_find(f, p->name))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: tensor %s is missing: the file is not a complete DINOv2 backbone "
                           "state dict", f->path, p->name);
    }
    /* pos_embed (1, 1 + G·G, D): drop the cls entry, resize the G×G grid to the search grid. */
    const tensor_info *pos = tensor_file_find(f, "pos_embed");
    const int64_t G = c->pos_grid, D = c->dim;
    if (!pos || pos->ndim != 3 || pos->shape[0] != 1 || pos->shape[1] != 1 + G * G ||
        pos->shape[2] != D || !dtype_is_float(pos->dtype)) {
        char got[96] = "missing";
        if (pos) shape_str(got, sizeof got, pos->ndim, pos->shape);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor pos_embed is %s but a %lldx%lld DINOv2 grid of dim %lld needs "
                       "(1,%lld,%lld)", f->path, got, (long long)G, (long long)G, (long long)D,
                       (long long)(1 + G * G), (long long)D);
    }
    float *grid = malloc(sizeof(float) * (size_t)(1 + G * G) * D);
    if (!grid) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the position grid");
    dtype_to_f32(grid, pos->data, pos->dtype, (size_t)(1 + G * G) * D);
    posembed_resize(m->w.pos_embed, grid + D, (int)G, (int)G, (int)D, c->search_h, c->search_w);
    free(grid);
    return LORAT_STATUS_OK;
}

static lorat_status load_checkpoint(lorat_model *m, const tensor_file *f, lorat_error *err) {
    for (int i = 0; i < f->n; i++) {
        const char *name = f->t[i].name;
        if (!strcmp(name, "lora_alpha") || !strcmp(name, "use_rslora")) continue;
        const param_desc *p = model_find_param(m, name);
        if (!p) {
            /* The training model names frozen linears blocks.i.attn.qkv.q.linear.* etc.; a full
             * state dict of it is not what the official checkpoints hold. */
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: unexpected tensor %s: not a trainable LoRAT parameter of variant "
                           "%s with LoRA rank %d", f->path, name, m->cfg.variant, m->cfg.lora_rank);
        }
        lorat_status st = model_set_param(m, p, &f->t[i], f->path, err);
        if (st) return st;
    }
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role == PARAM_TRAINABLE && !tensor_file_find(f, p->name))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: tensor %s is missing: a LoRAT checkpoint holds every LoRA A/B, "
                           "token_type_embed and head tensor", f->path, p->name);
    }
    return LORAT_STATUS_OK;
}

/* The official init of what a checkpoint would bring: trunc_normal(0.02) weights (LoRA A and B
 * too: the 'bert' init, B not zero), zero biases. */
static void seeded_init(lorat_model *m, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role != PARAM_TRAINABLE) continue;
        float *v = *p->slot;
        int is_bias = p->ndim == 1;
        for (size_t k = 0; k < p->numel; k++)
            v[k] = is_bias ? 0.0f : rng_trunc_normal(&r, 0.02f, -2.0f, 2.0f);
    }
}

lorat_status model_load_official(const char *dinov2_path, const char *checkpoint_path,
                                 const model_config *cfg_in, int merge, uint64_t seed,
                                 lorat_model **out, lorat_error *err) {
    *out = NULL;
    model_config cfg = *cfg_in;
    tensor_file bb = {0}, ck = {0};
    lorat_model *m = NULL;
    lorat_status st = tensor_file_open(dinov2_path, &bb, err);
    if (st) return st;
    /* With a checkpoint, LoRA's rank and scaling come from it. Without one, cfg's rank is kept
     * (0: no LoRA; > 0: fresh LoRA for training, A and B drawn like the official 'bert' init). */
    if (checkpoint_path) {
        cfg.lora_rank = 0;
        cfg.lora_has_alpha = 0;
        cfg.lora_rslora = 0;
    }
    cfg.lora_merged = 0;
    snprintf(cfg.init, sizeof cfg.init, "%s", checkpoint_path ? "checkpoint" : "seeded");
    if (checkpoint_path) {
        if ((st = tensor_file_open(checkpoint_path, &ck, err))) goto done;
        /* LoRA rank from the first A; alpha and rsLoRA from the scalars old releases carry. */
        char name[64];
        for (int i = 0; i < ck.n; i++) {
            const char *n = ck.t[i].name;
            size_t len = strlen(n);
            if (len > 7 && !strcmp(n + len - 7, ".lora.A") && ck.t[i].ndim == 2) {
                cfg.lora_rank = (int)ck.t[i].shape[0];
                break;
            }
        }
        const tensor_info *alpha = tensor_file_find(&ck, "lora_alpha");
        const tensor_info *rs = tensor_file_find(&ck, "use_rslora");
        if (alpha) {
            cfg.lora_has_alpha = 1;
            cfg.lora_alpha = (float)scalar_int(alpha);
        } else {
            cfg.lora_alpha = (float)cfg.lora_rank; /* scaling 1, as the official loader assumes */
        }
        if (rs) cfg.lora_rslora = scalar_int(rs) != 0;
        (void)name;
    }
    if ((st = model_create(&cfg, &m, err))) goto done;
    if ((st = load_backbone(m, &bb, err))) goto done;
    if (checkpoint_path) {
        if ((st = load_checkpoint(m, &ck, err))) goto done;
    } else {
        seeded_init(m, seed);
    }
    if (merge) st = model_merge_lora(m, err);
done:
    tensor_file_close(&bb);
    tensor_file_close(&ck);
    if (st) {
        lorat_model_free(m);
        return st;
    }
    *out = m;
    return LORAT_STATUS_OK;
}

lorat_status model_add_lora(const lorat_model *src, int rank, float alpha, int rslora, uint64_t seed,
                            lorat_model **out, lorat_error *err) {
    *out = NULL;
    model_config cfg = src->cfg;
    if (cfg.lora_rank > 0 && !cfg.lora_merged)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "the model already has unmerged LoRA tensors");
    cfg.lora_rank = rank;
    cfg.lora_alpha = alpha;
    cfg.lora_has_alpha = 1;
    cfg.lora_rslora = rslora;
    cfg.lora_merged = 0;
    lorat_model *m = NULL;
    lorat_status st = model_create(&cfg, &m, err);
    if (st) return st;
    seeded_init(m, seed);
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        const param_desc *q = model_find_param(src, p->name);
        if (q && q->numel == p->numel) memcpy(*p->slot, *q->slot, sizeof(float) * p->numel);
    }
    *out = m;
    return LORAT_STATUS_OK;
}

static const char *meta_lookup(const void *ctx, const char *key) {
    return safetensors_meta((const safetensors *)ctx, key);
}

lorat_status lorat_model_load(const char *path, lorat_model **out, lorat_error *err) {
    *out = NULL;
    safetensors *st_file = NULL;
    lorat_model *m = NULL;
    unsigned char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (fp) {
        const size_t got = fread(magic, 1, 4, fp);
        fclose(fp);
        if (got == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: this is a PyTorch .pth (a zip), not a lorat model file: make one "
                           "with `lorat convert --dinov2 %s [--checkpoint Y.bin] --variant B-224 "
                           "-o M.safetensors`",
                           path, path);
    }
    lorat_status st = safetensors_open(path, &st_file, err);
    if (st) return st;
    model_config cfg;
    if ((st = config_from_metadata(&cfg, meta_lookup, st_file, path, err))) goto done;
    int n = 0;
    const tensor_info *t = safetensors_tensors(st_file, &n);
    {
        /* Before anything is allocated for the configuration: the file must hold its tensors
         * (at 2 bytes a value at least), so a few bytes of metadata cannot ask for gigabytes. */
        model_counts k;
        model_count(&cfg, &k);
        const int64_t want = cfg.lora_rank > 0 && !cfg.lora_merged ? k.total : k.inference;
        uint64_t have = 0;
        for (int i = 0; i < n; i++) have += t[i].nbytes;
        if ((uint64_t)want > have / 2) {
            st = err_set(err, LORAT_STATUS_FORMAT,
                         "%s: its metadata describes a model of %lld parameters (%s: dim %d, depth "
                         "%d), but the file holds only %llu bytes of tensors: the metadata or the "
                         "file is wrong",
                         path, (long long)want, cfg.variant, cfg.dim, cfg.depth,
                         (unsigned long long)have);
            goto done;
        }
    }
    if ((st = model_create(&cfg, &m, err))) goto done;
    for (int i = 0; i < n; i++)
        if (!model_find_param(m, t[i].name)) {
            st = err_set(err, LORAT_STATUS_FORMAT,
                         "%s: unexpected tensor %s for the configuration in its metadata "
                         "(variant %s, LoRA rank %d, merged %d)", path, t[i].name, cfg.variant,
                         cfg.lora_rank, cfg.lora_merged);
            goto done;
        }
    for (int i = 0; i < m->n_params; i++) {
        const tensor_info *ti = safetensors_find(st_file, m->params[i].name);
        if (!ti) {
            st = err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s is missing", path,
                         m->params[i].name);
            goto done;
        }
        if ((st = model_set_param(m, &m->params[i], ti, path, err))) goto done;
    }
done:
    safetensors_close(st_file);
    if (st) {
        lorat_model_free(m);
        return st;
    }
    *out = m;
    return LORAT_STATUS_OK;
}

lorat_status model_save_as(const lorat_model *m, const char *path, dtype dt, lorat_error *err) {
    if (m->f32_released)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: a model prepared for %s inference holds no fp32 weights to write; "
                       "load the file again to save it", path,
                       compute_precision_name(m->be->precision));
    if (dt != DTYPE_F32 && dt != DTYPE_BF16)
        return err_set(err, LORAT_STATUS_UNSUPPORTED, "%s: model files are written as F32 or BF16, not %s",
                       path, dtype_name(dt));
    tensor_info *t = calloc((size_t)m->n_params, sizeof *t);
    size_t total = 0;
    for (int i = 0; i < m->n_params; i++) total += m->params[i].numel;
    uint16_t *half = dt == DTYPE_BF16 ? malloc(sizeof(uint16_t) * (total ? total : 1)) : NULL;
    if (!t || (dt == DTYPE_BF16 && !half)) {
        free(t);
        free(half);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the tensor list");
    }
    size_t off = 0;
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        t[i].name = p->name;
        t[i].dtype = dt;
        t[i].ndim = p->ndim;
        memcpy(t[i].shape, p->shape, sizeof p->shape);
        if (half) {
            bf16_pack(half + off, *p->slot, p->numel);
            t[i].data = half + off;
            t[i].nbytes = p->numel * sizeof(uint16_t);
            off += p->numel;
        } else {
            t[i].data = *p->slot;
            t[i].nbytes = p->numel * sizeof(float);
        }
    }
    const char *kv[2 * 40];
    char storage[2048];
    int n_meta = config_to_metadata(&m->cfg, kv, 40, storage, sizeof storage);
    lorat_status st = safetensors_write(path, t, m->n_params, kv, n_meta, err);
    free(t);
    free(half);
    return st;
}

lorat_status model_save(const lorat_model *m, const char *path, lorat_error *err) {
    return model_save_as(m, path, DTYPE_F32, err);
}

void lorat_model_get_info(const lorat_model *m, lorat_model_info *info) {
    const model_config *c = &m->cfg;
    memset(info, 0, sizeof *info);
    snprintf(info->variant, sizeof info->variant, "%s", c->variant);
    info->dim = c->dim;
    info->depth = c->depth;
    info->heads = c->heads;
    info->ffn_hidden = c->ffn_hidden;
    info->patch = c->patch;
    info->swiglu = c->swiglu;
    info->template_w = c->template_w;
    info->template_h = c->template_h;
    info->search_w = c->search_w;
    info->search_h = c->search_h;
    info->template_area_factor = c->template_area_factor;
    info->search_area_factor = c->search_area_factor;
    info->lora_merged = c->lora_merged || c->lora_rank == 0;
}

void lorat_set_threads(int threads) {
    kernels_set_threads(threads);
}
