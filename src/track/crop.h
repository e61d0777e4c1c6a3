/*
 * crop.h — the SiamFC crop of the official pipeline (spec §4), the ImageNet normalisation and
 * the template foreground mask.
 *
 * A crop maps a frame point X to the crop point u = s·X + t per axis. The official code aligns
 * the crop to whole pixels and then uses the *adjusted* parameters (s', t') for every later box
 * mapping; crop_siamfc returns those.
 */
#ifndef LORAT_TRACK_CROP_H
#define LORAT_TRACK_CROP_H

#include <stdint.h>

#include "lorat.h"

typedef struct crop_params {
    float sx, sy, tx, ty; /* adjusted (pixel-aligned) parameters, fp32 as the official code keeps them */
} crop_params;

/* Per-channel mean of the whole image, 0..255 (the padding colour). */
void image_mean_rgb(const lorat_image *img, float mean[3]);

/* Crops box (xyxy, frame pixels) with area factor f into out (3, out_h, out_w), CHW floats on
 * the 0..255 scale: bilinear resampling (align_corners false, no antialias) of the pixel-aligned
 * window, `mean` everywhere outside the frame. Returns the adjusted parameters. */
void crop_siamfc(float *out, const lorat_image *img, const double box[4], double f, int out_w,
                 int out_h, const float mean[3], crop_params *adjusted);

/* The unadjusted SiamFC mapping of box with area factor f into an (out_w, out_h) crop:
 * u = s·X + t, s = sqrt(Wo·Ho / ((w+p)(h+p))), p = (f−1)(w+h)/2, t = crop centre − s·box centre. */
void crop_siamfc_params(const double box[4], double f, int out_w, int out_h, double *s, double *tx,
                        double *ty);

/* The crop itself, for any mapping u = (sx·X + tx, sy·Y + ty): the one implementation that the
 * tracker (crop_siamfc: sx = sy) and training's jittered crops (data/pair.c) both run, so an
 * unjittered training crop is the tracker's to the bit. taps: crop_taps_bytes(out_w, out_h)
 * bytes of scratch, or NULL (allocated here); threaded: rows split among OpenMP threads (the
 * tracker), else serial (a loader worker). Returns the adjusted parameters. */
size_t crop_taps_bytes(int out_w, int out_h);
void crop_mapped(float *out, const lorat_image *img, double sx, double sy, double tx, double ty,
                 int out_w, int out_h, const float mean[3], void *taps, int threaded,
                 crop_params *adjusted);

/* In place: x = (x/255 − mean_c)/std_c with ImageNet's mean and std. chw (3, n). */
void normalize_imagenet(float *chw, int n);
/* In place, on pixels already scaled to [0,1] (training, after augmentation): (x − mean_c)/std_c. */
void normalize_imagenet01(float *chw, size_t n);

/* Template mask (gh, gw): 1 on the tokens covered by box (frame xyxy) once mapped into the crop
 * with p, divided by the stride (crop px per token) and rasterised end-exclusive. */
void template_mask(uint8_t *mask, int gw, int gh, double stride, const double box[4],
                   const crop_params *p);

/* Maps a box through (s, t) or its inverse, in double. */
void crop_box_to_frame(double out[4], const double in[4], const crop_params *p);

#endif
