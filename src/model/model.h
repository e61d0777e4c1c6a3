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
#include "kernels/compute.h"
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

/* The matrices of a block as the backend holds them (see kernels/compute.h): every product
 * of the forward and backward passes reads these, never the float views directly. */
typedef struct block_linears {
    compute_weight qkv, proj, fc1, fc2;
    compute_weight lora_A[LORA_SITES], lora_B[LORA_SITES]; /* only while LoRA is not merged */
} block_linears;

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
    block_linears lin;
} block_weights;

typedef struct model_weights {
    float *patch_w, *patch_b; /* (D,3,p,p), (D) */
    float *pos_embed;         /* (Hx·Wx, D) */
    float *type_embed;        /* (3, D) */
    float *norm_w, *norm_b;
    float *head_w[2][3], *head_b[2][3]; /* [cls, reg][layer] */
    block_weights *blocks;
    compute_weight patch_lin;   /* (D, 3·p·p) */
    compute_weight head_lin[2][3];
} model_weights;

struct lorat_model {
    model_config cfg;
    param_desc *params;
    int n_params;
    float *frozen, *trainable;
    size_t n_frozen, n_trainable;
    model_weights w;
    const compute_backend *be; /* the backend its weights are prepared for (fp32 by default) */
    compute_use use;           /* what they were prepared for */
    int f32_released;          /* the fp32 copies of the frozen matrices are gone: the backend
                                  holds the only copy (inference at bf16 / int8) */
};

/* Prepares the weights for a precision: makes the backend, packs every matrix (int8: the
 * blocks' linears; the patch embedding, head and LoRA stay bf16), and for inference at bf16 or
 * int8 releases the fp32 copies of the frozen matrices (the model then cannot be saved, merged
 * or trained; load it again for that). fp32 inference and training keep them. */
lorat_status model_prepare(lorat_model *m, lorat_precision precision, compute_use use,
                           lorat_error *err);
/* Rebuilds the frozen block without the matrices the backend now holds alone (the patch
 * embedding and the blocks' linears): what bf16 LoRA training does, whose frozen weights are read
 * only as bf16. The model can then no longer be saved, cloned or merged. */
lorat_status model_release_frozen(lorat_model *m, lorat_error *err);
/* Points the matrix handles at the parameter views (fp32, nothing packed); after the layout
 * changes (creation, LoRA merge). */
void model_bind_linears(lorat_model *m);
/* Frees the backend's copies of the matrices. */
void model_unpack(lorat_model *m);
/* After the optimiser changed the trainable tensors (full: all tensors): the backend's copies
 * are made again from the fp32 values. No-op for fp32. */
void model_weights_changed(lorat_model *m, int all);
/* Bytes the weights take as the backend holds them (fp32 views still held included). */
size_t model_weight_bytes(const lorat_model *m);

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

/* Where the forward pass writes one block's activations (M = B·N rows). Training keeps each
 * block's own; inference points every block at the same few buffers (a pointer that equals
 * another means "in place": res_mid == res_in, act == hpre, ...). */
typedef struct block_acts {
    float *res_in;        /* (M,D) stream entering the block (LN1 input) */
    float *ln1;           /* (M,D) */
    float *mean1, *rstd1; /* (M), or NULL: not kept */
    float *u_qkv[3];      /* (M,r) ln1·Aᵀ of the q, k, v LoRA */
    float *qkv;           /* (M,3D) after bias */
    float *att;           /* (M,D) attention output (proj input) */
    float *u_proj;        /* (M,r) */
    float *y1;            /* (M,D) proj output before bias */
    float *res_mid;       /* (M,D) stream after the attention residual (LN2 input) */
    float *ln2;           /* (M,D) */
    float *mean2, *rstd2; /* (M), or NULL */
    float *u_fc1;         /* (M,r) */
    float *hpre;          /* (M,H or 2H) fc1 output with bias (activation input) */
    float *act;           /* (M,H) GELU/SwiGLU output (fc2 input) */
    float *u_fc2;         /* (M,r) */
    float *y2;            /* (M,D) fc2 output before bias */
    float *res_out;       /* (M,D) stream leaving the block (the next block's res_in) */
} block_acts;

/* Every buffer of one forward pass. */
typedef struct forward_acts {
    float *patches;        /* (M,3·p·p) im2col of every template and search image */
    block_acts *blocks;    /* depth */
    float *normed;         /* (M,D) final LayerNorm output */
    float *nmean, *nrstd;  /* (M), or NULL */
    float *head_in;        /* (Mx,D) search tokens of normed */
    float *head_pre[2][2]; /* [branch][layer] (Mx,D) linear output with bias */
    float *head_act[2][2]; /* [branch][layer] (Mx,D) after GELU (== head_pre: in place) */
    float *reg_sig;        /* (Mx,4) sigmoid of the reg branch */
    float *score;          /* (Mx) logits, in the backend's memory */
    float *boxes;          /* (Mx,4) normalised xyxy, in the backend's memory */
} forward_acts;

typedef struct forward_probe forward_probe;

/* The one forward pass, for inference and training alike: z, x, z_mask as model_forward (the
 * caller's memory); the outputs go to a->score and a->boxes, and from there into score
 * (B,Hx,Wx) and boxes (B,Hx,Wx,4) in the caller's memory. Every touch of an activation is a call
 * into the backend's ops table. */
void model_forward_acts(const lorat_model *m, compute_ctx *ctx, const forward_acts *a,
                        const float *z, const float *x, const uint8_t *z_mask, int B, float *score,
                        float *boxes, forward_probe *probe);

/* The compute plan of a workspace for batch B at the current thread count. */
compute_plan model_compute_plan(const lorat_model *m, int B, compute_use use);

typedef struct model_workspace model_workspace;

/* Plans and allocates the activations for batch B (once; reused for every call), and the
 * compute context, which runs with the thread count current at this call. */
lorat_status model_workspace_create(const lorat_model *m, int B, model_workspace **out,
                                    lorat_error *err);
void model_workspace_free(model_workspace *ws);
int model_workspace_threads(const model_workspace *ws);
/* What went wrong in the backend since the workspace was made (its outputs are then NaN), or
 * NULL. */
const char *model_workspace_failure(const model_workspace *ws);

/* Called with each token tensor (B,N,D) if given: "tokens_embed", "tokens_block<i>",
 * "tokens_norm". Also time per stage when timing is on. */
struct forward_probe {
    void (*on_tokens)(void *ctx, const char *name, const float *tokens, int B, int N, int D);
    void *ctx;
    double seconds[8]; /* accumulated: patch+embed, attention part, ffn part, head, ... */
    int timing;
};
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
/* The same with every tensor as dt: F32, or BF16 (half the size; round to nearest even). */
lorat_status model_save_as(const lorat_model *m, const char *path, dtype dt, lorat_error *err);

#endif
