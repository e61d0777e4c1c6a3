/*
 * dnnl_backend.c — the bf16 / int8 backend (and fp32 through oneDNN, LORAT_FP32_GEMM=onednn:
 * operands read where they are, weights in oneDNN's blocked layout): every matrix product (linears, LoRA, the two
 * products of attention, and their backward) through oneDNN's matmul, everything else (LayerNorm,
 * softmax, GELU/SwiGLU, the residual stream) in fp32 with the CPU kernels — what PyTorch's
 * autocast does, except that products write fp32.
 *
 * bf16: operands are rounded to bf16 (round to nearest even) and multiplied with fp32
 * accumulation. Weights are converted once: for inference into oneDNN's blocked layout (the
 * fp32 copies are then released by the model), for training into plain bf16, which serves the
 * products with W and with Wᵀ. Where oneDNN has no bf16 kernel for this CPU (no AVX-512;
 * oneDNN 2.6 needs at least AVX-512 for bf16), or LORAT_BF16_EMULATE=1, bf16 is emulated: the
 * operands are rounded to bf16 but kept in fp32 and multiplied by OpenBLAS — the same numbers
 * within accumulation order, at fp32 speed and memory.
 *
 * int8 (inference): the blocks' linear weights are quantised once, symmetric per output
 * channel; each product quantises its input rows on the fly, symmetric per token, multiplies
 * s8 × s8 into s32 (VNNI where the CPU has it) and scales back by (row scale × channel scale).
 * Everything else at int8 runs as at bf16.
 *
 * Products are described by a key (sizes, strides, scale, accumulate, bias) and their oneDNN
 * primitive is made the first time a context meets the key, then reused. Each context owns its
 * stream, primitives, scratchpad and converted operands, so contexts run concurrently.
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/compute_dnnl.h"
#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"

typedef struct dnnl_state {
    dnnl_engine_t engine;
    int emulate; /* bf16 products as fp32 BLAS on bf16-rounded operands */
    int f32;     /* fp32 products through oneDNN (operands as they are) */
    int qmax;    /* int8 weights in [-qmax, qmax]: 127 with VNNI; 63 without, where oneDNN's
                    u8·s8 pairs (vpmaddubsw) would saturate 16 bits with full-range weights */
} dnnl_state;

/* What compute_weight.packed points to. */
typedef struct packed_weight {
    dnnl_memory_desc_t md; /* layout of data: blocked (inference) or plain (N,K) as {K,N} */
    int blocked;
    void *data;            /* bf16 or s8 values; rounded fp32 when emulating */
    float *scales;         /* int8: (N) per output channel */
} packed_weight;

typedef struct mm_key {
    int s8;                      /* s8 × s8 -> s32, else bf16 × bf16 -> f32 */
    int batch;                   /* 1: a 2-D product */
    int64_t M, N, K;
    int64_t sa[3], sb[3], sc[3]; /* strides (batch, row, col) of A (M,K), B (K,N), C (M,N) */
    int blockedB;                /* B is a packed weight in oneDNN's blocked layout */
    float alpha;
    int beta; /* 1: C += */
    int bias; /* an fp32 bias (N) is added */
} mm_key;

typedef struct mm_entry {
    mm_key key;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c, bias, scratch;
    dnnl_memory_desc_t wmd;
} mm_entry;

typedef struct dnnl_ctx {
    compute_ctx base;
    dnnl_stream_t stream;
    dnnl_engine_t engine;
    int emulate, esz; /* esz: bytes of one operand element (2; 4 when emulating or fp32) */
    int f32;          /* products in fp32: operands are read where they are, not converted */
    mm_entry *cache;
    int n_cache, cap_cache;
    void *scratchpad;
    size_t scratchpad_bytes;
    /* converted operands: a16, b16 (B·N × widest), qkv16 (B·N × 3D); attention per sample:
     * S and dP (heads·N·N fp32), P16 and dS16; int8: q8 and row scales */
    void *a16, *b16, *qkv16, *p16, *ds16;
    float *S, *dP;
    int8_t *q8;
    float *rowscale;
    int failed;
    char failure[256];
} dnnl_ctx;

#define DNNL_OK(call) ((call) == dnnl_success)

static const char *dnnl_status_str(dnnl_status_t s) {
    switch (s) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "no implementation for this CPU";
    default: return "error";
    }
}

/* ---- operands ------------------------------------------------------------------------------- */

/* n contiguous floats into the context's operand type. */
static void to_op(const dnnl_ctx *c, void *dst, const float *src, size_t n) {
    if (c->f32)
        memcpy(dst, src, sizeof(float) * n);
    else if (c->emulate)
        bf16_round_f32(dst, src, n);
    else
        bf16_pack(dst, src, n);
}

/* rows × cols of src (row stride lds) into a contiguous rows × cols operand. */
static void to_op_rows(const dnnl_ctx *c, void *dst, const float *src, int lds, int rows,
                       int cols) {
    if (lds == cols) {
        to_op(c, dst, src, (size_t)rows * cols);
        return;
    }
#pragma omp parallel for schedule(static)
    for (int m = 0; m < rows; m++) {
        char *d = (char *)dst + (size_t)m * cols * c->esz;
        if (c->f32)
            memcpy(d, src + (size_t)m * lds, sizeof(float) * cols);
        else if (c->emulate)
            bf16_round_serial((float *)d, src + (size_t)m * lds, cols);
        else
            bf16_pack_serial((uint16_t *)d, src + (size_t)m * lds, cols);
    }
}

static void *op_at(const dnnl_ctx *c, const void *base, size_t elems) {
    return (char *)base + elems * c->esz;
}

/* ---- products ------------------------------------------------------------------------------- */

