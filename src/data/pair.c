/*
 * pair.c — see pair.h. The crop follows track/crop.c step for step (so an unjittered crop is
 * the tracker's crop, bit for bit) but takes a scale per axis, runs serially (loader workers are
 * the parallelism) and reads io/image's `image`.
 */
#include "data/pair.h"

#include <math.h>
#include <string.h>

void pair_config_default(pair_config *c, int template_px, int search_px, double search_area,
                         int stride) {
    memset(c, 0, sizeof *c);
    c->template_w = c->template_h = template_px;
    c->search_w = c->search_h = search_px;
    c->stride = stride;
    c->template_area = 2.0;
    c->search_area = search_area;
    c->scale_jitter = 0.25;
    c->translation_jitter = 3.0;
    c->min_size = 10.0;
    c->max_attempts = 12;
    c->augment = 1;
}

void pair_config_from_model(pair_config *c, const model_config *m) {
    pair_config_default(c, m->template_w * m->patch, m->search_w * m->patch, m->search_area_factor,
                        m->patch);
    c->template_h = m->template_h * m->patch;
    c->search_h = m->search_h * m->patch;
    c->template_area = m->template_area_factor;
}

void pair_image_mean(const image *img, float mean[3]) {
    double sum[3] = {0, 0, 0};
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = img->data + (size_t)y * img->w * 3;
        uint64_t s[3] = {0, 0, 0};
        for (int x = 0; x < img->w; x++) {
            s[0] += row[3 * x];
            s[1] += row[3 * x + 1];
            s[2] += row[3 * x + 2];
        }
        for (int c = 0; c < 3; c++)
            sum[c] += (double)s[c];
    }
    double n = (double)img->w * img->h;
    for (int c = 0; c < 3; c++)
        mean[c] = (float)(sum[c] / n);
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

typedef struct tap {
    int i0, i1;
    float l0, l1;
} tap;

/* Linear resize taps, align_corners false, source clamped at 0 (PyTorch's linear). */
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

size_t pair_crop_taps_bytes(int ow, int oh) {
    return sizeof(tap) * (size_t)(ow + oh);
}

void pair_crop(float *out, const image *img, double sx, double sy, double tx, double ty, int ow,
               int oh, const float mean[3], void *taps, crop_params *adjusted) {
    const double W = img->w, H = img->h;
    double ob[4] = {clampd(tx, 0, ow), clampd(ty, 0, oh), clampd(sx * W + tx, 0, ow),
                    clampd(sy * H + ty, 0, oh)};
    rasterise(ob);
    double ib[4] = {ob[0] * (1.0 / sx) + (-tx / sx), ob[1] * (1.0 / sy) + (-ty / sy),
                    ob[2] * (1.0 / sx) + (-tx / sx), ob[3] * (1.0 / sy) + (-ty / sy)};
    rasterise(ib);
    ib[0] = clampd(ib[0], 0, W);
    ib[1] = clampd(ib[1], 0, H);
    ib[2] = clampd(ib[2], 0, W);
    ib[3] = clampd(ib[3], 0, H);

    const size_t plane = (size_t)ow * oh;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            out[c * plane + i] = mean[c];

    const int ox = (int)ob[0], oy = (int)ob[1], cw = (int)(ob[2] - ob[0]),
              ch = (int)(ob[3] - ob[1]);
    const int ix = (int)ib[0], iy = (int)ib[1], iw = (int)(ib[2] - ib[0]),
              ih = (int)(ib[3] - ib[1]);
    if (cw > 0 && ch > 0 && iw > 0 && ih > 0) {
        tap *xt = taps, *yt = xt + cw;
        linear_taps(xt, iw, cw);
        linear_taps(yt, ih, ch);
        const size_t stride = (size_t)img->w * 3;
        for (int y = 0; y < ch; y++) {
            const tap ty0 = yt[y];
            const uint8_t *r0 = img->data + (size_t)(iy + ty0.i0) * stride + 3 * (size_t)ix;
            const uint8_t *r1 = img->data + (size_t)(iy + ty0.i1) * stride + 3 * (size_t)ix;
            float *o0 = out + (size_t)(oy + y) * ow + ox;
            for (int x = 0; x < cw; x++) {
                const tap t = xt[x];
                for (int c = 0; c < 3; c++) {
                    float top = t.l0 * r0[3 * t.i0 + c] + t.l1 * r0[3 * t.i1 + c];
                    float bot = t.l0 * r1[3 * t.i0 + c] + t.l1 * r1[3 * t.i1 + c];
                    o0[c * plane + x] = ty0.l0 * top + ty0.l1 * bot;
                }
            }
        }
    }
    float asx = (float)cw / (float)(iw > 0 ? iw : 1), asy = (float)ch / (float)(ih > 0 ? ih : 1);
    adjusted->sx = asx;
    adjusted->sy = asy;
    adjusted->tx = (float)ob[0] - asx * (float)ib[0];
    adjusted->ty = (float)ob[1] - asy * (float)ib[1];
}

