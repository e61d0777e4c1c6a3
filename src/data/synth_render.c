/*
 * synth_render.c — see synth_render.h. Patterns are rasterised once per object into a small
 * texture and sampled bilinearly in the object's unit square, so that scale and aspect changes
 * stretch the pattern as they would a real object's appearance. Shapes are drawn from a signed
 * distance in pixels (anti-aliased edges for free, and the same test decides visibility).
 */
#include "data/synth_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEX SYNTH_TEXTURE_SIZE

static float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static float uniform(rng *r, float lo, float hi) {
    return lo + (hi - lo) * rng_uniform(r);
}

static float smoothstep01(float t) {
    t = clampf(t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

/* A colour with hue, saturation and value drawn in that order (argument evaluation order is
 * unspecified in C, so draws never share one expression: the bytes must not depend on the
 * compiler). */
static void random_hsv(rng *r, float h0, float h1, float s0, float s1, float v0, float v1,
                       float rgb[3]) {
    float h = uniform(r, h0, h1);
    float s = uniform(r, s0, s1);
    float v = uniform(r, v0, v1);
    synth_hsv(h, s, v, rgb);
}

static void mix3(float out[3], const float a[3], const float b[3], float t) {
    for (int c = 0; c < 3; c++)
        out[c] = a[c] + (b[c] - a[c]) * t;
}

const char *synth_pattern_name(int kind) {
    static const char *names[] = {"stripes", "checker", "blobs", "gradient",
                                  "dots",    "noise",   "plain"};
    return kind >= 0 && kind < SYNTH_PATTERN_COUNT ? names[kind] : "?";
}

const char *synth_shape_name(int shape) {
    static const char *names[] = {"rect", "ellipse", "roundrect"};
    return shape >= 0 && shape < SYNTH_SHAPE_COUNT ? names[shape] : "?";
}

void synth_hsv(float h, float s, float v, float rgb[3]) {
    h -= floorf(h);
    float hh = h * 6.0f;
    int i = (int)hh;
    float f = hh - (float)i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    float r, g, b;
    switch (i % 6) {
    case 0:
        r = v, g = t, b = p;
        break;
    case 1:
        r = q, g = v, b = p;
        break;
    case 2:
        r = p, g = v, b = t;
        break;
    case 3:
        r = p, g = q, b = v;
        break;
    case 4:
        r = t, g = p, b = v;
        break;
    default:
        r = v, g = p, b = q;
        break;
    }
    rgb[0] = 255.0f * r, rgb[1] = 255.0f * g, rgb[2] = 255.0f * b;
}

/* ---- value noise ----------------------------------------------------------------------------- */

/* Random values on a lattice of `cell`-pixel squares, interpolated with smoothstep. */
typedef struct vnoise {
    int gw, gh;
    float cell;
    float *v;
} vnoise;

static int vnoise_init(vnoise *n, float w, float h, float cell, rng *r) {
    n->cell = cell;
    n->gw = (int)(w / cell) + 3;
    n->gh = (int)(h / cell) + 3;
    n->v = malloc((size_t)n->gw * n->gh * sizeof *n->v);
    if (!n->v) return -1;
    for (int i = 0; i < n->gw * n->gh; i++)
        n->v[i] = rng_uniform(r);
    return 0;
}

static float vnoise_at(const vnoise *n, float x, float y) {
    float fx = x / n->cell, fy = y / n->cell;
    int ix = (int)floorf(fx), iy = (int)floorf(fy);
    float tx = smoothstep01(fx - (float)ix), ty = smoothstep01(fy - (float)iy);
    ix = ix < 0 ? 0 : ix > n->gw - 2 ? n->gw - 2 : ix;
    iy = iy < 0 ? 0 : iy > n->gh - 2 ? n->gh - 2 : iy;
    const float *a = n->v + (size_t)iy * n->gw + ix, *b = a + n->gw;
    float top = a[0] + (a[1] - a[0]) * tx, bot = b[0] + (b[1] - b[0]) * tx;
    return top + (bot - top) * ty;
}

/* ---- patterns -------------------------------------------------------------------------------- */

/* Colour of the pattern at (u, v) in the unit square. blobs/noise are set up by the caller. */
typedef struct blob {
    float x, y, r;
    int col;
} blob;

static void pattern_at(const synth_pattern *p, float u, float v, const blob *blobs, int nblobs,
                       const vnoise *noise, float out[3]) {
    switch (p->kind) {
    case SYNTH_PATTERN_STRIPES: {
        float s = (u * cosf(p->angle) + v * sinf(p->angle)) * p->freq;
        float k = floorf(s), f = s - k;
        int even = ((long)k & 1) == 0; /* the first colour alternates with the third */
        memcpy(out, f < p->duty ? p->col[even ? 0 : 2] : p->col[1], 3 * sizeof(float));
        return;
    }
    case SYNTH_PATTERN_CHECKER: {
        long a = (long)floorf(u * p->freq) + (long)floorf(v * p->freq);
        memcpy(out, p->col[a & 1], 3 * sizeof(float));
        return;
    }
    case SYNTH_PATTERN_BLOBS: {
        memcpy(out, p->col[0], 3 * sizeof(float));
        for (int i = 0; i < nblobs; i++) {
            float dx = u - blobs[i].x, dy = v - blobs[i].y, d = sqrtf(dx * dx + dy * dy);
            float a = smoothstep01((blobs[i].r - d) / (0.25f * blobs[i].r));
            if (a > 0) mix3(out, out, p->col[blobs[i].col], a);
        }
        return;
    }
    case SYNTH_PATTERN_GRADIENT: {
        float t = (u - 0.5f) * cosf(p->angle) + (v - 0.5f) * sinf(p->angle);
        t = clampf(t * 1.41f + 0.5f, 0.0f, 1.0f);
        if (t < 0.5f)
            mix3(out, p->col[0], p->col[1], t * 2.0f);
        else
            mix3(out, p->col[1], p->col[2], t * 2.0f - 1.0f);
        return;
    }
    case SYNTH_PATTERN_DOTS: {
        float fy = v * p->freq, row = floorf(fy);
        float fx = u * p->freq + (((long)row & 1) ? 0.5f : 0.0f);
        float dx = fx - floorf(fx) - 0.5f, dy = fy - row - 0.5f;
        float a = smoothstep01((0.5f * p->duty - sqrtf(dx * dx + dy * dy)) * 12.0f);
        mix3(out, p->col[0], p->col[1], a);
        return;
    }
    case SYNTH_PATTERN_NOISE: {
        float n = vnoise_at(noise, u, v) * 0.7f + vnoise_at(noise + 1, u, v) * 0.3f;
        n = smoothstep01((n - 0.5f) * 2.5f + 0.5f);
        mix3(out, p->col[0], p->col[1], n);
        return;
    }
    default: { /* plain, with a gentle shading so that it is not perfectly flat */
        float shade = 0.85f + 0.25f * (1.0f - v) * (0.6f + 0.4f * u);
        for (int c = 0; c < 3; c++)
            out[c] = clampf(p->col[0][c] * shade, 0.0f, 255.0f);
        return;
    }
    }
}

void synth_texture_render(synth_texture *t, const synth_pattern *p) {
    rng r;
    rng_seed(&r, p->layout_seed);
    blob blobs[12];
    int nblobs = 0;
    if (p->kind == SYNTH_PATTERN_BLOBS) {
        nblobs = 3 + (int)(p->freq) % 10;
        for (int i = 0; i < nblobs; i++) {
            blobs[i].x = rng_uniform(&r), blobs[i].y = rng_uniform(&r);
            blobs[i].r = uniform(&r, 0.08f, 0.3f);
            blobs[i].col = 1 + (int)(rng_uniform(&r) * 2.0f);
        }
    }
    /* Noise over the unit square: a coarse lattice and a finer one. */
    vnoise noise[2] = {{0}, {0}};
    float lattice[2][8 * 8], lattice2[2][16 * 16];
    if (p->kind == SYNTH_PATTERN_NOISE) {
        float cell = 1.0f / clampf(p->freq, 1.0f, 5.0f);
        noise[0] = (vnoise){8, 8, cell, lattice[0]};
        noise[1] = (vnoise){16, 16, cell * 0.4f, lattice2[0]};
        for (int i = 0; i < 64; i++)
            lattice[0][i] = rng_uniform(&r);
        for (int i = 0; i < 256; i++)
            lattice2[0][i] = rng_uniform(&r);
    }
    /* One sample per texel: bilinear sampling at draw time smooths the edges enough at this size.
     */
    for (int y = 0; y < TEX; y++)
        for (int x = 0; x < TEX; x++) {
            float c[3];
            pattern_at(p, ((float)x + 0.5f) / TEX, ((float)y + 0.5f) / TEX, blobs, nblobs, noise,
                       c);
            for (int k = 0; k < 3; k++)
                t->rgb[(y * TEX + x) * 3 + k] = (uint8_t)clampf(c[k] + 0.5f, 0, 255);
        }
}

/* ---- shapes and objects ---------------------------------------------------------------------- */

/* Signed distance in pixels from (px, py) (relative to the box's top-left) to the shape's edge:
 * positive inside. Coverage of a pixel is clamp(d + 0.5, 0, 1); its centre is covered iff d >= 0.
 */
static float shape_dist(const synth_pattern *p, float w, float h, float px, float py) {
    float hw = 0.5f * w, hh = 0.5f * h;
    float qx = fabsf(px - hw), qy = fabsf(py - hh);
    switch (p->shape) {
    case SYNTH_SHAPE_ELLIPSE: {
        float nx = (px - hw) / hw, ny = (py - hh) / hh;
        float r = sqrtf(nx * nx + ny * ny);
        if (r < 1e-6f) return hw < hh ? hw : hh;
        float gx = nx / hw, gy = ny / hh;
        float g = sqrtf(gx * gx + gy * gy) / r; /* |∇r| in 1/pixels */
        return (1.0f - r) / g;
    }
    case SYNTH_SHAPE_ROUNDRECT: {
        float rad = p->corner * (hw < hh ? hw : hh);
        float ax = qx - (hw - rad), ay = qy - (hh - rad);
        float ox = ax > 0 ? ax : 0, oy = ay > 0 ? ay : 0;
        float in = ax > ay ? ax : ay;
        return rad - (sqrtf(ox * ox + oy * oy) + (in < 0 ? in : 0));
    }
    default: {
        float dx = hw - qx, dy = hh - qy;
        return dx < dy ? dx : dy;
    }
    }
}

int synth_shape_covers(const synth_pattern *p, float w, float h, float px, float py) {
    return shape_dist(p, w, h, px, py) >= 0.0f;
}

static void texture_at(const synth_texture *t, float u, float v, float out[3]) {
    float fx = clampf(u * TEX - 0.5f, 0.0f, TEX - 1.001f),
          fy = clampf(v * TEX - 0.5f, 0.0f, TEX - 1.001f);
    int ix = (int)fx, iy = (int)fy;
    float tx = fx - (float)ix, ty = fy - (float)iy;
    const uint8_t *a = t->rgb + (iy * TEX + ix) * 3, *b = a + TEX * 3;
    for (int c = 0; c < 3; c++) {
        float top = a[c] + (a[c + 3] - a[c]) * tx, bot = b[c] + (b[c + 3] - b[c]) * tx;
        out[c] = top + (bot - top) * ty;
    }
}

void synth_draw_object(synth_canvas *c, uint8_t *id, int id_mode, const synth_pattern *p,
                       const synth_texture *t, const synth_object_pose *pose, int blur,
                       float exposure) {
    if (pose->w < 1.0f || pose->h < 1.0f) return;
    if (blur < 1) blur = 1;
    float half = blur > 1 ? 0.5f * exposure : 0.0f;
    float ex = fabsf(pose->vx) * half, ey = fabsf(pose->vy) * half;
    int x0 = (int)floorf(pose->x - ex - 1), x1 = (int)ceilf(pose->x + pose->w + ex + 1);
    int y0 = (int)floorf(pose->y - ey - 1), y1 = (int)ceilf(pose->y + pose->h + ey + 1);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > c->w) x1 = c->w;
    if (y1 > c->h) y1 = c->h;
    float short_side = pose->w < pose->h ? pose->w : pose->h;
    float border_px = p->border ? p->border_frac * short_side : -1.0f;
    float inv_w = 1.0f / pose->w, inv_h = 1.0f / pose->h, inv_n = 1.0f / (float)blur;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            float acc[3] = {0, 0, 0}, acc_a = 0, col[3];
            for (int j = 0; j < blur; j++) {
                float s = blur > 1 ? (((float)j + 0.5f) * inv_n - 0.5f) * exposure : 0.0f;
                float px = (float)x + 0.5f - (pose->x + pose->vx * s);
                float py = (float)y + 0.5f - (pose->y + pose->vy * s);
                float d = shape_dist(p, pose->w, pose->h, px, py);
                float a = clampf(d + 0.5f, 0.0f, 1.0f);
                if (a <= 0.0f) continue;
                if (d < border_px)
                    memcpy(col, p->border_col, sizeof col);
                else
                    texture_at(t, px * inv_w, py * inv_h, col);
                for (int k = 0; k < 3; k++)
                    acc[k] += a * col[k];
                acc_a += a;
            }
            float *dst = c->px + ((size_t)y * c->w + x) * 3;
            if (acc_a > 0.0f) {
                float keep = 1.0f - acc_a * inv_n;
                for (int k = 0; k < 3; k++)
                    dst[k] = dst[k] * keep + acc[k] * inv_n;
            }
            if (id_mode != SYNTH_ID_NONE &&
                shape_dist(p, pose->w, pose->h, (float)x + 0.5f - pose->x,
                           (float)y + 0.5f - pose->y) >= 0.0f)
                id[(size_t)y * c->w + x] = id_mode == SYNTH_ID_SET;
        }
}

