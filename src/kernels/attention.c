/*
 * attention.c — softmax(q·kᵀ/√hd)·v for every (sample, head), no mask.
 *
 * q, k and v are read in place from the fused qkv projection (row stride 3·D), so nothing is
 * transposed or copied. The (sample, head) pairs are spread over the threads; each runs its two
 * products single-threaded (OpenBLAS does so inside an OpenMP parallel region) on its own N×N
 * scratch.
 */
#include "kernels/kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>

size_t attention_scratch_floats(int N, int threads) {
    return (size_t)N * N * (threads > 0 ? threads : 1);
}

static void softmax_rows(float *s, int rows, int cols) {
    for (int i = 0; i < rows; i++) {
        float *row = s + (size_t)i * cols;
        float mx = row[0];
        for (int j = 1; j < cols; j++) mx = row[j] > mx ? row[j] : mx;
#pragma omp simd
        for (int j = 0; j < cols; j++) row[j] -= mx;
        vexp(row, cols);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < cols; j++) sum += row[j];
        float inv = 1.0f / sum;
#pragma omp simd
        for (int j = 0; j < cols; j++) row[j] *= inv;
    }
}

void attention_forward(float *out, const float *qkv, float *scratch, int threads, int B, int N,
                       int heads, int hd) {
    // qkv (B,N,3,heads,hd), out (B,N,heads*hd), scratch (threads,N,N)
    const int D = heads * hd;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
    for (int bh = 0; bh < B * heads; bh++) {
        int b = bh / heads, h = bh % heads;
        float *s = scratch + (size_t)omp_get_thread_num() * N * N;
        const float *q = qkv + (size_t)b * N * 3 * D + (size_t)h * hd;
        const float *k = q + D, *v = q + 2 * D;
        float *o = out + (size_t)b * N * D + (size_t)h * hd;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, hd, scale, q, 3 * D, k, 3 * D,
                    0.0f, s, N);
        softmax_rows(s, N, N);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, hd, N, 1.0f, s, N, v, 3 * D, 0.0f,
                    o, D);
    }
}
