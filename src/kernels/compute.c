/*
 * compute.c — choosing a backend for a precision, the precisions' names, the GEMM peak that
 * `bench` measures shares of, and the bf16 conversions every backend shares.
 */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/compute.h"
#include "core/tensor.h"
#include "kernels/compute_dnnl.h"

const char *compute_precision_name(lorat_precision p) {
    switch (p) {
    case LORAT_PRECISION_FP32: return "fp32";
    case LORAT_PRECISION_BF16: return "bf16";
    case LORAT_PRECISION_INT8: return "int8";
    }
    return "unknown";
}

int compute_precision_parse(const char *s, lorat_precision *p) {
    if (!s) return -1;
    if (!strcmp(s, "fp32")) *p = LORAT_PRECISION_FP32;
    else if (!strcmp(s, "bf16")) *p = LORAT_PRECISION_BF16;
    else if (!strcmp(s, "int8")) *p = LORAT_PRECISION_INT8;
    else return -1;
    return 0;
}

lorat_status compute_backend_create(lorat_precision precision, const compute_backend **out,
                                    lorat_error *err) {
    *out = NULL;
    switch (precision) {
    case LORAT_PRECISION_FP32: {
        const char *g = getenv("LORAT_FP32_GEMM");
        if (g && !strcmp(g, "onednn")) return dnnl_backend_create(precision, out, err);
        *out = compute_fp32();
        return LORAT_STATUS_OK;
    }
    case LORAT_PRECISION_BF16:
    case LORAT_PRECISION_INT8: return dnnl_backend_create(precision, out, err);
    }
    return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown precision %d", (int)precision);
}

void compute_backend_free(const compute_backend *be) {
    if (!be || be == compute_fp32()) return;
    dnnl_backend_free(be);
}

static double sgemm_peak(int n) {
    float *a = aligned_alloc(64, sizeof(float) * n * n), *b = aligned_alloc(64, sizeof(float) * n * n),
          *c = aligned_alloc(64, sizeof(float) * n * n);
    double best = 0;
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = (float)((i * 7) % 13) * 0.01f;
            b[i] = (float)((i * 5) % 11) * 0.01f;
        }
        for (int rep = 0; rep < 4; rep++) {
            double t0 = omp_get_wtime();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                        c, n);
            double gf = 2.0 * n * n * (double)n / (omp_get_wtime() - t0) / 1e9;
            if (rep > 0 && gf > best) best = gf;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}

double compute_gemm_peak(const compute_backend *be, int n) {
    if (be == compute_fp32()) return sgemm_peak(n);
    return dnnl_gemm_peak(be, n);
}

/* ---- bf16 ------------------------------------------------------------------------------------ */

void bf16_pack(uint16_t *dst, const float *src, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) dst[i] = f32_to_bf16(src[i]);
}

void bf16_unpack(float *dst, const uint16_t *src, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) dst[i] = bf16_to_f32(src[i]);
}

void bf16_pack_serial(uint16_t *dst, const float *src, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) dst[i] = f32_to_bf16(src[i]);
}

void bf16_round_serial(float *dst, const float *src, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) dst[i] = bf16_to_f32(f32_to_bf16(src[i]));
}

float bf16_round(float x) {
    return bf16_to_f32(f32_to_bf16(x));
}

void bf16_round_f32(float *dst, const float *src, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) dst[i] = bf16_to_f32(f32_to_bf16(src[i]));
}
