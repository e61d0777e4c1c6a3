/*
 * backward.c — the backward kernels of training (see kernels_backward.h for the conventions),
 * and their scalar references.
 *
 * Every matrix product is one CBLAS call: dinp = dout·W, dW += doutᵀ·inp. Reductions over rows
 * (bias, LayerNorm and LayerScale gradients) split the COLUMNS among threads, so each thread
 * owns its slice of the gradient and no partial buffers or atomics are needed. Attention
 * recomputes its probabilities from q and k (one N×N product per head) rather than keeping
 * B·heads·N² floats per block. Not here: the loss (train/loss.c) and the model-level pass
 * (model/backward.c).
 */
#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Column slices of this width are the unit of work of the row reductions. */
enum { COLS = 64 };

void layernorm_forward_stats(float *out, float *mean, float *rstd, const float *inp,
                             const float *weight, const float *bias, float eps, int M, int D) {
    // inp (M,D), weight (D), bias (D), out (M,D), mean (M), rstd (M)
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *x = inp + (size_t)m * D;
        float *y = out + (size_t)m * D;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int i = 0; i < D; i++)
            sum += x[i];
        float mu = sum / D;
        float var = 0.0f;
#pragma omp simd reduction(+ : var)
        for (int i = 0; i < D; i++)
            var += (x[i] - mu) * (x[i] - mu);
        float rs = 1.0f / sqrtf(var / D + eps);
#pragma omp simd
        for (int i = 0; i < D; i++)
            y[i] = (x[i] - mu) * rs * weight[i] + bias[i];
        mean[m] = mu;
        rstd[m] = rs;
    }
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout, int ldd,
                     const float *inp, const float *weight, int M, int K, int N, int accumulate) {
    // inp (M,K), weight (N,K), dout (M,N) stride ldd; dinp (M,K), dweight (N,K), dbias (N)
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, 1.0f, dout, ldd, weight, K,
                    accumulate ? 1.0f : 0.0f, dinp, K);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, 1.0f, dout, ldd, inp, K, 1.0f,
                    dweight, K);
    if (dbias) bias_backward(dbias, dout, ldd, M, N);
}

void lora_backward(float *dinp, float *dA, float *dB, const float *dout, int ldd, const float *inp,
                   const float *u, const float *A, const float *B, float scale, float *tmp, int M,
                   int K, int N, int r) {
    // inp (M,K), u (M,r), A (r,K), B (N,r), dout (M,N) stride ldd, tmp (M,r)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, r, M, scale, dout, ldd, u, r, 1.0f, dB,
                r);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, r, N, scale, dout, ldd, B, r, 0.0f,
                tmp, r);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, K, M, 1.0f, tmp, r, inp, K, 1.0f, dA,
                K);
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, r, 1.0f, tmp, r, A, K, 1.0f,
                    dinp, K);
}

void bias_backward(float *dbias, const float *x, int ldx, int M, int N) {
    // x (M,N) stride ldx; dbias (N) += column sums
    const int chunks = (N + COLS - 1) / COLS;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; c++) {
        const int c0 = c * COLS, c1 = c0 + COLS < N ? c0 + COLS : N;
        float acc[COLS] = {0};
        for (int m = 0; m < M; m++) {
            const float *xr = x + (size_t)m * ldx;
#pragma omp simd
            for (int i = c0; i < c1; i++)
                acc[i - c0] += xr[i];
        }
        for (int i = c0; i < c1; i++)
            dbias[i] += acc[i - c0];
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean, const float *rstd,
                        int M, int D) {
    // inp (M,D), weight (D), mean (M), rstd (M), dout (M,D); dinp (M,D) +=, dweight (D), dbias (D)
    /* dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dout·weight. */
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *x = inp + (size_t)m * D, *dy = dout + (size_t)m * D;
        float *dx = dinp + (size_t)m * D;
        const float mu = mean[m], rs = rstd[m];
        float sg = 0.0f, sgx = 0.0f;
#pragma omp simd reduction(+ : sg, sgx)
        for (int i = 0; i < D; i++) {
            float g = dy[i] * weight[i];
            sg += g;
            sgx += g * (x[i] - mu) * rs;
        }
        sg /= D;
        sgx /= D;
#pragma omp simd
        for (int i = 0; i < D; i++) {
            float xh = (x[i] - mu) * rs;
            dx[i] += rs * (dy[i] * weight[i] - sg - xh * sgx);
        }
    }
    if (!dweight && !dbias) return;
    const int chunks = (D + COLS - 1) / COLS;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; c++) {
        const int c0 = c * COLS, c1 = c0 + COLS < D ? c0 + COLS : D;
        float aw[COLS] = {0}, ab[COLS] = {0};
        for (int m = 0; m < M; m++) {
            const float *x = inp + (size_t)m * D, *dy = dout + (size_t)m * D;
            const float mu = mean[m], rs = rstd[m];
#pragma omp simd
            for (int i = c0; i < c1; i++) {
                aw[i - c0] += dy[i] * (x[i] - mu) * rs;
                ab[i - c0] += dy[i];
            }
        }
        for (int i = c0; i < c1; i++) {
            if (dweight) dweight[i] += aw[i - c0];
            if (dbias) dbias[i] += ab[i - c0];
        }
    }
}

