/*
 * compute.h — the compute backends behind one ops table. Nothing above the kernels room calls
 * BLAS or oneDNN: model/ runs every kernel of the forward and backward passes through a
 * compute_ctx, whose ops table belongs to one backend.
 *
 * Three objects:
 *   compute_backend  one per model: its precision and what the library behind it needs
 *                    (oneDNN's engine); it packs the weights.
 *   compute_weight   a weight matrix W (N,K) for products out = inp·Wᵀ, with the backend's copy
 *                    of it (bf16, int8 or a blocked layout) made when the model is prepared, and
 *                    made again when the fp32 values change (an optimiser step, a LoRA merge).
 *   compute_ctx      one per workspace: the thread count it was planned for and runs with, its
 *                    scratch (attention scores, converted operands) and cached primitives.
 *
 * Backends: "cpu-fp32" (OpenBLAS and the kernels of kernels.h: the default, exact to the
 * official code) and "cpu-dnnl" (oneDNN: bf16 products with fp32 accumulation, or int8 products
 * of dynamically quantised activations). Activations cross the interface in fp32 whatever the
 * precision: a backend converts what its products read. A GPU backend would add its own ops
 * table and buffers; model/, track/ and train/ only see this header.
 */
#ifndef LORAT_KERNELS_COMPUTE_H
#define LORAT_KERNELS_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "lorat.h"

typedef struct compute_backend compute_backend;
typedef struct compute_ctx compute_ctx;

typedef enum compute_use {
    COMPUTE_INFERENCE = 0, /* forward only: a backend may pack weights in any layout */
    COMPUTE_TRAINING = 1,  /* forward and backward: products with W and with Wᵀ */
} compute_use;

/* A weight matrix (N,K), row-major, used as out (M,N) = inp (M,K) · Wᵀ. */
typedef struct compute_weight {
    const float *f32; /* (N,K) fp32 values; NULL once released (the backend holds the only copy) */
    int N, K;
    int quantised;    /* the backend holds it as int8 (per-row scales) */
    void *packed;     /* the backend's copy; NULL where the backend reads f32 as it is */
    size_t packed_bytes;
} compute_weight;

/* The largest sizes a context will be asked to run, fixed when a workspace is planned. */
typedef struct compute_plan {
    int threads;        /* the thread count the context runs its threaded kernels with */
    int B, N;           /* batch and tokens per sample: every product has at most B·N rows */
    int heads, head_dim;
    int max_width;      /* the widest operand of any product (K or N) */
    compute_use use;
} compute_plan;

