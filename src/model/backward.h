/*
 * backward.h — training: the forward pass that keeps the activations backward needs, the
 * hand-written backward through the whole model, and the gradient blocks.
 *
 * The model must be in the UNMERGED LoRA layout (lora_rank > 0, lora_merged = 0), as
 * model_load_official(..., merge = 0, ...) or a `--no-merge` model file gives it.
 *
 * Gradients mirror the parameter blocks: grads->trainable has the layout of m->trainable (so an
 * optimiser is one flat loop over n_trainable floats), and in full mode grads->frozen mirrors
 * m->frozen. model_grad_of() maps a parameter's view pointer to its gradient.
 *
 * LoRA mode computes gradients for the trainable block only: through frozen linears only the
 * input gradient flows (no dW for frozen weights). Full mode computes every parameter's gradient
 * (patch embedding, position embedding, norms, LayerScale, all linear weights and biases).
 */
#ifndef LORAT_MODEL_BACKWARD_H
#define LORAT_MODEL_BACKWARD_H

#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

typedef struct model_grads {
    float *trainable; /* n_trainable floats, the layout of m->trainable */
    float *frozen;    /* full mode: n_frozen floats, the layout of m->frozen; else NULL */
    size_t n_trainable, n_frozen;
    int full;
} model_grads;

lorat_status model_grads_create(const lorat_model *m, int full, model_grads **out,
                                lorat_error *err);
void model_grads_zero(model_grads *g);
void model_grads_free(model_grads *g);
/* The gradient of the parameter whose view is `param` (a pointer into m->trainable or
 * m->frozen), or NULL where that gradient is not kept. */
float *model_grad_of(const lorat_model *m, const model_grads *g, const float *param);

/* The activations of the forward pass (model.h's forward_acts, every block its own) and the
 * backward pass's buffers, in one arena planned once for (batch, tokens), and the compute
 * context, planned for the thread count current when the workspace is made. */
typedef struct train_workspace {
    int B, N, Nz, Nx, full;
    int recompute;         /* ln1, ln2 and act are not kept per block: every block's point into
                              ln_shared / act_shared, and backward recomputes them */
    forward_acts fa;       /* fa.blocks[l]: what block l keeps; fa.blocks[l].res_out is
                              block l+1's res_in, the last one's is res_out */
    block_acts *blocks;    /* = fa.blocks */
    float *res_out;        /* (M,D) stream after the last block */
    float *ln_shared;      /* (M,D) recompute only */
    float *act_shared;     /* (M,H) recompute only */
    float *score;          /* (Mx) logits */
    float *boxes;          /* (Mx,4) */
    /* backward scratch */
    float *d_res;     /* (M,D) gradient of the residual stream */
    float *d_y;       /* (M,D) */
    float *d_ln;      /* (M,D) */
    float *d_att;     /* (M,D) */
    float *d_qkv;     /* (M,3D) */
    float *d_hidden;  /* (M,H or 2H) */
    float *d_act;     /* (M,H) */
    float *d_lora;    /* (M,r) */
    float *d_head_in; /* (Mx,D) */
    float *d_head[2]; /* (Mx,D) */
    float *d_out;     /* (Mx,4) */
    float *d_score;   /* (Mx) the loss gradients, uploaded from the caller's */
    float *d_boxes;   /* (Mx,4) */
    compute_ctx *ctx;
    float *block;     /* the one allocation */
    size_t floats;
} train_workspace;

/* Plans and allocates every activation and backward buffer for batch B, once. full: also keep
 * what the frozen parameters' gradients need. recompute: keep neither the LayerNorm outputs nor
 * the MLP activation of the blocks (6 of every 16 floats a block keeps per token), and recompute
 * them in backward from what is kept (the LayerNorm inputs, the fc1 output): a LayerNorm twice
 * and a GELU per block more, the same gradients to the bit. */
lorat_status train_workspace_create(const lorat_model *m, int B, int full, int recompute,
                                    train_workspace **out, lorat_error *err);
void train_workspace_free(train_workspace *ws);

/* The forward of model_forward (same arithmetic, same outputs), keeping the activations.
 * z (B,3,Hz·p,Wz·p), x (B,3,Hx·p,Wx·p), z_mask (B,Hz,Wz) 0/1; the outputs stay in the workspace:
 * ws->score (B,Hx,Wx) logits and ws->boxes (B,Hx,Wx,4) normalised xyxy. B = the workspace's. */
void model_train_forward(const lorat_model *m, train_workspace *ws, const float *z, const float *x,
                         const uint8_t *z_mask);

/* Backward of the last model_train_forward: dscore (B,Hx,Wx) and dboxes (B,Hx,Wx,4) are the
 * loss gradients; parameter gradients are ACCUMULATED into g (zero it first). In full mode g
 * must be a full gradient block and ws a full workspace. */
void model_backward(const lorat_model *m, train_workspace *ws, model_grads *g, const float *dscore,
                    const float *dboxes, const uint8_t *z_mask);

/* FLOPs of one training step (forward + backward) for batch B, LoRA mode or full. */
double model_train_flops(const model_config *c, int B, int full);

#endif
