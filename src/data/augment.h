/*
 * augment.h — the training augmentations of spec §5, on CHW float images in [0, 1]:
 *   1. horizontal flip (the box becomes x' = W − x);
 *   2. ColorJitter(brightness, contrast, saturation) with torchvision's tensor semantics: factors
 *      in [1 − 0.4, 1 + 0.4], applied in a random order; brightness blends with black, contrast
 *      with the mean of the grayscale image, saturation with the grayscale image (grayscale
 *      = 0.2989 R + 0.587 G + 0.114 B, the coefficients of torchvision's rgb_to_grayscale), each
 *      result clamped to [0, 1];
 *   3. the DeiT-3 step: one of grayscale (3 channels), solarize (threshold 128), Gaussian blur
 *      (radius r ~ U(0.1, 2)), done as PIL does it on uint8: the float image becomes uint8 by
 *      truncation (torchvision's to_pil_image: byte(255·v)), PIL's integer formulas are applied
 *      (L = (19595 R + 38470 G + 7471 B + 2^15) >> 16; Pillow's GaussianBlur = three passes of
 *      its extended box blur per axis, with the box radius it derives from r), and the result
 *      comes back as v/255.
 * Drawing the random choices is separate from applying them, so tests can apply a known choice.
 */
#ifndef LORAT_DATA_AUGMENT_H
#define LORAT_DATA_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

/* chw (3, h, w) mirrored left-right in place. */
void augment_hflip(float *chw, int w, int h);
/* The box (xyxy) of an image of width w, mirrored: (w − x2, y1, w − x1, y2). */
void augment_hflip_box(double box[4], int w);

typedef struct color_jitter {
    float brightness, contrast, saturation; /* factors, 1 = unchanged */
    int order[3];                           /* 0 brightness, 1 contrast, 2 saturation */
} color_jitter;

/* Factors ~ U[1 − strength, 1 + strength] (strength 0.4 in LoRAT) and a random order. */
void augment_color_draw(color_jitter *cj, float strength, rng *r);
/* chw (3, h, w) in place. */
void augment_color_apply(float *chw, int w, int h, const color_jitter *cj);

typedef enum deit3_kind { DEIT3_GRAYSCALE = 0, DEIT3_SOLARIZE = 1, DEIT3_BLUR = 2 } deit3_kind;

typedef struct deit3_aug {
    deit3_kind kind;
    float radius; /* blur only: PIL's GaussianBlur radius, U(0.1, 2) */
} deit3_aug;

void augment_deit3_draw(deit3_aug *a, rng *r);
/* Bytes of scratch augment_deit3_apply needs for a (3, h, w) image. */
size_t augment_deit3_scratch(int w, int h);
/* chw (3, h, w) in place, through uint8. */
void augment_deit3_apply(float *chw, int w, int h, const deit3_aug *a, void *scratch);

/* Pillow's pieces on one uint8 plane, exposed for tests. The blur is in place; line has room
 * for max(w, h) bytes. */
void augment_box_blur_u8(uint8_t *plane, int w, int h, float radius, int passes, uint8_t *line);
float augment_gaussian_box_radius(float radius, int passes);

#endif