typedef struct compute_ops {
    const char *name;

    /* ---- context and buffers ---- */
    lorat_status (*ctx_create)(const compute_backend *be, const compute_plan *plan,
                               compute_ctx **out, lorat_error *err);
    void (*ctx_free)(compute_ctx *ctx);
    /* What went wrong in a kernel of this context since it was made, or NULL. Kernels cannot
     * return errors; one that fails (a product the library could not make) writes NaN, so no
     * wrong number passes unnoticed, and says why here. */
    const char *(*failure)(const compute_ctx *ctx);
    void *(*buffer_alloc)(compute_ctx *ctx, size_t bytes); /* 64-byte aligned; NULL on failure */
    void (*buffer_free)(compute_ctx *ctx, void *p);

    /* ---- weights ---- */
    /* Makes the backend's copy of w from w->f32 (quantise: int8 if the backend does int8). */
    lorat_status (*weight_pack)(const compute_backend *be, compute_weight *w, compute_use use,
                                int quantise, lorat_error *err);
    /* Makes it again from w->f32 after the values changed (same shape, same layout). */
    void (*weight_refresh)(const compute_backend *be, compute_weight *w);
    void (*weight_free)(const compute_backend *be, compute_weight *w);

    /* ---- forward (shapes as kernels.h) ---- */
    /* out (M,N), row stride ldo, = inp (M,K) · Wᵀ + bias (N) [bias may be NULL] */
    void (*linear)(compute_ctx *ctx, float *out, int ldo, const float *inp, const compute_weight *w,
                   const float *bias, int M);
    /* u (M,r) = inp (M,K) · Aᵀ; out (M,N) += s · u · Bᵀ.  A (r,K), B (N,r) */
    void (*lora)(compute_ctx *ctx, float *out, int ldo, const float *inp, const compute_weight *A,
                 const compute_weight *B, float s, float *u, int M);
    /* layernorm_forward; mean and rstd (M) are written when not NULL */
    void (*layernorm)(compute_ctx *ctx, float *out, float *mean, float *rstd, const float *inp,
                      const float *weight, const float *bias, float eps, int M, int D);
    void (*residual)(compute_ctx *ctx, float *x, const float *y, const float *bias,
                     const float *gamma, int M, int D);
    void (*bias)(compute_ctx *ctx, float *x, int ldx, const float *bias, int M, int N);
    void (*gelu)(compute_ctx *ctx, float *x, const float *bias, int M, int N);
    void (*swiglu)(compute_ctx *ctx, float *out, const float *inp, const float *bias, int M, int H);
    void (*sigmoid)(compute_ctx *ctx, float *x, size_t n);
    /* qkv (B,N,3,heads,hd) -> out (B,N,heads·hd); B and N at most the plan's */
    void (*attention)(compute_ctx *ctx, float *out, const float *qkv, int B, int N, int heads,
                      int hd);

    /* ---- the network's glue, so that model/ touches no activation itself ---- */
    /* rows (B·N, 3·p·p): sample b's template patches (z: host memory, (B,3,hz·p,wz·p)), then
     * its search patches (x: host, (B,3,hx·p,wx·p)), each in Conv2d weight order (c, ky, kx) */
    void (*patchify)(compute_ctx *ctx, float *rows, const float *z, const float *x, int B, int hz,
                     int wz, int hx, int wx, int p);
    /* tok (B·N, D) = ((tok + patch_b) + pos) + type: pos (hx·wx, D), the template taking the
     * top-left hz×wz corner of the grid; type (3, D) row 1/0 by z_mask (host, (B,hz,wz)) for
     * template tokens, row 2 for search tokens */
    void (*embed)(compute_ctx *ctx, float *tok, const float *patch_b, const float *pos,
                  const float *type, const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx,
                  int D);
    /* out (B, n, D) = rows first .. first+n−1 of every sample of in (B, N, D) */
    void (*gather_rows)(compute_ctx *ctx, float *out, const float *in, int B, int N, int first,
                        int n, int D);
    /* out (B, N, D): in (B, n, D) at rows first .. first+n−1 of each sample, zero elsewhere */
    void (*scatter_rows)(compute_ctx *ctx, float *out, const float *in, int B, int N, int first,
                         int n, int D);
    void (*copy)(compute_ctx *ctx, float *dst, const float *src, size_t n);
    void (*zero)(compute_ctx *ctx, float *dst, size_t n);
    /* boxes (B, gh, gw, 4) normalised xyxy = cell centre −/+ ltrb (reg_sig, sigmoid applied) */
    void (*box_decode)(compute_ctx *ctx, float *boxes, const float *reg_sig, int B, int gw, int gh);
    /* the backend's memory <-> the caller's (identity copies on the CPU) */
    void (*download)(compute_ctx *ctx, float *host, const float *dev, size_t n);
    void (*upload)(compute_ctx *ctx, float *dev, const float *host, size_t n);

    /* ---- backward (shapes and conventions as kernels_backward.h) ---- */
    /* d_reg (n,4) = d(box_decode ∘ sigmoid): dboxes (n,4) through the signs of the decode and
     * the sigmoid's derivative at reg_sig */
    void (*box_decode_backward)(compute_ctx *ctx, float *d_reg, const float *dboxes,
                                const float *reg_sig, size_t n);
    /* drows += Σ_t d (B·N, D) row t into its embedding row: pos (index of the grid cell) or
     * type (0/1 by z_mask for template tokens, 2 for search) */
    void (*embed_backward)(compute_ctx *ctx, float *dpos, float *dtype, const float *d,
                           const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx, int D);
    void (*linear_backward)(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                            const float *dout, int ldd, const float *inp, const compute_weight *w,
                            int M, int accumulate);
    void (*lora_backward)(compute_ctx *ctx, float *dinp, float *dA, float *dB, const float *dout,
                          int ldd, const float *inp, const float *u, const compute_weight *A,
                          const compute_weight *B, float s, float *tmp, int M);
    void (*bias_backward)(compute_ctx *ctx, float *dbias, const float *x, int ldx, int M, int N);
    void (*layernorm_backward)(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               const float *mean, const float *rstd, int M, int D);
    void (*residual_backward)(compute_ctx *ctx, float *dy, float *dgamma, float *dbias,
                              const float *dx, const float *y, const float *bias,
                              const float *gamma, int M, int D);
    void (*gelu_backward)(compute_ctx *ctx, float *dinp, const float *dout, const float *inp, int M,
                          int N);
    void (*swiglu_backward)(compute_ctx *ctx, float *dinp, const float *dout, const float *inp,
                            int M, int H);
    void (*attention_backward)(compute_ctx *ctx, float *dqkv, const float *dout, const float *qkv,
                               int B, int N, int heads, int hd);
} compute_ops;

