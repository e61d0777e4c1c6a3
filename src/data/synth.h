/*
 * synth.h — procedural tracking sequences for tests, demos and training, written in the
 * GOT-10k layout:
 *   DIR/list.txt                 sequence names, one per line
 *   DIR/<seq>/00000001.jpg ...   frames
 *   DIR/<seq>/groundtruth.txt    x,y,w,h per frame (continuous pixels, 4 decimals)
 *   DIR/<seq>/absence.label      1 when the target is fully invisible (occluded / out of view)
 *   DIR/<seq>/cover.label        visible fraction in GOT-10k's 0..8 bins
 *   DIR/<seq>/cut_by_image.label 1 when the target is cut by the image border
 *   DIR/<seq>/meta_info.ini      [METAINFO] with resolution: (W, H) and the generator's settings
 * Deterministic for a seed: the same seed gives the same bytes.
 */
#ifndef LORAT_DATA_SYNTH_H
#define LORAT_DATA_SYNTH_H

#include <stdint.h>

#include "core/error.h"

typedef struct synth_params {
    int sequences, frames;
    int width, height;
    uint64_t seed;
    int first_index;  /* sequence names are synth_%06d from first_index (default 1) */
    int domain;       /* 0: the default textures; 1: the "harder" second domain (issue 6) */
    int jpeg_quality; /* default 90 */
    const char *backgrounds; /* a folder of photographs (JPEG/PNG) that domain 1 draws three
                                backgrounds in four from (a random window of one, mirrored,
                                recoloured, with clutter on it); NULL: procedural only */
} synth_params;

void synth_params_default(synth_params *p);
/* Writes the dataset into out_dir (created if missing). Progress on stderr when verbose. */
lorat_status synth_write(const char *out_dir, const synth_params *p, int verbose, lorat_error *err);

#endif
