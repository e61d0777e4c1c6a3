/*
 * glue.c — the CPU backends' kernels for the network's glue: patches into rows, the embedding
 * sums, gathering the search rows for the head, the box decode, and their backward; copies
 * between the backend's memory and the caller's (the same memory on the CPU). Written here so
 * that model/ hands every touch of an activation to its backend, as a GPU backend would need.
 */
#include <string.h>

#include "kernels/compute_dnnl.h"

enum { COLS = 64 };

/* The p×p patches of an image (3,gh·p,gw·p) as rows of 3·p·p values in Conv2d weight order
 * (channel, ky, kx), so that the patch embedding is one GEMM. */
static void im2col(float *rows, const float *img, int gh, int gw, int p) {
    const int W = gw * p, HW = gh * p * W;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < gh * gw; t++) {
        const int ty = t / gw, tx = t % gw;
        float *dst = rows + (size_t)t * 3 * p * p;
        for (int ch = 0; ch < 3; ch++)
            for (int ky = 0; ky < p; ky++)
                memcpy(dst + (ch * p + ky) * p,
                       img + (size_t)ch * HW + (size_t)(ty * p + ky) * W + tx * p,
                       sizeof(float) * p);
    }
}

void cpu_patchify(compute_ctx *ctx, float *rows, const float *z, const float *x, int B, int hz,
                  int wz, int hx, int wx, int p) {
    const int Nz = hz * wz, N = Nz + hx * wx, pp = 3 * p * p;
    const size_t zsz = (size_t)3 * Nz * p * p, xsz = (size_t)3 * hx * wx * p * p;
    for (int b = 0; b < B; b++) {
        im2col(rows + (size_t)b * N * pp, z + b * zsz, hz, wz, p);
        im2col(rows + ((size_t)b * N + Nz) * pp, x + b * xsz, hx, wx, p);
    }
}

void cpu_embed(compute_ctx *ctx, float *tok, const float *patch_b, const float *pos,
               const float *type, const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx,
               int D) {
    const int Nz = hz * wz, N = Nz + hx * wx, M = B * N;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < M; t++) {
        const int b = t / N, i = t % N;
        float *e = tok + (size_t)t * D;
        const float *ps, *ty;
        if (i < Nz) {
            ps = pos + ((size_t)(i / wz) * wx + i % wz) * D;
            ty = type + (size_t)(z_mask[(size_t)b * Nz + i] ? 1 : 0) * D;
        } else {
            ps = pos + (size_t)(i - Nz) * D;
            ty = type + (size_t)2 * D;
        }
        for (int d = 0; d < D; d++) e[d] = ((e[d] + patch_b[d]) + ps[d]) + ty[d];
    }
}

void cpu_gather_rows(compute_ctx *ctx, float *out, const float *in, int B, int N, int first, int n,
                     int D) {
    for (int b = 0; b < B; b++)
        memcpy(out + (size_t)b * n * D, in + ((size_t)b * N + first) * D, sizeof(float) * (size_t)n * D);
}

void cpu_scatter_rows(compute_ctx *ctx, float *out, const float *in, int B, int N, int first, int n,
                      int D) {
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * N * D;
        memset(o, 0, sizeof(float) * (size_t)first * D);
        memcpy(o + (size_t)first * D, in + (size_t)b * n * D, sizeof(float) * (size_t)n * D);
        memset(o + (size_t)(first + n) * D, 0, sizeof(float) * (size_t)(N - first - n) * D);
    }
}

void cpu_copy(compute_ctx *ctx, float *dst, const float *src, size_t n) {
    if (dst != src) memcpy(dst, src, sizeof(float) * n);
}

void cpu_zero(compute_ctx *ctx, float *dst, size_t n) {
    memset(dst, 0, sizeof(float) * n);
}

void cpu_box_decode(compute_ctx *ctx, float *boxes, const float *reg_sig, int B, int gw, int gh) {
    const int Nx = gw * gh, Mx = B * Nx;
    for (int t = 0; t < Mx; t++) {
        const int i = t % Nx, gy = i / gw, gx = i % gw;
        const float cx = ((float)gx + 0.5f) / (float)gw;
        const float cy = ((float)gy + 0.5f) / (float)gh;
        const float *o = reg_sig + (size_t)t * 4;
        float *bx = boxes + (size_t)t * 4;
        bx[0] = cx - o[0];
        bx[1] = cy - o[1];
        bx[2] = cx + o[2];
        bx[3] = cy + o[3];
    }
}

void cpu_transfer(compute_ctx *ctx, float *dst, const float *src, size_t n) {
    if (dst != src) memcpy(dst, src, sizeof(float) * n);
}

void cpu_box_decode_backward(compute_ctx *ctx, float *d_reg, const float *dboxes,
                             const float *reg_sig, size_t n) {
    /* boxes = (cx − l, cy − t, cx + r, cy + b) with (l,t,r,b) = sigmoid(reg) */
    for (size_t t = 0; t < n; t++) {
        const float *sg = reg_sig + t * 4, *db = dboxes + t * 4;
        float *o = d_reg + t * 4;
        const float ds[4] = {-db[0], -db[1], db[2], db[3]};
        for (int q = 0; q < 4; q++) o[q] = ds[q] * sg[q] * (1.0f - sg[q]);
    }
}

void cpu_embed_backward(compute_ctx *ctx, float *dpos, float *dtype, const float *d,
                        const uint8_t *z_mask, int B, int hz, int wz, int hx, int wx, int D) {
    const int Nz = hz * wz, N = Nz + hx * wx;
    const int chunks = (D + COLS - 1) / COLS;
    /* columns split among threads, so no two threads write the same element */
    for (int which = 0; which < 2; which++) {
        float *drows = which == 0 ? dtype : dpos;
        if (!drows) continue;
#pragma omp parallel for schedule(static)
        for (int ch = 0; ch < chunks; ch++) {
            const int c0 = ch * COLS, c1 = c0 + COLS < D ? c0 + COLS : D;
            for (int t = 0; t < B * N; t++) {
                const int b = t / N, i = t % N;
                int row;
                if (which == 1)
                    row = i < Nz ? (i / wz) * wx + i % wz : i - Nz;
                else
                    row = i < Nz ? (z_mask[(size_t)b * Nz + i] ? 1 : 0) : 2;
                float *dst = drows + (size_t)row * D;
                const float *src = d + (size_t)t * D;
                for (int k = c0; k < c1; k++) dst[k] += src[k];
            }
        }
    }
}
