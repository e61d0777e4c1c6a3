/*
 * test_pairs.c — data/pair, data/augment and data/loader:
 *   the training crop equals the tracker's crop_siamfc when unjittered (bit for bit);
 *   the search jitter keeps the target in the crop with sides >= 10 px, its log-scale spread is
 *   0.25 per axis and its translation is uniform over ±1.5·(w'+h');
 *   flip maps boxes onto the target's pixels; grayscale gives equal channels (PIL's integer
 *   formula); solarize inverts >= 128; blur keeps constants and smooths noise; colour jitter
 *   matches torchvision's formulas and stays in [0, 1];
 *   labels are the clipped search box / search size; the template mask covers the template box;
 *   the loader gives the same batches with 1 and 3 workers, loader_seek reproduces later batches
 *   (across an epoch boundary), and prints its throughput.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/loader.h"
#include "data/synth.h"
#include "test.h"

static char tmpdir[64];

static void cleanup(void) {
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

static void random_image(image *img, int w, int h, rng *r) {
    lorat_error err;
    if (image_alloc(img, w, h, &err)) abort();
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        img->data[i] = (uint8_t)(rng_next(r) >> 56);
}

/* The training crop is the tracker's crop_mapped run serially on caller scratch: the same
 * values as the threaded crop_siamfc, to the bit. */
static void test_crop_matches_tracker(void) {
    rng r;
    rng_seed(&r, 1);
    image img = {0};
    random_image(&img, 97, 61, &r);
    lorat_image li = {img.w, img.h, img.w * 3, img.data};
    float mean[3];
    image_mean_rgb(&li, mean);
    const double boxes[3][4] = {{30.2, 20.7, 55.9, 40.1}, {-10, -5, 20, 12}, {80, 50, 120, 70}};
    float *a = malloc(sizeof(float) * 3 * 112 * 112), *b = malloc(sizeof(float) * 3 * 112 * 112);
    void *taps = malloc(crop_taps_bytes(112, 112));
    for (int k = 0; k < 3; k++) {
        crop_params pa, pb;
        crop_siamfc(a, &li, boxes[k], 2.0, 112, 112, mean, &pa);
        double s, tx, ty;
        crop_siamfc_params(boxes[k], 2.0, 112, 112, &s, &tx, &ty);
        crop_mapped(b, &li, s, s, tx, ty, 112, 112, mean, taps, 0, &pb);
        CHECK(!memcmp(a, b, sizeof(float) * 3 * 112 * 112), "serial crop %d differs from crop_siamfc", k);
        CHECK(!memcmp(&pa, &pb, sizeof pa), "params %d differ", k);
    }
    free(a);
    free(b);
    free(taps);
    image_free(&img);
}