static void ctx_fail(dnnl_ctx *c, const char *what, dnnl_status_t s) {
    if (!c->failed)
        snprintf(c->failure, sizeof c->failure, "oneDNN: %s: %s", what, dnnl_status_str(s));
    c->failed = 1;
}

static void md_init(dnnl_memory_desc_t *md, int batch, int64_t rows, int64_t cols,
                    const int64_t *strides, dnnl_data_type_t dt) {
    if (batch > 1) {
        dnnl_dims_t d = {batch, rows, cols}, s = {strides[0], strides[1], strides[2]};
        dnnl_memory_desc_init_by_strides(md, 3, d, dt, s);
    } else {
        dnnl_dims_t d = {rows, cols}, s = {strides[1], strides[2]};
        dnnl_memory_desc_init_by_strides(md, 2, d, dt, s);
    }
}

/* The entry of key k; a blocked B takes the layout wmd its weights were packed in (the same for
 * every weight of that shape: they were packed by the same rule). */
static mm_entry *mm_get(dnnl_ctx *c, const mm_key *k, const dnnl_memory_desc_t *wmd) {
    for (int i = 0; i < c->n_cache; i++)
        if (!memcmp(&c->cache[i].key, k, sizeof *k)) return &c->cache[i];
    if (c->n_cache == c->cap_cache) {
        int cap = c->cap_cache ? 2 * c->cap_cache : 32;
        mm_entry *e = realloc(c->cache, sizeof *e * cap);
        if (!e) {
            ctx_fail(c, "cannot grow the primitive cache", dnnl_out_of_memory);
            return NULL;
        }
        c->cache = e;
        c->cap_cache = cap;
    }
    mm_entry *e = &c->cache[c->n_cache];
    memset(e, 0, sizeof *e);
    e->key = *k;
    const dnnl_data_type_t ab = k->s8 ? dnnl_s8 : c->f32 ? dnnl_f32 : dnnl_bf16;
    const dnnl_data_type_t cd = k->s8 ? dnnl_s32 : dnnl_f32;
    dnnl_memory_desc_t a, b, cc, bias;
    md_init(&a, k->batch, k->M, k->K, k->sa, ab);
    md_init(&cc, k->batch, k->M, k->N, k->sc, cd);
    if (k->blockedB && wmd) {
        b = *wmd;
    } else if (k->blockedB) {
        dnnl_dims_t d = {k->K, k->N};
        dnnl_memory_desc_init_by_tag(&b, 2, d, ab, dnnl_format_tag_any);
    } else {
        md_init(&b, k->batch, k->K, k->N, k->sb, ab);
    }
    if (k->bias) {
        if (k->batch > 1) {
            dnnl_dims_t d = {1, 1, k->N};
            dnnl_memory_desc_init_by_tag(&bias, 3, d, dnnl_f32, dnnl_abc);
        } else {
            dnnl_dims_t d = {1, k->N};
            dnnl_memory_desc_init_by_tag(&bias, 2, d, dnnl_f32, dnnl_ab);
        }
    }
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_matmul_desc_init(&desc, &a, &b, k->bias ? &bias : NULL, &cc);
    if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && k->alpha != 1.0f)
        s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha);
    if (s == dnnl_success && k->beta) {
        s = dnnl_post_ops_create(&po);
        if (s == dnnl_success) s = dnnl_post_ops_append_sum(po, 1.0f);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, po);
    }
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, attr, c->engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&e->prim, pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) {
        if (pd) dnnl_primitive_desc_destroy(pd);
        ctx_fail(c, "cannot make a matrix product", s);
        return NULL;
    }
    e->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t need = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (need > c->scratchpad_bytes) {
        free(c->scratchpad);
        c->scratchpad = aligned_alloc(64, (need + 63) & ~(size_t)63);
        c->scratchpad_bytes = c->scratchpad ? need : 0;
        /* earlier entries' scratchpad memories point at the old buffer: repoint them */
        for (int i = 0; i < c->n_cache; i++)
            if (c->cache[i].scratch) dnnl_memory_set_data_handle(c->cache[i].scratch, c->scratchpad);
    }
    s = dnnl_memory_create(&e->a, &a, c->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success) s = dnnl_memory_create(&e->b, &e->wmd, c->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success) s = dnnl_memory_create(&e->c, &cc, c->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success && k->bias) s = dnnl_memory_create(&e->bias, &bias, c->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success && need)
        s = dnnl_memory_create(&e->scratch, smd, c->engine, c->scratchpad);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success || (need && !c->scratchpad)) {
        ctx_fail(c, "cannot make the product's memory objects", s);
        return NULL;
    }
    c->n_cache++;
    return e;
}

/* Emulation: the same product by OpenBLAS on fp32 operands (bf16-rounded values). */
/* A (rows, cols) with strides (row, col) as CBLAS sees it: not transposed when columns are
 * contiguous (a single row counts as such, whatever its row stride says), else transposed. */
static void blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, int *trans, int *ld) {
    if (cs == 1 && (rs >= cols || rows == 1)) {
        *trans = 0;
        *ld = (int)(rows == 1 ? (rs > cols ? rs : cols) : rs);
    } else {
        *trans = 1;
        *ld = (int)(cols == 1 ? (cs > rows ? cs : rows) : cs);
    }
}

static void mm_blas1(const mm_key *k, const float *A, const float *B, float *C, const float *bias) {
    int ta, tb, lda, ldb;
    blas_layout(k->M, k->K, k->sa[1], k->sa[2], &ta, &lda);
    blas_layout(k->K, k->N, k->sb[1], k->sb[2], &tb, &ldb);
    const int ldc = (int)k->sc[1];
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)k->M, (int)k->N, (int)k->K, k->alpha, A, lda, B, ldb, k->beta ? 1.0f : 0.0f, C,
                ldc);
    if (bias) bias_forward(C, ldc, bias, (int)k->M, (int)k->N);
}

