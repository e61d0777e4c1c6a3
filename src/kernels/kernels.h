/*
 * kernels.h — the CPU compute kernels of the forward pass, fp32.
 *
 * Shapes are in PyTorch order, last dimension contiguous. Matrix products go through CBLAS
 * (OpenBLAS, OpenMP build, so BLAS threads are our OpenMP threads); elementwise kernels are
 * OpenMP loops written so that the compiler vectorises them. Each kernel has a plain scalar
 * reference (kernels_ref_*) used only by tests.
 */
#ifndef LORAT_KERNELS_H
#define LORAT_KERNELS_H

#include <stddef.h>

/* Sets the thread count of OpenMP and of the BLAS; n <= 0 leaves it as it is, more than
 * KERNELS_MAX_THREADS is taken as that. */
#define KERNELS_MAX_THREADS 1024
void kernels_set_threads(int n);
int kernels_get_threads(void);

/* out (M,N) = inp (M,K) · weight (N,K)ᵀ + bias (N) [bias may be NULL].
 * ldo is out's row stride (>= N): lets a product write a column slice of a wider matrix.
 * Where an elementwise pass follows, pass bias NULL here and give it to that pass instead. */
void linear_forward(float *out, int ldo, const float *inp, const float *weight, const float *bias,
                    int M, int K, int N);

/* out (M,N) += scale · (inp (M,K) · A (r,K)ᵀ) · B (N,r)ᵀ — the LoRA path; tmp holds M·r floats. */
void lora_forward(float *out, int ldo, const float *inp, const float *A, const float *B, float scale,
                  float *tmp, int M, int K, int N, int r);

/* out (M,D) = LayerNorm(inp (M,D)) · weight + bias, biased variance, eps inside the sqrt. */
void layernorm_forward(float *out, const float *inp, const float *weight, const float *bias,
                       float eps, int M, int D);

/* x (M,D) += gamma (D) ⊙ (y (M,D) + bias (D))   (bias of the last linear, LayerScale, residual).
 * bias and gamma may be NULL. */
void residual_forward(float *x, const float *y, const float *bias, const float *gamma, int M, int D);

/* x (M,N), row stride ldx, += bias (N). */
void bias_forward(float *x, int ldx, const float *bias, int M, int N);

/* In place: x = gelu(x + bias) with gelu(v) = 0.5·v·(1 + erf(v/√2)); bias (N) may be NULL. */
void gelu_forward(float *x, const float *bias, int M, int N);

/* out (M,H) = silu(a) ⊙ b with a = inp[:, :H] + bias[:H], b = inp[:, H:] + bias[H:];
 * inp (M,2H); bias may be NULL. */
void swiglu_forward(float *out, const float *inp, const float *bias, int M, int H);

/* In place logistic sigmoid. */
void sigmoid_forward(float *x, size_t n);

/* Multi-head self-attention core without mask.
 * qkv (B,N,3,heads,hd) as the fused projection writes it; out (B,N,heads·hd).
 * Runs on exactly `threads` threads; scratch holds attention_scratch_floats(N, threads) floats
 * (one N×N score matrix per thread), so a later change of the OpenMP thread count cannot make
 * a thread index past it. */
void attention_forward(float *out, const float *qkv, float *scratch, int threads, int B, int N,
                       int heads, int hd);
size_t attention_scratch_floats(int N, int threads);

/* Vectorisable exp and erf for fp32 (max error: exp ~2 ulp, erf ~2e-7 absolute). */
void vexp(float *x, size_t n);
float exp_fast(float x);
float erf_fast(float x);

/* Scalar references, for tests only. */
void kernels_ref_linear(float *out, const float *inp, const float *weight, const float *bias, int M,
                        int K, int N);
void kernels_ref_layernorm(float *out, const float *inp, const float *weight, const float *bias,
                           float eps, int M, int D);
void kernels_ref_attention(float *out, const float *qkv, int B, int N, int heads, int hd);
float kernels_ref_gelu(float x);

#endif
