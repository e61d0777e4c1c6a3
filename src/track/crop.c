/*
 * crop.c — the SiamFC crop exactly as the official scale_and_translate does it (spec §4):
 *   1. s = sqrt(Wo·Ho / ((w+p)(h+p))), p = (f−1)(w+h)/2; t = (Wo/2, Ho/2) − s·centre  (float64)
 *   2. output rect = frame rect mapped by (s,t), clipped to the crop, rasterised
 *   3. input rect  = output rect mapped back, rasterised, clipped to the frame
 *   4. fill with the mean, bilinear-resize frame[input rect] into crop[output rect]
 *   5. s' = size(out rect)/size(in rect), t' = out.xy1 − s'·in.xy1   (float32)
 * rasterise(x1,y1,x2,y2) = (⌊x1⌋, ⌊y1⌋, ⌊x2 + 1 − 1e-4⌋, ⌊y2 + 1 − 1e-4⌋), end-exclusive.
 * The same crop with a scale per axis serves training's jittered search crops (data/pair.c).
 */
#include "track/crop.h"

#include <math.h>
#include <stdlib.h>

void image_mean_rgb(const lorat_image *img, float mean[3]) {
    double sum[3] = {0, 0, 0};
    for (int y = 0; y < img->height; y++) {
        const uint8_t *row = img->rgb + (size_t)y * img->stride;
        uint64_t s[3] = {0, 0, 0};
        for (int x = 0; x < img->width; x++) {
            s[0] += row[3 * x];
            s[1] += row[3 * x + 1];
            s[2] += row[3 * x + 2];
        }
        for (int c = 0; c < 3; c++) sum[c] += (double)s[c];
    }
    double n = (double)img->width * img->height;
    for (int c = 0; c < 3; c++) mean[c] = (float)(sum[c] / n);
}

static void rasterise(double r[4]) {
    r[0] = floor(r[0]);
    r[1] = floor(r[1]);
    r[2] = floor(r[2] + 1.0 - 1e-4);
    r[3] = floor(r[3] + 1.0 - 1e-4);
}

static double clampd(double v, double lo, double hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Source taps of one output coordinate for a linear resize of in → out samples
 * (align_corners false; the source coordinate is clamped at 0 as PyTorch does for linear). */
typedef struct tap {
    int i0, i1;
    float l0, l1;
} tap;

static void linear_taps(tap *taps, int in, int out) {
    float scale = (float)in / (float)out;
    for (int o = 0; o < out; o++) {
        float src = (float)(scale * (o + 0.5) - 0.5);
        if (src < 0) src = 0;
        int i0 = (int)src;
        if (i0 > in - 1) i0 = in - 1;
        taps[o].i0 = i0;
        taps[o].i1 = i0 + (i0 < in - 1 ? 1 : 0);
        taps[o].l1 = src - (float)i0;
        taps[o].l0 = 1.0f - taps[o].l1;
    }
}

void crop_siamfc_params(const double box[4], double f, int out_w, int out_h, double *s, double *tx,
                        double *ty) {
    const double w = box[2] - box[0], h = box[3] - box[1];
    const double p = (f - 1.0) * (w + h) / 2.0;
    *s = sqrt((double)out_w * out_h / ((w + p) * (h + p)));
    *tx = out_w / 2.0 - *s * (box[0] + box[2]) / 2.0;
    *ty = out_h / 2.0 - *s * (box[1] + box[3]) / 2.0;
}

size_t crop_taps_bytes(int out_w, int out_h) {
    return sizeof(tap) * (size_t)(out_w + out_h);
}

void crop_mapped(float *out, const lorat_image *img, double sx, double sy, double tx, double ty,
                 int out_w, int out_h, const float mean[3], void *taps, int threaded,
                 crop_params *adjusted) {
    const double W = img->width, H = img->height;
    double ob[4] = {clampd(tx, 0, out_w), clampd(ty, 0, out_h), clampd(sx * W + tx, 0, out_w),
                    clampd(sy * H + ty, 0, out_h)};
    rasterise(ob);
    double ib[4] = {ob[0] * (1.0 / sx) + (-tx / sx), ob[1] * (1.0 / sy) + (-ty / sy),
                    ob[2] * (1.0 / sx) + (-tx / sx), ob[3] * (1.0 / sy) + (-ty / sy)};
    rasterise(ib);
    ib[0] = clampd(ib[0], 0, W);
    ib[1] = clampd(ib[1], 0, H);
    ib[2] = clampd(ib[2], 0, W);
    ib[3] = clampd(ib[3], 0, H);

    const size_t plane = (size_t)out_w * out_h;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++) out[c * plane + i] = mean[c];

    const int ox = (int)ob[0], oy = (int)ob[1], ow = (int)(ob[2] - ob[0]), oh = (int)(ob[3] - ob[1]);
    const int ix = (int)ib[0], iy = (int)ib[1], iw = (int)(ib[2] - ib[0]), ih = (int)(ib[3] - ib[1]);
    if (ow > 0 && oh > 0 && iw > 0 && ih > 0) {
        tap *own = taps ? NULL : malloc(sizeof(tap) * (size_t)(ow + oh));
        tap *tx_taps = taps ? (tap *)taps : own;
        if (tx_taps) {
            tap *ty_taps = tx_taps + ow;
            linear_taps(tx_taps, iw, ow);
            linear_taps(ty_taps, ih, oh);
#pragma omp parallel for schedule(static) if (threaded)
            for (int y = 0; y < oh; y++) {
                const tap ty0 = ty_taps[y];
                const uint8_t *r0 = img->rgb + (size_t)(iy + ty0.i0) * img->stride + 3 * (size_t)ix;
                const uint8_t *r1 = img->rgb + (size_t)(iy + ty0.i1) * img->stride + 3 * (size_t)ix;
                for (int x = 0; x < ow; x++) {
                    const tap t = tx_taps[x];
                    for (int c = 0; c < 3; c++) {
                        float top = t.l0 * r0[3 * t.i0 + c] + t.l1 * r0[3 * t.i1 + c];
                        float bot = t.l0 * r1[3 * t.i0 + c] + t.l1 * r1[3 * t.i1 + c];
                        out[c * plane + (size_t)(oy + y) * out_w + ox + x] = ty0.l0 * top + ty0.l1 * bot;
                    }
                }
            }
        }
        free(own);
    }
    /* The adjusted parameters, in float32 as the official code computes them. */
    float asx = (float)ow / (float)(iw > 0 ? iw : 1), asy = (float)oh / (float)(ih > 0 ? ih : 1);
    adjusted->sx = asx;
    adjusted->sy = asy;
    adjusted->tx = (float)ob[0] - asx * (float)ib[0];
    adjusted->ty = (float)ob[1] - asy * (float)ib[1];
}