static void mm_blas(const mm_key *k, const float *A, const float *B, float *C, const float *bias) {
    if (k->batch == 1) { /* OpenBLAS threads it; inside a parallel loop it would not */
        mm_blas1(k, A, B, C, bias);
        return;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < k->batch; i++)
        mm_blas1(k, A + i * k->sa[0], B + i * k->sb[0], C + i * k->sc[0], NULL);
}

/* C = alpha·A·B (+ C) (+ bias). A, B in the context's operand type (or s8), C fp32 (or s32). */
static void mm(dnnl_ctx *c, const mm_key *k, const void *A, const void *B, void *C,
               const float *bias, const packed_weight *pw) {
    if (c->emulate && !k->s8) {
        mm_blas(k, A, B, C, bias);
        return;
    }
    mm_entry *e = mm_get(c, k, pw && pw->blocked ? &pw->md : NULL);
    if (e && pw && pw->blocked && !dnnl_memory_desc_equal(&e->wmd, &pw->md)) {
        ctx_fail(c, "a packed weight's layout is not the product's", dnnl_invalid_arguments);
        e = NULL;
    }
    if (!e) { /* never a wrong number: the output becomes NaN and the caller reports failure */
        for (int64_t i = 0; i < k->batch; i++)
            for (int64_t m = 0; m < k->M; m++)
                for (int64_t n = 0; n < k->N; n++)
                    ((float *)C)[i * k->sc[0] + m * k->sc[1] + n] = NAN;
        return;
    }
    dnnl_memory_set_data_handle(e->a, (void *)A);
    dnnl_memory_set_data_handle(e->b, (void *)B);
    dnnl_memory_set_data_handle(e->c, C);
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    int n = 3;
    if (k->bias) {
        dnnl_memory_set_data_handle(e->bias, (void *)bias);
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
    }
    if (e->scratch) args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->scratch};
    dnnl_status_t s = dnnl_primitive_execute(e->prim, c->stream, n, args);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    if (s != dnnl_success) ctx_fail(c, "a matrix product failed", s);
}

/* A 2-D key: A (M,K) row stride lda, B (K,N) with strides (row, col), C (M,N) row stride ldc. */
static mm_key key2(int64_t M, int64_t N, int64_t K, int64_t a_row, int64_t a_col, int64_t b_row,
                   int64_t b_col, int64_t ldc) {
    mm_key k;
    memset(&k, 0, sizeof k);
    k.batch = 1;
    k.M = M, k.N = N, k.K = K;
    k.sa[1] = a_row, k.sa[2] = a_col;
    k.sb[1] = b_row, k.sb[2] = b_col;
    k.sc[1] = ldc, k.sc[2] = 1;
    k.alpha = 1.0f;
    return k;
}

/* inp (M,K) operand times a weight W (N,K) transposed: the forward's product. */
static void mm_weight(dnnl_ctx *c, float *out, int ldo, const void *inp16, const compute_weight *w,
                      const float *bias, float alpha, int beta, int M) {
    const packed_weight *pw = w->packed;
    mm_key k = key2(M, w->N, w->K, w->K, 1, 1, w->K, ldo);
    k.blockedB = pw->blocked;
    if (pw->blocked) k.sb[1] = k.sb[2] = 0;
    k.alpha = alpha;
    k.beta = beta;
    k.bias = bias != NULL;
    mm(c, &k, inp16, pw->data, out, bias, pw);
}

/* ---- weights -------------------------------------------------------------------------------- */

static lorat_status reorder_into(dnnl_engine_t eng, const dnnl_memory_desc_t *from_md, void *from,
                                 const dnnl_memory_desc_t *to_md, void *to, lorat_error *err) {
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_memory_t mf = NULL, mt = NULL;
    dnnl_stream_t st = NULL;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&rpd, from_md, eng, to_md, eng, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&r, rpd);
    if (s == dnnl_success) s = dnnl_memory_create(&mf, from_md, eng, from);
    if (s == dnnl_success) s = dnnl_memory_create(&mt, to_md, eng, to);
    if (s == dnnl_success) s = dnnl_stream_create(&st, eng, dnnl_stream_default_flags);
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, mf}, {DNNL_ARG_TO, mt}};
        s = dnnl_primitive_execute(r, st, 2, args);
        if (s == dnnl_success) s = dnnl_stream_wait(st);
    }
    if (st) dnnl_stream_destroy(st);
    if (mf) dnnl_memory_destroy(mf);
    if (mt) dnnl_memory_destroy(mt);
    if (r) dnnl_primitive_destroy(r);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (s != dnnl_success)
        return err_set(err, LORAT_STATUS_INTERNAL, "oneDNN: cannot pack a weight: %s",
                       dnnl_status_str(s));
    return LORAT_STATUS_OK;
}

/* The blocked layout oneDNN's matmul wants for a (K,N) weight of type dt. */
static lorat_status blocked_md(dnnl_engine_t eng, int64_t K, int64_t N, dnnl_data_type_t dt,
                               dnnl_memory_desc_t *out, lorat_error *err) {
    dnnl_memory_desc_t a, b, c;
    dnnl_dims_t da = {64, K}, db = {K, N}, dc = {64, N};
    dnnl_memory_desc_init_by_tag(&a, 2, da, dt, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&b, 2, db, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c, 2, dc, dt == dnnl_s8 ? dnnl_s32 : dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_matmul_desc_init(&d, &a, &b, NULL, &c);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL);
    if (s != dnnl_success)
        return err_set(err, LORAT_STATUS_UNSUPPORTED, "oneDNN has no %s product for this CPU: %s",
                       dt == dnnl_s8 ? "int8" : dt == dnnl_f32 ? "fp32" : "bf16", dnnl_status_str(s));
    *out = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    return LORAT_STATUS_OK;
}

