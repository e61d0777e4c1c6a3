/*
 * config.c — variants and metadata. The figures of the published variants come from the
 * official configuration files (spec §1.1): head dim 64 everywhere; -224 uses a 112 px template
 * (8×8 tokens) and a 224 px search region (16×16) with area factor 4; -378 uses 196 px (14×14)
 * and 378 px (27×27) with area factor 5. LoRA r = 64, alpha = 64 for training.
 */
#include "model/config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const config_variant_names[] = {"S-224", "B-224", "L-224", "g-224", "S-378",
                                            "B-378", "L-378", "g-378", NULL};

lorat_status config_from_variant(const char *name, model_config *cfg, lorat_error *err) {
    static const struct {
        char size;
        int dim, depth, heads, ffn_hidden, swiglu;
    } sizes[] = {
        {'S', 384, 12, 6, 1536, 0},
        {'B', 768, 12, 12, 3072, 0},
        {'L', 1024, 24, 16, 4096, 0},
        {'g', 1536, 40, 24, 4096, 1},
    };
    memset(cfg, 0, sizeof *cfg);
    int res = 0;
    char size = 0;
    if (strlen(name) == 5 && name[1] == '-') {
        size = name[0];
        res = atoi(name + 2);
    }
    int found = -1;
    for (int i = 0; i < 4; i++)
        if (sizes[i].size == size) found = i;
    if (found < 0 || (res != 224 && res != 378))
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "unknown variant '%s': the published variants are S-224, B-224, L-224, "
                       "g-224, S-378, B-378, L-378 and g-378",
                       name);
    snprintf(cfg->variant, sizeof cfg->variant, "%s", name);
    cfg->dim = sizes[found].dim;
    cfg->depth = sizes[found].depth;
    cfg->heads = sizes[found].heads;
    cfg->ffn_hidden = sizes[found].ffn_hidden;
    cfg->swiglu = sizes[found].swiglu;
    cfg->patch = 14;
    cfg->pos_grid = 37;
    int t = res == 224 ? 8 : 14, s = res == 224 ? 16 : 27;
    cfg->template_w = cfg->template_h = t;
    cfg->search_w = cfg->search_h = s;
    cfg->template_area_factor = 2.0f;
    cfg->search_area_factor = res == 224 ? 4.0f : 5.0f;
    cfg->window_influence = 0.45f;
    cfg->min_box_size = 10.0f;
    cfg->layernorm_eps = 1e-6f;
    cfg->lora_rank = 64;
    cfg->lora_alpha = 64.0f;
    cfg->lora_has_alpha = 1;
    snprintf(cfg->init, sizeof cfg->init, "checkpoint");
    return config_validate(cfg, err);
}

lorat_status config_validate(model_config *cfg, lorat_error *err) {
    if (cfg->dim <= 0 || cfg->depth <= 0 || cfg->heads <= 0 || cfg->dim % cfg->heads)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: dim %d, depth %d, heads %d is not a valid ViT "
                       "(dim must be a positive multiple of heads)",
                       cfg->dim, cfg->depth, cfg->heads);
    cfg->head_dim = cfg->dim / cfg->heads;
    if (cfg->ffn_hidden <= 0 || cfg->patch <= 0 || cfg->pos_grid <= 0)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: ffn_hidden %d, patch %d, pos_grid %d must be positive",
                       cfg->ffn_hidden, cfg->patch, cfg->pos_grid);
    if (cfg->template_w <= 0 || cfg->template_h <= 0 || cfg->search_w <= 0 || cfg->search_h <= 0 ||
        cfg->template_w > cfg->search_w || cfg->template_h > cfg->search_h)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: template grid %dx%d and search grid %dx%d must be "
                       "positive, and the template grid no larger than the search grid (the "
                       "template takes the top-left corner of the search position grid)",
                       cfg->template_w, cfg->template_h, cfg->search_w, cfg->search_h);
    if (cfg->lora_rank < 0)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "model configuration: LoRA rank %d < 0",
                       cfg->lora_rank);
    if (cfg->layernorm_eps <= 0) cfg->layernorm_eps = 1e-6f;
    return LORAT_STATUS_OK;
}

float config_lora_scaling(const model_config *cfg) {
    if (!cfg->lora_has_alpha || cfg->lora_rank <= 0) return 1.0f;
    return cfg->lora_rslora ? cfg->lora_alpha / sqrtf((float)cfg->lora_rank)
                            : cfg->lora_alpha / (float)cfg->lora_rank;
}

int config_template_px_w(const model_config *cfg) {
    return cfg->template_w * cfg->patch;
}

int config_search_px_w(const model_config *cfg) {
    return cfg->search_w * cfg->patch;
}