void pair_siamfc_params(const double box[4], double f, int ow, int oh, double *s, double *tx,
                        double *ty) {
    const double w = box[2] - box[0], h = box[3] - box[1];
    const double p = (f - 1.0) * (w + h) / 2.0;
    *s = sqrt((double)ow * oh / ((w + p) * (h + p)));
    *tx = ow / 2.0 - *s * (box[0] + box[2]) / 2.0;
    *ty = oh / 2.0 - *s * (box[1] + box[3]) / 2.0;
}

int pair_search_jitter(const pair_config *c, const double box[4], rng *r, double *sx, double *sy,
                       double *tx, double *ty) {
    double s, t0x, t0y;
    pair_siamfc_params(box, c->search_area, c->search_w, c->search_h, &s, &t0x, &t0y);
    const double w = box[2] - box[0], h = box[3] - box[1];
    const double cx = (box[0] + box[2]) / 2.0, cy = (box[1] + box[3]) / 2.0;
    for (int attempt = 1; attempt <= c->max_attempts; attempt++) {
        double jx = s / exp((double)rng_normal(r) * c->scale_jitter);
        double jy = s / exp((double)rng_normal(r) * c->scale_jitter);
        double max_t = 0.5 * c->translation_jitter * (jx * w + jy * h);
        double ux = 2.0 * rng_uniform(r) - 1.0, uy = 2.0 * rng_uniform(r) - 1.0;
        double ttx = c->search_w / 2.0 - jx * cx + ux * max_t;
        double tty = c->search_h / 2.0 - jy * cy + uy * max_t;
        /* The jittered box in the crop, clipped: it must be there and at least min_size a side. */
        double x1 = clampd(jx * box[0] + ttx, 0, c->search_w),
               x2 = clampd(jx * box[2] + ttx, 0, c->search_w);
        double y1 = clampd(jy * box[1] + tty, 0, c->search_h),
               y2 = clampd(jy * box[3] + tty, 0, c->search_h);
        if (x2 - x1 >= c->min_size && y2 - y1 >= c->min_size) {
            *sx = jx;
            *sy = jy;
            *tx = ttx;
            *ty = tty;
            return attempt;
        }
    }
    return 0;
}

size_t pair_scratch_bytes(const pair_config *c) {
    int w = c->search_w > c->template_w ? c->search_w : c->template_w;
    int h = c->search_h > c->template_h ? c->search_h : c->template_h;
    size_t taps = pair_crop_taps_bytes(w, h), deit = augment_deit3_scratch(w, h);
    return (taps > deit ? taps : deit) + 64;
}

static void map_box(double out[4], const double in[4], const crop_params *p) {
    out[0] = in[0] * p->sx + p->tx;
    out[1] = in[1] * p->sy + p->ty;
    out[2] = in[2] * p->sx + p->tx;
    out[3] = in[3] * p->sy + p->ty;
}