/* ---- random patterns ------------------------------------------------------------------------- */

void synth_pattern_random(synth_pattern *p, const synth_palette *pal, rng *r) {
    memset(p, 0, sizeof *p);
    float u = rng_uniform(r);
    p->kind = u < pal->plain
                  ? SYNTH_PATTERN_PLAIN
                  : (int)(rng_uniform(r) * (float)SYNTH_PATTERN_PLAIN) % SYNTH_PATTERN_PLAIN;
    float hue = pal->hue + uniform(r, -pal->hue_spread, pal->hue_spread);
    for (int i = 0; i < 3; i++) {
        /* Neighbouring colours differ in value at least a little, so that patterns show. */
        float h = hue + uniform(r, -0.5f, 0.5f) * pal->hue_spread * (i ? 1.5f : 0.0f);
        float s = uniform(r, pal->sat_lo, pal->sat_hi);
        float v = uniform(r, pal->val_lo, pal->val_hi);
        if (i == 1 && rng_uniform(r) < 0.5f) h += 0.5f; /* a complementary second colour */
        synth_hsv(h, s, v, p->col[i]);
    }
    p->freq = uniform(r, 1.5f, 6.0f);
    p->angle = uniform(r, 0.0f, 3.14159265f);
    p->duty = uniform(r, 0.3f, 0.7f);
    p->layout_seed = rng_next(r);
    float sh = rng_uniform(r);
    p->shape = sh < 0.45f   ? SYNTH_SHAPE_RECT
               : sh < 0.75f ? SYNTH_SHAPE_ROUNDRECT
                            : SYNTH_SHAPE_ELLIPSE;
    p->corner = uniform(r, 0.2f, 0.7f);
    p->border = rng_uniform(r) < pal->border;
    p->border_frac = uniform(r, 0.05f, 0.14f);
    random_hsv(r, hue, hue + 1.0f, pal->sat_lo, pal->sat_hi, 0.1f, 1.0f, p->border_col);
}

