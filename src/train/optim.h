/*
 * optim.h — AdamW with the official parameter groups, gradient clipping and the helpers for
 * gradient accumulation (spec §5).
 *
 * The optimiser works on a list of segments: (name, parameter pointer, gradient pointer, numel,
 * decay flag). In LoRA mode the segments are the trainable tensors, with their gradients in a
 * block that mirrors the trainable block's layout; in full fine-tuning mode the frozen block's
 * tensors are segments too (their gradients mirroring the frozen block). The moments (exp_avg,
 * exp_avg_sq) are one allocation owned by the optimiser, one slice per segment, so each update is
 * one flat, vectorisable loop per segment.
 *
 * Semantics are torch.optim.AdamW's (torch 1.13, single-tensor path) exactly: per step
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)
 * with scalars computed in double and the tensor arithmetic in float, in torch's order.
 * It is not a general optimiser library: no amsgrad, no maximize, no per-group learning rates.
 */
#ifndef LORAT_TRAIN_OPTIM_H
#define LORAT_TRAIN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

typedef struct optim_segment {
    const char *name; /* official tensor name; the state file keys the moments by it */
    float *param;     /* (numel) */
    float *grad;      /* (numel) */
    size_t numel;
    int decay; /* 1: weight decay applies (see optim_param_decays) */
} optim_segment;

typedef struct adamw_config {
    double lr;           /* base learning rate (the schedule gives the lr of each step) */
    double beta1, beta2; /* 0.9, 0.999 */
    double eps;          /* 1e-8 */
    double weight_decay; /* 0.1, for the segments whose decay flag is set */
} adamw_config;

/* The official values: lr 1e-4, β (0.9, 0.999), eps 1e-8, weight decay 0.1. */
void adamw_config_default(adamw_config *cfg);

/* The official groups: no weight decay for tensors with ndim ≤ 1, for norm parameters and for
 * names containing "embed" (token_type_embed, pos_embed, patch_embed.*); decay otherwise. */
int optim_param_decays(const char *name, int ndim);

/* The segments of a model: every trainable parameter, gradient at the same offset in
 * grad_trainable (which mirrors m->trainable: m->n_trainable floats). grad_frozen non-NULL means
 * full fine-tuning: the frozen parameters become segments too, gradients mirroring m->frozen.
 * *out is malloc'd (names point into m->params); free it with free(). */
lorat_status optim_segments_for_model(const lorat_model *m, float *grad_trainable,
                                      float *grad_frozen, optim_segment **out, int *count,
                                      lorat_error *err);

typedef struct adamw {
    adamw_config cfg;
    optim_segment *seg; /* a copy of the segments given to adamw_create */
    int n_seg;
    float *exp_avg, *exp_avg_sq; /* (n_moments) each, 64-byte aligned */
    size_t *moment_offset;       /* (n_seg): where each segment's slice starts */
    size_t n_moments;
    int64_t step; /* updates done */
} adamw;

/* Zeroed moments, step 0. */
lorat_status adamw_create(const optim_segment *seg, int count, const adamw_config *cfg, adamw **out,
                          lorat_error *err);
void adamw_free(adamw *opt);

/* One update of every segment with learning rate lr (from the schedule; the config's lr is the
 * base only). Increments opt->step first, as torch does. */
void adamw_step(adamw *opt, double lr);

/* ---- gradients ---------------------------------------------------------------------------- */

/* ‖g‖₂ over all segments (accumulated in double). */
double grads_global_norm(const optim_segment *seg, int count);

/* torch.nn.utils.clip_grad_norm_(max_norm): coef = max_norm / (norm + 1e-6), and the gradients
 * are multiplied by it when it is < 1. Returns the norm before clipping. A non-finite norm leaves
 * the gradients as they are: the caller should skip the step. */
double grads_clip(const optim_segment *seg, int count, double max_norm);

/* Gradient accumulation over micro-batches: zero before the first, add each micro-batch's
 * gradient block (or let the backward pass add into it), then scale by 1/micro_batches. */
void grads_zero(const optim_segment *seg, int count);
void grads_scale(const optim_segment *seg, int count, float s);
void grads_accumulate(float *dst, const float *src, size_t n); /* dst += src, (n) */

#endif
