/*
 * posembed.c — resizing DINOv2's 37×37 position grid to the search grid, exactly as PyTorch's
 * F.interpolate(mode='bicubic', align_corners=False) without antialias computes it (spec §1.3):
 * per axis, src = (o + 0.5)·in/out − 0.5 (not clamped), i0 = floor(src), t = src − i0, taps
 * i0−1 … i0+2 clamped to the grid, Keys' cubic with A = −0.75. Rows are interpolated along x
 * first, then the four results along y, all in fp32, in PyTorch's order of operations.
 *
 * Measured against the official merged pos_embed: bit-exact for 37 -> 8 and 37 -> 16; for a
 * ratio that is not exact in binary (37 -> 11) the values differ by ~1e-6 relative, because
 * PyTorch derives tap index and fraction from differently rounded copies of the source
 * coordinate. That is far inside the 1e-5 parity bar, so we keep the plain formula.
 */
#include <math.h>

#include "model/model.h"

static void cubic_coeffs(float c[4], float t) {
    const float A = -0.75f;
    float x1 = t + 1.0f, x2 = 1.0f - t, x3 = x2 + 1.0f;
    c[0] = ((A * x1 - 5.0f * A) * x1 + 8.0f * A) * x1 - 4.0f * A;
    c[1] = ((A + 2.0f) * t - (A + 3.0f)) * t * t + 1.0f;
    c[2] = ((A + 2.0f) * x2 - (A + 3.0f)) * x2 * x2 + 1.0f;
    c[3] = ((A * x3 - 5.0f * A) * x3 + 8.0f * A) * x3 - 4.0f * A;
}

static void axis_taps(int o, int in, int out, int idx[4], float w[4]) {
    float scale = (float)in / (float)out;
    float src = scale * ((float)o + 0.5f) - 0.5f;
    float i0 = floorf(src);
    float t = src - i0;
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    cubic_coeffs(w, t);
    for (int k = 0; k < 4; k++) {
        int i = (int)i0 - 1 + k;
        idx[k] = i < 0 ? 0 : (i > in - 1 ? in - 1 : i);
    }
}

void posembed_resize(float *out, const float *in, int grid_h, int grid_w, int D, int out_h,
                     int out_w) {
    // in (grid_h, grid_w, D), out (out_h, out_w, D)
    for (int oy = 0; oy < out_h; oy++) {
        int iy[4], ix[4];
        float wy[4], wx[4];
        axis_taps(oy, grid_h, out_h, iy, wy);
        for (int ox = 0; ox < out_w; ox++) {
            axis_taps(ox, grid_w, out_w, ix, wx);
            float *o = out + ((size_t)oy * out_w + ox) * D;
            for (int d = 0; d < D; d++) {
                float rows[4];
                for (int k = 0; k < 4; k++) {
                    const float *r = in + (size_t)iy[k] * grid_w * D + d;
                    rows[k] = r[(size_t)ix[0] * D] * wx[0] + r[(size_t)ix[1] * D] * wx[1] +
                              r[(size_t)ix[2] * D] * wx[2] + r[(size_t)ix[3] * D] * wx[3];
                }
                o[d] = rows[0] * wy[0] + rows[1] * wy[1] + rows[2] * wy[2] + rows[3] * wy[3];
            }
        }
    }
}
