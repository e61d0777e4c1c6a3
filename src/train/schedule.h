/*
 * schedule.h — the learning-rate schedule of the official training (spec §5): timm's
 * CosineLRScheduler stepped per iteration, with a linear warmup as a prefix.
 *
 *   t < warmup_t:  lr = warmup_lr + t · (base_lr − warmup_lr) / warmup_t
 *   otherwise:     t' = t − warmup_t (prefix), i = t' / t_initial (integer), tc = t' − i·t_initial
 *                  i < 1 (one cycle): lr = min_lr + ½(base_lr − min_lr)(1 + cos(π·tc / t_initial))
 *                  after it:          lr = min_lr
 *
 * Iteration t (0-based) trains with lr(t): timm sets lr(0) at construction and lr(t+1) after
 * the t-th update. With the official numbers (1024 iterations/epoch, 2 warmup epochs, 170
 * epochs) the last iteration, t = 174079, trains with about 1.034e-6.
 * Not timm's other options (cycle_mul, cycle_decay, k_decay, noise): they are off in LoRAT.
 */
#ifndef LORAT_TRAIN_SCHEDULE_H
#define LORAT_TRAIN_SCHEDULE_H

#include <stdint.h>

typedef struct lr_schedule {
    double base_lr;    /* 1e-4 */
    double warmup_lr;  /* 1e-7: warmup_lr_init */
    double min_lr;     /* 1e-6 */
    int64_t warmup_t;  /* warmup iterations: warmup epochs × iterations per epoch */
    int64_t t_initial; /* cosine length: epochs × iterations per epoch */
    int warmup_prefix; /* 1 (LoRAT): the cosine starts after the warmup */
} lr_schedule;

/* The official schedule for a run of `epochs` epochs of iters_per_epoch iterations
 * (warmup 2 epochs, 1e-7 → 1e-4, cosine to 1e-6, prefix). */
void lr_schedule_official(lr_schedule *s, int64_t iters_per_epoch, int64_t epochs);

/* The learning rate of iteration t (0-based). */
double lr_schedule_at(const lr_schedule *s, int64_t t);

#endif