static void pw_free(packed_weight *pw) {
    if (!pw) return;
    free(pw->data);
    free(pw->scales);
    free(pw);
}

static void dnnl_weight_free(const compute_backend *be, compute_weight *w) {
    (void)be;
    pw_free(w->packed);
    w->packed = NULL;
    w->packed_bytes = 0;
    w->quantised = 0;
}

/* Symmetric per-row int8: q = round(W / s), s = max|W[n,:]| / qmax. */
static void quantise_rows(int8_t *q, float *scales, const float *W, int N, int K, int qmax) {
    const float qm = (float)qmax;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *row = W + (size_t)n * K;
        float amax = 0.0f;
        for (int k = 0; k < K; k++) amax = fmaxf(amax, fabsf(row[k]));
        const float s = amax > 0 ? amax / qm : 1.0f, inv = 1.0f / s;
        for (int k = 0; k < K; k++) {
            float v = nearbyintf(row[k] * inv);
            q[(size_t)n * K + k] = (int8_t)(v > qm ? qm : v < -qm ? -qm : v);
        }
        scales[n] = s;
    }
}

static lorat_status fill_packed(const compute_backend *be, compute_weight *w, packed_weight *pw,
                                lorat_error *err) {
    const dnnl_state *ds = be->state;
    const size_t n = (size_t)w->N * w->K;
    dnnl_memory_desc_t plain;
    dnnl_dims_t d = {w->K, w->N}, str = {1, w->K};
    if (w->quantised) {
        int8_t *q = malloc(n ? n : 1);
        if (!q) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot quantise a weight");
        quantise_rows(q, pw->scales, w->f32, w->N, w->K, ds->qmax);
        dnnl_memory_desc_init_by_strides(&plain, 2, d, dnnl_s8, str);
        lorat_status st = reorder_into(ds->engine, &plain, q, &pw->md, pw->data, err);
        free(q);
        return st;
    }
    if (ds->emulate) {
        bf16_round_f32(pw->data, w->f32, n);
        return LORAT_STATUS_OK;
    }
    if (ds->f32) {
        if (!pw->blocked) {
            memcpy(pw->data, w->f32, sizeof(float) * n);
            return LORAT_STATUS_OK;
        }
        dnnl_memory_desc_init_by_strides(&plain, 2, d, dnnl_f32, str);
        return reorder_into(ds->engine, &plain, (void *)w->f32, &pw->md, pw->data, err);
    }
    if (!pw->blocked) {
        bf16_pack(pw->data, w->f32, n);
        return LORAT_STATUS_OK;
    }
    uint16_t *h = malloc(sizeof(uint16_t) * (n ? n : 1));
    if (!h) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot convert a weight to bf16");
    bf16_pack(h, w->f32, n);
    dnnl_memory_desc_init_by_strides(&plain, 2, d, dnnl_bf16, str);
    lorat_status st = reorder_into(ds->engine, &plain, h, &pw->md, pw->data, err);
    free(h);
    return st;
}

static lorat_status dnnl_weight_pack(const compute_backend *be, compute_weight *w, compute_use use,
                                     int quantise, lorat_error *err) {
    const dnnl_state *ds = be->state;
    dnnl_weight_free(be, w);
    if (!w->f32) return err_set(err, LORAT_STATUS_INTERNAL, "a weight to pack has no values");
    packed_weight *pw = calloc(1, sizeof *pw);
    if (!pw) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate a packed weight");
    lorat_status st = LORAT_STATUS_OK;
    size_t bytes;
    w->quantised = quantise;
    if (quantise) {
        pw->blocked = 1;
        st = blocked_md(ds->engine, w->K, w->N, dnnl_s8, &pw->md, err);
        bytes = st ? 0 : dnnl_memory_desc_get_size(&pw->md);
        pw->scales = malloc(sizeof(float) * w->N);
    } else if (ds->emulate) {
        bytes = sizeof(float) * w->N * w->K;
    } else if (use == COMPUTE_INFERENCE) {
        pw->blocked = 1;
        st = blocked_md(ds->engine, w->K, w->N, ds->f32 ? dnnl_f32 : dnnl_bf16, &pw->md, err);
        bytes = st ? 0 : dnnl_memory_desc_get_size(&pw->md);
    } else {
        dnnl_dims_t d = {w->K, w->N}, str = {1, w->K};
        dnnl_memory_desc_init_by_strides(&pw->md, 2, d, ds->f32 ? dnnl_f32 : dnnl_bf16, str);
        bytes = (ds->f32 ? sizeof(float) : sizeof(uint16_t)) * w->N * w->K;
    }
    if (!st) {
        pw->data = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        if (!pw->data || (quantise && !pw->scales))
            st = err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate %.1f MB for a packed weight",
                         bytes / 1e6);
    }
    if (!st) {
        memset(pw->data, 0, bytes);
        w->packed = pw;
        st = fill_packed(be, w, pw, err);
    }
    if (st) {
        w->packed = NULL;
        pw_free(pw);
        w->quantised = 0;
        return st;
    }
    w->packed_bytes = bytes + (pw->scales ? sizeof(float) * w->N : 0);
    return LORAT_STATUS_OK;
}

static void dnnl_weight_refresh(const compute_backend *be, compute_weight *w) {
    if (!w->packed || !w->f32) return;
    lorat_error err;
    fill_packed(be, w, w->packed, &err);
}

/* ---- context -------------------------------------------------------------------------------- */

