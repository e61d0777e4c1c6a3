/*
 * loss.c — the LoRAT training loss and its gradient (see loss.h). Everything is accumulated in
 * double: the loss is a sum over every cell of the batch and the gradients are tiny per cell.
 * The GIoU gradient is written out by hand, following mmdet's bbox_overlaps term by term; the
 * clamps (at 0 and at eps) pass the gradient where they do not bite, as PyTorch's do.
 */
#include "train/loss.h"

#include <math.h>
#include <string.h>

#define LOSS_EPS 1e-6

static int clampi(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

loss_cells loss_positive_cells(const float *gt, int H, int W) {
    loss_cells c;
    c.x0 = clampi((int)floor((double)gt[0] * W), 0, W);
    c.y0 = clampi((int)floor((double)gt[1] * H), 0, H);
    c.x1 = clampi((int)floor((double)gt[2] * W + 1.0 - 1e-4), 0, W);
    c.y1 = clampi((int)floor((double)gt[3] * H + 1.0 - 1e-4), 0, H);
    return c;
}

int loss_label_map(uint8_t *label_map, const float *gt, int B, int H, int W) {
    int n = 0;
    memset(label_map, 0, (size_t)B * H * W);
    for (int b = 0; b < B; b++) {
        loss_cells c = loss_positive_cells(gt + 4 * b, H, W);
        for (int y = c.y0; y < c.y1; y++)
            for (int x = c.x0; x < c.x1; x++, n++)
                label_map[((size_t)b * H + y) * W + x] = 1;
    }
    return n;
}

/* The terms of mmdet's aligned IoU/GIoU of pred p against target g. */
typedef struct giou_terms {
    double area_p, area_g, ltx, lty, rbx, rby, wx, wy, ov, un_raw, un, iou;
    double elx, ely, erx, ery, ewx, ewy, ea_raw, ea, giou;
} giou_terms;

static giou_terms giou_eval(const float *p, const float *g) {
    giou_terms t;
    t.area_p = ((double)p[2] - p[0]) * ((double)p[3] - p[1]);
    t.area_g = ((double)g[2] - g[0]) * ((double)g[3] - g[1]);
    t.ltx = fmax(p[0], g[0]);
    t.lty = fmax(p[1], g[1]);
    t.rbx = fmin(p[2], g[2]);
    t.rby = fmin(p[3], g[3]);
    t.wx = fmax(t.rbx - t.ltx, 0.0);
    t.wy = fmax(t.rby - t.lty, 0.0);
    t.ov = t.wx * t.wy;
    t.un_raw = t.area_p + t.area_g - t.ov;
    t.un = fmax(t.un_raw, LOSS_EPS);
    t.iou = t.ov / t.un;
    t.elx = fmin(p[0], g[0]);
    t.ely = fmin(p[1], g[1]);
    t.erx = fmax(p[2], g[2]);
    t.ery = fmax(p[3], g[3]);
    t.ewx = fmax(t.erx - t.elx, 0.0);
    t.ewy = fmax(t.ery - t.ely, 0.0);
    t.ea_raw = t.ewx * t.ewy;
    t.ea = fmax(t.ea_raw, LOSS_EPS);
    t.giou = t.iou - (t.ea - t.un) / t.ea;
    return t;
}

double loss_iou(const float *a, const float *b) {
    return giou_eval(a, b).iou;
}

double loss_giou(const float *a, const float *b) {
    return giou_eval(a, b).giou;
}

/* dp (4) += dgiou · d GIoU(p, g) / dp. */
static void giou_backward(double *dp, double dgiou, const giou_terms *t, const float *p,
                          const float *g) {
    /* giou = iou − 1 + un/ea */
    double diou = dgiou, dun = dgiou / t->ea, dea = -dgiou * t->un / (t->ea * t->ea);
    double dov = diou / t->un;
    dun += -diou * t->ov / (t->un * t->un);
    double darea = 0.0;
    if (t->un_raw > LOSS_EPS) {
        darea += dun;
        dov -= dun;
    }
    if (t->ea_raw > LOSS_EPS) {
        const double dewx = dea * t->ewy, dewy = dea * t->ewx;
        if (t->erx - t->elx > 0) {
            if (p[2] > g[2]) dp[2] += dewx;
            if (p[0] < g[0]) dp[0] -= dewx;
        }
        if (t->ery - t->ely > 0) {
            if (p[3] > g[3]) dp[3] += dewy;
            if (p[1] < g[1]) dp[1] -= dewy;
        }
    }
    const double dwx = dov * t->wy, dwy = dov * t->wx;
    if (t->rbx - t->ltx > 0) {
        if (p[2] < g[2]) dp[2] += dwx;
        if (p[0] > g[0]) dp[0] -= dwx;
    }
    if (t->rby - t->lty > 0) {
        if (p[3] < g[3]) dp[3] += dwy;
        if (p[1] > g[1]) dp[1] -= dwy;
    }
    const double pw = (double)p[2] - p[0], ph = (double)p[3] - p[1];
    dp[2] += darea * ph;
    dp[0] -= darea * ph;
    dp[3] += darea * pw;
    dp[1] -= darea * pw;
}

int loss_count_positive(const float *gt, int B, int H, int W) {
    int npos = 0;
    for (int b = 0; b < B; b++) {
        loss_cells c = loss_positive_cells(gt + 4 * b, H, W);
        npos += (c.x1 - c.x0) * (c.y1 - c.y0);
    }
    return npos;
}

void loss_forward_backward(loss_value *out, float *dscore, float *dboxes, float *cls_target,
                           const float *score, const float *boxes, const float *gt, int B, int H,
                           int W) {
    const int npos = loss_count_positive(gt, B, H, W);
    loss_forward_backward_norm(out, dscore, dboxes, cls_target, score, boxes, gt, B, H, W, npos);
}

void loss_forward_backward_norm(loss_value *out, float *dscore, float *dboxes, float *cls_target,
                                const float *score, const float *boxes, const float *gt, int B,
                                int H, int W, int npos) {
    const int HW = H * W;
    const double norm = npos > 0 ? (double)npos : 1.0;
    double cls = 0.0, reg = 0.0;
    if (dboxes) memset(dboxes, 0, sizeof(float) * (size_t)B * HW * 4);
    for (int b = 0; b < B; b++) {
        const float *g = gt + 4 * b;
        loss_cells c = loss_positive_cells(g, H, W);
        for (int i = 0; i < HW; i++) {
            const int y = i / W, x = i % W;
            const int pos = x >= c.x0 && x < c.x1 && y >= c.y0 && y < c.y1;
            const size_t k = (size_t)b * HW + i;
            const float *p = boxes + 4 * k;
            double q = 0.0;
            if (pos) {
                giou_terms t = giou_eval(p, g);
                q = (double)(float)t.iou; /* the target is a float tensor */
                reg += 1.0 - t.giou;
                if (dboxes) {
                    double dp[4] = {0, 0, 0, 0};
                    giou_backward(dp, -1.0 / norm, &t, p, g);
                    for (int j = 0; j < 4; j++)
                        dboxes[4 * k + j] = (float)dp[j];
                }
            }
            const double z = score[k];
            /* BCE with logits, the stable form: max(z,0) − z·q + log(1 + e^−|z|). */
            cls += fmax(z, 0.0) - z * q + log1p(exp(-fabs(z)));
            if (dscore) dscore[k] = (float)((1.0 / (1.0 + exp(-z)) - q) / norm);
            if (cls_target) cls_target[k] = (float)q;
        }
    }
    out->cls = cls / norm;
    out->reg = reg / norm;
    out->total = out->cls + out->reg;
    out->num_pos = npos;
}
