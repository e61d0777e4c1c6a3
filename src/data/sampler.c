/*
 * sampler.c — see sampler.h. The permutations are 4-round Feistel networks on the smallest
 * even-bit power of two ≥ n, walked until they land inside [0, n) (at most a few steps on
 * average, since the domain is < 4n): a bijection of [0, n) for each key, in O(1) memory.
 */
#include "data/sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t key3(uint64_t a, uint64_t b, uint64_t c) {
    return mix64(mix64(mix64(a) ^ b) ^ c);
}

/* Position of i under the permutation of [0, n) keyed by key. */
static int64_t permute(uint64_t key, int64_t i, int64_t n) {
    if (n <= 1) return 0;
    int bits = 0;
    while (((int64_t)1 << bits) < n)
        bits++;
    int half = (bits + 1) / 2;
    uint64_t mask = ((uint64_t)1 << half) - 1;
    uint64_t x = (uint64_t)i;
    do {
        uint64_t l = x >> half, r = x & mask;
        for (int round = 0; round < 4; round++) {
            uint64_t f = mix64(key ^ mix64(r + ((uint64_t)round << 56))) & mask;
            uint64_t t = l ^ f;
            l = r;
            r = t;
        }
        x = (l << half) | r;
    } while (x >= (uint64_t)n);
    return (int64_t)x;
}

static uint64_t rng_below(rng *r, uint64_t n) {
    /* n is small (frames, sequences): the modulo bias of a 64-bit draw is negligible. */
    return rng_next(r) % n;
}

lorat_status sampler_init(sampler *s, const dataset *const *ds, const double *weights, int sources,
                          int64_t samples_per_epoch, uint64_t seed, int max_gap, lorat_error *err) {
    memset(s, 0, sizeof *s);
    if (sources < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "training needs at least one dataset");
    if (samples_per_epoch < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "samples per epoch must be >= 1 (got %lld)",
                       (long long)samples_per_epoch);
    if (max_gap < 0)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "the frame gap must be >= 0 (got %d)", max_gap);
    double total = 0;
    for (int i = 0; i < sources; i++) {
        double w = weights ? weights[i] : 1.0;
        if (!(w > 0))
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "dataset %d (%s) has weight %g: weights must be > 0", i, ds[i]->root, w);
        if (ds[i]->count < 1)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "dataset %s (%s) has no sequence: check the root folder and split",
                           dataset_display_name(ds[i]->kind), ds[i]->root);
        total += w;
    }
    s->ds = malloc(sizeof(*s->ds) * (size_t)sources);
    s->weight = malloc(sizeof(double) * (size_t)sources);
    s->per_epoch = malloc(sizeof(int64_t) * (size_t)sources);
    s->start = malloc(sizeof(int64_t) * (size_t)sources);
    if (!s->ds || !s->weight || !s->per_epoch || !s->start) {
        sampler_free(s);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    s->sources = sources;
    s->samples_per_epoch = samples_per_epoch;
    s->seed = seed;
    s->max_gap = max_gap;
    /* Largest remainders, so that the counts sum to N exactly. */
    int64_t given = 0;
    for (int i = 0; i < sources; i++) {
        s->ds[i] = ds[i];
        s->weight[i] = (weights ? weights[i] : 1.0) / total;
        s->per_epoch[i] = (int64_t)((double)samples_per_epoch * s->weight[i]);
        given += s->per_epoch[i];
    }
    while (given < samples_per_epoch) {
        int best = 0;
        double best_frac = -1;
        for (int i = 0; i < sources; i++) {
            double frac = (double)samples_per_epoch * s->weight[i] - (double)s->per_epoch[i];
            if (frac > best_frac) {
                best_frac = frac;
                best = i;
            }
        }
        s->per_epoch[best]++;
        given++;
    }
    int64_t at = 0;
    for (int i = 0; i < sources; i++) {
        s->start[i] = at;
        at += s->per_epoch[i];
    }
    return LORAT_STATUS_OK;
}

void sampler_free(sampler *s) {
    free(s->ds);
    free(s->weight);
    free(s->per_epoch);
    free(s->start);
    memset(s, 0, sizeof *s);
}