static void dnnl_ctx_free(compute_ctx *ctx) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    if (!c) return;
    for (int i = 0; i < c->n_cache; i++) {
        mm_entry *e = &c->cache[i];
        dnnl_primitive_destroy(e->prim);
        dnnl_memory_destroy(e->a);
        dnnl_memory_destroy(e->b);
        dnnl_memory_destroy(e->c);
        if (e->bias) dnnl_memory_destroy(e->bias);
        if (e->scratch) dnnl_memory_destroy(e->scratch);
    }
    free(c->cache);
    if (c->stream) dnnl_stream_destroy(c->stream);
    free(c->scratchpad);
    free(c->a16);
    free(c->b16);
    free(c->qkv16);
    free(c->p16);
    free(c->ds16);
    free(c->S);
    free(c->dP);
    free(c->q8);
    free(c->rowscale);
    free(c);
}

static void *alloc0(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (p) memset(p, 0, bytes);
    return p;
}

static lorat_status dnnl_ctx_create(const compute_backend *be, const compute_plan *plan,
                                    compute_ctx **out, lorat_error *err) {
    *out = NULL;
    const dnnl_state *ds = be->state;
    dnnl_ctx *c = calloc(1, sizeof *c);
    if (!c) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate a compute context");
    c->base.be = be;
    c->base.ops = be->ops;
    c->base.plan = *plan;
    if (c->base.plan.threads < 1) c->base.plan.threads = 1;
    c->engine = ds->engine;
    c->emulate = ds->emulate;
    c->f32 = ds->f32;
    c->esz = ds->emulate || ds->f32 ? 4 : 2;
    const size_t M = (size_t)plan->B * plan->N, W = (size_t)plan->max_width;
    const size_t D = (size_t)plan->heads * plan->head_dim, NN = (size_t)plan->N * plan->N;
    const size_t H = (size_t)plan->heads;
    const int training = plan->use == COMPUTE_TRAINING;
    dnnl_status_t s = dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags);
    c->a16 = alloc0(M * W * c->esz);
    c->b16 = alloc0(M * W * c->esz);
    c->qkv16 = alloc0(M * 3 * D * c->esz);
    c->p16 = alloc0(H * NN * c->esz);
    c->S = alloc0(H * NN * sizeof(float));
    if (training) {
        c->ds16 = alloc0(H * NN * c->esz);
        c->dP = alloc0(H * NN * sizeof(float));
    }
    if (be->precision == LORAT_PRECISION_INT8) {
        c->q8 = alloc0(M * W);
        c->rowscale = alloc0(M * sizeof(float));
    }
    if (s != dnnl_success || !c->a16 || !c->b16 || !c->qkv16 || !c->p16 || !c->S ||
        (training && (!c->ds16 || !c->dP)) ||
        (be->precision == LORAT_PRECISION_INT8 && (!c->q8 || !c->rowscale))) {
        dnnl_ctx_free(&c->base);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "cannot allocate the %s operands for %zu rows", be->ops->name, M);
    }
    *out = &c->base;
    return LORAT_STATUS_OK;
}

/* ---- forward -------------------------------------------------------------------------------- */

/* Symmetric per-row int8 of x (M,K): q8 (M,K), rowscale (M). */
static void quantise_tokens(int8_t *q, float *scale, const float *x, int M, int K) {
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *row = x + (size_t)m * K;
        int8_t *qr = q + (size_t)m * K;
        float amax = 0.0f;
#pragma omp simd reduction(max : amax)
        for (int k = 0; k < K; k++) {
            const float a = fabsf(row[k]);
            amax = a > amax ? a : amax;
        }
        const float s = amax > 0 ? amax / 127.0f : 1.0f, inv = 1.0f / s;
        /* round to nearest even by the 1.5·2^23 trick (|row·inv| <= 127), which vectorises */
#pragma omp simd
        for (int k = 0; k < K; k++) qr[k] = (int8_t)(int)((row[k] * inv + 12582912.0f) - 12582912.0f);
        scale[m] = s;
    }
}

static void dnnl_linear(compute_ctx *ctx, float *out, int ldo, const float *inp,
                        const compute_weight *w, const float *bias, int M) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    if (w->quantised) {
        const packed_weight *pw = w->packed;
        quantise_tokens(c->q8, c->rowscale, inp, M, w->K);
        mm_key k = key2(M, w->N, w->K, w->K, 1, 0, 0, ldo);
        k.s8 = 1;
        k.blockedB = 1;
        int32_t *acc = (int32_t *)out;
        mm(c, &k, c->q8, pw->data, acc, NULL, pw);
        const float *ws = pw->scales, *rs = c->rowscale;
        const int N = w->N;
#pragma omp parallel for schedule(static)
        for (int m = 0; m < M; m++) {
            float *o = out + (size_t)m * ldo;
            const int32_t *a = acc + (size_t)m * ldo;
            const float r = rs[m];
#pragma omp simd
            for (int n = 0; n < N; n++) o[n] = (float)a[n] * (r * ws[n]) + (bias ? bias[n] : 0.0f);
        }
        return;
    }
    const void *a = inp;
    if (!c->f32) to_op(c, c->a16, inp, (size_t)M * w->K), a = c->a16;
    mm_weight(c, out, ldo, a, w, bias, 1.0f, 0, M);
}

static void dnnl_lora(compute_ctx *ctx, float *out, int ldo, const float *inp,
                      const compute_weight *A, const compute_weight *B, float s, float *u, int M) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const int r = A->N;
    const void *a = inp, *b = u;
    if (!c->f32) to_op(c, c->a16, inp, (size_t)M * A->K), a = c->a16;
    mm_weight(c, u, r, a, A, NULL, 1.0f, 0, M);
    if (!c->f32) to_op(c, c->b16, u, (size_t)M * r), b = c->b16;
    mm_weight(c, out, ldo, b, B, NULL, s, 1, M);
}