static void clip_box(double b[4], int w, int h) {
    b[0] = clampd(b[0], 0, w);
    b[1] = clampd(b[1], 0, h);
    b[2] = clampd(b[2], 0, w);
    b[3] = clampd(b[3], 0, h);
}

/* (x/1 − mean_c)/std_c on [0,1] pixels. chw (3, n). */
static void normalize01(float *chw, size_t n) {
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) {
        float *p = chw + (size_t)c * n;
        for (size_t i = 0; i < n; i++)
            p[i] = (p[i] - mean[c]) / std[c];
    }
}

int pair_make(const pair_config *c, const image *zimg, const double zbox[4], const image *ximg,
              const double xbox[4], rng *r, void *scratch, pair_out *out, pair_info *info) {
    pair_info local;
    pair_info *in = info ? info : &local;
    memset(in, 0, sizeof *in);

    double sx, sy, tx, ty;
    in->attempts = pair_search_jitter(c, xbox, r, &sx, &sy, &tx, &ty);
    if (!in->attempts) return 0;
    in->sx = sx;
    in->sy = sy;
    in->tx = tx;
    in->ty = ty;

    const int zw = c->template_w, zh = c->template_h, xw = c->search_w, xh = c->search_h;
    const size_t zn = (size_t)zw * zh, xn = (size_t)xw * xh;
    float zmean[3], xmean[3];
    pair_image_mean(zimg, zmean);
    if (ximg == zimg)
        memcpy(xmean, zmean, sizeof xmean);
    else
        pair_image_mean(ximg, xmean);

    double zs, ztx, zty;
    pair_siamfc_params(zbox, c->template_area, zw, zh, &zs, &ztx, &zty);
    pair_crop(out->z, zimg, zs, zs, ztx, zty, zw, zh, zmean, scratch, &in->z_crop);
    pair_crop(out->x, ximg, sx, sy, tx, ty, xw, xh, xmean, scratch, &in->x_crop);
    map_box(in->z_box, zbox, &in->z_crop);
    map_box(in->x_box, xbox, &in->x_crop);
    for (size_t i = 0; i < 3 * zn; i++)
        out->z[i] *= 1.0f / 255.0f;
    for (size_t i = 0; i < 3 * xn; i++)
        out->x[i] *= 1.0f / 255.0f;

    if (c->augment) {
        in->z_flip = rng_uniform(r) < 0.5f;
        in->x_flip = rng_uniform(r) < 0.5f;
        if (in->z_flip) {
            augment_hflip(out->z, zw, zh);
            augment_hflip_box(in->z_box, zw);
        }
        if (in->x_flip) {
            augment_hflip(out->x, xw, xh);
            augment_hflip_box(in->x_box, xw);
        }
        augment_color_draw(&in->z_color, 0.4f, r);
        augment_color_draw(&in->x_color, 0.4f, r);
        augment_color_apply(out->z, zw, zh, &in->z_color);
        augment_color_apply(out->x, xw, xh, &in->x_color);
        augment_deit3_draw(&in->deit3, r);
        augment_deit3_apply(out->z, zw, zh, &in->deit3, scratch);
        augment_deit3_apply(out->x, xw, xh, &in->deit3, scratch);
    }
    clip_box(in->z_box, zw, zh);
    clip_box(in->x_box, xw, xh);
    normalize01(out->z, zn);
    normalize01(out->x, xn);

    const crop_params identity = {1.0f, 1.0f, 0.0f, 0.0f};
    template_mask(out->z_mask, zw / c->stride, zh / c->stride, (double)c->stride, in->z_box,
                  &identity);
    out->gt_box[0] = (float)(in->x_box[0] / xw);
    out->gt_box[1] = (float)(in->x_box[1] / xh);
    out->gt_box[2] = (float)(in->x_box[2] / xw);
    out->gt_box[3] = (float)(in->x_box[3] / xh);
    return 1;
}
