/*
 * schedule.c — timm's CosineLRScheduler formula, per iteration (see schedule.h). The arithmetic
 * is in double in the order timm's Python evaluates it, so the two agree to the last bit.
 */
#include <math.h>

#include "train/schedule.h"

void lr_schedule_official(lr_schedule *s, int64_t iters_per_epoch, int64_t epochs) {
    s->base_lr = 1e-4;
    s->warmup_lr = 1e-7;
    s->min_lr = 1e-6;
    s->warmup_t = 2 * iters_per_epoch;
    s->t_initial = epochs * iters_per_epoch;
    s->warmup_prefix = 1;
}

double lr_schedule_at(const lr_schedule *s, int64_t t) {
    if (t < s->warmup_t) {
        const double step = (s->base_lr - s->warmup_lr) / (double)s->warmup_t;
        return s->warmup_lr + (double)t * step;
    }
    if (s->warmup_prefix) t -= s->warmup_t;
    if (s->t_initial <= 0) return s->min_lr;
    const int64_t cycle = t / s->t_initial;
    const int64_t t_curr = t - s->t_initial * cycle;
    if (cycle >= 1) return s->min_lr; /* cycle_limit 1 */
    return s->min_lr + 0.5 * (s->base_lr - s->min_lr) *
                           (1.0 + cos(M_PI * (double)t_curr / (double)s->t_initial));
}