void sampler_sample_rng(rng *r, uint64_t seed, int64_t epoch, int64_t index) {
    rng_seed(r, key3(seed ^ 0x5a4d504c45ull, (uint64_t)epoch, (uint64_t)index));
}

void sampler_plan(const sampler *s, int64_t epoch, int64_t index, int *source, int *sequence) {
    int64_t p =
        permute(key3(s->seed, 0x45504f4348ull, (uint64_t)epoch), index, s->samples_per_epoch);
    int d = 0;
    while (d + 1 < s->sources && p >= s->start[d] + s->per_epoch[d])
        d++;
    int64_t count = s->ds[d]->count;
    int64_t k = epoch * s->per_epoch[d] + (p - s->start[d]);
    int64_t cycle = k / count, pos = k % count;
    *source = d;
    *sequence =
        (int)permute(key3(s->seed ^ 0x4359434c45ull, (uint64_t)d, (uint64_t)cycle), pos, count);
}

void sampler_pick_random(const sampler *s, rng *r, int *source, int *sequence) {
    double u = rng_uniform(r), acc = 0;
    int d = s->sources - 1;
    for (int i = 0; i < s->sources; i++) {
        acc += s->weight[i];
        if (u < acc) {
            d = i;
            break;
        }
    }
    *source = d;
    *sequence = (int)rng_below(r, (uint64_t)s->ds[d]->count);
}

int sampler_pick_frames(const uint8_t *valid, int n, int max_gap, rng *r, int *z, int *x) {
    int count = 0;
    for (int i = 0; i < n; i++)
        count += valid[i] != 0;
    if (count == 0) return 0;
    int k = (int)rng_below(r, (uint64_t)count), zi = 0;
    for (int i = 0; i < n; i++)
        if (valid[i] && k-- == 0) {
            zi = i;
            break;
        }
    int lo = zi - max_gap < 0 ? 0 : zi - max_gap, hi = zi + max_gap > n - 1 ? n - 1 : zi + max_gap;
    int near = 0;
    for (int i = lo; i <= hi; i++)
        near += valid[i] && i != zi;
    int xi = zi;
    if (near > 0) {
        k = (int)rng_below(r, (uint64_t)near);
        for (int i = lo; i <= hi; i++)
            if (valid[i] && i != zi && k-- == 0) {
                xi = i;
                break;
            }
    }
    *z = zi;
    *x = xi;
    return 1;
}

lorat_status sampler_draw(const sampler *s, int64_t epoch, int64_t index, int attempt, rng *r,
                          sampler_pair *out, int *ok, lorat_error *err) {
    *ok = 0;
    if (attempt == 0)
        sampler_plan(s, epoch, index, &out->source, &out->sequence);
    else
        sampler_pick_random(s, r, &out->source, &out->sequence);
    const dataset *ds = s->ds[out->source];
    dataset_sequence seq;
    lorat_status st = dataset_load(ds, out->sequence, DATASET_LOAD_FRAMES, &seq, err);
    if (st) return st;
    /* Only frames with a ground-truth line can be used (test splits publish the first only). */
    if (sampler_pick_frames(seq.valid, seq.gt_count, s->max_gap, r, &out->z_frame, &out->x_frame)) {
        memcpy(out->z_box, seq.gt + 4 * (size_t)out->z_frame, sizeof out->z_box);
        memcpy(out->x_box, seq.gt + 4 * (size_t)out->x_frame, sizeof out->x_box);
        int nz = snprintf(out->z_path, sizeof out->z_path, "%s", seq.frame_paths[out->z_frame]);
        int nx = snprintf(out->x_path, sizeof out->x_path, "%s", seq.frame_paths[out->x_frame]);
        if (nz >= (int)sizeof out->z_path || nx >= (int)sizeof out->x_path)
            st = err_set(err, LORAT_STATUS_BAD_INPUT, "frame path too long in sequence %s",
                         seq.name);
        else
            *ok = 1;
    }
    dataset_sequence_free(&seq);
    return st;
}