void residual_backward(float *dy, float *dgamma, float *dbias, const float *dx, const float *y,
                       const float *bias, const float *gamma, int M, int D) {
    // dx (M,D), y (M,D), bias (D), gamma (D); dy (M,D), dgamma (D), dbias (D)
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *g = dx + (size_t)m * D;
        float *o = dy + (size_t)m * D;
        if (gamma) {
#pragma omp simd
            for (int i = 0; i < D; i++)
                o[i] = gamma[i] * g[i];
        } else {
            memcpy(o, g, sizeof(float) * D);
        }
    }
    if (!dgamma && !dbias) return;
    const int chunks = (D + COLS - 1) / COLS;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; c++) {
        const int c0 = c * COLS, c1 = c0 + COLS < D ? c0 + COLS : D;
        float ag[COLS] = {0}, ab[COLS] = {0};
        for (int m = 0; m < M; m++) {
            const float *g = dx + (size_t)m * D;
            const float *yr = y ? y + (size_t)m * D : NULL;
            for (int i = c0; i < c1; i++) {
                if (yr) ag[i - c0] += g[i] * (bias ? yr[i] + bias[i] : yr[i]);
                ab[i - c0] += g[i];
            }
        }
        for (int i = c0; i < c1; i++) {
            if (dgamma) dgamma[i] += ag[i - c0];
            if (dbias) dbias[i] += (gamma ? gamma[i] : 1.0f) * ab[i - c0];
        }
    }
}

void gelu_backward(float *dinp, const float *dout, const float *inp, int M, int N) {
    // inp (M,N) pre-activation, dout (M,N); dinp (M,N) = dout·(Φ(x) + x·φ(x))
    const size_t n = (size_t)M * N;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        const float x = inp[i];
        const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
        const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        dinp[i] = dout[i] * (cdf + x * pdf);
    }
}

void swiglu_backward(float *dinp, const float *dout, const float *inp, int M, int H) {
    // inp (M,2H) = [a | b], dout (M,H); dinp (M,2H)
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *a = inp + (size_t)m * 2 * H, *b = a + H, *g = dout + (size_t)m * H;
        float *da = dinp + (size_t)m * 2 * H, *db = da + H;
        for (int i = 0; i < H; i++) {
            const float sg = 1.0f / (1.0f + expf(-a[i]));
            const float silu = a[i] * sg;
            da[i] = g[i] * b[i] * sg * (1.0f + a[i] * (1.0f - sg));
            db[i] = g[i] * silu;
        }
    }
}