static void test_jitter(void) {
    pair_config c;
    pair_config_default(&c, 112, 224, 4.0, 14);
    rng r;
    rng_seed(&r, 7);
    const double box[4] = {200, 150, 260, 230}; /* 60 x 80 */
    double s, t0x, t0y;
    crop_siamfc_params(box, 4.0, 224, 224, &s, &t0x, &t0y);
    enum { N = 20000 };
    /* The draw itself (every first draw accepted): the spread of the official jitter. */
    pair_config raw = c;
    raw.min_size = -1e30;
    double sum_lx = 0, sum_lx2 = 0, sum_ly = 0, sum_ly2 = 0, sum_u = 0, sum_u2 = 0, lxly = 0;
    int bad = 0, fails = 0, n = 0, u_out = 0, accepted_first = 0;
    for (int i = 0; i < N; i++) {
        double sx, sy, tx, ty;
        int att = pair_search_jitter(&c, box, &r, &sx, &sy, &tx, &ty);
        if (!att) fails++;
        if (att > 12) bad++;
        if (att) {
            double x1 = fmax(0, sx * box[0] + tx), x2 = fmin(224, sx * box[2] + tx);
            double y1 = fmax(0, sy * box[1] + ty), y2 = fmin(224, sy * box[3] + ty);
            if (x2 - x1 < 10 || y2 - y1 < 10) bad++;
            accepted_first += att == 1;
        }
        if (pair_search_jitter(&raw, box, &r, &sx, &sy, &tx, &ty) != 1) bad++;
        double lx = log(s / sx), ly = log(s / sy);
        sum_lx += lx;
        sum_lx2 += lx * lx;
        sum_ly += ly;
        sum_ly2 += ly * ly;
        lxly += lx * ly;
        double max_t = 1.5 * (sx * 60 + sy * 80);
        double ux = (tx - (112 - sx * 230)) / max_t;
        if (ux < -1 - 1e-9 || ux > 1 + 1e-9) u_out++;
        sum_u += ux;
        sum_u2 += ux * ux;
        n++;
    }
    double mx = sum_lx / n, my = sum_ly / n;
    double sdx = sqrt(sum_lx2 / n - mx * mx), sdy = sqrt(sum_ly2 / n - my * my);
    double corr = (lxly / n - mx * my) / (sdx * sdy);
    double mu = sum_u / n, vu = sum_u2 / n - mu * mu;
    printf("jitter over %d draws: log-scale mean %.4f/%.4f sd %.4f/%.4f corr %.3f; u mean %.4f var "
           "%.4f "
           "(U(-1,1): 0, 0.333); first draw valid %.1f%%, %d pairs rejected after 12\n",
           n, mx, my, sdx, sdy, corr, mu, vu, 100.0 * accepted_first / N, fails);
    CHECK(!bad, "%d jittered crops lose the target or exceed 12 attempts", bad);
    CHECK(!u_out, "translation outside ±1.5(w'+h') (%d)", u_out);
    CHECK(fabs(mx) < 0.01 && fabs(my) < 0.01, "log-scale mean %.4f %.4f", mx, my);
    CHECK(fabs(sdx - 0.25) < 0.02 && fabs(sdy - 0.25) < 0.02, "log-scale sd %.4f %.4f (0.25)", sdx,
          sdy);
    CHECK(fabs(corr) < 0.05, "x and y scale jitter independent (corr %.3f)", corr);
    CHECK(fabs(mu) < 0.02 && fabs(vu - 1.0 / 3) < 0.01, "u mean %.4f var %.4f", mu, vu);
    /* A box that can never give 10 px (1000 x 1: its height in the crop is ~0.1 px) is rejected
     * after 12 attempts. */
    const double tiny[4] = {0, 100, 1000, 101};
    double sx, sy, tx, ty;
    CHECK(pair_search_jitter(&c, tiny, &r, &sx, &sy, &tx, &ty) == 0, "thin box rejected");
}

