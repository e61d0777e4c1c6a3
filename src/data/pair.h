/*
 * pair.h — one training sample from a template frame and a search frame (spec §4, §5):
 *   template: SiamFC crop, area factor template_area (2), no jitter;
 *   search:   SiamFC crop, area factor search_area (4; 5 at 378) with the official jitter:
 *             s_x = s / exp(N(0,1)·0.25), s_y = s / exp(N(0,1)·0.25) independently,
 *             t = (Wo/2, Ho/2) − s·centre + u·(0.5·3·(s_x·w + s_y·h)), u ~ U(−1,1)²;
 *             the jittered box must meet the crop with clipped w, h ≥ 10 px, else another
 *             draw, 12 in all, then the pair is rejected (the caller redraws the pair);
 *   both:     pixel-aligned bilinear crops padded with each frame's mean colour, /255, then
 *             flip (each image, p 0.5), colour jitter (each image), the DeiT-3 step (one for the
 *             pair), boxes clipped to their crops, ImageNet normalisation;
 *   labels:   z_mask = the template foreground mask of the augmented, clipped template box
 *             (template_mask semantics); gt_box = the augmented, clipped search box / search size.
 * Not here: choosing the frames (data/sampler), decoding and batching (data/loader).
 */
#ifndef LORAT_DATA_PAIR_H
#define LORAT_DATA_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"
#include "data/augment.h"
#include "io/image.h"
#include "model/config.h"
#include "track/crop.h"

typedef struct pair_config {
    int template_w, template_h, search_w, search_h; /* crop sizes in pixels (112, 224 at -224) */
    int stride;                                     /* crop pixels per token: 14 */
    double template_area, search_area;              /* 2, 4 (5 at 378) */
    double scale_jitter;                            /* 0.25 */
    double translation_jitter;                      /* 3 */
    double min_size;                                /* 10 px */
    int max_attempts;                               /* 12 */
    int augment;                                    /* 1: flip, colour jitter, DeiT-3 */
} pair_config;

/* LoRAT's training settings for the model's sizes. */
void pair_config_from_model(pair_config *c, const model_config *m);
/* The same from sizes alone (square crops). */
void pair_config_default(pair_config *c, int template_px, int search_px, double search_area,
                         int stride);

/* Where one sample goes. */
typedef struct pair_out {
    float *z;        /* (3, template_h, template_w), ImageNet-normalised */
    float *x;        /* (3, search_h, search_w), ImageNet-normalised */
    uint8_t *z_mask; /* (template_h/stride, template_w/stride) */
    float *gt_box;   /* (4) xyxy / (search_w, search_h) */
} pair_out;

/* What was drawn and where the boxes went (crop pixels), for tests and debugging. */
typedef struct pair_info {
    int attempts;               /* jitter draws used (1..max_attempts) */
    double sx, sy, tx, ty;      /* the jittered search mapping before pixel alignment */
    crop_params z_crop, x_crop; /* the adjusted (pixel-aligned) mappings */
    int z_flip, x_flip;
    color_jitter z_color, x_color;
    deit3_aug deit3;
    double z_box[4], x_box[4]; /* after flip and clipping, crop pixels */
} pair_info;

/* Scratch bytes pair_make needs (one buffer per thread). */
size_t pair_scratch_bytes(const pair_config *c);

/* Makes the sample. Returns 1, or 0 when the search jitter found no valid crop in max_attempts
 * draws (out is then unspecified; redraw the pair). info may be NULL. The frames may be the same
 * image. */
int pair_make(const pair_config *c, const image *zimg, const double zbox[4], const image *ximg,
              const double xbox[4], rng *r, void *scratch, pair_out *out, pair_info *info);

/* The pieces, for tests. */

/* Draws the search jitter for box; returns the number of draws used, or 0 when none of
 * max_attempts gave a valid crop. */
int pair_search_jitter(const pair_config *c, const double box[4], rng *r, double *sx, double *sy,
                       double *tx, double *ty);

#endif
