/*
 * augment.c — see augment.h. Serial code: the loader runs one sample per worker thread, so
 * nothing here opens an OpenMP region.
 */
#include "data/augment.h"

#include <math.h>
#include <string.h>

void augment_hflip(float *chw, int w, int h) {
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++) {
            float *row = chw + ((size_t)c * h + y) * w;
            for (int a = 0, b = w - 1; a < b; a++, b--) {
                float t = row[a];
                row[a] = row[b];
                row[b] = t;
            }
        }
}

void augment_hflip_box(double box[4], int w) {
    double x1 = box[0], x2 = box[2];
    box[0] = w - x2;
    box[2] = w - x1;
}

void augment_color_draw(color_jitter *cj, float strength, rng *r) {
    float lo = 1.0f - strength, span = 2.0f * strength;
    /* torchvision draws the factors first, then the order (randperm). */
    cj->brightness = lo + span * rng_uniform(r);
    cj->contrast = lo + span * rng_uniform(r);
    cj->saturation = lo + span * rng_uniform(r);
    int o[3] = {0, 1, 2};
    for (int i = 2; i > 0; i--) {
        int j = (int)(rng_next(r) % (uint64_t)(i + 1));
        int t = o[i];
        o[i] = o[j];
        o[j] = t;
    }
    memcpy(cj->order, o, sizeof o);
}

static float clamp01(float v) {
    return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

static float gray(float r, float g, float b) {
    return 0.2989f * r + 0.587f * g + 0.114f * b;
}

void augment_color_apply(float *chw, int w, int h, const color_jitter *cj) {
    const size_t n = (size_t)w * h;
    float *R = chw, *G = chw + n, *B = chw + 2 * n;
    for (int k = 0; k < 3; k++) {
        switch (cj->order[k]) {
        case 0: {
            float f = cj->brightness;
            for (size_t i = 0; i < 3 * n; i++)
                chw[i] = clamp01(f * chw[i]);
            break;
        }
        case 1: {
            float f = cj->contrast;
            double sum = 0;
            for (size_t i = 0; i < n; i++)
                sum += gray(R[i], G[i], B[i]);
            float m = (float)(sum / (double)n), add = (1.0f - f) * m;
            for (size_t i = 0; i < 3 * n; i++)
                chw[i] = clamp01(f * chw[i] + add);
            break;
        }
        default: {
            float f = cj->saturation, g1 = 1.0f - f;
            for (size_t i = 0; i < n; i++) {
                float l = g1 * gray(R[i], G[i], B[i]);
                R[i] = clamp01(f * R[i] + l);
                G[i] = clamp01(f * G[i] + l);
                B[i] = clamp01(f * B[i] + l);
            }
            break;
        }
        }
    }
}

void augment_deit3_draw(deit3_aug *a, rng *r) {
    a->kind = (deit3_kind)(rng_next(r) % 3);
    a->radius = 0.1f + 1.9f * rng_uniform(r);
}

size_t augment_deit3_scratch(int w, int h) {
    return 3 * (size_t)w * h + (size_t)(w > h ? w : h);
}

/* Pillow's _gaussian_blur_radius: the extended box radius whose n passes have variance r²
 * (Gwosdek et al., "Theoretical foundations of Gaussian convolution by extended box filtering"). */
float augment_gaussian_box_radius(float radius, int passes) {
    float sigma2 = radius * radius / (float)passes;
    float L = sqrtf(12.0f * sigma2 + 1.0f);
    float l = floorf((L - 1.0f) / 2.0f);
    float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
    a /= 6 * (sigma2 - (l + 1) * (l + 1));
    return l + a;
}

/* Pillow's ImagingLineBoxBlur: a box of 2r+1 pixels with weight ww each and the two pixels just
 * outside it with weight fw (the fractional part), edges extended, 24-bit fixed point. */
static void box_blur_line(uint8_t *out, ptrdiff_t out_step, const uint8_t *in, int n,
                          float fradius) {
    int r = (int)fradius;
    uint32_t ww = (uint32_t)((float)(1 << 24) / (fradius * 2 + 1));
    uint32_t fw = ((1u << 24) - (uint32_t)(r * 2 + 1) * ww) / 2;
    int last = n - 1;
#define AT(i) in[(i) < 0 ? 0 : ((i) > last ? last : (i))]
    uint32_t acc = 0;
    for (int k = -r; k <= r; k++)
        acc += AT(k);
    for (int x = 0; x < n; x++) {
        uint64_t bulk = (uint64_t)acc * ww + (uint64_t)(AT(x - r - 1) + AT(x + r + 1)) * fw;
        out[x * out_step] = (uint8_t)((bulk + (1u << 23)) >> 24);
        acc += AT(x + r + 1);
        acc -= AT(x - r);
    }
#undef AT
}

void augment_box_blur_u8(uint8_t *plane, int w, int h, float radius, int passes, uint8_t *line) {
    if (radius == 0) return;
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) {
            memcpy(line, plane + (size_t)y * w, (size_t)w);
            box_blur_line(plane + (size_t)y * w, 1, line, w, radius);
        }
    for (int p = 0; p < passes; p++)
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++)
                line[y] = plane[(size_t)y * w + x];
            box_blur_line(plane + x, w, line, h, radius);
        }
}

void augment_deit3_apply(float *chw, int w, int h, const deit3_aug *a, void *scratch) {
    const size_t n = (size_t)w * h;
    uint8_t *u = scratch, *line = u + 3 * n;
    /* torchvision's to_pil_image: byte(v·255), which truncates. */
    for (size_t i = 0; i < 3 * n; i++)
        u[i] = (uint8_t)(chw[i] * 255.0f);
    switch (a->kind) {
    case DEIT3_GRAYSCALE:
        for (size_t i = 0; i < n; i++) {
            uint32_t l = (u[i] * 19595u + u[n + i] * 38470u + u[2 * n + i] * 7471u + 0x8000u) >> 16;
            u[i] = u[n + i] = u[2 * n + i] = (uint8_t)l;
        }
        break;
    case DEIT3_SOLARIZE:
        for (size_t i = 0; i < 3 * n; i++)
            if (u[i] >= 128) u[i] = (uint8_t)(255 - u[i]);
        break;
    case DEIT3_BLUR: {
        float br = augment_gaussian_box_radius(a->radius, 3);
        for (int c = 0; c < 3; c++)
            augment_box_blur_u8(u + c * n, w, h, br, 3, line);
        break;
    }
    }
    for (size_t i = 0; i < 3 * n; i++)
        chw[i] = (float)u[i] / 255.0f;
}
