/*
 * elementwise.c — LayerNorm, LayerScale + residual, GELU, SwiGLU, sigmoid, and the vectorisable
 * exp/erf they rest on.
 *
 * glibc's expf/erff are accurate but scalar, and a B-224 frame needs ~15 M exponentials and
 * ~12 M error functions: scalar calls alone would cost a tenth of the frame. The loops here run
 * 8 lanes at a time through simd.h where the CPU has AVX2, and the same formulas in scalar code
 * elsewhere. Biases of the preceding GEMM are fused into these passes (one pass over the data
 * instead of two).
 */
#include "kernels/kernels.h"
#include "kernels/simd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(x) by range reduction x = n·ln2 + r, |r| <= ln2/2, and a degree-6 polynomial for e^r
 * (Cephes' coefficients); 2^n is built in the exponent bits. */
static inline float exp_inline(float x) {
    if (x != x) return x; /* NaN stays NaN (and never reaches the integer conversion below) */
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

/* erf(x) = 1 − (a1·t + … + a5·t⁵)·e^{−x²}, t = 1/(1 + p·|x|) (Abramowitz & Stegun 7.1.26,
 * |error| <= 1.5e-7), with the sign restored. */
static inline float erf_inline(float x) {
    float ax = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * ax);
    float y = 1.061405429f;
    y = y * t - 1.453152027f;
    y = y * t + 1.421413741f;
    y = y * t - 0.284496736f;
    y = y * t + 0.254829592f;
    y = 1.0f - y * t * exp_inline(-ax * ax);
    return copysignf(y, x);
}

float exp_fast(float x) {
    return exp_inline(x);
}

float erf_fast(float x) {
    return erf_inline(x);
}

void vexp(float *x, size_t n) {
    size_t i = 0;
#ifdef LORAT_AVX512
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, v16_exp(_mm512_loadu_ps(x + i)));
#endif
#ifdef LORAT_AVX2
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, v8_exp(_mm256_loadu_ps(x + i)));
#endif
    for (; i < n; i++) x[i] = exp_inline(x[i]);
}

static inline float gelu_inline(float x) {
    return 0.5f * x * (1.0f + erf_inline(x * 0.70710678118654752f));
}

void layernorm_forward(float *out, const float *inp, const float *weight, const float *bias,
                       float eps, int M, int D) {
    // inp (M,D), weight (D), bias (D), out (M,D)
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *x = inp + (size_t)m * D;
        float *y = out + (size_t)m * D;
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int i = 0; i < D; i++) sum += x[i];
        float mean = sum / D;
        float var = 0.0f;
#pragma omp simd reduction(+ : var)
        for (int i = 0; i < D; i++) var += (x[i] - mean) * (x[i] - mean);
        float rstd = 1.0f / sqrtf(var / D + eps);
#pragma omp simd
        for (int i = 0; i < D; i++) y[i] = (x[i] - mean) * rstd * weight[i] + bias[i];
    }
}

void residual_forward(float *x, const float *y, const float *bias, const float *gamma, int M, int D) {
    // x (M,D) += gamma (D) * (y (M,D) + bias (D))
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        float *xr = x + (size_t)m * D;
        const float *yr = y + (size_t)m * D;
        for (int i = 0; i < D; i++) {
            float v = bias ? yr[i] + bias[i] : yr[i];
            xr[i] += gamma ? gamma[i] * v : v;
        }
    }
}

void bias_forward(float *x, int ldx, const float *bias, int M, int N) {
    // x (M,N) with row stride ldx += bias (N)
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        float *xr = x + (size_t)m * ldx;
        for (int i = 0; i < N; i++) xr[i] += bias[i];
    }
}

void gelu_forward(float *x, const float *bias, int M, int N) {
    // x (M,N) = gelu(x + bias (N)); bias may be NULL
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        float *xr = x + (size_t)m * N;
        int i = 0;
#ifdef LORAT_AVX512
        for (; i + 16 <= N; i += 16) {
            __m512 v = _mm512_loadu_ps(xr + i);
            if (bias) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + i));
            _mm512_storeu_ps(xr + i, v16_gelu(v));
        }
#endif
#ifdef LORAT_AVX2
        for (; i + 8 <= N; i += 8) {
            __m256 v = _mm256_loadu_ps(xr + i);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
            _mm256_storeu_ps(xr + i, v8_gelu(v));
        }
#endif
        for (; i < N; i++) xr[i] = gelu_inline(bias ? xr[i] + bias[i] : xr[i]);
    }
}