/* Rows of S (rows × n) -> softmax, written to P (the operand type); S keeps the fp32
 * probabilities when keep is set. */
static void softmax_to_op(const dnnl_ctx *c, void *P, float *S, size_t rows, int n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < rows; i++) {
        float *row = S + i * n;
        float mx = row[0];
#pragma omp simd reduction(max : mx)
        for (int j = 1; j < n; j++) mx = row[j] > mx ? row[j] : mx;
#pragma omp simd
        for (int j = 0; j < n; j++) row[j] -= mx;
        vexp(row, n);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < n; j++) sum += row[j];
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j < n; j++) row[j] *= inv;
        if (c->f32) {
            if (P != S) memcpy((float *)P + i * n, row, sizeof(float) * n);
        } else if (c->emulate)
            bf16_round_serial((float *)P + i * n, row, n);
        else
            bf16_pack_serial((uint16_t *)P + i * n, row, n);
    }
}

/* The batched per-sample keys of attention (heads as the batch). */
static mm_key key_heads(int heads, int64_t M, int64_t N, int64_t K, const int64_t sa[3],
                        const int64_t sb[3], const int64_t sc[3], float alpha) {
    mm_key k;
    memset(&k, 0, sizeof k);
    k.batch = heads;
    k.M = M, k.N = N, k.K = K;
    memcpy(k.sa, sa, sizeof k.sa);
    memcpy(k.sb, sb, sizeof k.sb);
    memcpy(k.sc, sc, sizeof k.sc);
    k.alpha = alpha;
    return k;
}

static void dnnl_attention(compute_ctx *ctx, float *out, const float *qkv, int B, int N, int heads,
                           int hd) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const int64_t D = (int64_t)heads * hd, NN = (int64_t)N * N;
    const float scale = 1.0f / sqrtf((float)hd);
    const void *qkv_op = qkv;
    if (!c->f32) to_op(c, c->qkv16, qkv, (size_t)B * N * 3 * D), qkv_op = c->qkv16;
    void *P = c->f32 ? (void *)c->S : c->p16; /* fp32: the probabilities are read in place */
    /* S = scale·Q·Kᵀ: Q (N,hd) rows 3D apart; Kᵀ (hd,N): element (c,j) = K[j][c]. */
    const mm_key kqk = key_heads(heads, N, N, hd, (int64_t[]){hd, 3 * D, 1},
                                 (int64_t[]){hd, 1, 3 * D}, (int64_t[]){NN, N, 1}, scale);
    /* O = P·V, written as head h's columns of out (B,N,D). */
    const mm_key kpv = key_heads(heads, N, hd, N, (int64_t[]){NN, N, 1}, (int64_t[]){hd, 3 * D, 1},
                                 (int64_t[]){hd, D, 1}, 1.0f);
    for (int b = 0; b < B; b++) {
        const void *q = op_at(c, qkv_op, (size_t)b * N * 3 * D);
        mm(c, &kqk, q, op_at(c, q, D), c->S, NULL, NULL);
        softmax_to_op(c, P, c->S, (size_t)heads * N, N);
        mm(c, &kpv, P, op_at(c, q, 2 * D), out + (size_t)b * N * D, NULL, NULL);
    }
}

/* ---- backward ------------------------------------------------------------------------------- */

static void dnnl_linear_backward(compute_ctx *ctx, float *dinp, float *dweight, float *dbias,
                                 const float *dout, int ldd, const float *inp,
                                 const compute_weight *w, int M, int accumulate) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const packed_weight *pw = w->packed;
    const int N = w->N, K = w->K;
    if (dinp || dweight) to_op_rows(c, c->a16, dout, ldd, M, N);
    if (dinp) { /* dinp (M,K) = dout (M,N) · W (N,K) */
        mm_key k = key2(M, K, N, N, 1, K, 1, K);
        k.beta = accumulate;
        mm(c, &k, c->a16, pw->data, dinp, NULL, NULL);
    }
    if (dweight) { /* dW (N,K) += doutᵀ (N,M) · inp (M,K) */
        to_op(c, c->b16, inp, (size_t)M * K);
        mm_key k = key2(N, K, M, 1, N, K, 1, K);
        k.beta = 1;
        mm(c, &k, c->a16, c->b16, dweight, NULL, NULL);
    }
    if (dbias) bias_backward(dbias, dout, ldd, M, N);
}

static void dnnl_lora_backward(compute_ctx *ctx, float *dinp, float *dA, float *dB,
                               const float *dout, int ldd, const float *inp, const float *u,
                               const compute_weight *A, const compute_weight *B, float s,
                               float *tmp, int M) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const int r = A->N, K = A->K, N = B->N;
    const packed_weight *pa = A->packed, *pb = B->packed;
    to_op_rows(c, c->a16, dout, ldd, M, N);
    if (dB) { /* dB (N,r) += s·doutᵀ (N,M) · u (M,r) */
        to_op(c, c->b16, u, (size_t)M * r);
        mm_key k = key2(N, r, M, 1, N, r, 1, r);
        k.alpha = s;
        k.beta = 1;
        mm(c, &k, c->a16, c->b16, dB, NULL, NULL);
    }
    { /* tmp (M,r) = s·dout (M,N) · B (N,r) */
        mm_key k = key2(M, r, N, N, 1, r, 1, r);
        k.alpha = s;
        mm(c, &k, c->a16, pb->data, tmp, NULL, NULL);
    }
    to_op(c, c->b16, tmp, (size_t)M * r);
    if (dA) { /* dA (r,K) += tmpᵀ (r,M) · inp (M,K) */
        to_op(c, c->a16, inp, (size_t)M * K);
        mm_key k = key2(r, K, M, 1, r, K, 1, K);
        k.beta = 1;
        mm(c, &k, c->b16, c->a16, dA, NULL, NULL);
    }
    if (dinp) { /* dinp (M,K) += tmp (M,r) · A (r,K) */
        mm_key k = key2(M, K, r, r, 1, K, 1, K);
        k.beta = 1;
        mm(c, &k, c->b16, pa->data, dinp, NULL, NULL);
    }
}

