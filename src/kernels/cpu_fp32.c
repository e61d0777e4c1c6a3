/*
 * cpu_fp32.c — the default backend: fp32 everywhere, products through OpenBLAS, elementwise
 * kernels of elementwise.c and backward.c. Its weights are the model's own fp32 tensors (no
 * copy, nothing packed), so the outputs are those of the kernels called directly.
 *
 * Its context holds the attention scratch, one N×N score matrix per planned thread (two in
 * training, where backward also keeps dS), and the thread count the attention runs with.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/compute.h"
#include "kernels/compute_dnnl.h"
#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"

typedef struct fp32_ctx {
    compute_ctx base;
    float *scratch;
} fp32_ctx;

static lorat_status fp32_ctx_create(const compute_backend *be, const compute_plan *plan,
                                    compute_ctx **out, lorat_error *err) {
    *out = NULL;
    fp32_ctx *c = calloc(1, sizeof *c);
    if (!c) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate a compute context");
    c->base.be = be;
    c->base.ops = be->ops;
    c->base.plan = *plan;
    if (c->base.plan.threads < 1) c->base.plan.threads = 1;
    const int T = c->base.plan.threads;
    size_t n = plan->use == COMPUTE_TRAINING ? attention_backward_scratch_floats(plan->N, T)
                                             : attention_scratch_floats(plan->N, T);
    c->scratch = aligned_alloc(64, ((n + 15) & ~(size_t)15) * sizeof(float));
    if (!c->scratch) {
        free(c);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "cannot allocate %.1f MB of attention scratch for %d threads", n * 4e-6, T);
    }
    *out = &c->base;
    return LORAT_STATUS_OK;
}

static void fp32_ctx_free(compute_ctx *ctx) {
    fp32_ctx *c = (fp32_ctx *)ctx;
    free(c->scratch);
    free(c);
}

static const char *fp32_failure(const compute_ctx *ctx) {
    (void)ctx;
    return NULL;
}

static void *cpu_alloc(compute_ctx *ctx, size_t bytes) {
    (void)ctx;
    return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
}

static void cpu_free(compute_ctx *ctx, void *p) {
    (void)ctx;
    free(p);
}

static lorat_status fp32_weight_pack(const compute_backend *be, compute_weight *w, compute_use use,
                                     int quantise, lorat_error *err) {
    (void)be, (void)use, (void)quantise;
    if (!w->f32) return err_set(err, LORAT_STATUS_INTERNAL, "an fp32 weight has no values");
    w->packed = NULL;
    w->packed_bytes = 0;
    return LORAT_STATUS_OK;
}

static void fp32_weight_refresh(const compute_backend *be, compute_weight *w) {
    (void)be, (void)w;
}

static void fp32_weight_free(const compute_backend *be, compute_weight *w) {
    (void)be, (void)w;
}

static void fp32_linear(compute_ctx *ctx, float *out, int ldo, const float *inp,
                        const compute_weight *w, const float *bias, int M) {
    linear_forward(out, ldo, inp, w->f32, bias, M, w->K, w->N);
}

static void fp32_lora(compute_ctx *ctx, float *out, int ldo, const float *inp,
                      const compute_weight *A, const compute_weight *B, float s, float *u, int M) {
    lora_forward(out, ldo, inp, A->f32, B->f32, s, u, M, A->K, B->N, A->N);
}

void cpu_layernorm(compute_ctx *ctx, float *out, float *mean, float *rstd, const float *inp,
                   const float *weight, const float *bias, float eps, int M, int D) {
    if (mean)
        layernorm_forward_stats(out, mean, rstd, inp, weight, bias, eps, M, D);
    else
        layernorm_forward(out, inp, weight, bias, eps, M, D);
}

void cpu_residual(compute_ctx *ctx, float *x, const float *y, const float *bias, const float *gamma,
                  int M, int D) {
    residual_forward(x, y, bias, gamma, M, D);
}

void cpu_bias(compute_ctx *ctx, float *x, int ldx, const float *bias, int M, int N) {
    bias_forward(x, ldx, bias, M, N);
}

void cpu_gelu(compute_ctx *ctx, float *x, const float *bias, int M, int N) {
    gelu_forward(x, bias, M, N);
}

void cpu_swiglu(compute_ctx *ctx, float *out, const float *inp, const float *bias, int M, int H) {
    swiglu_forward(out, inp, bias, M, H);
}

void cpu_sigmoid(compute_ctx *ctx, float *x, size_t n) {
    sigmoid_forward(x, n);
}

static void fp32_attention(compute_ctx *ctx, float *out, const float *qkv, int B, int N, int heads,
                           int hd) {
    fp32_ctx *c = (fp32_ctx *)ctx;
    attention_forward(out, qkv, c->scratch, ctx->plan.threads, B, N, heads, hd);
}

static void fp32_linear_backward(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                                 const float *dout, int ldd, const float *inp,
                                 const compute_weight *w, int M, int accumulate) {
    linear_backward(dinp, dweight, dbias, dout, ldd, inp, w->f32, M, w->K, w->N, accumulate);
}

static void fp32_lora_backward(compute_ctx *ctx, float *dinp, float *dA, float *dB,
                               const float *dout, int ldd, const float *inp, const float *u,
                               const compute_weight *A, const compute_weight *B, float s,
                               float *tmp, int M) {
    lora_backward(dinp, dA, dB, dout, ldd, inp, u, A->f32, B->f32, s, tmp, M, A->K, B->N, A->N);
}

void cpu_bias_backward(compute_ctx *ctx, float *dbias, const float *x, int ldx, int M, int N) {
    bias_backward(dbias, x, ldx, M, N);
}

void cpu_layernorm_backward(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const float *mean, const float *rstd, int M, int D) {
    layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, M, D);
}

void cpu_residual_backward(compute_ctx *ctx, float *dy, float *dgamma, float *dbias,
                           const float *dx, const float *y, const float *bias, const float *gamma,
                           int M, int D) {
    residual_backward(dy, dgamma, dbias, dx, y, bias, gamma, M, D);
}

void cpu_gelu_backward(compute_ctx *ctx, float *dinp, const float *dout, const float *inp, int M,
                       int N) {
    gelu_backward(dinp, dout, inp, M, N);
}

void cpu_swiglu_backward(compute_ctx *ctx, float *dinp, const float *dout, const float *inp, int M,
                         int H) {
    swiglu_backward(dinp, dout, inp, M, H);
}

static void fp32_attention_backward(compute_ctx *ctx, float *dqkv, const float *dout,
                                    const float *qkv, int B, int N, int heads, int hd) {
    fp32_ctx *c = (fp32_ctx *)ctx;
    attention_backward(dqkv, dout, qkv, c->scratch, ctx->plan.threads, B, N, heads, hd);
}

static const compute_ops fp32_ops = {
    .name = "cpu-fp32",
    .ctx_create = fp32_ctx_create,
    .ctx_free = fp32_ctx_free,
    .failure = fp32_failure,
    .buffer_alloc = cpu_alloc,
    .buffer_free = cpu_free,
    .weight_pack = fp32_weight_pack,
    .weight_refresh = fp32_weight_refresh,
    .weight_free = fp32_weight_free,
    .linear = fp32_linear,
    .lora = fp32_lora,
    .layernorm = cpu_layernorm,
    .residual = cpu_residual,
    .bias = cpu_bias,
    .gelu = cpu_gelu,
    .swiglu = cpu_swiglu,
    .sigmoid = cpu_sigmoid,
    .attention = fp32_attention,
    CPU_GLUE_OPS,
    .linear_backward = fp32_linear_backward,
    .lora_backward = fp32_lora_backward,
    .bias_backward = cpu_bias_backward,
    .layernorm_backward = cpu_layernorm_backward,
    .residual_backward = cpu_residual_backward,
    .gelu_backward = cpu_gelu_backward,
    .swiglu_backward = cpu_swiglu_backward,
    .attention_backward = fp32_attention_backward,
};

static const compute_backend fp32_backend = {
    .ops = &fp32_ops,
    .precision = LORAT_PRECISION_FP32,
    .native = 1,
    .isa = "OpenBLAS sgemm",
};

const compute_backend *compute_fp32(void) {
    return &fp32_backend;
}

/* The CPU buffers and elementwise kernels, for the oneDNN backend's table. */
void *cpu_buffer_alloc(compute_ctx *ctx, size_t bytes) {
    return cpu_alloc(ctx, bytes);
}

void cpu_buffer_free(compute_ctx *ctx, void *p) {
    cpu_free(ctx, p);
}