void swiglu_forward(float *out, const float *inp, const float *bias, int M, int H) {
    // inp (M,2H) + bias (2H): gate x1 = [:, :H], value x2 = [:, H:]; out (M,H) = silu(x1) * x2
#pragma omp parallel for schedule(static)
    for (int m = 0; m < M; m++) {
        const float *g = inp + (size_t)m * 2 * H, *v = g + H;
        float *o = out + (size_t)m * H;
        int i = 0;
#ifdef LORAT_AVX512
        for (; i + 16 <= H; i += 16) {
            __m512 gv = _mm512_loadu_ps(g + i), vv = _mm512_loadu_ps(v + i);
            if (bias) {
                gv = _mm512_add_ps(gv, _mm512_loadu_ps(bias + i));
                vv = _mm512_add_ps(vv, _mm512_loadu_ps(bias + H + i));
            }
            __m512 den = _mm512_add_ps(_mm512_set1_ps(1.0f), v16_exp(_mm512_sub_ps(_mm512_setzero_ps(), gv)));
            _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_div_ps(gv, den), vv));
        }
#endif
#ifdef LORAT_AVX2
        for (; i + 8 <= H; i += 8) {
            __m256 gv = _mm256_loadu_ps(g + i), vv = _mm256_loadu_ps(v + i);
            if (bias) {
                gv = _mm256_add_ps(gv, _mm256_loadu_ps(bias + i));
                vv = _mm256_add_ps(vv, _mm256_loadu_ps(bias + H + i));
            }
            __m256 den = _mm256_add_ps(_mm256_set1_ps(1.0f), v8_exp(_mm256_sub_ps(_mm256_setzero_ps(), gv)));
            _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_div_ps(gv, den), vv));
        }
#endif
        for (; i < H; i++) {
            float gi = bias ? g[i] + bias[i] : g[i], vi = bias ? v[i] + bias[H + i] : v[i];
            o[i] = gi / (1.0f + exp_inline(-gi)) * vi;
        }
    }
}

void sigmoid_forward(float *x, size_t n) {
    size_t i = 0;
#ifdef LORAT_AVX512
    for (; i + 16 <= n; i += 16) {
        __m512 e = v16_exp(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_loadu_ps(x + i)));
        _mm512_storeu_ps(x + i, _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e)));
    }
#endif
#ifdef LORAT_AVX2
    for (; i + 8 <= n; i += 8) {
        __m256 e = v8_exp(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_loadu_ps(x + i)));
        _mm256_storeu_ps(x + i, _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
    }
#endif
    for (; i < n; i++) x[i] = 1.0f / (1.0f + exp_inline(-x[i]));
}

/* gelu_backward with this file's exp and erf (|error| <= 1.5e-7) instead of libm's, vectorised:
 * for the bf16 backend, whose products round far more than that; the fp32 backend keeps libm's
 * (kernels/backward.c), exact to the official gradients as before. */
void gelu_backward_fast(float *dinp, const float *dout, const float *inp, int M, int N) {
    const size_t n = (size_t)M * N;
    const size_t chunk = 4096, chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
    for (size_t q = 0; q < chunks; q++) {
        size_t i = q * chunk;
        const size_t end = i + chunk < n ? i + chunk : n;
#ifdef LORAT_AVX512
        for (; i + 16 <= end; i += 16) {
            const __m512 x = _mm512_loadu_ps(inp + i);
            const __m512 cdf = _mm512_mul_ps(
                _mm512_set1_ps(0.5f),
                _mm512_add_ps(_mm512_set1_ps(1.0f), v16_erf(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)))));
            const __m512 pdf = _mm512_mul_ps(
                _mm512_set1_ps(0.39894228040143268f),
                v16_exp(_mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_mul_ps(x, x))));
            _mm512_storeu_ps(dinp + i, _mm512_mul_ps(_mm512_loadu_ps(dout + i), _mm512_fmadd_ps(x, pdf, cdf)));
        }
#endif
#ifdef LORAT_AVX2
        for (; i + 8 <= end; i += 8) {
            const __m256 x = _mm256_loadu_ps(inp + i);
            const __m256 cdf = _mm256_mul_ps(
                _mm256_set1_ps(0.5f),
                _mm256_add_ps(_mm256_set1_ps(1.0f), v8_erf(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)))));
            const __m256 pdf = _mm256_mul_ps(
                _mm256_set1_ps(0.39894228040143268f),
                v8_exp(_mm256_mul_ps(_mm256_set1_ps(-0.5f), _mm256_mul_ps(x, x))));
            _mm256_storeu_ps(dinp + i, _mm256_mul_ps(_mm256_loadu_ps(dout + i), _mm256_fmadd_ps(x, pdf, cdf)));
        }
#endif
        for (; i < end; i++) {
            const float x = inp[i];
            const float cdf = 0.5f * (1.0f + erf_inline(x * 0.70710678118654752f));
            const float pdf = 0.39894228040143268f * exp_inline(-0.5f * x * x);
            dinp[i] = dout[i] * (x * pdf + cdf);
        }
    }
}
