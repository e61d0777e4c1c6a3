/*
 * synth_scene.c — see synth_scene.h. Planning answers "where is everything at frame t" before
 * anything is drawn, which is what lets occluders and distractors be aimed at the target
 * (they pass through its path at a chosen frame, for a chosen number of frames) and lets the
 * first frame be checked free of them. Each effect is present with a probability that depends on
 * the domain, so that a set of sequences mixes easy and hard ones.
 *
 * All draws from the RNG are separate statements: C leaves the order in which function
 * arguments are evaluated unspecified, and the bytes must not depend on the compiler.
 */
#include "data/synth_scene.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float U(rng *r, float lo, float hi) {
    return lo + (hi - lo) * rng_uniform(r);
}

static float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static float smoothstep01(float t) {
    t = clampf(t, 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);
}

/* Reflects x into [lo, hi] (a bounce at the walls; continuous in x). */
static float fold(float x, float lo, float hi) {
    float L = hi - lo;
    if (L <= 0.0f) return 0.5f * (lo + hi);
    float y = fmodf(x - lo, 2.0f * L);
    if (y < 0.0f) y += 2.0f * L;
    return lo + (y > L ? 2.0f * L - y : y);
}

/* One coordinate of a wandering path from c0, kept in [lo, hi], at about `speed` px/frame: a
 * sum of sinusoids (mode 0) or a damped random walk in velocity (mode 1). */
static void wander(float *out, int F, float c0, float lo, float hi, float speed, int mode, rng *r) {
    if (mode == 0) {
        float amp[3], w[3], ph[3];
        for (int k = 0; k < 3; k++) {
            amp[k] = U(r, 0.1f, 0.5f) * (hi - lo > 20.0f ? hi - lo : 20.0f);
            w[k] = clampf(speed * 1.5708f / (3.0f * amp[k]) * U(r, 0.6f, 1.4f), 0.002f, 0.5f);
            ph[k] = U(r, 0.0f, 6.2831853f);
        }
        for (int t = 0; t < F; t++) {
            float x = c0;
            for (int k = 0; k < 3; k++)
                x += amp[k] * (sinf(w[k] * (float)t + ph[k]) - sinf(ph[k]));
            out[t] = fold(x, lo, hi);
        }
    } else {
        float rho = U(r, 0.85f, 0.97f), s = speed * sqrtf(1.0f - rho * rho),
              v = speed * rng_normal(r), x = c0;
        for (int t = 0; t < F; t++) {
            out[t] = x;
            v = rho * v + s * rng_normal(r);
            x += v;
            if (x < lo || x > hi) {
                x = fold(x, lo, hi);
                v = -v;
            }
        }
    }
}

/* out[t] = a smooth log-factor, 0 at t = 0: two sinusoids of total amplitude `amp` plus a trend. */
static void log_wave(float *out, int F, float amp, float trend, rng *r) {
    float a[2], w[2], ph[2];
    for (int k = 0; k < 2; k++) {
        a[k] = amp * U(r, 0.3f, 0.7f);
        w[k] = U(r, 0.01f, 0.09f);
        ph[k] = U(r, 0.0f, 6.2831853f);
    }
    for (int t = 0; t < F; t++) {
        float v = trend * (float)t / (float)(F > 1 ? F - 1 : 1);
        for (int k = 0; k < 2; k++)
            v += a[k] * (sinf(w[k] * (float)t + ph[k]) - sinf(ph[k]));
        out[t] = v;
    }
}

/* Sizes from (w0, h0) with log-scale and log-aspect waves, no smaller than 10 px or 0.4 × the
 * first size and no larger than 0.8 × the image. */
