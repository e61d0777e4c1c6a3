/*
 * synth_render.h — the drawing half of the sequence generator: object patterns (textures in the
 * object's own unit square), anti-aliased shapes with optional motion blur, value noise and the
 * two background families. Everything draws into a float RGB buffer (0..255); the frame is
 * quantised once, at the end, by synth.c. Not a general 2-D graphics library: only what the
 * synthetic scenes need, and cheap enough for thousands of frames a second or two.
 */
#ifndef LORAT_DATA_SYNTH_RENDER_H
#define LORAT_DATA_SYNTH_RENDER_H

#include <stdint.h>

#include "core/rng.h"

/* A float RGB buffer, interleaved, rows top to bottom: px[(y·w + x)·3 + c], values 0..255. */
typedef struct synth_canvas {
    int w, h;
    float *px;
} synth_canvas;

enum synth_pattern_kind {
    SYNTH_PATTERN_STRIPES,
    SYNTH_PATTERN_CHECKER,
    SYNTH_PATTERN_BLOBS,
    SYNTH_PATTERN_GRADIENT,
    SYNTH_PATTERN_DOTS,
    SYNTH_PATTERN_NOISE,
    SYNTH_PATTERN_PLAIN,
    SYNTH_PATTERN_COUNT
};

enum synth_shape {
    SYNTH_SHAPE_RECT,
    SYNTH_SHAPE_ELLIPSE,
    SYNTH_SHAPE_ROUNDRECT,
    SYNTH_SHAPE_COUNT
};

/* "stripes", "ellipse", ...: for meta_info.ini. */
const char *synth_pattern_name(int kind);
const char *synth_shape_name(int shape);

/* What an object looks like, independent of its size: a pattern over the unit square, a shape
 * and an optional border. layout_seed places blobs and noise, so that two patterns that differ
 * only in colour share their layout (the "same family" distractors). */
typedef struct synth_pattern {
    int kind;
    float col[3][3]; /* three colours, RGB 0..255 */
    float freq;      /* periods (stripes, checker, dots) or blob count across the unit square */
    float angle;     /* radians: stripes and gradient direction */
    float duty;      /* stripes and dots: share of the first colour */
    uint64_t layout_seed;
    int shape;
    float corner;      /* round rectangle: corner radius as a share of the half of the short side */
    int border;        /* 1: a border band of border_col */
    float border_frac; /* border width as a share of the short side */
    float border_col[3];
} synth_pattern;

/* The pattern rasterised once at SYNTH_TEXTURE_SIZE² and sampled bilinearly when drawn. */
#define SYNTH_TEXTURE_SIZE 96
typedef struct synth_texture {
    uint8_t rgb[SYNTH_TEXTURE_SIZE * SYNTH_TEXTURE_SIZE * 3];
} synth_texture;

void synth_texture_render(synth_texture *t, const synth_pattern *p);

/* Where random patterns take their colours from: hues around `hue` (0..1, wrapping; the second
 * colour may be its complement), saturation and value ranges, and how often a pattern is plain
 * or has a border. */
typedef struct synth_palette {
    float hue, hue_spread, sat_lo, sat_hi, val_lo, val_hi;
    float plain, border; /* probabilities */
} synth_palette;

void synth_pattern_random(synth_pattern *p, const synth_palette *pal, rng *r);

/* One object at one instant: box top-left (x, y) and size (w, h) in pixels, and its screen
 * motion (vx, vy) in pixels per frame for motion blur. */
typedef struct synth_object_pose {
    float x, y, w, h;
    float vx, vy;
} synth_object_pose;

/* How a drawn object touches the visibility buffer `id` (one byte per pixel): */
enum synth_id_mode {
    SYNTH_ID_NONE,  /* leaves it alone (background clutter, objects behind the target) */
    SYNTH_ID_SET,   /* the target: 1 where its own shape covers the pixel centre */
    SYNTH_ID_CLEAR, /* anything in front of the target: 0 where it covers the pixel */
};

/* Draws the object with `blur` time samples spread over `exposure` frames of its motion (1 = no
 * blur). The visibility buffer is written from the unblurred pose, so ground truth and the
 * visibility count agree with the box. id may be NULL with SYNTH_ID_NONE. */
void synth_draw_object(synth_canvas *c, uint8_t *id, int id_mode, const synth_pattern *p,
                       const synth_texture *t, const synth_object_pose *pose, int blur,
                       float exposure);

/* Does the shape of an object of size (w, h) cover the point (px, py), given relative to its
 * box's top-left corner? The same test synth_draw_object uses for the visibility buffer. */
int synth_shape_covers(const synth_pattern *p, float w, float h, float px, float py);

/* Colour from hue (0..1, wraps), saturation and value (0..1) to RGB 0..255. */
void synth_hsv(float h, float s, float v, float rgb[3]);

/* Fills c (allocated by the caller) with a background of the domain's family, drawing from r:
 * domain 0 is muted, smooth and sparse; domain 1 is saturated, high-frequency and cluttered.
 * Returns 0, or -1 when out of memory. */
int synth_background_render(synth_canvas *c, int domain, rng *r);

/* A photograph to draw backgrounds from: RGB u8, rows top to bottom (synth.c reads and reduces
 * them; nothing here touches files). */
typedef struct synth_photo {
    int w, h;
    const uint8_t *rgb;
    const char *name; /* the file's base name, for meta_info.ini */
} synth_photo;

/* Fills c with a window of the photograph: a random crop of c's aspect covering 35..100% of the
 * largest that fits, mirrored half the time, resampled bilinearly, with a random colour gain and
 * contrast; then a scattering of small patterned shapes (look-alike clutter in the picture).
 * Returns 0, or -1 when out of memory. */
int synth_background_photo(synth_canvas *c, const synth_photo *ph, rng *r);

#endif
