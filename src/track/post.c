/* post.c — see post.h. Each step in the official order and precision. */
#include "track/post.h"

#include <math.h>

static void hann(float *w, int n) {
    if (n == 1) {
        w[0] = 1.0f;
        return;
    }
    /* torch: arange(n) · (2π/(n−1)) in float32, cos, then 0.5 − 0.5·cos. torch's vectorised
     * cosf can be 1 ulp off the correctly rounded value that cosf gives here (n = 27: one cell,
     * 6e-8); the chosen cell, confidence and boxes of the official cases are still bit-exact. */
    const float step = (float)(2.0 * M_PI / (double)(n - 1));
    for (int k = 0; k < n; k++) w[k] = 0.5f - 0.5f * cosf((float)k * step);
}

void hann_window_2d(float *window, int gw, int gh) {
    float wx[512], wy[512];
    if (gw > 512 || gh > 512) return;
    hann(wx, gw);
    hann(wy, gh);
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) window[y * gw + x] = wy[y] * wx[x];
}

void post_process(const float *score, const float *boxes, const float *window, int gw, int gh,
                  int search_w, int search_h, float window_influence, int box_average, const crop_params *p,
                  int frame_w, int frame_h, post_result *r) {
    const float keep = (float)(1.0 - (double)window_influence);
    int best = 0;
    float best_v = -INFINITY;
    for (int i = 0; i < gw * gh; i++) {
        float prob = 1.0f / (1.0f + expf(-score[i]));
        float v = prob * keep + window[i] * window_influence;
        if (v > best_v) { /* strict: the first index wins ties, as torch.argmax */
            best_v = v;
            best = i;
        }
    }
    r->index = best;
    r->confidence = 1.0f / (1.0f + expf(-score[best]));
    const float *b = boxes + (size_t)best * 4;
    float avg[4];
    if (box_average > 0) {
        /* The boxes of the cells within box_average of the chosen one whose (unwindowed)
         * probability is at least half the chosen cell's, weighted by it: training asks every
         * cell under the target for the same box; weaker neighbours lean to distractors. */
        const int bx = best % gw, by = best / gw;
        double acc[4] = {0, 0, 0, 0}, wsum = 0;
        for (int y = by - box_average; y <= by + box_average; y++)
            for (int x = bx - box_average; x <= bx + box_average; x++) {
                if (x < 0 || y < 0 || x >= gw || y >= gh) continue;
                const int i = y * gw + x;
                const double w = 1.0 / (1.0 + exp(-(double)score[i]));
                if (w < 0.5 * r->confidence) continue;
                for (int k = 0; k < 4; k++) acc[k] += w * boxes[(size_t)i * 4 + k];
                wsum += w;
            }
        for (int k = 0; k < 4; k++) avg[k] = (float)(acc[k] / wsum);
        b = avg;
    }
    r->box_crop[0] = b[0] * (float)search_w;
    r->box_crop[1] = b[1] * (float)search_h;
    r->box_crop[2] = b[2] * (float)search_w;
    r->box_crop[3] = b[3] * (float)search_h;
    double in[4] = {r->box_crop[0], r->box_crop[1], r->box_crop[2], r->box_crop[3]};
    crop_box_to_frame(r->box_unclipped, in, p);
    for (int k = 0; k < 4; k++) {
        double lim = (k % 2 == 0) ? frame_w : frame_h;
        double v = r->box_unclipped[k];
        r->box[k] = v < 0 ? 0 : (v > lim ? lim : v);
    }
}
