/*
 * pair.c — see pair.h. The crops are track/crop.c's crop_mapped (the tracker's crop, with a
 * scale per axis for the jitter), run serially: loader workers are the parallelism.
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

static double clampd(double v, double lo, double hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static lorat_image view(const image *img) {
    return (lorat_image){img->w, img->h, 3 * img->w, img->data};
}

int pair_search_jitter(const pair_config *c, const double box[4], rng *r, double *sx, double *sy,
                       double *tx, double *ty) {
    double s, t0x, t0y;
    crop_siamfc_params(box, c->search_area, c->search_w, c->search_h, &s, &t0x, &t0y);
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
    size_t taps = crop_taps_bytes(w, h), deit = augment_deit3_scratch(w, h);
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
    const lorat_image zv = view(zimg), xv = view(ximg);
    float zmean[3], xmean[3];
    image_mean_rgb(&zv, zmean);
    if (ximg == zimg)
        memcpy(xmean, zmean, sizeof xmean);
    else
        image_mean_rgb(&xv, xmean);

    double zs, ztx, zty;
    crop_siamfc_params(zbox, c->template_area, zw, zh, &zs, &ztx, &zty);
    crop_mapped(out->z, &zv, zs, zs, ztx, zty, zw, zh, zmean, scratch, 0, &in->z_crop);
    crop_mapped(out->x, &xv, sx, sy, tx, ty, xw, xh, xmean, scratch, 0, &in->x_crop);
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
    normalize_imagenet01(out->z, zn);
    normalize_imagenet01(out->x, xn);

    const crop_params identity = {1.0f, 1.0f, 0.0f, 0.0f};
    template_mask(out->z_mask, zw / c->stride, zh / c->stride, (double)c->stride, in->z_box,
                  &identity);
    out->gt_box[0] = (float)(in->x_box[0] / xw);
    out->gt_box[1] = (float)(in->x_box[1] / xh);
    out->gt_box[2] = (float)(in->x_box[2] / xw);
    out->gt_box[3] = (float)(in->x_box[3] / xh);
    return 1;
}