static void size_track(synth_track *tr, const synth_scene *s, float w0, float h0, float scale_amp,
                       float aspect_amp, float trend, rng *r) {
    log_wave(tr->w, s->F, scale_amp, trend, r);
    log_wave(tr->h, s->F, aspect_amp, 0.0f, r);
    for (int t = 0; t < s->F; t++) {
        float ls = tr->w[t], la = tr->h[t];
        tr->w[t] = clampf(w0 * expf(ls + 0.5f * la), fmaxf(10.0f, 0.4f * w0), 0.8f * (float)s->W);
        tr->h[t] = clampf(h0 * expf(ls - 0.5f * la), fmaxf(10.0f, 0.4f * h0), 0.8f * (float)s->H);
    }
}

static void const_size(synth_track *tr, int F, float w, float h) {
    for (int t = 0; t < F; t++)
        tr->w[t] = w, tr->h[t] = h;
}

/* A path through the target's (base) centre at frame tc, shifted by (ox, oy), following the
 * target with weight `follow` and moving relative to that with velocity (vx, vy). */
static void crosser(synth_track *tr, const synth_track *tg, int F, int tc, float follow, float vx,
                    float vy, float ox, float oy) {
    for (int t = 0; t < F; t++) {
        float dt = (float)(t - tc);
        tr->cx[t] = tg->cx[tc] + ox + follow * (tg->cx[t] - tg->cx[tc]) + vx * dt;
        tr->cy[t] = tg->cy[tc] + oy + follow * (tg->cy[t] - tg->cy[tc]) + vy * dt;
    }
}

/* Relative speed at which an object of size (w, h), moving at angle ang, overlaps a target of
 * size (tw, th) for about `frames` frames: overlaps last as long as real passes do, whatever the
 * sizes. */
static float pass_speed(float w, float h, float tw, float th, float ang, float frames) {
    return (fabsf(cosf(ang)) * (w + tw) + fabsf(sinf(ang)) * (h + th)) / frames;
}

static int overlaps_at0(const synth_track *a, const synth_track *b, float margin) {
    return fabsf(a->cx[0] - b->cx[0]) < 0.5f * (a->w[0] + b->w[0]) + margin &&
           fabsf(a->cy[0] - b->cy[0]) < 0.5f * (a->h[0] + b->h[0]) + margin;
}

static float speed_of_class(int cls, rng *r) {
    return cls == 0 ? U(r, 0.3f, 1.5f) : cls == 1 ? U(r, 1.5f, 4.0f) : U(r, 4.0f, 9.0f);
}

static int draw_class(int domain, rng *r) {
    float u = rng_uniform(r);
    return domain == 0 ? (u < 0.4f ? 0 : u < 0.85f ? 1 : 2) : (u < 0.25f ? 0 : u < 0.7f ? 1 : 2);
}