static void test_augment(void) {
    rng r;
    rng_seed(&r, 3);
    enum { W = 37, H = 23, N = W * H };
    float img[3 * N], ref[3 * N];
    for (int i = 0; i < 3 * N; i++)
        img[i] = rng_uniform(&r);
    memcpy(ref, img, sizeof img);
    augment_hflip(img, W, H);
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                bad += img[(c * H + y) * W + x] != ref[(c * H + y) * W + (W - 1 - x)];
    CHECK(!bad, "flip moves pixel x to W-1-x (%d wrong)", bad);
    double box[4] = {3, 4, 10.5, 9};
    augment_hflip_box(box, W);
    CHECK(box[0] == 26.5 && box[2] == 34 && box[1] == 4 && box[3] == 9, "flipped box %g %g %g %g",
          box[0], box[1], box[2], box[3]);

    /* Colour jitter against the formulas, one operation at a time. */
    memcpy(img, ref, sizeof img);
    color_jitter cj = {1.3f, 1.0f, 1.0f, {0, 1, 2}};
    augment_color_apply(img, W, H, &cj);
    bad = 0;
    for (int i = 0; i < 3 * N; i++)
        bad += fabsf(img[i] - fminf(1.0f, 1.3f * ref[i])) > 1e-6f;
    CHECK(!bad, "brightness (%d)", bad);
    memcpy(img, ref, sizeof img);
    cj = (color_jitter){1.0f, 0.7f, 1.0f, {1, 0, 2}};
    augment_color_apply(img, W, H, &cj);
    double m = 0;
    for (int i = 0; i < N; i++)
        m += 0.2989 * ref[i] + 0.587 * ref[N + i] + 0.114 * ref[2 * N + i];
    m /= N;
    bad = 0;
    for (int i = 0; i < 3 * N; i++)
        bad += fabs(img[i] - (0.7 * ref[i] + 0.3 * m)) > 1e-5;
    CHECK(!bad, "contrast blends with the grayscale mean (%d)", bad);
    memcpy(img, ref, sizeof img);
    cj = (color_jitter){1.0f, 1.0f, 1.4f, {2, 1, 0}};
    augment_color_apply(img, W, H, &cj);
    bad = 0;
    for (int i = 0; i < N; i++) {
        double g = 0.2989 * ref[i] + 0.587 * ref[N + i] + 0.114 * ref[2 * N + i];
        for (int c = 0; c < 3; c++) {
            double want = fmin(1, fmax(0, 1.4 * ref[c * N + i] - 0.4 * g));
            bad += fabs(img[c * N + i] - want) > 1e-5;
        }
    }
    CHECK(!bad, "saturation blends with the grayscale image (%d)", bad);
    int out_of_range = 0, bad_draw = 0, orders[6] = {0};
    for (int k = 0; k < 3000; k++) {
        augment_color_draw(&cj, 0.4f, &r);
        float f[3] = {cj.brightness, cj.contrast, cj.saturation};
        for (int q = 0; q < 3; q++)
            bad_draw += f[q] < 0.6f || f[q] > 1.4f;
        int o = cj.order[0] * 2 + (cj.order[1] > cj.order[2]);
        bad_draw += (cj.order[0] + cj.order[1] + cj.order[2] != 3) || cj.order[0] == cj.order[1];
        orders[o]++;
        if (k < 50) {
            memcpy(img, ref, sizeof img);
            augment_color_apply(img, W, H, &cj);
            for (int i = 0; i < 3 * N; i++)
                out_of_range += img[i] < 0 || img[i] > 1;
        }
    }
    CHECK(!bad_draw && !out_of_range,
          "factors in [0.6,1.4], order a permutation, output in [0,1] (%d %d)", bad_draw,
          out_of_range);
    int min_o = 3000;
    for (int q = 0; q < 6; q++)
        min_o = orders[q] < min_o ? orders[q] : min_o;
    CHECK(min_o > 400, "all six orders drawn (least %d of 3000)", min_o);

    /* DeiT-3 through uint8. */
    void *scratch = malloc(augment_deit3_scratch(W, H));
    memcpy(img, ref, sizeof img);
    deit3_aug a = {DEIT3_GRAYSCALE, 0};
    augment_deit3_apply(img, W, H, &a, scratch);
    bad = 0;
    for (int i = 0; i < N; i++) {
        unsigned R = (unsigned)(ref[i] * 255.0f), G = (unsigned)(ref[N + i] * 255.0f),
                 B = (unsigned)(ref[2 * N + i] * 255.0f);
        unsigned L = (R * 19595u + G * 38470u + B * 7471u + 0x8000u) >> 16;
        bad += img[i] != img[N + i] || img[i] != img[2 * N + i] || img[i] != (float)L / 255.0f;
    }
    CHECK(!bad, "grayscale: equal channels, PIL's L (%d)", bad);
    memcpy(img, ref, sizeof img);
    a.kind = DEIT3_SOLARIZE;
    augment_deit3_apply(img, W, H, &a, scratch);
    bad = 0;
    for (int i = 0; i < 3 * N; i++) {
        unsigned v = (unsigned)(ref[i] * 255.0f);
        bad += img[i] != (float)(v >= 128 ? 255 - v : v) / 255.0f;
    }
    CHECK(!bad, "solarize (%d)", bad);
    /* Blur: constants stay, noise is smoothed more for a larger radius, the mean is kept. */
    for (int i = 0; i < 3 * N; i++)
        img[i] = 0.5f;
    a.kind = DEIT3_BLUR;
    a.radius = 1.7f;
    augment_deit3_apply(img, W, H, &a, scratch);
    bad = 0;
    for (int i = 0; i < 3 * N; i++)
        bad += img[i] != 127.0f / 255.0f;
    CHECK(!bad, "blur keeps a constant image (%d)", bad);
    double var[3];
    float radii[3] = {0.1f, 0.8f, 2.0f};
    for (int k = 0; k < 3; k++) {
        memcpy(img, ref, sizeof img);
        a.radius = radii[k];
        augment_deit3_apply(img, W, H, &a, scratch);
        double mean = 0, v = 0;
        for (int i = 0; i < N; i++)
            mean += img[i];
        mean /= N;
        for (int i = 0; i < N; i++)
            v += (img[i] - mean) * (img[i] - mean);
        var[k] = v / N;
        CHECK(fabs(mean - 0.5) < 0.03, "blur keeps the mean (%.3f)", mean);
    }
    CHECK(var[0] > 0.07 && var[1] < var[0] * 0.5 && var[2] < var[1] * 0.6,
          "blur variance %.4f %.4f %.4f (noise 0.083)", var[0], var[1], var[2]);
    CHECK(fabsf(augment_gaussian_box_radius(2.0f, 3) - 1.375f) < 1e-5f,
          "Pillow box radius for r=2: %f", augment_gaussian_box_radius(2.0f, 3));
    free(scratch);
}