static void dnnl_attention_backward(compute_ctx *ctx, float *dqkv, const float *dout,
                                    const float *qkv, int B, int N, int heads, int hd) {
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const int64_t D = (int64_t)heads * hd, NN = (int64_t)N * N;
    const float scale = 1.0f / sqrtf((float)hd);
    to_op(c, c->qkv16, qkv, (size_t)B * N * 3 * D);
    to_op(c, c->b16, dout, (size_t)B * N * D);
    const mm_key kqk = key_heads(heads, N, N, hd, (int64_t[]){hd, 3 * D, 1},
                                 (int64_t[]){hd, 1, 3 * D}, (int64_t[]){NN, N, 1}, scale);
    /* dV (N,hd) = Pᵀ·dO;  dP (N,N) = dO·Vᵀ;  dQ = s·dS·K;  dK = s·dSᵀ·Q (all per head) */
    const mm_key kdv = key_heads(heads, N, hd, N, (int64_t[]){NN, 1, N}, (int64_t[]){hd, D, 1},
                                 (int64_t[]){hd, 3 * D, 1}, 1.0f);
    const mm_key kdp = key_heads(heads, N, N, hd, (int64_t[]){hd, D, 1}, (int64_t[]){hd, 1, 3 * D},
                                 (int64_t[]){NN, N, 1}, 1.0f);
    const mm_key kdq = key_heads(heads, N, hd, N, (int64_t[]){NN, N, 1}, (int64_t[]){hd, 3 * D, 1},
                                 (int64_t[]){hd, 3 * D, 1}, scale);
    const mm_key kdk = key_heads(heads, N, hd, N, (int64_t[]){NN, 1, N}, (int64_t[]){hd, 3 * D, 1},
                                 (int64_t[]){hd, 3 * D, 1}, scale);
    const size_t rows = (size_t)heads * N;
    for (int b = 0; b < B; b++) {
        const void *q = op_at(c, c->qkv16, (size_t)b * N * 3 * D);
        const void *dO = op_at(c, c->b16, (size_t)b * N * D);
        float *dq = dqkv + (size_t)b * N * 3 * D;
        mm(c, &kqk, q, op_at(c, q, D), c->S, NULL, NULL);
        softmax_to_op(c, c->p16, c->S, rows, N); /* S now holds P in fp32 */
        mm(c, &kdv, c->p16, dO, dq + 2 * D, NULL, NULL);
        mm(c, &kdp, dO, op_at(c, q, 2 * D), c->dP, NULL, NULL);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < rows; i++) {
            const float *p = c->S + i * N;
            float *dp = c->dP + i * N;
            float dot = 0.0f;
            for (int j = 0; j < N; j++) dot += p[j] * dp[j];
            for (int j = 0; j < N; j++) dp[j] = p[j] * (dp[j] - dot);
        }
        to_op(c, c->ds16, c->dP, rows * N);
        mm(c, &kdq, c->ds16, op_at(c, q, D), dq, NULL, NULL);
        mm(c, &kdk, c->ds16, q, dq + D, NULL, NULL);
    }
}

static void dnnl_gelu_backward(compute_ctx *ctx, float *dinp, const float *dout, const float *inp,
                               int M, int N) {
    gelu_backward_fast(dinp, dout, inp, M, N);
}

/* ---- the backend ---------------------------------------------------------------------------- */

static const char *dnnl_failure(const compute_ctx *ctx) {
    const dnnl_ctx *c = (const dnnl_ctx *)ctx;
    return c->failed ? c->failure : NULL;
}

static const compute_ops dnnl_ops = {
    .name = "cpu-dnnl",
    .ctx_create = dnnl_ctx_create,
    .ctx_free = dnnl_ctx_free,
    .failure = dnnl_failure,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .weight_pack = dnnl_weight_pack,
    .weight_refresh = dnnl_weight_refresh,
    .weight_free = dnnl_weight_free,
    .linear = dnnl_linear,
    .lora = dnnl_lora,
    .layernorm = cpu_layernorm,
    .residual = cpu_residual,
    .bias = cpu_bias,
    .gelu = cpu_gelu,
    .swiglu = cpu_swiglu,
    .sigmoid = cpu_sigmoid,
    .attention = dnnl_attention,
    CPU_GLUE_OPS,
    .linear_backward = dnnl_linear_backward,
    .lora_backward = dnnl_lora_backward,
    .bias_backward = cpu_bias_backward,
    .layernorm_backward = cpu_layernorm_backward,
    .residual_backward = cpu_residual_backward,
    .gelu_backward = dnnl_gelu_backward,
    .swiglu_backward = cpu_swiglu_backward,
    .attention_backward = dnnl_attention_backward,
};

/* The implementation oneDNN picks for a small product of type dt, or NULL when it has none. */
static int probe_impl(dnnl_engine_t eng, dnnl_data_type_t dt, char *impl, size_t n) {
    dnnl_memory_desc_t a, b, c;
    dnnl_dims_t da = {64, 64}, db = {64, 64};
    dnnl_memory_desc_init_by_tag(&a, 2, da, dt, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&b, 2, db, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c, 2, da, dt == dnnl_s8 ? dnnl_s32 : dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t d;
    dnnl_primitive_desc_t pd = NULL;
    if (!DNNL_OK(dnnl_matmul_desc_init(&d, &a, &b, NULL, &c)) ||
        !DNNL_OK(dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL)))
        return 0;
    const char *s = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
    snprintf(impl, n, "%s", s ? s : "?");
    dnnl_primitive_desc_destroy(pd);
    return 1;
}

