/*
 * sampler.h — which frames make a training pair (spec §5, "Sampling"): weighted sampling over
 * several datasets, sequences in reshuffled full cycles, positive pairs within a frame gap.
 *
 * Everything is a pure function of (seed, epoch, index): sample `index` of epoch `epoch` can be
 * drawn on its own, by any thread, in any order, which is what makes the loader's batches the
 * same for any number of workers and lets training resume exactly. No state is kept between
 * draws; the permutations (of an epoch's samples, of a dataset's sequences per cycle) are keyed
 * bijections of [0, n) evaluated in O(1), not arrays.
 *
 * The plan of an epoch: N samples, split between the datasets by weight (largest remainders), and
 * spread over the epoch by a permutation keyed by (seed, epoch). Dataset d's k-th sample of the
 * whole run (k = epoch·N_d + rank) takes the sequence at position k mod count_d of the
 * permutation keyed by (seed, d, k div count_d): every sequence once per cycle, a new order
 * each cycle. One track per sequence (every supported layout has one object per sequence).
 *
 * A pair: z is a random valid frame; x a random valid frame in [z − max_gap, z + max_gap] other
 * than z, or z itself when there is none. A one-frame sequence (a COCO-style detection image)
 * therefore gives x = z through the same interface.
 *
 * When a draw cannot be used (a sequence with no valid frame, or a search crop that stays invalid
 * after its jitter attempts), the caller redraws with sampler_draw(attempt > 0), which picks a
 * random dataset by weight and a random sequence from the sample's own RNG stream, as the
 * official sampler resamples. Not here: decoding and cropping (data/pair), threads (data/loader).
 */
#ifndef LORAT_DATA_SAMPLER_H
#define LORAT_DATA_SAMPLER_H

#include <stdint.h>

#include "core/rng.h"
#include "data/datasets.h"

enum { SAMPLER_MAX_GAP_DEFAULT = 100 };

typedef struct sampler {
    int sources;               /* number of datasets */
    const dataset **ds;        /* borrowed: the caller keeps them open while the sampler lives */
    double *weight;            /* (sources) normalised to sum 1 */
    int64_t *per_epoch;        /* (sources) samples of each dataset per epoch */
    int64_t *start;            /* (sources) first position of each dataset in the epoch plan */
    int64_t samples_per_epoch; /* N */
    uint64_t seed;
    int max_gap;
} sampler;

/* ds[i] with weight weights[i] (> 0; NULL: all 1). Every dataset must have a sequence. */
lorat_status sampler_init(sampler *s, const dataset *const *ds, const double *weights, int sources,
                          int64_t samples_per_epoch, uint64_t seed, int max_gap, lorat_error *err);
void sampler_free(sampler *s);

/* The sample's own RNG stream: a function of (seed, epoch, index) only. */
void sampler_sample_rng(rng *r, uint64_t seed, int64_t epoch, int64_t index);

/* The planned (dataset, sequence) of sample index (0 <= index < N) of epoch. */
void sampler_plan(const sampler *s, int64_t epoch, int64_t index, int *source, int *sequence);

/* A random dataset by weight and a random sequence of it, from r (for redraws). */
void sampler_pick_random(const sampler *s, rng *r, int *source, int *sequence);

/* z and x among n frames with usability flags valid[n] (spec §5): returns 0 when no frame is
 * valid, else 1 with *z and *x set. Uses r. */
int sampler_pick_frames(const uint8_t *valid, int n, int max_gap, rng *r, int *z, int *x);

/* One pair, with what the crop needs: frame paths and boxes (xyxy, frame pixels). */
typedef struct sampler_pair {
    int source, sequence, z_frame, x_frame;
    double z_box[4], x_box[4];
    char z_path[4096], x_path[4096];
} sampler_pair;

/* Draws a pair for sample (epoch, index): attempt 0 takes the planned sequence, attempt > 0 a
 * random one from r (the sample's stream, sampler_sample_rng). Reads the sequence's annotations.
 * *ok = 0 when the sequence has no valid frame (redraw with the next attempt). */
lorat_status sampler_draw(const sampler *s, int64_t epoch, int64_t index, int attempt, rng *r,
                          sampler_pair *out, int *ok, lorat_error *err);

#endif
