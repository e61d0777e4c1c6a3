/*
 * loss.h — the LoRAT training loss (spec §5) and its gradient: IoU-aware BCE classification plus
 * GIoU regression, both normalised by the number of positive cells in the batch.
 *
 * Labels come from one GT box per sample, normalised xyxy in the search crop (0..1 spans it):
 * the positive cells are every response cell the box covers, rasterise(box·grid) end-exclusive
 * (floor(x1), floor(y1), floor(x2 + 1 − 1e-4), floor(y2 + 1 − 1e-4)), clipped to the grid.
 *   cls = Σ_all cells BCEWithLogits(logit, q) / Npos, q = IoU(pred, gt) (detached, eps 1e-6)
 *         at positive cells, 0 elsewhere;
 *   reg = Σ_pos (1 − GIoU(pred, gt)) / Npos (mmdet GIoU, eps 1e-6);
 *   total = cls + reg;  Npos = positive cells in the batch, at least 1.
 */
#ifndef LORAT_TRAIN_LOSS_H
#define LORAT_TRAIN_LOSS_H

#include <stdint.h>

/* The positive cells of one box on a (H,W) grid: x in [x0,x1), y in [y0,y1). */
typedef struct loss_cells {
    int x0, y0, x1, y1;
} loss_cells;
loss_cells loss_positive_cells(const float *gt, int H, int W);

/* label_map (B,H,W) = 1 at positive cells; returns the number of positive cells. */
int loss_label_map(uint8_t *label_map, const float *gt, int B, int H, int W);

typedef struct loss_value {
    double total, cls, reg;
    int num_pos; /* before the clamp to 1 */
} loss_value;

/* score (B,H,W) logits, boxes (B,H,W,4) normalised xyxy, gt (B,4) normalised xyxy.
 * Writes the loss; dscore (B,H,W) and dboxes (B,H,W,4) = d total / d input (each may be NULL);
 * cls_target (B,H,W) the soft target q (may be NULL). */
void loss_forward_backward(loss_value *out, float *dscore, float *dboxes, float *cls_target,
                           const float *score, const float *boxes, const float *gt, int B, int H,
                           int W);

/* The positive cells of a batch (what normalises the loss). */
int loss_count_positive(const float *gt, int B, int H, int W);
/* loss_forward_backward with the normaliser given: npos positive cells counted over the whole
 * global batch (a data-parallel run sums the ranks' counts, as the official code's reduce_mean_
 * of num_positive_samples does), clamped to at least 1. The parts are this batch's sums / npos,
 * so the ranks' parts add up to the global loss. */
void loss_forward_backward_norm(loss_value *out, float *dscore, float *dboxes, float *cls_target,
                                const float *score, const float *boxes, const float *gt, int B,
                                int H, int W, int npos);

/* IoU and GIoU of two xyxy boxes as mmdet computes them (aligned, eps 1e-6). */
double loss_iou(const float *a, const float *b);
double loss_giou(const float *a, const float *b);

#endif