static void plan_target(synth_scene *s, rng *r) {
    float W = (float)s->W, H = (float)s->H, side = W < H ? W : H;
    synth_palette pal = {rng_uniform(r), 0.12f, 0.45f, 1.0f, 0.45f, 1.0f, 0.1f, 0.4f};
    if (s->domain == 0 && rng_uniform(r) < 0.25f)
        pal.sat_lo = 0.1f, pal.sat_hi = 0.5f; /* camouflaged */
    if (s->domain == 1) pal.hue_spread = 0.3f, pal.val_lo = 0.25f;
    synth_pattern_random(&s->target.pat, &pal, r);
    float s0 = s->domain == 0 ? U(r, 0.1f, 0.33f) * side : U(r, 0.07f, 0.26f) * side;
    float a0 = expf(U(r, -0.6f, 0.6f));
    float w0 = clampf(s0 * sqrtf(a0), 22.0f, W - 12.0f),
          h0 = clampf(s0 / sqrtf(a0), 22.0f, H - 12.0f);
    synth_track *tr = &s->target.tr;
    s->scale_on = rng_uniform(r) < 0.7f;
    s->aspect_on = rng_uniform(r) < 0.5f;
    float trend = rng_uniform(r) < 0.4f ? U(r, -0.6f, 0.6f) : 0.0f;
    float scale_amp = s->scale_on ? U(r, 0.1f, s->domain ? 0.5f : 0.35f) : 0.0f;
    float aspect_amp = s->aspect_on ? U(r, 0.08f, s->domain ? 0.35f : 0.25f) : 0.0f;
    size_track(tr, s, w0, h0, scale_amp, aspect_amp, s->scale_on ? trend : 0.0f, r);
    /* The centre may wander a little past the border (cut by the image) but starts well inside. */
    s->speed_class = draw_class(s->domain, r);
    float speed = speed_of_class(s->speed_class, r) * s->unit;
    s->mode = rng_uniform(r) < 0.5f ? 0 : 1;
    float sx = U(r, -0.1f, 0.35f) * w0, sy = U(r, -0.1f, 0.35f) * h0;
    float lox = 0.5f * w0 - sx, hix = W - 0.5f * w0 + sx, loy = 0.5f * h0 - sy,
          hiy = H - 0.5f * h0 + sy;
    float ax = fmaxf(lox, 0.5f * w0 + 4.0f), bx = fminf(hix, W - 0.5f * w0 - 4.0f);
    float ay = fmaxf(loy, 0.5f * h0 + 4.0f), by = fminf(hiy, H - 0.5f * h0 - 4.0f);
    float c0x = ax < bx ? U(r, ax, bx) : 0.5f * W, c0y = ay < by ? U(r, ay, by) : 0.5f * H;
    wander(tr->cx, s->F, c0x, lox, hix, speed * 0.7071f, s->mode, r);
    wander(tr->cy, s->F, c0y, loy, hiy, speed * 0.7071f, s->mode, r);
    s->target.on = 1;
}

static void plan_distractors(synth_scene *s, rng *r) {
    float p = s->domain == 0 ? 0.5f : 0.9f;
    s->n_dis = 0;
    if (rng_uniform(r) < p)
        s->n_dis = s->domain == 0 ? 1 + (int)(rng_uniform(r) * 3) : 2 + (int)(rng_uniform(r) * 4);
    const synth_track *tg = &s->target.tr;
    for (int i = 0; i < s->n_dis; i++) {
        synth_mover *m = &s->dis[i];
        m->pat = s->target.pat;
        float look = rng_uniform(r);
        if (look < (s->domain == 0 ? 0.3f : 0.45f)) {
            s->same_look = 1; /* identical appearance: only motion tells them apart */
        } else if (look < 0.75f) {
            float shift = U(r, 0.15f, 0.85f); /* same pattern, other colours */
            for (int k = 0; k < 3; k++) {
                float *c = m->pat.col[k], mx = fmaxf(c[0], fmaxf(c[1], c[2]));
                float sat = mx > 0 ? 1.0f - fminf(c[0], fminf(c[1], c[2])) / mx : 0.0f;
                synth_hsv(shift + 0.1f * (float)k, fmaxf(sat, 0.3f), fmaxf(mx / 255.0f, 0.3f), c);
            }
        } else { /* same colours, another layout of the pattern */
            m->pat.freq = U(r, 1.5f, 6.0f);
            m->pat.angle = U(r, 0.0f, 3.14159265f);
            m->pat.layout_seed = rng_next(r);
        }
        if (rng_uniform(r) < 0.3f)
            m->pat.shape = (int)(rng_uniform(r) * SYNTH_SHAPE_COUNT) % SYNTH_SHAPE_COUNT;
        m->front = rng_uniform(r) < 0.35f;
        float k = U(r, 0.7f, 1.3f), ka = U(r, 0.85f, 1.15f), sa = U(r, 0.0f, 0.3f),
              aa = U(r, 0.0f, 0.2f);
        size_track(&m->tr, s, fmaxf(tg->w[0] * k, 10.0f), fmaxf(tg->h[0] * k * ka, 10.0f), sa, aa,
                   0.0f, r);
        int crossing = rng_uniform(r) < 0.5f && s->F > 8;
        float speed = speed_of_class(draw_class(s->domain, r), r) * s->unit;
        m->on = 0;
        for (int tries = 0; tries < 50 && !m->on; tries++) {
            if (crossing) {
                int tc = (int)U(r, 0.15f * (float)s->F, (float)s->F - 1.0f);
                float ang = U(r, 0.0f, 6.2831853f), follow = U(r, 0.2f, 0.8f);
                float v = pass_speed(m->tr.w[tc], m->tr.h[tc], tg->w[tc], tg->h[tc], ang,
                                     U(r, 10.0f, 35.0f));
                float ox = U(r, -0.6f, 0.6f) * tg->w[tc], oy = U(r, -0.6f, 0.6f) * tg->h[tc];
                crosser(&m->tr, tg, s->F, tc, follow, v * cosf(ang), v * sinf(ang), ox, oy);
            } else {
                float w0 = m->tr.w[0], h0 = m->tr.h[0];
                int mode = rng_uniform(r) < 0.5f;
                wander(m->tr.cx, s->F, U(r, 0.5f * w0, (float)s->W - 0.5f * w0), -0.3f * w0,
                       (float)s->W + 0.3f * w0, speed * 0.7071f, mode, r);
                wander(m->tr.cy, s->F, U(r, 0.5f * h0, (float)s->H - 0.5f * h0), -0.3f * h0,
                       (float)s->H + 0.3f * h0, speed * 0.7071f, mode, r);
            }
            m->on = !overlaps_at0(&m->tr, tg, 6.0f);
        }
    }
}