/* ---- backgrounds ----------------------------------------------------------------------------- */

static void clutter(synth_canvas *c, int count, float size_lo, float size_hi,
                    const synth_palette *pal, rng *r, synth_texture *tex) {
    float side = (float)(c->w < c->h ? c->w : c->h);
    for (int i = 0; i < count; i++) {
        synth_pattern p;
        synth_pattern_random(&p, pal, r);
        synth_texture_render(tex, &p);
        float s = side * uniform(r, size_lo, size_hi), a = expf(uniform(r, -1.2f, 1.2f));
        synth_object_pose pose = {0};
        pose.w = s * sqrtf(a), pose.h = s / sqrtf(a);
        pose.x = uniform(r, -0.5f * pose.w, (float)c->w - 0.5f * pose.w);
        pose.y = uniform(r, -0.5f * pose.h, (float)c->h - 0.5f * pose.h);
        synth_draw_object(c, NULL, SYNTH_ID_NONE, &p, tex, &pose, 1, 0.0f);
    }
}

int synth_background_render(synth_canvas *c, int domain, rng *r) {
    float W = (float)c->w, H = (float)c->h;
    float area_scale = W * H / (480.0f * 360.0f);
    float pal_col[4][3];
    float hue = rng_uniform(r);
    synth_texture *tex = malloc(sizeof *tex);
    vnoise n[3] = {{0}, {0}, {0}};
    int ok = tex != NULL;
    if (domain == 0) {
        /* Muted, smooth: a few octaves of noise between two related colours, a lighting ramp,
         * soft sparse shapes and a fine grain. */
        for (int i = 0; i < 4; i++)
            random_hsv(r, hue - 0.12f, hue + 0.12f, 0.1f, 0.45f, 0.3f, 0.85f, pal_col[i]);
        float cell = uniform(r, 0.15f, 0.4f) * (W > H ? W : H);
        ok = ok && !vnoise_init(&n[0], W, H, cell, r) &&
             !vnoise_init(&n[1], W, H, cell * 0.5f, r) && !vnoise_init(&n[2], W, H, 2.5f, r);
        float ang = uniform(r, 0.0f, 6.2831853f), gain = uniform(r, -0.35f, 0.35f),
              grain = uniform(r, 3.0f, 8.0f);
        float dx = cosf(ang) / sqrtf(W * W + H * H), dy = sinf(ang) / sqrtf(W * W + H * H);
        for (int y = 0; ok && y < c->h; y++)
            for (int x = 0; x < c->w; x++) {
                float fx = (float)x, fy = (float)y;
                float t = 0.65f * vnoise_at(&n[0], fx, fy) + 0.35f * vnoise_at(&n[1], fx, fy);
                float col[3];
                mix3(col, pal_col[0], pal_col[1], smoothstep01(t));
                float light = 1.0f + gain * ((fx - 0.5f * W) * dx + (fy - 0.5f * H) * dy) * 2.0f;
                float g = (vnoise_at(&n[2], fx, fy) - 0.5f) * 2.0f * grain;
                float *dst = c->px + ((size_t)y * c->w + x) * 3;
                for (int k = 0; k < 3; k++)
                    dst[k] = clampf(col[k] * light + g, 0.0f, 255.0f);
            }
        synth_palette pal = {hue, 0.15f, 0.1f, 0.5f, 0.25f, 0.9f, 0.4f, 0.1f};
        if (ok)
            clutter(c, (int)((6 + rng_uniform(r) * 14) * area_scale + 0.5f), 0.05f, 0.3f, &pal, r,
                    tex);
    } else {
        /* Saturated, busy: high-frequency noise or stripes across the whole canvas, dense small
         * patterned shapes in any hue, and thin bright lines. */
        random_hsv(r, hue, hue, 0.6f, 1.0f, 0.1f, 0.3f, pal_col[0]);
        random_hsv(r, hue + 0.2f, hue + 0.8f, 0.6f, 1.0f, 0.5f, 1.0f, pal_col[1]);
        int stripes = rng_uniform(r) < 0.4f;
        float period = uniform(r, 8.0f, 30.0f), ang = uniform(r, 0.0f, 3.14159265f);
        float ca = cosf(ang) / period, sa = sinf(ang) / period;
        ok = ok && !vnoise_init(&n[0], W, H, uniform(r, 5.0f, 14.0f), r) &&
             !vnoise_init(&n[1], W, H, 2.0f, r);
        float grain = uniform(r, 6.0f, 14.0f);
        for (int y = 0; ok && y < c->h; y++)
            for (int x = 0; x < c->w; x++) {
                float fx = (float)x, fy = (float)y, t;
                if (stripes) {
                    float s = fx * ca + fy * sa;
                    t = (s - floorf(s)) < 0.5f ? 0.15f : 0.85f;
                    t = 0.7f * t + 0.3f * vnoise_at(&n[0], fx, fy);
                } else {
                    t = smoothstep01((vnoise_at(&n[0], fx, fy) - 0.5f) * 3.0f + 0.5f);
                }
                float col[3];
                mix3(col, pal_col[0], pal_col[1], t);
                float g = (vnoise_at(&n[1], fx, fy) - 0.5f) * 2.0f * grain;
                float *dst = c->px + ((size_t)y * c->w + x) * 3;
                for (int k = 0; k < 3; k++)
                    dst[k] = clampf(col[k] + g, 0.0f, 255.0f);
            }
        synth_palette pal = {hue, 0.5f, 0.55f, 1.0f, 0.2f, 1.0f, 0.25f, 0.3f};
        if (ok)
            clutter(c, (int)((60 + rng_uniform(r) * 90) * area_scale + 0.5f), 0.02f, 0.15f, &pal, r,
                    tex);
        int lines = 5 + (int)(rng_uniform(r) * 11);
        for (int i = 0; ok && i < lines; i++) {
            float col[3];
            random_hsv(r, 0.0f, 1.0f, 0.3f, 1.0f, 0.7f, 1.0f, col);
            int horiz = rng_uniform(r) < 0.5f;
            float len = uniform(r, 0.2f, 0.8f) * (horiz ? W : H), thick = uniform(r, 1.0f, 4.0f);
            int x0 = (int)uniform(r, 0.0f, W), y0 = (int)uniform(r, 0.0f, H);
            int x1 = x0 + (int)(horiz ? len : thick), y1 = y0 + (int)(horiz ? thick : len);
            for (int y = y0; y < y1 && y < c->h; y++)
                for (int x = x0; x < x1 && x < c->w; x++)
                    memcpy(c->px + ((size_t)y * c->w + x) * 3, col, sizeof col);
        }
    }
    for (int i = 0; i < 3; i++)
        free(n[i].v);
    free(tex);
    return ok ? 0 : -1;
}