/* A frame with a bright target (value 110) on a dark ground (20): the target stays brighter
 * through every augmentation (110·1.4 < 255; solarize leaves both below 128 unless jittered up,
 * and then 255 − v stays above 20). */
static void target_image(image *img, int w, int h, const double box[4]) {
    lorat_error err;
    if (image_alloc(img, w, h, &err)) abort();
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int in = x + 0.5 >= box[0] && x + 0.5 < box[2] && y + 0.5 >= box[1] && y + 0.5 < box[3];
            for (int c = 0; c < 3; c++)
                img->data[((size_t)y * w + x) * 3 + c] = in ? 110 : 20;
        }
}

static void test_pair(void) {
    pair_config c;
    pair_config_default(&c, 112, 224, 4.0, 14);
    image img = {0};
    const double box[4] = {150.3, 90.6, 210.8, 170.2};
    target_image(&img, 400, 300, box);
    void *scratch = malloc(pair_scratch_bytes(&c));
    float *z = malloc(sizeof(float) * 3 * 112 * 112), *x = malloc(sizeof(float) * 3 * 224 * 224);
    uint8_t mask[64];
    float gt[4];
    pair_out out = {z, x, mask, gt};
    rng r;
    rng_seed(&r, 99);
    int bad_label = 0, bad_contrast = 0, bad_mask = 0, made = 0, flips = 0, kinds[3] = {0};
    double min_side = 1e9;
    for (int k = 0; k < 300; k++) {
        pair_info info;
        if (!pair_make(&c, &img, box, &img, box, &r, scratch, &out, &info)) continue;
        made++;
        flips += info.x_flip;
        kinds[info.deit3.kind]++;
        for (int q = 0; q < 4; q++) {
            double size = q % 2 ? 224 : 224;
            if (gt[q] < 0 || gt[q] > 1 || fabs(gt[q] - info.x_box[q] / size) > 1e-6) bad_label++;
        }
        min_side =
            fmin(min_side, fmin(info.x_box[2] - info.x_box[0], info.x_box[3] - info.x_box[1]));
        /* Unflipped, the box is the frame box mapped by the adjusted crop, clipped. */
        double want[4] = {
            box[0] * info.x_crop.sx + info.x_crop.tx, box[1] * info.x_crop.sy + info.x_crop.ty,
            box[2] * info.x_crop.sx + info.x_crop.tx, box[3] * info.x_crop.sy + info.x_crop.ty};
        if (info.x_flip) augment_hflip_box(want, 224);
        for (int q = 0; q < 4; q++)
            want[q] = fmin(224, fmax(0, want[q]));
        for (int q = 0; q < 4; q++)
            bad_label += fabs(want[q] - info.x_box[q]) > 1e-9;
        /* Pixels: mean of the red channel (normalised) well inside the box vs well outside. */
        double in = 0, outv = 0;
        int nin = 0, nout = 0;
        for (int yy = 0; yy < 224; yy++)
            for (int xx = 0; xx < 224; xx++) {
                double px = xx + 0.5, py = yy + 0.5;
                int inside = px > info.x_box[0] + 2 && px < info.x_box[2] - 2 &&
                             py > info.x_box[1] + 2 && py < info.x_box[3] - 2;
                int outside = px < info.x_box[0] - 3 || px > info.x_box[2] + 3 ||
                              py < info.x_box[1] - 3 || py > info.x_box[3] + 3;
                /* Only frame pixels: the mean padding lies between the two values. */
                double fx = (info.x_flip ? 224 - px : px - 0) - info.x_crop.tx;
                double fy = py - info.x_crop.ty;
                fx /= info.x_crop.sx;
                fy /= info.x_crop.sy;
                if (fx < 1 || fy < 1 || fx > 399 || fy > 299) continue;
                double v = x[yy * 224 + xx];
                if (inside) in += v, nin++;
                if (outside) outv += v, nout++;
            }
        if (nin > 20 && nout > 20 && !(in / nin > outv / nout + 0.2)) bad_contrast++;
        /* The template mask covers the clipped template box on the 8x8 grid. */
        int cov = 0;
        for (int t = 0; t < 64; t++) {
            int gx = t % 8, gy = t / 8;
            double cx = (gx + 0.5) * 14, cy = (gy + 0.5) * 14;
            int inside = cx > info.z_box[0] && cx < info.z_box[2] && cy > info.z_box[1] &&
                         cy < info.z_box[3];
            if (inside && !mask[t]) bad_mask++;
            cov += mask[t];
        }
        if (cov < 4) bad_mask++;
    }
    printf("pairs: %d made of 300, %d search flips, deit3 %d/%d/%d, min clipped side %.2f px\n",
           made, flips, kinds[0], kinds[1], kinds[2], min_side);
    CHECK(made > 280, "pairs made %d", made);
    CHECK(flips > 100 && flips < made - 100, "flip p=0.5 (%d of %d)", flips, made);
    CHECK(kinds[0] > 50 && kinds[1] > 50 && kinds[2] > 50, "DeiT-3 kinds %d %d %d", kinds[0],
          kinds[1], kinds[2]);
    CHECK(!bad_label, "labels = clipped search box / size (%d)", bad_label);
    CHECK(min_side >= 9.5, "clipped search box keeps >= 10 px (up to pixel alignment): %.2f",
          min_side);
    CHECK(!bad_contrast, "the labelled box holds the target's pixels, flipped or not (%d)",
          bad_contrast);
    CHECK(!bad_mask, "template mask covers the template box (%d)", bad_mask);

    /* Without augmentation, z is the tracker's template crop, normalised. */
    c.augment = 0;
    lorat_image li = {img.w, img.h, img.w * 3, img.data};
    float mean[3];
    image_mean_rgb(&li, mean);
    float *ref = malloc(sizeof(float) * 3 * 112 * 112);
    crop_params p;
    crop_siamfc(ref, &li, box, 2.0, 112, 112, mean, &p);
    normalize_imagenet(ref, 112 * 112);
    pair_info info;
    CHECK(pair_make(&c, &img, box, &img, box, &r, scratch, &out, &info) == 1, "no-aug pair");
    double maxd = 0;
    for (int i = 0; i < 3 * 112 * 112; i++)
        maxd = fmax(maxd, fabs(ref[i] - z[i]));
    CHECK(maxd < 1e-5, "template = tracker crop (max diff %g)", maxd);
    uint8_t mref[64];
    template_mask(mref, 8, 8, 14, box, &p);
    CHECK(!memcmp(mref, mask, 64), "mask = tracker's template_mask");
    free(ref);
    free(z);
    free(x);
    free(scratch);
    image_free(&img);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct saved {
    float *z, *x, *gt;
    uint8_t *m;
    int meta[5 * 8];
} saved;

static void save(saved *s, const loader_batch *b, size_t zn, size_t xn, size_t mn) {
    s->z = malloc(sizeof(float) * zn);
    s->x = malloc(sizeof(float) * xn);
    s->gt = malloc(sizeof(float) * 4 * b->size);
    s->m = malloc(mn);
    memcpy(s->z, b->z, sizeof(float) * zn);
    memcpy(s->x, b->x, sizeof(float) * xn);
    memcpy(s->gt, b->gt_box, sizeof(float) * 4 * b->size);
    memcpy(s->m, b->z_mask, mn);
    memcpy(s->meta, b->source, sizeof(int) * 5 * b->size);
}

static int same(const saved *s, const loader_batch *b, size_t zn, size_t xn, size_t mn) {
    return !memcmp(s->z, b->z, sizeof(float) * zn) && !memcmp(s->x, b->x, sizeof(float) * xn) &&
           !memcmp(s->gt, b->gt_box, sizeof(float) * 4 * b->size) && !memcmp(s->m, b->z_mask, mn) &&
           !memcmp(s->meta, b->source, sizeof(int) * 5 * b->size);
}

static void test_loader(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lorat-pairs.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "mkdtemp");
        tmpdir[0] = 0;
        return;
    }
    atexit(cleanup);
    char dirs[2][128];
    dataset ds[2];
    lorat_error err;
    for (int d = 0; d < 2; d++) {
        synth_params p;
        synth_params_default(&p);
        p.sequences = 4;
        p.frames = 30;
        p.seed = 20 + d;
        snprintf(dirs[d], sizeof dirs[d], "%s/d%d", tmpdir, d);
        CHECK(synth_write(dirs[d], &p, 0, &err) == LORAT_STATUS_OK, "synth: %s", err.message);
        CHECK(dataset_open(&ds[d], DATASET_CUSTOM, dirs[d], NULL, &err) == LORAT_STATUS_OK,
              "open: %s", err.message);
    }
    const dataset *dss[2] = {&ds[0], &ds[1]};
    double w[2] = {1, 3};
    loader_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.datasets = dss;
    cfg.weights = w;
    cfg.sources = 2;
    pair_config_default(&cfg.pair, 112, 224, 4.0, 14);
    cfg.batch = 8;
    cfg.workers = 1;
    cfg.seed = 1234;
    cfg.samples_per_epoch = 40; /* 5 steps per epoch */
    const size_t zn = 8 * 3 * 112 * 112, xn = 8 * 3 * 224 * 224, mn = 8 * 64;
    enum { NB = 8 };
    saved ref[NB];
    loader *l1 = NULL, *l3 = NULL;
    CHECK(loader_create(&l1, &cfg, &err) == LORAT_STATUS_OK, "create: %s", err.message);
    if (!l1) return;
    CHECK(loader_steps_per_epoch(l1) == 5, "steps per epoch");
    int src_count[2] = {0, 0}, bad_meta = 0;
    for (int k = 0; k < NB; k++) {
        const loader_batch *b;
        CHECK(loader_next(l1, &b, &err) == LORAT_STATUS_OK, "next: %s", err.message);
        save(&ref[k], b, zn, xn, mn);
        bad_meta += b->epoch != k / 5 || b->step != k % 5;
        for (int i = 0; i < 8; i++) {
            src_count[b->source[i]] += k < 5;
            bad_meta += b->gt_box[4 * i] < 0 || b->gt_box[4 * i + 2] > 1 ||
                        b->gt_box[4 * i] >= b->gt_box[4 * i + 2];
        }
    }
    CHECK(!bad_meta, "epoch/step and labels (%d)", bad_meta);
    CHECK(src_count[0] + src_count[1] == 40 && src_count[0] >= 10 && src_count[0] <= 10 + 8,
          "weights 1:3 over an epoch: %d %d (10/30 planned, redraws aside)", src_count[0],
          src_count[1]);

    cfg.workers = 3;
    CHECK(loader_create(&l3, &cfg, &err) == LORAT_STATUS_OK, "create 3: %s", err.message);
    if (!l3) return;
    int diff = 0;
    for (int k = 0; k < NB; k++) {
        const loader_batch *b;
        if (loader_next(l3, &b, &err) || !same(&ref[k], b, zn, xn, mn)) diff++;
    }
    CHECK(!diff, "3 workers give the 1-worker batches (%d differ)", diff);
    /* Seek back, and across the epoch boundary. */
    const loader_batch *b;
    CHECK(loader_seek(l3, 0, 2, &err) == LORAT_STATUS_OK, "seek");
    CHECK(loader_next(l3, &b, &err) == LORAT_STATUS_OK && same(&ref[2], b, zn, xn, mn),
          "seek (0,2) reproduces batch 2");
    CHECK(loader_next(l3, &b, &err) == LORAT_STATUS_OK && same(&ref[3], b, zn, xn, mn),
          "then batch 3");
    CHECK(loader_seek(l3, 1, 1, &err) == LORAT_STATUS_OK, "seek");
    CHECK(loader_next(l3, &b, &err) == LORAT_STATUS_OK && same(&ref[6], b, zn, xn, mn) &&
              b->epoch == 1 && b->step == 1,
          "seek (1,1) reproduces batch 6");
    CHECK(loader_seek(l1, 0, 7, &err) == LORAT_STATUS_BAD_INPUT, "seek beyond the epoch refused");
    CHECK(!same(&ref[0], b, zn, xn, mn), "batches differ");

    /* Throughput with as many workers as asked (3 here): 20 batches of 8. */
    double t0 = now();
    int nb = 20;
    for (int k = 0; k < nb; k++)
        CHECK(loader_next(l3, &b, &err) == LORAT_STATUS_OK, "next");
    double dt = now() - t0;
    printf("loader throughput: %.1f samples/s (3 workers, batch 8, 320x240 JPEG frames, 112/224 "
           "crops)\n",
           nb * 8 / dt);
    loader_free(l1);
    loader_free(l3);
    for (int k = 0; k < NB; k++) {
        free(ref[k].z);
        free(ref[k].x);
        free(ref[k].gt);
        free(ref[k].m);
    }

    cfg.batch = 0;
    CHECK(loader_create(&l1, &cfg, &err) == LORAT_STATUS_BAD_INPUT, "batch 0 refused");
    dataset_free(&ds[0]);
    dataset_free(&ds[1]);
}

int main(void) {
    test_crop_matches_tracker();
    test_jitter();
    test_augment();
    test_pair();
    test_loader();
    return test_finish();
}