static void plan_occluders(synth_scene *s, rng *r) {
    float p = s->domain == 0 ? 0.55f : 0.75f;
    s->n_occ = 0;
    if (s->F >= 12 && rng_uniform(r) < p)
        s->n_occ = s->domain == 0 ? 1 + (rng_uniform(r) < 0.4f) : 1 + (int)(rng_uniform(r) * 3);
    const synth_track *tg = &s->target.tr;
    synth_palette pal = {
        rng_uniform(r), 0.5f, s->domain ? 0.4f : 0.05f, s->domain ? 1.0f : 0.5f, 0.15f, 0.9f,
        0.4f,           0.15f};
    for (int i = 0; i < s->n_occ; i++) {
        synth_mover *m = &s->occ[i];
        synth_pattern_random(&m->pat, &pal, r);
        m->front = 1;
        int full = rng_uniform(r) < 0.5f;
        s->n_full += full;
        int kind = full ? 0 : rng_uniform(r) < 0.5f ? 1 : 2; /* 0 full, 1 pole or bar, 2 blob */
        if (kind == 1) m->pat.shape = SYNTH_SHAPE_RECT;
        m->on = 0;
        for (int tries = 0; tries < 50 && !m->on; tries++) {
            int tc = (int)U(r, fmaxf(4.0f, 0.1f * (float)s->F), (float)s->F - 2.0f);
            float tw = tg->w[tc], th = tg->h[tc], ang = U(r, 0.0f, 6.2831853f);
            if (kind == 0) {
                float w = tw * U(r, 1.3f, 1.9f) + 4.0f, h = th * U(r, 1.3f, 1.9f) + 4.0f;
                if (m->pat.shape == SYNTH_SHAPE_ELLIPSE) w *= 1.3f, h *= 1.3f;
                float v = pass_speed(w, h, tw, th, ang, U(r, 20.0f, 45.0f)),
                      follow = U(r, 0.3f, 0.9f);
                float ox = U(r, -0.1f, 0.1f) * w, oy = U(r, -0.1f, 0.1f) * h;
                const_size(&m->tr, s->F, w, h);
                crosser(&m->tr, tg, s->F, tc, follow, v * cosf(ang), v * sinf(ang), ox, oy);
            } else if (kind == 1) {
                int vertical = rng_uniform(r) < 0.6f;
                float thin = U(r, 0.15f, 0.5f), len = U(r, 2.0f, 5.0f), frames = U(r, 8.0f, 30.0f);
                float v = vertical ? (thin + 1.0f) * tw / frames : (thin + 1.0f) * th / frames;
                float sgn = rng_uniform(r) < 0.5f ? -1.0f : 1.0f;
                float follow = U(r, 0.0f, 0.3f), drift = U(r, -0.3f, 0.3f), off = U(r, -0.3f, 0.3f);
                if (vertical) {
                    const_size(&m->tr, s->F, fmaxf(thin * tw, 4.0f), len * th);
                    crosser(&m->tr, tg, s->F, tc, follow, sgn * v, drift, 0.0f, off * th);
                } else {
                    const_size(&m->tr, s->F, len * tw, fmaxf(thin * th, 4.0f));
                    crosser(&m->tr, tg, s->F, tc, follow, drift, sgn * v, off * tw, 0.0f);
                }
            } else {
                float w = tw * U(r, 0.4f, 0.9f), h = th * U(r, 0.4f, 0.9f);
                float v = pass_speed(w, h, tw, th, ang, U(r, 10.0f, 35.0f));
                float follow = U(r, 0.0f, 0.5f), ox = U(r, -0.4f, 0.4f) * tw,
                      oy = U(r, -0.4f, 0.4f) * th;
                const_size(&m->tr, s->F, w, h);
                crosser(&m->tr, tg, s->F, tc, follow, v * cosf(ang), v * sinf(ang), ox, oy);
            }
            m->on = !overlaps_at0(&m->tr, tg, 4.0f);
        }
        synth_texture_render(&m->tex, &m->pat);
    }
}