void crop_siamfc(float *out, const lorat_image *img, const double box[4], double f, int out_w,
                 int out_h, const float mean[3], crop_params *adjusted) {
    double s, tx, ty;
    crop_siamfc_params(box, f, out_w, out_h, &s, &tx, &ty);
    crop_mapped(out, img, s, s, tx, ty, out_w, out_h, mean, NULL, 1, adjusted);
}

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f}, imagenet_std[3] = {0.229f, 0.224f, 0.225f};

void normalize_imagenet(float *chw, int n) {
    for (int c = 0; c < 3; c++) {
        float *p = chw + (size_t)c * n;
        for (int i = 0; i < n; i++) p[i] = (p[i] / 255.0f - imagenet_mean[c]) / imagenet_std[c];
    }
}

void normalize_imagenet01(float *chw, size_t n) {
    for (int c = 0; c < 3; c++) {
        float *p = chw + (size_t)c * n;
        for (size_t i = 0; i < n; i++) p[i] = (p[i] - imagenet_mean[c]) / imagenet_std[c];
    }
}

void crop_box_to_frame(double out[4], const double in[4], const crop_params *p) {
    /* The inverse mapping, in float64 from the float32 parameters: x·(1/s') + (−t'/s'). */
    double isx = 1.0 / (double)p->sx, isy = 1.0 / (double)p->sy;
    double itx = -(double)p->tx / (double)p->sx, ity = -(double)p->ty / (double)p->sy;
    out[0] = in[0] * isx + itx;
    out[1] = in[1] * isy + ity;
    out[2] = in[2] * isx + itx;
    out[3] = in[3] * isy + ity;
}

void template_mask(uint8_t *mask, int gw, int gh, double stride, const double box[4],
                   const crop_params *p) {
    double r[4] = {(box[0] * p->sx + p->tx) / stride, (box[1] * p->sy + p->ty) / stride,
                   (box[2] * p->sx + p->tx) / stride, (box[3] * p->sy + p->ty) / stride};
    rasterise(r);
    int x1 = (int)clampd(r[0], 0, gw), y1 = (int)clampd(r[1], 0, gh);
    int x2 = (int)clampd(r[2], 0, gw), y2 = (int)clampd(r[3], 0, gh);
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) mask[y * gw + x] = (uint8_t)(x >= x1 && x < x2 && y >= y1 && y < y2);
}
