/*
 * init.h — a randomly initialised model, for training from scratch (`lorat init`), and the named
 * presets of small sizes that are not published variants ("T": the tracker trained here and
 * shipped for the demo).
 */
#ifndef LORAT_MODEL_INIT_H
#define LORAT_MODEL_INIT_H

#include <stdint.h>

#include "core/error.h"
#include "model/config.h"
#include "model/model.h"

/* A preset that is not a published variant: the sizes of a model trained from scratch here.
 * Returns NULL for an unknown name. The presets are listed by init_preset_names. */
typedef struct init_preset {
    const char *name;
    int dim, depth, heads, ffn_hidden, patch;
    int template_w, template_h, search_w, search_h; /* token grids */
    float search_area_factor;
    const char *note;
} init_preset;
extern const init_preset init_presets[];
extern const int init_n_presets;
const init_preset *init_preset_find(const char *name);

/* A configuration for a model trained from scratch, from a preset (name in cfg->variant; GELU
 * MLP, the tracking defaults of the -224 variants, no LoRA, init "random"). */
void init_config_from_preset(const init_preset *p, model_config *cfg);

/* Creates a model with cfg's sizes (LoRA dropped: the file is merged, LoRA-free) and draws every
 * parameter as DINOv2 and the official LoRAT code initialise a network for training:
 *   linear weights (qkv, proj, fc1/fc2 or w12/w3, head) and patch embedding: trunc_normal(0.02),
 *   their biases 0; LayerNorm weight 1, bias 0; LayerScale gamma `layerscale` (DINOv2's init_values
 *   are 1e-5; a shallow network trained from scratch learns faster from 0.1, as CaiT sets it);
 *   pos_embed trunc_normal(0.02) directly on the search grid (pos_grid is set to the search side:
 *   nothing is resized), or with pos_sincos the 2-D sine-cosine code of MAE, which a network trained
 *   from scratch need not learn before it can place boxes; token_type_embed trunc_normal(0.02).
 * Each tensor draws from its own stream, seeded from `seed` and the tensor's name, so a tensor's
 * values do not depend on which other tensors exist. cfg->init becomes "random". */
lorat_status model_init_random(const model_config *cfg, uint64_t seed, float layerscale, int pos_sincos,
                               lorat_model **out, lorat_error *err);

#endif