/* Pushes the target out through a border and back: a smooth ramp, a plateau fully outside,
 * and the way back. Done after the crossers, which follow the target's base path. */
static void plan_out_of_view(synth_scene *s, rng *r) {
    s->out_of_view = s->F >= 40 && rng_uniform(r) < (s->domain == 0 ? 0.3f : 0.4f);
    if (!s->out_of_view) return;
    synth_track *tg = &s->target.tr;
    int R = 4 + (int)(rng_uniform(r) * 9), P = 3 + (int)(rng_uniform(r) * 0.2f * (float)s->F);
    int last = s->F - (2 * R + P) - 2;
    if (last < 5) P = 3, last = s->F - (2 * R + P) - 2;
    int ts = 5 + (int)(rng_uniform(r) * (float)(last - 5 + 1));
    int mid = ts + R + P / 2;
    float W = (float)s->W, H = (float)s->H;
    /* Sides: left, right, top, bottom; leave through the nearest one, or now and then any. */
    static const float dir_x[4] = {-1.0f, 1.0f, 0.0f, 0.0f}, dir_y[4] = {0.0f, 0.0f, -1.0f, 1.0f};
    float dist[4] = {tg->cx[mid], W - tg->cx[mid], tg->cy[mid], H - tg->cy[mid]};
    int side = 0;
    for (int k = 1; k < 4; k++)
        if (dist[k] < dist[side]) side = k;
    if (rng_uniform(r) < 0.3f) side = (int)(rng_uniform(r) * 4) & 3;
    /* How far to push so that the whole box is outside (plus a margin) all through the plateau. */
    float need = 0.0f;
    for (int t = ts + R; t <= ts + R + P && t < s->F; t++) {
        float hw = 0.5f * tg->w[t], hh = 0.5f * tg->h[t];
        float d[4] = {tg->cx[t] + hw, W - tg->cx[t] + hw, tg->cy[t] + hh, H - tg->cy[t] + hh};
        need = fmaxf(need, d[side] + 3.0f + 0.05f * tg->w[t]);
    }
    float dx = dir_x[side], dy = dir_y[side];
    for (int t = ts; t < s->F; t++) {
        float k = t < ts + R        ? smoothstep01((float)(t - ts) / (float)R)
                  : t <= ts + R + P ? 1.0f
                                    : 1.0f - smoothstep01((float)(t - ts - R - P) / (float)R);
        tg->cx[t] += dx * need * k;
        tg->cy[t] += dy * need * k;
    }
}

