/*
 * post.h — from the network's score and box maps to a box in the frame (spec §6.3): sigmoid,
 * symmetric Hann window blended in (0.55/0.45 by default, a convex blend, not a product),
 * argmax (first index on ties), the chosen box scaled to crop pixels, mapped back to the frame
 * through the adjusted crop parameters (float64) and clipped to the frame. With box_average > 0
 * (not official) the box is instead the probability-weighted mean of the boxes of the cells
 * within that many cells of the chosen one whose probability is at least half the chosen one's.
 */
#ifndef LORAT_TRACK_POST_H
#define LORAT_TRACK_POST_H

#include "track/crop.h"

/* torch.hann_window(n, periodic=False) in float32, outer product over (gh, gw). */
void hann_window_2d(float *window, int gw, int gh);

typedef struct post_result {
    int index;         /* row-major cell chosen */
    float confidence;  /* sigmoid(score) at that cell */
    float box_crop[4]; /* xyxy in crop pixels (float32) */
    double box_unclipped[4];
    double box[4];     /* xyxy in the frame, clipped to it */
} post_result;

/* score (gh,gw) raw logits, boxes (gh,gw,4) normalised xyxy, window (gh,gw); search_w/h the crop
 * size in pixels; frame_w/h the frame size. */
void post_process(const float *score, const float *boxes, const float *window, int gw, int gh,
                  int search_w, int search_h, float window_influence, int box_average, const crop_params *p,
                  int frame_w, int frame_h, post_result *r);

#endif
