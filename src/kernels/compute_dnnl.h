/*
 * compute_dnnl.h — the oneDNN backend (bf16 and int8 products) and the CPU kernels it shares
 * with the fp32 backend. Internal to the kernels room: model/ sees only compute.h.
 */
#ifndef LORAT_KERNELS_COMPUTE_DNNL_H
#define LORAT_KERNELS_COMPUTE_DNNL_H

#include "kernels/compute.h"

lorat_status dnnl_backend_create(lorat_precision precision, const compute_backend **out,
                                 lorat_error *err);
void dnnl_backend_free(const compute_backend *be);
double dnnl_gemm_peak(const compute_backend *be, int n);

/* The fp32 backend's buffers and elementwise kernels (cpu_fp32.c), shared by every CPU table. */
void *cpu_buffer_alloc(compute_ctx *ctx, size_t bytes);
void cpu_buffer_free(compute_ctx *ctx, void *p);
void cpu_layernorm(compute_ctx *ctx, float *out, float *mean, float *rstd, const float *inp,
                   const float *weight, const float *bias, float eps, int M, int D);
void cpu_residual(compute_ctx *ctx, float *x, const float *y, const float *bias, const float *gamma,
                  int M, int D);
void cpu_bias(compute_ctx *ctx, float *x, int ldx, const float *bias, int M, int N);
void cpu_gelu(compute_ctx *ctx, float *x, const float *bias, int M, int N);
void cpu_swiglu(compute_ctx *ctx, float *out, const float *inp, const float *bias, int M, int H);
void cpu_sigmoid(compute_ctx *ctx, float *x, size_t n);
void cpu_bias_backward(compute_ctx *ctx, float *dbias, const float *x, int ldx, int M, int N);
void cpu_layernorm_backward(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const float *mean, const float *rstd, int M, int D);
void cpu_residual_backward(compute_ctx *ctx, float *dy, float *dgamma, float *dbias,
                           const float *dx, const float *y, const float *bias, const float *gamma,
                           int M, int D);
void cpu_gelu_backward(compute_ctx *ctx, float *dinp, const float *dout, const float *inp, int M,
                       int N);
void cpu_swiglu_backward(compute_ctx *ctx, float *dinp, const float *dout, const float *inp, int M,
                         int H);

#endif
