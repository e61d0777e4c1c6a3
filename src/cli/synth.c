/*
 * synth.c — `lorat synth`: procedural tracking sequences in the GOT-10k layout (src/data/synth.h),
 * for tests, demos and training without downloading a benchmark.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "data/synth.h"

static const char *usage =
    "lorat synth --out DIR --sequences N --frames F --seed S [--size WxH] [--domain 0|1]\n"
    "            [--backgrounds DIR] [--first-index K] [--quality Q] [--threads N]\n"
    "  writes DIR/list.txt and DIR/synth_%06d/ (00000001.jpg..., groundtruth.txt, absence.label,\n"
    "  cover.label, cut_by_image.label, meta_info.ini), numbered from K (default 1)\n"
    "  --size     frame size, default 320x240 (64x64 at least)\n"
    "  --domain   0: muted, smooth backgrounds (default); 1: saturated clutter, more distractors\n"
    "  --backgrounds  with --domain 1: a folder of photographs (JPEG/PNG) that three backgrounds\n"
    "             in four are cut from (e.g. /usr/share/backgrounds/mate/nature, Debian's\n"
    "             mate-backgrounds)\n"
    "  --quality  JPEG quality 1..100, default 90\n"
    "  The same seed gives the same bytes, whatever the thread count. Names already in list.txt\n"
    "  are kept, so a set can be written in chunks with --first-index.";

static int parse_u64(const char *s, uint64_t *out) {
    unsigned long long v;
    if (!cli_parse_u64(s, &v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

int cli_synth(int argc, char **argv) {
    const char *out = NULL, *seqs = NULL, *frames = NULL, *seed = NULL, *size = NULL,
               *domain = NULL, *backgrounds = NULL;
    const char *first = NULL, *quality = NULL, *threads = NULL;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--out", &out) || cli_opt(argc, argv, &i, "-o", &out) ||
            cli_opt(argc, argv, &i, "--sequences", &seqs) ||
            cli_opt(argc, argv, &i, "--frames", &frames) ||
            cli_opt(argc, argv, &i, "--seed", &seed) || cli_opt(argc, argv, &i, "--size", &size) ||
            cli_opt(argc, argv, &i, "--domain", &domain) ||
            cli_opt(argc, argv, &i, "--backgrounds", &backgrounds) ||
            cli_opt(argc, argv, &i, "--first-index", &first) ||
            cli_opt(argc, argv, &i, "--quality", &quality) ||
            cli_opt(argc, argv, &i, "--threads", &threads))
            continue;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        }
        return cli_usage_error("synth", usage, "unknown argument '%s'", argv[i]);
    }
    if (!out || !seqs || !frames || !seed)
        return cli_usage_error("synth", usage,
                               "--out, --sequences, --frames and --seed are required");
    synth_params p;
    synth_params_default(&p);
    if (!cli_parse_int(seqs, &p.sequences) || p.sequences < 1 || p.sequences > 1000000)
        return cli_usage_error("synth", usage, "--sequences '%s' is not a number in 1..1000000",
                               seqs);
    if (!cli_parse_int(frames, &p.frames) || p.frames < 1 || p.frames > 1000000)
        return cli_usage_error("synth", usage, "--frames '%s' is not a number in 1..1000000",
                               frames);
    if (!parse_u64(seed, &p.seed))
        return cli_usage_error("synth", usage, "--seed '%s' is not a non-negative integer", seed);
    if (size && (!cli_parse_size(size, &p.width, &p.height) || p.width < 64 || p.height < 64 ||
                 p.width > 8192 || p.height > 8192))
        return cli_usage_error("synth", usage, "--size '%s' is not WxH within 64x64 .. 8192x8192",
                               size);
    if (domain && (!cli_parse_int(domain, &p.domain) || (p.domain != 0 && p.domain != 1)))
        return cli_usage_error("synth", usage, "--domain '%s' is not 0 or 1", domain);
    if (first && (!cli_parse_int(first, &p.first_index) || p.first_index < 0 ||
                  p.first_index > 99999999 - p.sequences))
        return cli_usage_error("synth", usage, "--first-index '%s' is not a number in 0..%d", first,
                               99999999 - p.sequences);
    if (quality &&
        (!cli_parse_int(quality, &p.jpeg_quality) || p.jpeg_quality < 1 || p.jpeg_quality > 100))
        return cli_usage_error("synth", usage, "--quality '%s' is not a number in 1..100", quality);
    if (backgrounds && p.domain != 1)
        return cli_usage_error("synth", usage, "--backgrounds goes with --domain 1");
    p.backgrounds = backgrounds;
    int nthreads = 0;
    if (threads && !cli_parse_threads(threads, &nthreads))
        return cli_usage_error("synth", usage, "--threads '%s' is not a positive number", threads);
    if (nthreads) omp_set_num_threads(nthreads);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    lorat_error err = {0};
    if (synth_write(out, &p, 1, &err)) return cli_fail("synth", &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("wrote %d sequences x %d frames (%dx%d, domain %d, seed %llu) to %s in %.2f s\n",
           p.sequences, p.frames, p.width, p.height, p.domain, (unsigned long long)p.seed, out,
           secs);
    return 0;
}
