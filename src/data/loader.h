/*
 * loader.h — batches of training pairs, made ahead of time by worker threads.
 *
 * Batch k of the run (epoch = k / steps_per_epoch, step = k mod steps_per_epoch) holds samples
 * step·B .. step·B + B − 1 of its epoch; each sample is drawn from its own RNG stream of
 * (seed, epoch, index) (data/sampler), so a batch is the same whatever the number of workers and
 * whichever worker made which sample, and loader_seek(epoch, step) reproduces any later batch
 * exactly (resumption). steps_per_epoch = samples_per_epoch / B (the remainder is dropped, as a
 * drop_last DataLoader does).
 *
 * Workers (pthreads) take samples one at a time, in order, into a ring of preallocated batch
 * buffers: up to `prefetch` batches are made while the model works on the one loader_next last
 * returned. A sample whose sequence has no valid frame, or whose search crop stays invalid after
 * its jitter attempts, is redrawn from a random dataset (by weight) from the same stream.
 * Frames are decoded with io/image (JPEG, PNG); no allocation happens after loader_create.
 */
#ifndef LORAT_DATA_LOADER_H
#define LORAT_DATA_LOADER_H

#include <stdint.h>

#include "data/pair.h"
#include "data/sampler.h"

typedef struct loader_config {
    const dataset *const *datasets; /* borrowed, open for the loader's lifetime */
    const double *weights;          /* per dataset (NULL: all 1) */
    int sources;
    pair_config pair; /* sizes and jitter (pair_config_from_model) */
    int batch;        /* B */
    int workers;      /* threads, >= 1 */
    int prefetch;     /* batches in the ring (0: workers + 1, at least 2) */
    uint64_t seed;
    int64_t samples_per_epoch; /* 0: 131072 (LoRAT) */
    int max_gap;               /* 0: 100 */
    /* Data-parallel runs: this process makes samples shard_offset .. shard_offset + batch − 1 of
     * each global batch of global_batch samples (0: batch, one process). The epoch has
     * samples_per_epoch / global_batch steps, and sample index step·global_batch + shard_offset + b:
     * the samples one process would make, split among the ranks. */
    int global_batch;
    int shard_offset;
} loader_config;

/* One batch. The buffers belong to the loader; valid until the next loader_next or loader_seek. */
typedef struct loader_batch {
    int size; /* B */
    int64_t epoch, step;
    float *z;        /* (B, 3, Hz, Wz) ImageNet-normalised */
    float *x;        /* (B, 3, Hx, Wx) */
    uint8_t *z_mask; /* (B, Hz/stride, Wz/stride) */
    float *gt_box;   /* (B, 4) normalised xyxy */
    /* Where each sample came from (the last draw, after any redraws). */
    int *source, *sequence, *z_frame, *x_frame;
    int *redraws; /* draws rejected before this one */
} loader_batch;

typedef struct loader loader;

lorat_status loader_create(loader **out, const loader_config *cfg, lorat_error *err);
/* The next batch (blocks until it is ready). A worker's error (an unreadable frame) comes back
 * here, with the file named. */
lorat_status loader_next(loader *l, const loader_batch **batch, lorat_error *err);
/* The next loader_next returns (epoch, step). */
lorat_status loader_seek(loader *l, int64_t epoch, int64_t step, lorat_error *err);
int64_t loader_steps_per_epoch(const loader *l);
void loader_free(loader *l);

/* Makes sample (epoch, index) into out on the calling thread: what a worker does. img_z, img_x
 * are reusable decode buffers; scratch has pair_scratch_bytes. Exposed for tests and tools. */
typedef struct loader_sample_info {
    sampler_pair pair;
    pair_info crop;
    int redraws;
} loader_sample_info;
lorat_status loader_make_sample(const sampler *s, const pair_config *pc, int64_t epoch,
                                int64_t index, image *img_z, image *img_x, void *scratch,
                                pair_out *out, loader_sample_info *info, lorat_error *err);

#endif
