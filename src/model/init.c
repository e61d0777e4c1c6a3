/*
 * init.c — random initialisation for training from scratch, as DINOv2 (vision_transformer.py:
 * init_weights, init_weights_vit_timm, LayerScale(init_values)) and LoRAT's head and token type
 * embedding (trunc_normal(0.02), zero biases) do it. torch's trunc_normal_(std=0.02) truncates at
 * the absolute bounds ±2, i.e. at ±100 std: in effect a plain normal; we keep the same bounds.
 */
#include "model/init.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"

/* T: ViT-Ti's width (dim 192, head dim 64) at half its depth, on a 160 px search region (10x10
 * tokens of 16 px) and an 80 px template. Measured on the 2-core machine, 2 threads (2026-11-21):
 * `lorat track --profile` ~9 ms of network per frame (~90 fps with decode and crop; the 8x8 grid
 * ran at ~135 fps, 12x12 at ~75 fps, 16x16 at ~21 fps), and a full training step of batch 8 in
 * 0.20-0.25 s (`lorat bench --train --full --model`), ~30-40 samples/s before data loading: about
 * 100k samples an hour. 8x8 would train ~1.5x faster but gives an 8x8 score map of 16 px cells. */
const init_preset init_presets[] = {
    {"T", 192, 6, 3, 768, 16, 5, 5, 10, 10, 4.0f,
     "dim 192, depth 6, heads 3, MLP 768, patch 16, template 5x5 (80 px), search 10x10 (160 px)"},
};
const int init_n_presets = (int)(sizeof init_presets / sizeof init_presets[0]);

const init_preset *init_preset_find(const char *name) {
    for (int i = 0; i < init_n_presets; i++)
        if (!strcmp(init_presets[i].name, name)) return &init_presets[i];
    return NULL;
}

void init_config_from_preset(const init_preset *p, model_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->variant, sizeof cfg->variant, "%s", p->name);
    cfg->dim = p->dim;
    cfg->depth = p->depth;
    cfg->heads = p->heads;
    cfg->ffn_hidden = p->ffn_hidden;
    cfg->swiglu = 0;
    cfg->patch = p->patch;
    cfg->template_w = p->template_w;
    cfg->template_h = p->template_h;
    cfg->search_w = p->search_w;
    cfg->search_h = p->search_h;
    cfg->pos_grid = p->search_w > p->search_h ? p->search_w : p->search_h;
    cfg->template_area_factor = 2.0f;
    cfg->search_area_factor = p->search_area_factor;
    cfg->window_influence = 0.45f;
    cfg->min_box_size = 10.0f;
    cfg->layernorm_eps = 1e-6f;
    snprintf(cfg->init, sizeof cfg->init, "random");
}

/* FNV-1a of the name, mixed with the seed: one independent stream per tensor. */
static uint64_t tensor_seed(uint64_t seed, const char *name) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        h ^= *s;
        h *= 1099511628211ull;
    }
    return seed ^ (h * 0x9E3779B97F4A7C15ull);
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* The fixed 2-D sine-cosine position code of MAE (He et al. 2022, after Vaswani et al. 2017) on
 * the search grid, rows y then x: the first half of the channels encodes the column x, the second
 * the row y; each half is sin(p·w_k) for its first quarter and cos(p·w_k) for the second, with
 * w_k = 10000^(-k/(D/4)), p in token units. Needs D % 4 == 0. */
static void pos_embed_sincos(float *v, int gw, int gh, int D) {
    int q = D / 4;
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            float *row = v + ((size_t)y * gw + x) * D;
            for (int k = 0; k < q; k++) {
                double w = pow(10000.0, -(double)k / q);
                row[k] = (float)sin(x * w);
                row[q + k] = (float)cos(x * w);
                row[2 * q + k] = (float)sin(y * w);
                row[3 * q + k] = (float)cos(y * w);
            }
        }
}

lorat_status model_init_random(const model_config *cfg_in, uint64_t seed, float layerscale, int pos_sincos,
                               lorat_model **out, lorat_error *err) {
    *out = NULL;
    model_config cfg = *cfg_in;
    cfg.lora_rank = 0;
    cfg.lora_alpha = 0;
    cfg.lora_has_alpha = 0;
    cfg.lora_rslora = 0;
    cfg.lora_merged = 1;
    if (cfg.pos_grid <= 0) cfg.pos_grid = cfg.search_w > cfg.search_h ? cfg.search_w : cfg.search_h;
    snprintf(cfg.init, sizeof cfg.init, "random");
    lorat_status st = config_validate(&cfg, err);
    if (st) return st;
    lorat_model *m = NULL;
    if (pos_sincos && cfg.dim % 4)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the sine-cosine position code needs a width divisible by 4 (dim is %d)", cfg.dim);
    if ((st = model_create(&cfg, &m, err))) return st;
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        float *v = *p->slot;
        const char *n = p->name;
        float fill;
        if (ends_with(n, ".gamma")) {
            fill = layerscale; /* LayerScale init_values */
        } else if (strstr(n, "norm") && ends_with(n, ".weight")) {
            fill = 1.0f; /* norm1, norm2, norm */
        } else if (pos_sincos && !strcmp(n, "pos_embed")) {
            pos_embed_sincos(v, cfg.search_w, cfg.search_h, cfg.dim);
            continue;
        } else if (ends_with(n, ".bias")) {
            fill = 0.0f; /* every bias: linear, patch embedding, norms */
        } else {
            /* linear and patch weights, pos_embed, token_type_embed */
            rng r;
            rng_seed(&r, tensor_seed(seed, n));
            for (size_t k = 0; k < p->numel; k++) v[k] = rng_trunc_normal(&r, 0.02f, -2.0f, 2.0f);
            continue;
        }
        for (size_t k = 0; k < p->numel; k++) v[k] = fill;
    }
    *out = m;
    return LORAT_STATUS_OK;
}