size_t attention_backward_scratch_floats(int N, int threads) {
    return (size_t)2 * N * N * (threads > 0 ? threads : 1);
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, float *scratch,
                        int threads, int B, int N, int heads, int hd) {
    // qkv (B,N,3,heads,hd), dout (B,N,heads·hd); dqkv (B,N,3,heads,hd); scratch (threads,2,N,N)
    const int D = heads * hd;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
    for (int bh = 0; bh < B * heads; bh++) {
        const int b = bh / heads, h = bh % heads;
        float *P = scratch + (size_t)omp_get_thread_num() * 2 * N * N, *dS = P + (size_t)N * N;
        const float *q = qkv + (size_t)b * N * 3 * D + (size_t)h * hd, *k = q + D, *v = q + 2 * D;
        float *dq = dqkv + (size_t)b * N * 3 * D + (size_t)h * hd, *dk = dq + D, *dv = dq + 2 * D;
        const float *dO = dout + (size_t)b * N * D + (size_t)h * hd;
        /* P = softmax(scale·q·kᵀ), as the forward computes it. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, hd, scale, q, 3 * D, k, 3 * D,
                    0.0f, P, N);
        for (int i = 0; i < N; i++) {
            float *row = P + (size_t)i * N;
            float mx = row[0];
            for (int j = 1; j < N; j++)
                mx = row[j] > mx ? row[j] : mx;
            for (int j = 0; j < N; j++)
                row[j] -= mx;
            vexp(row, N);
            float sum = 0.0f;
            for (int j = 0; j < N; j++)
                sum += row[j];
            const float inv = 1.0f / sum;
            for (int j = 0; j < N; j++)
                row[j] *= inv;
        }
        /* dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ = s·dS·K; dK = s·dSᵀ·Q. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, hd, N, 1.0f, P, N, dO, D, 0.0f, dv,
                    3 * D);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, hd, 1.0f, dO, D, v, 3 * D, 0.0f,
                    dS, N);
        for (int i = 0; i < N; i++) {
            const float *p = P + (size_t)i * N;
            float *ds = dS + (size_t)i * N;
            float dot = 0.0f;
            for (int j = 0; j < N; j++)
                dot += p[j] * ds[j];
            for (int j = 0; j < N; j++)
                ds[j] = p[j] * (ds[j] - dot);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, hd, N, scale, dS, N, k, 3 * D,
                    0.0f, dq, 3 * D);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, hd, N, scale, dS, N, q, 3 * D, 0.0f,
                    dk, 3 * D);
    }
}

/* ---- scalar references ---------------------------------------------------------------------- */

void kernels_ref_attention_backward(float *dqkv, const float *dout, const float *qkv, int B, int N,
                                    int heads, int hd) {
    const int D = heads * hd;
    const double scale = 1.0 / sqrt((double)hd);
    double *P = malloc(sizeof(double) * N * N), *dP = malloc(sizeof(double) * N * N);
    memset(dqkv, 0, sizeof(float) * (size_t)B * N * 3 * D);
#define QKV(t, part, c) qkv[((size_t)b * N + (t)) * 3 * D + (part)*D + h * hd + (c)]
#define DQKV(t, part, c) dqkv[((size_t)b * N + (t)) * 3 * D + (part)*D + h * hd + (c)]
#define DOUT(t, c) dout[((size_t)b * N + (t)) * D + h * hd + (c)]
    for (int b = 0; b < B; b++)
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < N; i++) {
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int c = 0; c < hd; c++)
                        s += (double)QKV(i, 0, c) * QKV(j, 1, c);
                    P[i * N + j] = s * scale;
                    if (P[i * N + j] > mx) mx = P[i * N + j];
                }
                for (int j = 0; j < N; j++)
                    sum += (P[i * N + j] = exp(P[i * N + j] - mx));
                for (int j = 0; j < N; j++)
                    P[i * N + j] /= sum;
            }
            for (int i = 0; i < N; i++) {
                double dot = 0;
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int c = 0; c < hd; c++)
                        s += (double)DOUT(i, c) * QKV(j, 2, c);
                    dP[i * N + j] = s;
                    dot += s * P[i * N + j];
                }
                for (int j = 0; j < N; j++)
                    dP[i * N + j] = P[i * N + j] * (dP[i * N + j] - dot);
            }
            for (int j = 0; j < N; j++)
                for (int c = 0; c < hd; c++) {
                    double dv = 0, dq = 0, dk = 0;
                    for (int i = 0; i < N; i++) {
                        dv += P[i * N + j] * DOUT(i, c);
                        dq += dP[j * N + i] * QKV(i, 1, c);
                        dk += dP[i * N + j] * QKV(i, 0, c);
                    }
                    DQKV(j, 2, c) = (float)dv;
                    DQKV(j, 0, c) = (float)(dq * scale);
                    DQKV(j, 1, c) = (float)(dk * scale);
                }
        }
#undef QKV
#undef DQKV
#undef DOUT
    free(P);
    free(dP);
}

void kernels_ref_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, float eps, int M,
                                    int D) {
    for (int m = 0; m < M; m++) {
        const float *x = inp + (size_t)m * D, *dy = dout + (size_t)m * D;
        double mu = 0, var = 0, sg = 0, sgx = 0;
        for (int i = 0; i < D; i++)
            mu += x[i];
        mu /= D;
        for (int i = 0; i < D; i++)
            var += (x[i] - mu) * (x[i] - mu);
        const double rs = 1.0 / sqrt(var / D + eps);
        for (int i = 0; i < D; i++) {
            sg += (double)dy[i] * weight[i];
            sgx += (double)dy[i] * weight[i] * (x[i] - mu) * rs;
        }
        sg /= D;
        sgx /= D;
        for (int i = 0; i < D; i++) {
            const double xh = (x[i] - mu) * rs;
            dinp[(size_t)m * D + i] += (float)(rs * ((double)dy[i] * weight[i] - sg - xh * sgx));
            if (dweight) dweight[i] += (float)(dy[i] * xh);
            if (dbias) dbias[i] += dy[i];
        }
    }
}