static void plan_camera_and_light(synth_scene *s, rng *r) {
    float side = (float)(s->W < s->H ? s->W : s->H);
    s->camera = rng_uniform(r) < (s->domain == 0 ? 0.5f : 0.7f);
    s->margin = s->camera ? (int)(U(r, 0.08f, 0.3f) * side) + 1 : 0;
    float M = (float)s->margin;
    if (s->camera) {
        float speed = (rng_uniform(r) < 0.25f ? U(r, 4.0f, 9.0f) : U(r, 0.3f, 2.5f)) * s->unit;
        int mode = rng_uniform(r) < 0.5f;
        wander(s->camx, s->F, M, 0.0f, 2.0f * M, speed * 0.7071f, mode, r);
        wander(s->camy, s->F, M, 0.0f, 2.0f * M, speed * 0.7071f, mode, r);
        if (rng_uniform(r) < 0.3f) { /* hand-held shake */
            s->camera = 2;
            for (int t = 1; t < s->F; t++) {
                s->camx[t] = clampf(s->camx[t] + 1.2f * rng_normal(r), 0.0f, 2.0f * M);
                s->camy[t] = clampf(s->camy[t] + 1.2f * rng_normal(r), 0.0f, 2.0f * M);
            }
        }
    }
    s->illum = rng_uniform(r) < (s->domain == 0 ? 0.4f : 0.6f);
    for (int t = 0; t < s->F; t++) {
        s->bright[t] = 0.0f, s->contrast[t] = 1.0f;
        for (int c = 0; c < 3; c++)
            s->gain[t * 3 + c] = 1.0f;
    }
    if (s->illum) {
        float amp = s->domain == 0 ? 45.0f : 70.0f;
        log_wave(s->bright, s->F, U(r, 0.3f, 1.0f) * amp, 0.0f, r);
        log_wave(s->contrast, s->F, U(r, 0.1f, 0.35f), 0.0f, r);
        for (int t = 0; t < s->F; t++)
            s->contrast[t] = expf(s->contrast[t]);
        for (int c = 0; c < 3; c++) {
            float g = U(r, 0.0f, 0.08f), w = U(r, 0.01f, 0.06f), ph = U(r, 0.0f, 6.2831853f);
            for (int t = 0; t < s->F; t++)
                s->gain[t * 3 + c] = expf(g * (sinf(w * (float)t + ph) - sinf(ph)));
        }
        s->light_switch = s->F >= 20 && rng_uniform(r) < 0.35f;
        if (s->light_switch) { /* a light switched off or on, and maybe back */
            int on = (int)U(r, 0.2f * (float)s->F, (float)s->F - 2.0f);
            int off = rng_uniform(r) < 0.5f ? on + (int)U(r, 10.0f, 40.0f) : s->F;
            float sign = rng_uniform(r) < 0.5f ? -1.0f : 1.0f, delta = sign * U(r, 30.0f, 60.0f);
            for (int t = on; t < s->F; t++) {
                float k = clampf((float)(t - on + 1) / 3.0f, 0.0f, 1.0f);
                if (t >= off) k = clampf(1.0f - (float)(t - off + 1) / 3.0f, 0.0f, 1.0f);
                s->bright[t] += delta * k;
            }
        }
    }
    s->blur_on = rng_uniform(r) < (s->domain == 0 ? 0.4f : 0.6f);
    s->exposure = U(r, 0.6f, 1.0f);
    s->noise_on = rng_uniform(r) < (s->domain == 0 ? 0.3f : 0.8f);
    float sigma = s->noise_on ? (s->domain == 0 ? U(r, 2.0f, 5.0f) : U(r, 3.0f, 9.0f)) : 0.0f;
    for (int y = 0; y < SYNTH_NOISE_TILE; y++) {
        float *row = s->noise + (size_t)y * s->noise_w;
        for (int x = 0; x < SYNTH_NOISE_TILE; x++)
            row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = sigma * rng_normal(r);
        for (int i = 3 * SYNTH_NOISE_TILE; i < s->noise_w; i++)
            row[i] = row[i - 3 * SYNTH_NOISE_TILE];
    }
}

