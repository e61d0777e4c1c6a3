/*
 * config.h — the configuration of a LoRAT model: the eight published variants and any other
 * dimensions, and its round trip through a model file's metadata.
 */
#ifndef LORAT_MODEL_CONFIG_H
#define LORAT_MODEL_CONFIG_H

#include "core/error.h"

typedef struct model_config {
    char variant[32];     /* "B-224", ..., or "custom" */
    int dim, depth, heads, head_dim;
    int ffn_hidden;       /* MLP hidden size; SwiGLU: the size of one half */
    int swiglu;           /* 1: SwiGLU FFN (w12, w3); 0: GELU MLP (fc1, fc2) */
    int patch;            /* 14 */
    int pos_grid;         /* side of the pretrained position grid (37 for DINOv2 at 518 px) */
    int template_w, template_h, search_w, search_h; /* token grids */
    float template_area_factor, search_area_factor;
    float window_influence; /* tracking: weight of the Hann window in the blend (0.45) */
    float size_update;      /* tracking: share of a new box's size taken each frame (the rest is
                               the previous size); 1 = the official tracker; 0 in a file means 1 */
    float size_gate;        /* tracking: the confidence below which the size is kept; 0 = the
                               official tracker (always take it) */
    int box_average;        /* tracking: radius of the cells whose boxes are averaged (those scoring
                               at least half the chosen cell's); 0 = the official tracker */
    float min_box_size;     /* tracking: minimum state box side in pixels (10) */
    float layernorm_eps;
    /* LoRA. rank 0: the model has no separate LoRA tensors (merged, or never had any). */
    int lora_rank;
    float lora_alpha;
    int lora_rslora;
    int lora_has_alpha;   /* 0: the checkpoint carried no lora_alpha, so the scaling is 1 */
    int lora_merged;      /* 1: LoRA folded into the linear weights */
    char init[32];        /* where head and type embedding came from: "checkpoint" or "seeded" */
} model_config;

/* The published variants: "S-224", "B-224", "L-224", "g-224" and the same at 378. */
lorat_status config_from_variant(const char *name, model_config *cfg, lorat_error *err);
/* Published variant names, NULL-terminated. */
extern const char *const config_variant_names[];

/* Fills the fields that follow from the others (head_dim) and checks the whole. */
lorat_status config_validate(model_config *cfg, lorat_error *err);

float config_lora_scaling(const model_config *cfg);

int config_template_px_w(const model_config *cfg);
int config_search_px_w(const model_config *cfg);

/* Metadata as key/value string pairs: writes at most max_pairs pairs into kv (2·max_pairs
 * strings pointing into storage, which must hold storage_size bytes). Returns the pair count. */
int config_to_metadata(const model_config *cfg, const char **kv, int max_pairs, char *storage,
                       size_t storage_size);
/* Reads the configuration back; lookup(ctx, key) returns a value or NULL. */
lorat_status config_from_metadata(model_config *cfg, const char *(*lookup)(const void *ctx, const char *key),
                                  const void *ctx, const char *file, lorat_error *err);

#endif
