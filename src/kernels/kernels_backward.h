/*
 * kernels_backward.h — the backward kernels of training, fp32, plus the few forward variants
 * that keep what a backward needs (LayerNorm statistics).
 *
 * Conventions, as llm.c: outputs first (dinp, dweight, dbias), then the upstream gradient dout,
 * then the forward's inputs and weights, then sizes. Weight and bias gradients are always
 * ACCUMULATED (+=), so a gradient block is zeroed once per step and a weight used twice sums
 * both uses; any of them may be NULL (a frozen tensor: its gradient is not computed). Input
 * gradients are overwritten unless the kernel says "+=". Shapes in PyTorch order. Matrix
 * products go through CBLAS; elementwise loops are OpenMP.
 */
#ifndef LORAT_KERNELS_BACKWARD_H
#define LORAT_KERNELS_BACKWARD_H

#include <stddef.h>

/* As layernorm_forward (same arithmetic, so the outputs are identical), also writing the row
 * statistics backward needs: mean (M), rstd (M). */
void layernorm_forward_stats(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, float eps, int M, int D);

/* out = inp·weightᵀ (+ bias): inp (M,K), weight (N,K), dout (M,N) with row stride ldd.
 * dinp (M,K) = dout·weight (accumulate 0) or += (accumulate 1); dweight (N,K) += doutᵀ·inp;
 * dbias (N) += Σ_m dout. */
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, int ldd,
                     const float *inp, const float *weight, int M, int K, int N, int accumulate);

/* The LoRA path out += s·u·Bᵀ with u = inp·Aᵀ (M,r) as the forward saved it.
 * inp (M,K), A (r,K), B (N,r), dout (M,N) row stride ldd, tmp (M,r) scratch.
 * dB (N,r) += s·doutᵀ·u; du = s·dout·B; dA (r,K) += duᵀ·inp; dinp (M,K) += du·A (if not NULL). */
void lora_backward(float *dinp, float *dA, float *dB, const float *dout, int ldd, const float *inp,
                   const float *u, const float *A, const float *B, float scale, float *tmp, int M,
                   int K, int N, int r);

/* dbias (N) += Σ_m x (M,N; row stride ldx). */
void bias_backward(float *dbias, const float *x, int ldx, int M, int N);

/* LayerNorm: inp (M,D), weight (D), mean/rstd (M) from layernorm_forward_stats, dout (M,D).
 * dinp (M,D) += ...; dweight (D) += Σ dout·x̂; dbias (D) += Σ dout. */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int M, int D);

/* x += gamma ⊙ (y + bias) (residual_forward): dx (M,D) is the gradient of the stream.
 * dy (M,D) = gamma ⊙ dx; dgamma (D) += Σ dx ⊙ (y + bias); dbias (D) += gamma ⊙ Σ dx.
 * y may be NULL when dgamma is NULL; gamma NULL means 1. */
void residual_backward(float *dy, float *dgamma, float *dbias, const float *dx, const float *y,
                       const float *bias, const float *gamma, int M, int D);

/* out = gelu(inp) (erf form): inp (M,N) pre-activation, dout (M,N); dinp (M,N) = dout·gelu'(inp).
 * dinp may equal dout. */
void gelu_backward(float *dinp, const float *dout, const float *inp, int M, int N);

/* The same with kernels.h's vectorised exp and erf (|error| <= 1.5e-7): the bf16 backend's. */
void gelu_backward_fast(float *dinp, const float *dout, const float *inp, int M, int N);

/* out (M,H) = silu(a)·b, inp (M,2H) = [a | b] pre-activation (bias included), dout (M,H);
 * dinp (M,2H) = [dout·b·silu'(a) | dout·silu(a)]. */
void swiglu_backward(float *dinp, const float *dout, const float *inp, int M, int H);

/* Attention core (attention_forward): qkv (B,N,3,heads,hd), dout (B,N,heads·hd);
 * dqkv (B,N,3D) overwritten. The probabilities are recomputed, not stored: scratch holds
 * attention_backward_scratch_floats(N, threads) floats, and it runs on exactly `threads` threads. */
void attention_backward(float *dqkv, const float *dout, const float *qkv, float *scratch,
                        int threads, int B, int N, int heads, int hd);
size_t attention_backward_scratch_floats(int N, int threads);

/* Scalar references (double accumulation, libm), for tests only. */
void kernels_ref_attention_backward(float *dqkv, const float *dout, const float *qkv, int B, int N,
                                    int heads, int hd);
void kernels_ref_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, float eps, int M, int D);

#endif