struct compute_backend {
    const compute_ops *ops;
    lorat_precision precision;
    int native;        /* 1: the CPU has the instructions of this precision (else emulated) */
    char isa[160];     /* what the products run on, e.g. "oneDNN avx512_core_bf16" */
    void *state;       /* the backend's own (oneDNN engine) */
};

/* Every context starts with these fields; a backend's context extends it. */
struct compute_ctx {
    const compute_backend *be;
    const compute_ops *ops;
    compute_plan plan;
};

/* The default backend (fp32, OpenBLAS): stateless, shared, never freed. */
const compute_backend *compute_fp32(void);

/* A backend for a precision: fp32 gives compute_fp32(); bf16 and int8 the oneDNN backend. On a
 * CPU without bf16 instructions bf16 is emulated (the same rounding, fp32 speed; native = 0).
 * LORAT_FP32_GEMM=onednn in the environment makes fp32 the oneDNN backend with fp32 products
 * (weights in oneDNN's layout, fp32 copies released at inference): the same numbers within
 * accumulation order, for measuring oneDNN's fp32 kernels against OpenBLAS on a CPU. */
lorat_status compute_backend_create(lorat_precision precision, const compute_backend **out,
                                    lorat_error *err);
void compute_backend_free(const compute_backend *be);

const char *compute_precision_name(lorat_precision p);
/* "fp32", "bf16", "int8" -> 0 and *p; else -1. */
int compute_precision_parse(const char *s, lorat_precision *p);

/* A context for one workspace. */
static inline lorat_status compute_ctx_create(const compute_backend *be, const compute_plan *plan,
                                              compute_ctx **out, lorat_error *err) {
    return be->ops->ctx_create(be, plan, out, err);
}
static inline void compute_ctx_free(compute_ctx *ctx) {
    if (ctx) ctx->ops->ctx_free(ctx);
}

/* Best GFLOP/s of this backend's square product at its precision (the peak `bench` reports
 * shares of), side n, with the current thread count. */
double compute_gemm_peak(const compute_backend *be, int n);

/* The dnnl backend's forced-emulation switch for tests: LORAT_BF16_EMULATE=1 in the environment
 * makes compute_backend_create(bf16) emulate even where the CPU has bf16. */

/* bf16 conversions of whole arrays (core/tensor.h's rounding: nearest even, NaN stays NaN),
 * threaded for large n. The _serial forms run on the calling thread only (inside a parallel
 * loop: a nested parallel region, even one that does not fork, costs more than 320 values). */
void bf16_pack_serial(uint16_t *dst, const float *src, size_t n);
void bf16_round_serial(float *dst, const float *src, size_t n);
void bf16_pack(uint16_t *dst, const float *src, size_t n);
void bf16_unpack(float *dst, const uint16_t *src, size_t n);
/* x rounded to the nearest bf16, kept in an fp32 (what the emulated backend computes with). */
void bf16_round_f32(float *dst, const float *src, size_t n);
float bf16_round(float x);

#endif
