/*
 * synth_scene.h — the plan of one synthetic sequence: every object's path and size for all its
 * frames, the camera's path, the light and the sensor noise, all drawn up front from one RNG
 * stream seeded by (seed, sequence index). synth.c renders frames from it; nothing here draws
 * pixels except the background canvas, which is made once per sequence.
 */
#ifndef LORAT_DATA_SYNTH_SCENE_H
#define LORAT_DATA_SYNTH_SCENE_H

#include "core/error.h"
#include "data/synth.h"
#include "data/synth_render.h"

#define SYNTH_MAX_DISTRACTORS 6
#define SYNTH_MAX_OCCLUDERS 4
#define SYNTH_NOISE_TILE 64
#define SYNTH_BG_PAD 8 /* pixels of background beyond the camera's range, for the blur's taps */

/* Centre and size of one moving object, per frame (pixels). */
typedef struct synth_track {
    float *cx, *cy, *w, *h;
} synth_track;

typedef struct synth_mover {
    synth_pattern pat;
    synth_texture tex;
    synth_track tr;
    int front, on;
} synth_mover;

typedef struct synth_scene {
    int W, H, F, domain;
    float unit; /* pixels per unit of motion: speeds are given for a 240-pixel short side */
    int speed_class, mode, scale_on, aspect_on, n_dis, n_occ, n_full, out_of_view, camera, illum,
        light_switch, blur_on, noise_on, same_look;
    float exposure;
    synth_mover target, dis[SYNTH_MAX_DISTRACTORS], occ[SYNTH_MAX_OCCLUDERS];
    synth_canvas bg;
    const char *photo; /* the photograph behind the scene (its file's name), NULL: procedural */
    int margin;
    float *camx, *camy, *bright, *contrast, *gain; /* gain: (F, 3) */
    /* Sensor noise: a SYNTH_NOISE_TILE-periodic tile, (SYNTH_NOISE_TILE, noise_w) with each value
     * repeated for the three channels and rows widened, so that a frame row reads it straight at
     * any offset. */
    float *noise;
    int noise_w;
    float *gain_row; /* (W·3): this frame's per-channel gain, as laid out in a row */
    float *mem;
} synth_scene;

/* photos: the photographs domain 1 draws three backgrounds in four from (n_photos may be 0). */
lorat_status synth_scene_plan(synth_scene **out, const synth_params *prm, int index,
                              const synth_photo *photos, int n_photos, lorat_error *err);
void synth_scene_free(synth_scene *s);

#endif