int synth_background_photo(synth_canvas *c, const synth_photo *ph, rng *r) {
    float W = (float)c->w, H = (float)c->h;
    /* The largest window of the canvas's aspect inside the photo, then a share of it. */
    float fit = fminf((float)ph->w / W, (float)ph->h / H);
    float scale = fit * uniform(r, 0.35f, 1.0f); /* photo pixels per canvas pixel */
    float cw = W * scale, ch = H * scale;
    float x0 = uniform(r, 0.0f, (float)ph->w - cw), y0 = uniform(r, 0.0f, (float)ph->h - ch);
    int mirror = rng_uniform(r) < 0.5f;
    float gain[3], contrast = uniform(r, 0.7f, 1.2f), shift = uniform(r, -25.0f, 25.0f);
    for (int k = 0; k < 3; k++)
        gain[k] = uniform(r, 0.85f, 1.15f);
    for (int y = 0; y < c->h; y++) {
        float sy = y0 + ((float)y + 0.5f) * scale - 0.5f;
        sy = clampf(sy, 0.0f, (float)ph->h - 1.0f);
        int iy = (int)sy, iy1 = iy + 1 < ph->h ? iy + 1 : iy;
        float fy = sy - (float)iy;
        for (int x = 0; x < c->w; x++) {
            int xx = mirror ? c->w - 1 - x : x;
            float sx = x0 + ((float)xx + 0.5f) * scale - 0.5f;
            sx = clampf(sx, 0.0f, (float)ph->w - 1.0f);
            int ix = (int)sx, ix1 = ix + 1 < ph->w ? ix + 1 : ix;
            float fx = sx - (float)ix;
            const uint8_t *a = ph->rgb + ((size_t)iy * ph->w + ix) * 3;
            const uint8_t *b = ph->rgb + ((size_t)iy * ph->w + ix1) * 3;
            const uint8_t *d = ph->rgb + ((size_t)iy1 * ph->w + ix) * 3;
            const uint8_t *e = ph->rgb + ((size_t)iy1 * ph->w + ix1) * 3;
            float *dst = c->px + ((size_t)y * c->w + x) * 3;
            for (int k = 0; k < 3; k++) {
                float v = (1.0f - fy) * ((1.0f - fx) * a[k] + fx * b[k]) +
                          fy * ((1.0f - fx) * d[k] + fx * e[k]);
                v = (v - 128.0f) * contrast + 128.0f + shift;
                dst[k] = clampf(v * gain[k], 0.0f, 255.0f);
            }
        }
    }
    synth_texture *tex = malloc(sizeof *tex);
    if (!tex) return -1;
    float area_scale = W * H / (480.0f * 360.0f);
    synth_palette pal = {rng_uniform(r), 0.5f, 0.3f, 1.0f, 0.2f, 1.0f, 0.25f, 0.3f};
    clutter(c, (int)((10 + rng_uniform(r) * 30) * area_scale + 0.5f), 0.02f, 0.12f, &pal, r, tex);
    free(tex);
    return 0;
}