void synth_scene_free(synth_scene *s) {
    if (!s) return;
    free(s->bg.px);
    free(s->mem);
    free(s);
}

static void track_carve(synth_track *tr, float **p, int F) {
    tr->cx = *p, tr->cy = *p + F, tr->w = *p + 2 * F, tr->h = *p + 3 * F;
    *p += 4 * F;
}

lorat_status synth_scene_plan(synth_scene **out, const synth_params *prm, int index,
                              const synth_photo *photos, int n_photos, lorat_error *err) {
    synth_scene *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory planning sequence %d", index);
    s->W = prm->width;
    s->H = prm->height;
    s->F = prm->frames;
    s->domain = prm->domain;
    s->unit = (float)(s->W < s->H ? s->W : s->H) / 240.0f;
    int F = s->F, movers = 1 + SYNTH_MAX_DISTRACTORS + SYNTH_MAX_OCCLUDERS;
    s->noise_w = (s->W + SYNTH_NOISE_TILE) * 3;
    s->mem = calloc((size_t)F * (4 * movers + 4 + 3) + (size_t)SYNTH_NOISE_TILE * s->noise_w +
                        (size_t)s->W * 3,
                    sizeof(float));
    if (!s->mem) {
        synth_scene_free(s);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "out of memory planning sequence %d (%d frames)", index, F);
    }
    float *p = s->mem;
    track_carve(&s->target.tr, &p, F);
    for (int i = 0; i < SYNTH_MAX_DISTRACTORS; i++)
        track_carve(&s->dis[i].tr, &p, F);
    for (int i = 0; i < SYNTH_MAX_OCCLUDERS; i++)
        track_carve(&s->occ[i].tr, &p, F);
    s->camx = p;
    s->camy = p + F;
    s->bright = p + 2 * F;
    s->contrast = p + 3 * F;
    s->gain = p + 4 * F; /* (F, 3) */
    s->noise = p + 7 * F;
    s->gain_row = s->noise + (size_t)SYNTH_NOISE_TILE * s->noise_w;

    /* One stream per sequence, from (seed, index): any subset of sequences, in any order and on
     * any number of threads, comes out the same. */
    uint64_t z = prm->seed ^ (0x9e3779b97f4a7c15ull * ((uint64_t)index + 1));
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ull;
    rng r;
    rng_seed(&r, z ^ (z >> 29));

    plan_target(s, &r);
    synth_texture_render(&s->target.tex, &s->target.pat);
    plan_distractors(s, &r);
    for (int i = 0; i < s->n_dis; i++)
        synth_texture_render(&s->dis[i].tex, &s->dis[i].pat);
    plan_occluders(s, &r);
    plan_out_of_view(s, &r);
    plan_camera_and_light(s, &r);
    s->bg.w = s->W + 2 * s->margin + 2 * SYNTH_BG_PAD;
    s->bg.h = s->H + 2 * s->margin + 2 * SYNTH_BG_PAD;
    s->bg.px = malloc((size_t)s->bg.w * s->bg.h * 3 * sizeof(float));
    /* Drawn only when there are photographs, so that sets made without them stay as they were. */
    int photo = -1;
    if (n_photos > 0 && s->domain == 1 && rng_uniform(&r) < 0.75f) {
        photo = (int)(rng_uniform(&r) * (float)n_photos);
        if (photo >= n_photos) photo = n_photos - 1;
        s->photo = photos[photo].name;
    }
    if (!s->bg.px || (photo >= 0 ? synth_background_photo(&s->bg, &photos[photo], &r)
                                 : synth_background_render(&s->bg, s->domain, &r))) {
        synth_scene_free(s);
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "out of memory drawing the background of sequence %d", index);
    }
    *out = s;
    return LORAT_STATUS_OK;
}
