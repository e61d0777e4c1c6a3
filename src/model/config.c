/*
 * config.c — variants and metadata. The figures of the published variants come from the
 * official configuration files (spec §1.1): head dim 64 everywhere; -224 uses a 112 px template
 * (8×8 tokens) and a 224 px search region (16×16) with area factor 4; -378 uses 196 px (14×14)
 * and 378 px (27×27) with area factor 5. LoRA r = 64, alpha = 64 for training.
 */
#include "model/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
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

/* Limits on every size a configuration (and so a model file's metadata) can give: generous
 * against the published models (g: dim 1536, depth 40, heads 24, FFN 4096; -378: grids of 27),
 * and small enough that nothing is allocated for a size that cannot be a LoRAT model. */
enum {
    CONFIG_MAX_DIM = 8192,
    CONFIG_MAX_DEPTH = 256,
    CONFIG_MAX_HEADS = 256,
    CONFIG_MAX_FFN = 65536,
    CONFIG_MAX_PATCH = 64,
    CONFIG_MAX_POS_GRID = 1024,
    CONFIG_MAX_GRID = 256,
    CONFIG_MAX_RANK = 4096,
};
#define CONFIG_MAX_PARAMS ((int64_t)4000000000) /* 16 GB of fp32: g-378 has 1.2e9 */

static lorat_status too_large(lorat_error *err, const char *what, long long v, long long limit) {
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "model configuration: %s %lld is out of range (1..%lld): not the size of a "
                   "LoRAT model",
                   what, v, limit);
}

lorat_status config_validate(model_config *cfg, lorat_error *err) {
    const struct {
        const char *what;
        int v, max;
    } sizes[] = {
        {"dim", cfg->dim, CONFIG_MAX_DIM},
        {"depth", cfg->depth, CONFIG_MAX_DEPTH},
        {"heads", cfg->heads, CONFIG_MAX_HEADS},
        {"ffn_hidden", cfg->ffn_hidden, CONFIG_MAX_FFN},
        {"patch", cfg->patch, CONFIG_MAX_PATCH},
        {"pos_grid", cfg->pos_grid, CONFIG_MAX_POS_GRID},
        {"template_w", cfg->template_w, CONFIG_MAX_GRID},
        {"template_h", cfg->template_h, CONFIG_MAX_GRID},
        {"search_w", cfg->search_w, CONFIG_MAX_GRID},
        {"search_h", cfg->search_h, CONFIG_MAX_GRID},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i].v < 1 || sizes[i].v > sizes[i].max)
            return too_large(err, sizes[i].what, sizes[i].v, sizes[i].max);
    const struct {
        const char *what;
        int v;
    } flags[] = {{"swiglu", cfg->swiglu},
                 {"lora_rslora", cfg->lora_rslora},
                 {"lora_has_alpha", cfg->lora_has_alpha},
                 {"lora_merged", cfg->lora_merged}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].v != 0 && flags[i].v != 1)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "model configuration: %s is %d, not 0 or 1",
                           flags[i].what, flags[i].v);
    if (cfg->dim % cfg->heads)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: dim %d, depth %d, heads %d is not a valid ViT "
                       "(dim must be a positive multiple of heads)",
                       cfg->dim, cfg->depth, cfg->heads);
    cfg->head_dim = cfg->dim / cfg->heads;
    if (cfg->template_w > cfg->search_w || cfg->template_h > cfg->search_h)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: template grid %dx%d and search grid %dx%d must be "
                       "positive, and the template grid no larger than the search grid (the "
                       "template takes the top-left corner of the search position grid)",
                       cfg->template_w, cfg->template_h, cfg->search_w, cfg->search_h);
    if (cfg->lora_rank < 0 || cfg->lora_rank > CONFIG_MAX_RANK || cfg->lora_rank > cfg->dim)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: LoRA rank %d is out of range (0..%d, at most dim %d)",
                       cfg->lora_rank, CONFIG_MAX_RANK, cfg->dim);
    /* The parameter count in 64 bits from sizes bounded above: no product here can overflow. */
    const int64_t D = cfg->dim, H = cfg->ffn_hidden, L = cfg->depth, r = cfg->lora_rank;
    const int64_t fc1 = cfg->swiglu ? 2 * H : H, p = cfg->patch;
    const int64_t params = L * (4 * D * D + 2 * fc1 * D + 2 * r * (6 * D + fc1 + H)) +
                           D * 3 * p * p + (int64_t)cfg->search_w * cfg->search_h * D + 8 * D * D;
    if (params > CONFIG_MAX_PARAMS)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: %lld parameters (dim %d, depth %d, FFN %d) is more "
                       "than lorat handles (%lld)",
                       (long long)params, cfg->dim, cfg->depth, cfg->ffn_hidden,
                       (long long)CONFIG_MAX_PARAMS);
    if (!isfinite(cfg->layernorm_eps) || cfg->layernorm_eps < 0)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "model configuration: layernorm_eps %g must be a non-negative number",
                       cfg->layernorm_eps);
    if (cfg->layernorm_eps == 0) cfg->layernorm_eps = 1e-6f;
    return LORAT_STATUS_OK;
}

/* The tracking values a file gives: each in its range, or an error naming it (a value that
 * would be replaced by a default without a word is a file that says something it does not). */
static lorat_status check_tracking(const model_config *c, const char *file, lorat_error *err) {
    const struct {
        const char *key;
        float v, lo, hi;
        int open_lo;
    } f[] = {
        {"template_area_factor", c->template_area_factor, 0, 100, 1},
        {"search_area_factor", c->search_area_factor, 0, 100, 1},
        {"window_influence", c->window_influence, 0, 1, 0},
        {"min_box_size", c->min_box_size, 0, 1e6f, 0},
        {"size_update", c->size_update, 0, 1, 0},
        {"size_gate", c->size_gate, 0, 0.999999f, 0},
        {"lora_alpha", c->lora_alpha, -1e9f, 1e9f, 0},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!isfinite(f[i].v) || f[i].v > f[i].hi || (f[i].open_lo ? f[i].v <= f[i].lo : f[i].v < f[i].lo))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: metadata key '%s' is %g, outside %s%g, %g]", file, f[i].key, f[i].v,
                           f[i].open_lo ? "(" : "[", f[i].lo, f[i].hi);
    if (c->box_average < 0 || c->box_average > 8)
        return err_set(err, LORAT_STATUS_FORMAT, "%s: metadata key 'box_average' is %d, outside 0..8",
                       file, c->box_average);
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
            errno = 0;
            long long v = strtoll(value, &end, 10);
            if (end != value && *end == '\0' && (errno == ERANGE || v < INT_MIN || v > INT_MAX))
                return err_set(err, LORAT_STATUS_FORMAT,
                               "%s: metadata key '%s' has the value '%s', which does not fit in a "
                               "32-bit integer", file, meta_fields[i].key, value);
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
    if (st) {
        err_prefix(err, "%s", file);
        return st;
    }
    return check_tracking(cfg, file, err);
}
