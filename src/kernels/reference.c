/*
 * reference.c — plain scalar versions of the kernels, with double accumulation and libm's
 * functions. Slow on purpose: the optimised kernels are tested against these.
 */
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>

void kernels_ref_linear(float *out, const float *inp, const float *weight, const float *bias, int M,
                        int K, int N) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double acc = bias ? bias[n] : 0.0;
            for (int k = 0; k < K; k++) acc += (double)inp[(size_t)m * K + k] * weight[(size_t)n * K + k];
            out[(size_t)m * N + n] = (float)acc;
        }
}

void kernels_ref_layernorm(float *out, const float *inp, const float *weight, const float *bias,
                           float eps, int M, int D) {
    for (int m = 0; m < M; m++) {
        const float *x = inp + (size_t)m * D;
        double mean = 0, var = 0;
        for (int i = 0; i < D; i++) mean += x[i];
        mean /= D;
        for (int i = 0; i < D; i++) var += (x[i] - mean) * (x[i] - mean);
        var /= D;
        double rstd = 1.0 / sqrt(var + eps);
        for (int i = 0; i < D; i++)
            out[(size_t)m * D + i] = (float)((x[i] - mean) * rstd * weight[i] + bias[i]);
    }
}

void kernels_ref_attention(float *out, const float *qkv, int B, int N, int heads, int hd) {
    int D = heads * hd;
    double *p = malloc(sizeof(double) * N);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < N; i++) {
                const float *q = qkv + ((size_t)b * N + i) * 3 * D + h * hd;
                double mx = -INFINITY, sum = 0;
                for (int j = 0; j < N; j++) {
                    const float *k = qkv + ((size_t)b * N + j) * 3 * D + D + h * hd;
                    double d = 0;
                    for (int c = 0; c < hd; c++) d += (double)q[c] * k[c];
                    p[j] = d / sqrt((double)hd);
                    if (p[j] > mx) mx = p[j];
                }
                for (int j = 0; j < N; j++) sum += (p[j] = exp(p[j] - mx));
                for (int c = 0; c < hd; c++) {
                    double acc = 0;
                    for (int j = 0; j < N; j++)
                        acc += p[j] * qkv[((size_t)b * N + j) * 3 * D + 2 * D + h * hd + c];
                    out[((size_t)b * N + i) * D + h * hd + c] = (float)(acc / sum);
                }
            }
    free(p);
}

float kernels_ref_gelu(float x) {
    return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
}
