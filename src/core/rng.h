/*
 * rng.h — lorat's one random number generator (xoshiro256**, seeded through splitmix64), so
 * that the same seed gives the same numbers on every machine and thread count.
 */
#ifndef LORAT_CORE_RNG_H
#define LORAT_CORE_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
float rng_uniform(rng *r);              /* [0,1) */
float rng_normal(rng *r);               /* N(0,1) */
/* N(0, std) truncated to [lo, hi] (absolute bounds, as torch's trunc_normal_). */
float rng_trunc_normal(rng *r, float std, float lo, float hi);

#endif