lorat_status dnnl_backend_create(lorat_precision precision, const compute_backend **out,
                                 lorat_error *err) {
    *out = NULL;
    compute_backend *be = calloc(1, sizeof *be);
    dnnl_state *ds = calloc(1, sizeof *ds);
    if (!be || !ds) {
        free(be);
        free(ds);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the oneDNN backend");
    }
    dnnl_status_t s = dnnl_engine_create(&ds->engine, dnnl_cpu, 0);
    if (s != dnnl_success) {
        free(be);
        free(ds);
        return err_set(err, LORAT_STATUS_UNSUPPORTED, "oneDNN: cannot make a CPU engine: %s",
                       dnnl_status_str(s));
    }
    be->ops = &dnnl_ops;
    be->precision = precision;
    be->state = ds;
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    const int isa_bf16 = (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
    const int isa_vnni = (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni ||
                         (isa & dnnl_cpu_isa_avx2_vnni) == dnnl_cpu_isa_avx2_vnni;
    char impl[64] = "";
    if (precision == LORAT_PRECISION_FP32) {
        if (!probe_impl(ds->engine, dnnl_f32, impl, sizeof impl)) {
            dnnl_backend_free(be);
            return err_set(err, LORAT_STATUS_UNSUPPORTED, "oneDNN has no fp32 product for this CPU");
        }
        ds->f32 = 1;
        be->native = 1;
        snprintf(be->isa, sizeof be->isa, "oneDNN %s", impl);
        *out = be;
        return LORAT_STATUS_OK;
    }
    const char *force = getenv("LORAT_BF16_EMULATE");
    const int have_bf16 = probe_impl(ds->engine, dnnl_bf16, impl, sizeof impl);
    /* bf16 runs on oneDNN when it has bf16 instructions; oneDNN's own bf16 emulation on plain
     * AVX-512 is slower than fp32 BLAS on rounded operands, which gives the same numbers. */
    ds->emulate = (force && *force && strcmp(force, "0")) || !have_bf16 || !isa_bf16;
    if (precision == LORAT_PRECISION_BF16) {
        be->native = !ds->emulate;
        if (ds->emulate)
            snprintf(be->isa, sizeof be->isa,
                     "bf16 emulated (%s): bf16-rounded operands, fp32 OpenBLAS products",
                     (force && *force && strcmp(force, "0")) ? "LORAT_BF16_EMULATE" :
                                                               "this CPU has no AVX512_BF16 or AMX");
        else
            snprintf(be->isa, sizeof be->isa, "oneDNN %s", impl);
    } else {
        char impl8[64] = "";
        if (!probe_impl(ds->engine, dnnl_s8, impl8, sizeof impl8)) {
            dnnl_backend_free(be);
            return err_set(err, LORAT_STATUS_UNSUPPORTED,
                           "oneDNN has no int8 product for this CPU: use --precision fp32 or bf16");
        }
        be->native = isa_vnni;
        ds->qmax = isa_vnni ? 127 : 63;
        snprintf(be->isa, sizeof be->isa, "oneDNN %s%s; attention %s", impl8,
                 isa_vnni ? "" : " (no VNNI: 7-bit weights)",
                 ds->emulate ? "bf16 emulated" : "bf16");
    }
    *out = be;
    return LORAT_STATUS_OK;
}

void dnnl_backend_free(const compute_backend *be) {
    if (!be) return;
    dnnl_state *ds = be->state;
    if (ds) {
        if (ds->engine) dnnl_engine_destroy(ds->engine);
        free(ds);
    }
    free((compute_backend *)be);
}

double dnnl_gemm_peak(const compute_backend *be, int n) {
    const dnnl_state *ds = be->state;
    const int s8 = be->precision == LORAT_PRECISION_INT8;
    if (!s8 && ds->emulate) return compute_gemm_peak(compute_fp32(), n);
    compute_plan plan = {.threads = omp_get_max_threads(), .B = 1, .N = 1, .heads = 1,
                         .head_dim = 1, .max_width = 1};
    compute_ctx *ctx = NULL;
    lorat_error err;
    if (dnnl_ctx_create(be, &plan, &ctx, &err)) return 0;
    dnnl_ctx *c = (dnnl_ctx *)ctx;
    const size_t es = s8 ? 1 : ds->f32 ? 4 : 2;
    void *a = alloc0((size_t)n * n * es), *b = NULL;
    float *cc = alloc0((size_t)n * n * 4);
    mm_key k = key2(n, n, n, n, 1, 0, 0, n);
    k.s8 = s8;
    k.blockedB = 1;
    mm_entry *e = a && cc ? mm_get(c, &k, NULL) : NULL;
    double best = 0;
    if (e) {
        b = alloc0(dnnl_memory_desc_get_size(&e->wmd));
        packed_weight pw = {.md = e->wmd, .blocked = 1, .data = b};
        for (int rep = 0; b && rep < 4; rep++) {
            double t0 = omp_get_wtime();
            mm(c, &k, a, b, cc, NULL, &pw);
            double gf = 2.0 * n * n * (double)n / (omp_get_wtime() - t0) / 1e9;
            if (rep > 0 && gf > best) best = gf;
        }
    }
    free(a);
    free(b);
    free(cc);
    dnnl_ctx_free(ctx);
    return best;
}