/* One table drives both directions of the metadata, so the two cannot drift apart. */
typedef enum { META_INT, META_FLOAT, META_STR } meta_kind;
static const struct {
    const char *key;
    meta_kind kind;
    size_t offset;
    int required;
} meta_fields[] = {
#define F(key, kind, field, req) {key, kind, offsetof(model_config, field), req}
    F("variant", META_STR, variant, 1),
    F("dim", META_INT, dim, 1),
    F("depth", META_INT, depth, 1),
    F("heads", META_INT, heads, 1),
    F("ffn_hidden", META_INT, ffn_hidden, 1),
    F("swiglu", META_INT, swiglu, 1),
    F("patch", META_INT, patch, 1),
    F("pos_grid", META_INT, pos_grid, 0),
    F("template_w", META_INT, template_w, 1),
    F("template_h", META_INT, template_h, 1),
    F("search_w", META_INT, search_w, 1),
    F("search_h", META_INT, search_h, 1),
    F("template_area_factor", META_FLOAT, template_area_factor, 1),
    F("search_area_factor", META_FLOAT, search_area_factor, 1),
    F("window_influence", META_FLOAT, window_influence, 1),
    F("min_box_size", META_FLOAT, min_box_size, 1),
    F("size_update", META_FLOAT, size_update, 0),
    F("size_gate", META_FLOAT, size_gate, 0),
    F("box_average", META_INT, box_average, 0),
    F("layernorm_eps", META_FLOAT, layernorm_eps, 1),
    F("lora_rank", META_INT, lora_rank, 1),
    F("lora_alpha", META_FLOAT, lora_alpha, 1),
    F("lora_rslora", META_INT, lora_rslora, 1),
    F("lora_has_alpha", META_INT, lora_has_alpha, 1),
    F("lora_merged", META_INT, lora_merged, 1),
    F("init", META_STR, init, 0),
#undef F
};
#define N_META_FIELDS ((int)(sizeof meta_fields / sizeof meta_fields[0]))

int config_to_metadata(const model_config *cfg, const char **kv, int max_pairs, char *storage,
                       size_t storage_size) {
    int n = 0;
    size_t used = 0;
    kv[2 * n] = "format";
    kv[2 * n + 1] = "lorat";
    n++;
    for (int i = 0; i < N_META_FIELDS && n < max_pairs; i++) {
        const char *base = (const char *)cfg + meta_fields[i].offset;
        char *dst = storage + used;
        size_t room = storage_size - used;
        int len;
        switch (meta_fields[i].kind) {
        case META_INT: len = snprintf(dst, room, "%d", *(const int *)base); break;
        case META_FLOAT: len = snprintf(dst, room, "%.9g", *(const float *)base); break;
        default: len = snprintf(dst, room, "%s", base); break;
        }
        if (len < 0 || (size_t)len >= room) break;
        used += (size_t)len + 1;
        kv[2 * n] = meta_fields[i].key;
        kv[2 * n + 1] = dst;
        n++;
    }
    return n;
}

lorat_status config_from_metadata(model_config *cfg, const char *(*lookup)(const void *ctx, const char *key),
                                  const void *ctx, const char *file, lorat_error *err) {
    memset(cfg, 0, sizeof *cfg);
    cfg->pos_grid = 37;
    snprintf(cfg->init, sizeof cfg->init, "checkpoint");
    const char *format = lookup(ctx, "format");
    if (!format || strcmp(format, "lorat") != 0)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not a lorat model file (its metadata has no format=lorat); make one "
                       "with `lorat convert --dinov2 X.pth --checkpoint Y.bin --variant B-224 -o M.safetensors`",
                       file);
    for (int i = 0; i < N_META_FIELDS; i++) {
        const char *value = lookup(ctx, meta_fields[i].key);
        if (!value) {
            if (!meta_fields[i].required) continue;
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: metadata key '%s' is missing; the file was not written by lorat "
                           "convert, or by an incompatible version",
                           file, meta_fields[i].key);
        }
        char *base = (char *)cfg + meta_fields[i].offset;
        char *end = NULL;
        switch (meta_fields[i].kind) {
        case META_INT: {
            long v = strtol(value, &end, 10);
            *(int *)base = (int)v;
            break;
        }
        case META_FLOAT: *(float *)base = strtof(value, &end); break;
        default:
            snprintf(base, 32, "%s", value);
            end = (char *)value + strlen(value);
            break;
        }
        if (end == value || *end != '\0')
            return err_set(err, LORAT_STATUS_FORMAT, "%s: metadata key '%s' has the value '%s', "
                           "which is not a number", file, meta_fields[i].key, value);
    }
    lorat_status st = config_validate(cfg, err);
    if (st) err_prefix(err, "%s", file);
    return st;
}
