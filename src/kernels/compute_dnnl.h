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

void cpu_patchify(compute_ctx *ctx, float *rows, const float *z, const float *x, int B, int hz,
                  int wz, int hx, int wx, int p);
void cpu_embed(compute_ctx *ctx, float *tok, const float *patch_b, const float *pos,
               const float *type, const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx,
               int D);
void cpu_gather_rows(compute_ctx *ctx, float *out, const float *in, int B, int N, int first, int n,
                     int D);
void cpu_scatter_rows(compute_ctx *ctx, float *out, const float *in, int B, int N, int first, int n,
                      int D);
void cpu_copy(compute_ctx *ctx, float *dst, const float *src, size_t n);
void cpu_zero(compute_ctx *ctx, float *dst, size_t n);
void cpu_box_decode(compute_ctx *ctx, float *boxes, const float *reg_sig, int B, int gw, int gh);
void cpu_transfer(compute_ctx *ctx, float *dst, const float *src, size_t n);
void cpu_box_decode_backward(compute_ctx *ctx, float *d_reg, const float *dboxes,
                             const float *reg_sig, size_t n);
void cpu_embed_backward(compute_ctx *ctx, float *dpos, float *dtype, const float *d,
                        const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx, int D);

/* The glue entries of a CPU ops table. */
#define CPU_GLUE_OPS                                                                               \
    .patchify = cpu_patchify, .embed = cpu_embed, .gather_rows = cpu_gather_rows,                \
    .scatter_rows = cpu_scatter_rows, .copy = cpu_copy, .zero = cpu_zero,                        \
    .box_decode = cpu_box_decode, .download = cpu_transfer, .upload = cpu_transfer,              \
    .box_decode_backward = cpu_box_decode_backward, .embed_backward = cpu_embed_backward

#endif
