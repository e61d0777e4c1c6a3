/*
 * model.h — the LoRAT model inside the library: its parameters, laid out in two blocks (frozen,
 * trainable) with named views, and the forward pass.
 *
 * Parameter names are the official ones, so files interoperate with PyTorch:
 *   frozen:    patch_embed.proj.{weight,bias}, pos_embed (1,Hx·Wx,D), blocks.i.norm1.*,
 *              blocks.i.attn.qkv.{weight (3D,D) rows [q;k;v], bias}, blocks.i.attn.proj.*,
 *              blocks.i.ls1.gamma, blocks.i.norm2.*, blocks.i.mlp.{fc1,fc2}.* (SwiGLU: w12, w3),
 *              blocks.i.ls2.gamma, norm.*
 *   trainable: blocks.i.attn.qkv.{q,k,v}.lora.{A,B}, blocks.i.attn.proj.lora.*,
 *              blocks.i.mlp.{fc1,fc2|w12,w3}.lora.* (only while LoRA is not merged),
 *              token_type_embed (3,D), head.{cls_mlp,reg_mlp}.layers.{0,1,2}.{weight,bias}
 */
#ifndef LORAT_MODEL_MODEL_H
#define LORAT_MODEL_MODEL_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "lorat.h"
#include "model/config.h"

typedef enum param_role { PARAM_FROZEN = 0, PARAM_TRAINABLE = 1 } param_role;
typedef enum param_kind { PARAM_BACKBONE, PARAM_LORA, PARAM_HEAD, PARAM_TYPE_EMBED } param_kind;

typedef struct param_desc {
    char name[64];
    int ndim;
    int64_t shape[4];
    size_t numel;
    size_t offset; /* in floats, inside the block of its role */
    param_role role;
    param_kind kind;
    float **slot;  /* where the view pointer goes */
} param_desc;

typedef struct lora_pair {
    float *A; /* (r, in) */
    float *B; /* (out, r) */
} lora_pair;

enum { LORA_Q, LORA_K, LORA_V, LORA_PROJ, LORA_FC1, LORA_FC2, LORA_SITES };

typedef struct block_weights {
    float *norm1_w, *norm1_b;
    float *qkv_w, *qkv_b;   /* (3D,D), (3D) */
    float *proj_w, *proj_b; /* (D,D), (D) */
    float *ls1;
    float *norm2_w, *norm2_b;
    float *fc1_w, *fc1_b;   /* (H,D) — SwiGLU: w12 (2H,D) */
    float *fc2_w, *fc2_b;   /* (D,H) — SwiGLU: w3 (D,H) */
    float *ls2;
    lora_pair lora[LORA_SITES];
} block_weights;

typedef struct model_weights {
    float *patch_w, *patch_b; /* (D,3,p,p), (D) */
    float *pos_embed;         /* (Hx·Wx, D) */
    float *type_embed;        /* (3, D) */
    float *norm_w, *norm_b;
    float *head_w[2][3], *head_b[2][3]; /* [cls, reg][layer] */
    block_weights *blocks;
} model_weights;

struct lorat_model {
    model_config cfg;
    param_desc *params;
    int n_params;
    float *frozen, *trainable;
    size_t n_frozen, n_trainable;
    model_weights w;
};

/* Builds the parameter layout for cfg (LoRA tensors present iff cfg->lora_rank > 0 and not merged)
 * and allocates both blocks, zeroed. */
lorat_status model_create(const model_config *cfg, lorat_model **out, lorat_error *err);

const param_desc *model_find_param(const lorat_model *m, const char *name);

/* An independent copy of src (same configuration and values). */
lorat_status model_clone(const lorat_model *src, lorat_model **out, lorat_error *err);

/* Copies a file tensor into a parameter, converting F16/BF16/F64 to F32, after checking its
 * shape; the message names the tensor, both shapes and the likely cause. */
lorat_status model_set_param(lorat_model *m, const param_desc *p, const tensor_info *t,
                             const char *file, lorat_error *err);

/* W += s·B·A for every LoRA site, then drops the LoRA tensors (the model becomes merged). */
lorat_status model_merge_lora(lorat_model *m, lorat_error *err);

/* Bicubic resize of a (grid,grid,D) position grid to (out_h,out_w,D), as PyTorch's
 * F.interpolate(mode='bicubic', align_corners=False) without antialias (A = −0.75). */
void posembed_resize(float *out, const float *in, int grid_h, int grid_w, int D, int out_h,
                     int out_w);

/* Counts for `lorat info`. */
typedef struct model_counts {
    int64_t frozen, lora, head, type_embed, total, inference;
    int64_t macs_patch, macs_blocks, macs_attention, macs_head, macs_total; /* merged, per frame */
} model_counts;
void model_count(const model_config *cfg, model_counts *c);

/* ---- forward ------------------------------------------------------------------------------ */

typedef struct model_workspace model_workspace;

/* Plans and allocates the activations for batch B (once; reused for every call). */
lorat_status model_workspace_create(const lorat_model *m, int B, model_workspace **out,
                                    lorat_error *err);
void model_workspace_free(model_workspace *ws);

/* Called with each token tensor (B,N,D) if given: "tokens_embed", "tokens_block<i>",
 * "tokens_norm". Also time per stage when timing is on. */
typedef struct forward_probe {
    void (*on_tokens)(void *ctx, const char *name, const float *tokens, int B, int N, int D);
    void *ctx;
    double seconds[8]; /* accumulated: patch+embed, attention part, ffn part, head, ... */
    int timing;
} forward_probe;
enum { STAGE_EMBED, STAGE_NORM_QKV, STAGE_ATTENTION, STAGE_PROJ, STAGE_FFN, STAGE_HEAD, STAGE_COUNT };
extern const char *const forward_stage_names[STAGE_COUNT];

/* z (B,3,Hz·p,Wz·p) and x (B,3,Hx·p,Wx·p) normalised NCHW; z_mask (B,Hz,Wz) 0/1.
 * score (B,Hx,Wx) raw logits; boxes (B,Hx,Wx,4) normalised xyxy. B <= the workspace's batch. */
void model_forward(const lorat_model *m, model_workspace *ws, const float *z, const float *x,
                   const uint8_t *z_mask, int B, float *score, float *boxes, forward_probe *probe);

/* ---- loading ------------------------------------------------------------------------------ */

/* The official files: DINOv2 hub .pth (or a safetensors with the same names) + LoRAT checkpoint
 * (trainable tensors only; .bin/.safetensors are safetensors; may be NULL: head and type
 * embedding then get a seeded init). cfg gives variant and sizes; the backbone's dims must match.
 * merge: fold LoRA into the weights at load. */
lorat_status model_load_official(const char *dinov2_path, const char *checkpoint_path,
                                 const model_config *cfg, int merge, uint64_t seed,
                                 lorat_model **out, lorat_error *err);

/* Reads dim, depth, patch, FFN kind and size, and the position grid from a backbone file;
 * heads are set to dim/64 unless cfg->heads is already positive. Sizes are left as they are. */
lorat_status model_infer_backbone(const char *dinov2_path, model_config *cfg, lorat_error *err);

/* A copy of src (merged or LoRA-free) with fresh LoRA tensors of rank `rank` beside every frozen
 * linear, drawn like the official init; everything else, the head included, is copied. */
lorat_status model_add_lora(const lorat_model *src, int rank, float alpha, int rslora, uint64_t seed,
                            lorat_model **out, lorat_error *err);

/* Writes the canonical model file (all parameters, F32, configuration in the metadata). */
lorat_status model_save(const lorat_model *m, const char *path, lorat_error *err);

#endif
