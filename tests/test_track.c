/*
 * test_track.c — the tracker's geometry against the official code, and the whole loop without
 * the network.
 *   - SiamFC crop: the four official cases (tests/data/official/crop), ≤ 1e-3 absolute on the
 *     0..255 scale, and the adjusted parameters;
 *   - post-processing: the four official cases (tests/data/official/postprocess): Hann window,
 *     chosen cell, confidence, crop box and frame box (≤ 1e-4 px);
 *   - template mask: the official masks of the model fixtures from their boxes;
 *   - the loop: a tracker driven by score/box maps computed from the ground truth of synthetic
 *     sequences (lorat synth: motion, scale change, occlusion, leaving the view) follows the
 *     target: mean IoU ≥ 0.95 on the frames where it is visible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/rng.h"
#include "data/synth.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "test.h"
#include "track/post.h"
#include "track/tracker.h"

static cJSON *load_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

static const float *f32(const safetensors *st, const char *name) {
    const tensor_info *t = safetensors_find(st, name);
    return t && t->dtype == DTYPE_F32 ? t->data : NULL;
}

static double num(const cJSON *arr, int i) {
    return cJSON_GetArrayItem(arr, i)->valuedouble;
}

static void test_crop(void) {
    cJSON *cases = load_json(LORAT_TEST_DATA "/official/crop/cases.json");
    CHECK(cases != NULL, "cannot read crop/cases.json");
    if (!cases) return;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases")) {
        char path[512];
        const char *file = cJSON_GetObjectItem(c, "file")->valuestring;
        snprintf(path, sizeof path, LORAT_TEST_DATA "/official/crop/%s", file);
        safetensors *st = NULL;
        lorat_error err = {0};
        if (safetensors_open(path, &st, &err)) {
            CHECK(0, "%s", err.message);
            continue;
        }
        const tensor_info *ti = safetensors_find(st, "image");
        int H = (int)ti->shape[1], W = (int)ti->shape[2];
        const float *chw = ti->data;
        uint8_t *rgb = malloc((size_t)W * H * 3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int ch = 0; ch < 3; ch++) rgb[(y * W + x) * 3 + ch] = (uint8_t)chw[(size_t)ch * W * H + y * W + x];
        lorat_image img = {W, H, 3 * W, rgb};
        const cJSON *bx = cJSON_GetObjectItem(c, "box_xyxy"), *ow = cJSON_GetObjectItem(c, "output_wh");
        double box[4] = {num(bx, 0), num(bx, 1), num(bx, 2), num(bx, 3)};
        int out_w = (int)num(ow, 0), out_h = (int)num(ow, 1);
        float mean[3];
        const float *fixture_mean = f32(st, "image_mean");
        if (cJSON_IsTrue(cJSON_GetObjectItem(c, "image_mean_given"))) {
            memcpy(mean, fixture_mean, sizeof mean);
        } else {
            image_mean_rgb(&img, mean);
            for (int ch = 0; ch < 3; ch++)
                CHECK(fabsf(mean[ch] - fixture_mean[ch]) < 1e-3f, "%s: image mean[%d] %.6f vs official %.6f", file, ch,
                      mean[ch], fixture_mean[ch]);
        }
        float *out = malloc(sizeof(float) * 3 * out_w * out_h);
        crop_params p;
        crop_siamfc(out, &img, box, cJSON_GetObjectItem(c, "area_factor")->valuedouble, out_w, out_h, mean, &p);
        const float *ref = f32(st, "output");
        double maxd = 0;
        size_t worst = 0;
        for (size_t i = 0; i < (size_t)3 * out_w * out_h; i++) {
            double d = fabs((double)out[i] - ref[i]);
            if (d > maxd) maxd = d, worst = i;
        }
        CHECK(maxd <= 1e-3, "%s: crop differs by %.3g at element %zu (c=%zu y=%zu x=%zu): %.5f vs official %.5f", file,
              maxd, worst, worst / ((size_t)out_w * out_h), worst / out_w % out_h, worst % out_w, out[worst], ref[worst]);
        const float *adj = f32(st, "adjusted_params");
        CHECK(p.sx == adj[0] && p.sy == adj[1] && p.tx == adj[2] && p.ty == adj[3],
              "%s: adjusted params (%.9g %.9g %.9g %.9g) vs official (%.9g %.9g %.9g %.9g)", file, p.sx, p.sy, p.tx,
              p.ty, adj[0], adj[1], adj[2], adj[3]);
        free(out);
        free(rgb);
        safetensors_close(st);
    }
    cJSON_Delete(cases);
}

static void test_postprocess(void) {
    cJSON *cases = load_json(LORAT_TEST_DATA "/official/postprocess/cases.json");
    CHECK(cases != NULL, "cannot read postprocess/cases.json");
    if (!cases) return;
    float wp = (float)cJSON_GetObjectItem(cases, "window_penalty")->valuedouble;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases")) {
        char path[512];
        const char *file = cJSON_GetObjectItem(c, "file")->valuestring;
        snprintf(path, sizeof path, LORAT_TEST_DATA "/official/postprocess/%s", file);
        safetensors *st = NULL;
        lorat_error err = {0};
        if (safetensors_open(path, &st, &err)) {
            CHECK(0, "%s", err.message);
            continue;
        }
        const cJSON *g = cJSON_GetObjectItem(c, "grid_wh"), *s = cJSON_GetObjectItem(c, "search_size_wh"),
                    *fr = cJSON_GetObjectItem(c, "frame_wh");
        int gw = (int)num(g, 0), gh = (int)num(g, 1);
        float *window = malloc(sizeof(float) * gw * gh);
        hann_window_2d(window, gw, gh);
        const float *wref = f32(st, "window");
        /* torch's vectorised cosf is not correctly rounded; the official window differs from
         * exact cosines by up to 2e-7 (fixture README), ours is exact: allow that much. */
        double wmax = 0;
        for (int i = 0; i < gw * gh; i++) wmax = fmax(wmax, fabs((double)window[i] - wref[i]));
        CHECK(wmax <= 2.5e-7, "%s: Hann window differs from the official one by %.3g", file, wmax);
        const float *adj = f32(st, "adjusted_params");
        crop_params p = {adj[0], adj[1], adj[2], adj[3]};
        post_result r;
        post_process(f32(st, "score_map"), f32(st, "boxes"), window, gw, gh, (int)num(s, 0), (int)num(s, 1), wp, 0, &p,
                     (int)num(fr, 0), (int)num(fr, 1), &r);
        int best = cJSON_GetObjectItem(c, "best_index")->valueint;
        CHECK(r.index == best, "%s: chose cell %d, official %d", file, r.index, best);
        CHECK(r.confidence == f32(st, "confidence")[0], "%s: confidence %.9g vs %.9g", file, r.confidence,
              f32(st, "confidence")[0]);
        const float *bc = f32(st, "box_crop_px");
        const cJSON *bu = cJSON_GetObjectItem(c, "box_frame_xyxy_unclipped"), *bf = cJSON_GetObjectItem(c, "box_frame_xyxy");
        for (int k = 0; k < 4; k++) {
            CHECK(r.box_crop[k] == bc[k], "%s: crop box[%d] %.9g vs %.9g", file, k, r.box_crop[k], bc[k]);
            CHECK(fabs(r.box_unclipped[k] - num(bu, k)) <= 1e-4, "%s: unclipped box[%d] %.9g vs %.9g", file, k,
                  r.box_unclipped[k], num(bu, k));
            CHECK(fabs(r.box[k] - num(bf, k)) <= 1e-4, "%s: frame box[%d] %.9g vs %.9g", file, k, r.box[k], num(bf, k));
        }
        free(window);
        safetensors_close(st);
    }
    cJSON_Delete(cases);
}

/* The official masks of the model fixtures were made from template-crop boxes with the identity
 * mapping and stride 14. */
static void test_template_mask(void) {
    static const char *names[] = {"tiny-mlp", "tiny-odd"};
    for (int n = 0; n < 2; n++) {
        char path[512];
        snprintf(path, sizeof path, LORAT_TEST_DATA "/official/model/%s/meta.json", names[n]);
        cJSON *meta = load_json(path);
        snprintf(path, sizeof path, LORAT_TEST_DATA "/official/model/%s/inputs.safetensors", names[n]);
        safetensors *st = NULL;
        if (!meta || safetensors_open(path, &st, NULL)) {
            CHECK(0, "cannot read the %s fixture", names[n]);
            cJSON_Delete(meta);
            continue;
        }
        const tensor_info *m = safetensors_find(st, "z_feat_mask");
        int gh = (int)m->shape[1], gw = (int)m->shape[2];
        const cJSON *boxes = cJSON_GetObjectItem(meta, "template_boxes_px_xyxy");
        crop_params identity = {1, 1, 0, 0};
        for (int b = 0; b < 2; b++) {
            const cJSON *bx = cJSON_GetArrayItem(boxes, b);
            double box[4] = {num(bx, 0), num(bx, 1), num(bx, 2), num(bx, 3)};
            uint8_t mask[64 * 64];
            template_mask(mask, gw, gh, 14.0, box, &identity);
            const int64_t *ref = (const int64_t *)m->data + (size_t)b * gw * gh;
            int same = 1;
            for (int i = 0; i < gw * gh; i++) same &= mask[i] == (uint8_t)ref[i];
            CHECK(same, "%s: template mask of sample %d differs from the official one", names[n], b);
        }
        safetensors_close(st);
        cJSON_Delete(meta);
    }
}

static double iou(const double a[4], const double b[4]) {
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (iw <= 0 || ih <= 0) return 0;
    double inter = iw * ih;
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/* A perfect network: the cells under the target score high (more at its centre) and predict its
 * box; every other cell scores low and predicts a box of the target's size around itself. */
static void oracle_maps(float *score, float *boxes, int gw, int gh, const double gt_crop[4], int sw, int sh) {
    double cx = (gt_crop[0] + gt_crop[2]) / 2 / sw * gw, cy = (gt_crop[1] + gt_crop[3]) / 2 / sh * gh;
    double bw = (gt_crop[2] - gt_crop[0]) / sw, bh = (gt_crop[3] - gt_crop[1]) / sh;
    for (int i = 0; i < gh; i++)
        for (int j = 0; j < gw; j++) {
            double x = (j + 0.5) / gw * sw, y = (i + 0.5) / gh * sh;
            int inside = x >= gt_crop[0] && x < gt_crop[2] && y >= gt_crop[1] && y < gt_crop[3];
            double d2 = (j + 0.5 - cx) * (j + 0.5 - cx) + (i + 0.5 - cy) * (i + 0.5 - cy);
            float *b = boxes + ((size_t)i * gw + j) * 4;
            score[i * gw + j] = inside ? (float)(6.0 - 0.3 * d2) : -6.0f;
            if (inside) {
                b[0] = (float)(gt_crop[0] / sw), b[1] = (float)(gt_crop[1] / sh);
                b[2] = (float)(gt_crop[2] / sw), b[3] = (float)(gt_crop[3] / sh);
            } else {
                double rx = (j + 0.5) / gw, ry = (i + 0.5) / gh;
                b[0] = (float)(rx - bw / 2), b[1] = (float)(ry - bh / 2), b[2] = (float)(rx + bw / 2), b[3] = (float)(ry + bh / 2);
            }
        }
}

/* Reads n rows of "x,y,w,h" (or one value per row when cols == 1) from path. */
static int read_rows(const char *path, double *v, int n, int cols) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int got = 0;
    char line[256];
    while (got < n && fgets(line, sizeof line, f)) {
        if (cols == 4 && sscanf(line, "%lf,%lf,%lf,%lf", &v[4 * got], &v[4 * got + 1], &v[4 * got + 2], &v[4 * got + 3]) == 4)
            got++;
        else if (cols == 1 && sscanf(line, "%lf", &v[got]) == 1)
            got++;
    }
    fclose(f);
    return got;
}

static void test_loop(void) {
    /* A model only for its sizes (S-224's grids and crops); the network is never run. */
    model_config cfg;
    config_from_variant("S-224", &cfg, NULL);
    cfg.dim = 64, cfg.depth = 1, cfg.heads = 1, cfg.ffn_hidden = 64, cfg.lora_rank = 0;
    lorat_model *m = NULL;
    lorat_tracker *t = NULL;
    lorat_error err = {0};
    char dir[] = "/tmp/lorat-track-XXXXXX";
    synth_params sp;
    synth_params_default(&sp);
    sp.sequences = 4, sp.frames = 150, sp.seed = 21, sp.width = 320, sp.height = 240;
    if (!mkdtemp(dir) || synth_write(dir, &sp, 0, &err) || model_create(&cfg, &m, &err) ||
        lorat_tracker_create(m, NULL, &t, &err)) {
        CHECK(0, "setting up the loop test: %s", err.message);
        lorat_model_free(m);
        return;
    }
    const int W = sp.width, H = sp.height, F = sp.frames;
    uint8_t *rgb = malloc((size_t)W * H * 3);
    memset(rgb, 90, (size_t)W * H * 3); /* pixels do not matter: the maps come from the truth */
    lorat_image img = {W, H, 3 * W, rgb};
    int gw = cfg.search_w, gh = cfg.search_h, sw = gw * cfg.patch, sh = gh * cfg.patch;
    float *score = malloc(sizeof(float) * gw * gh), *boxes = malloc(sizeof(float) * gw * gh * 4);
    double *gt = malloc(sizeof(double) * 4 * F), *absent = malloc(sizeof(double) * F);
    double sum_iou = 0;
    int visible = 0, absent_frames = 0;
    for (int q = 0; q < sp.sequences; q++) {
        char path[512];
        snprintf(path, sizeof path, "%s/synth_%06d/groundtruth.txt", dir, q + 1);
        int ok = read_rows(path, gt, F, 4) == F;
        snprintf(path, sizeof path, "%s/synth_%06d/absence.label", dir, q + 1);
        ok &= read_rows(path, absent, F, 1) == F;
        CHECK(ok, "cannot read the synthetic sequence %d", q + 1);
        if (!ok) break;
        for (int f = 0; f < F; f++) {
            double g[4] = {gt[4 * f], gt[4 * f + 1], gt[4 * f] + gt[4 * f + 2], gt[4 * f + 1] + gt[4 * f + 3]};
            if (f == 0) {
                lorat_box b0 = {(float)gt[0], (float)gt[1], (float)gt[2], (float)gt[3]};
                CHECK(lorat_tracker_init(t, &img, b0, &err) == LORAT_STATUS_OK, "%s", err.message);
                continue;
            }
            if (tracker_prepare(t, &img, &err)) {
                CHECK(0, "frame %d: %s", f, err.message);
                break;
            }
            const crop_params *p = tracker_search_params(t);
            int hidden = absent[f] != 0 || gt[4 * f + 2] <= 0 || gt[4 * f + 3] <= 0;
            if (hidden) {
                /* nothing to see: a flat, low score map and boxes around each cell */
                double none[4] = {-1e4, -1e4, -1e4 + 1, -1e4 + 1};
                oracle_maps(score, boxes, gw, gh, none, sw, sh);
            } else {
                double in_crop[4] = {g[0] * p->sx + p->tx, g[1] * p->sy + p->ty, g[2] * p->sx + p->tx, g[3] * p->sy + p->ty};
                oracle_maps(score, boxes, gw, gh, in_crop, sw, sh);
            }
            lorat_box out;
            float conf;
            tracker_finish(t, score, boxes, &out, &conf);
            CHECK(isfinite(out.x) && out.w > 0 && out.h > 0, "sequence %d frame %d: box %g,%g,%g,%g", q + 1, f, out.x,
                  out.y, out.w, out.h);
            if (hidden) {
                absent_frames++;
                continue;
            }
            double ob[4] = {out.x, out.y, out.x + out.w, out.y + out.h};
            sum_iou += iou(ob, g);
            visible++;
        }
    }
    double mean = visible ? sum_iou / visible : 0;
    printf("geometry loop on %d synthetic sequences: mean IoU %.4f over %d visible frames (%d absent)\n",
           sp.sequences, mean, visible, absent_frames);
    CHECK(mean >= 0.95, "the tracker does not follow the target: mean IoU %.4f", mean);
    /* bad input */
    lorat_image other = {W - 2, H, 3 * W, rgb};
    lorat_box out;
    CHECK(lorat_tracker_update(t, &other, &out, NULL, &err) == LORAT_STATUS_BAD_INPUT && strstr(err.message, "size changed"),
          "a frame of another size is not refused: %s", err.message);
    CHECK(lorat_tracker_init(t, &img, (lorat_box){10, 10, 0, 5}, &err) == LORAT_STATUS_BAD_INPUT,
          "a zero-size init box is accepted");
    CHECK(lorat_tracker_init(t, &img, (lorat_box){400, 10, 20, 20}, &err) == LORAT_STATUS_BAD_INPUT &&
              strstr(err.message, "outside"), "an init box outside the image is accepted: %s", err.message);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(rgb), free(score), free(boxes), free(gt), free(absent);
    lorat_tracker_free(t);
    lorat_model_free(m);
}

/* size_update < 1: the state's size moves that share of the way to the found box, centred on it;
 * size_gate: on a frame whose confidence is under the gate the size is kept (the centre moves). */
static void test_size_update(void) {
    model_config cfg;
    config_from_variant("S-224", &cfg, NULL);
    cfg.dim = 64, cfg.depth = 1, cfg.heads = 1, cfg.ffn_hidden = 64, cfg.lora_rank = 0;
    lorat_model *m = NULL;
    lorat_error err = {0};
    if (model_create(&cfg, &m, &err)) {
        CHECK(0, "%s", err.message);
        return;
    }
    const int W = 320, H = 240;
    uint8_t *rgb = malloc((size_t)W * H * 3);
    memset(rgb, 90, (size_t)W * H * 3);
    lorat_image img = {W, H, 3 * W, rgb};
    int gw = cfg.search_w, gh = cfg.search_h, sw = gw * cfg.patch, sh = gh * cfg.patch;
    float *score = malloc(sizeof(float) * gw * gh), *boxes = malloc(sizeof(float) * gw * gh * 4);
    const double found[4] = {130, 90, 190, 150}; /* 60x60, the init box 40x30 */
    /* size_update, size_gate and the size expected; the maps below give a confidence near 0.5 */
    const struct { float update, gate, w, h; } cases[] = {
        {1.0f, 0.0f, 60, 60},     /* the official tracker */
        {0.25f, 0.0f, 45, 37.5f}, /* a quarter of the way from 40x30 to 60x60 */
        {1.0f, 0.6f, 40, 30},     /* under the gate: kept */
        {0.25f, 0.4f, 45, 37.5f}, /* over it: updated */
    };
    for (int k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        lorat_tracker_params prm;
        lorat_tracker_params_default(m, &prm);
        CHECK(prm.size_update == 1.0f && prm.size_gate == 0.0f,
              "defaults size_update %g, size_gate %g (expected 1 and 0, the official tracker)", prm.size_update,
              prm.size_gate);
        prm.size_update = cases[k].update;
        prm.size_gate = cases[k].gate;
        lorat_tracker *t = NULL;
        lorat_box out;
        float conf = 0;
        if (lorat_tracker_create(m, &prm, &t, &err) || lorat_tracker_init(t, &img, (lorat_box){140, 105, 40, 30}, &err) ||
            tracker_prepare(t, &img, &err)) {
            CHECK(0, "%s", err.message);
            lorat_tracker_free(t);
            continue;
        }
        const crop_params *p = tracker_search_params(t);
        double in_crop[4] = {found[0] * p->sx + p->tx, found[1] * p->sy + p->ty, found[2] * p->sx + p->tx,
                             found[3] * p->sy + p->ty};
        oracle_maps(score, boxes, gw, gh, in_crop, sw, sh);
        for (int i = 0; i < gw * gh; i++) score[i] -= 6.0f; /* the best cell's logit near 0 */
        tracker_finish(t, score, boxes, &out, &conf);
        CHECK(conf > 0.45f && conf < 0.55f, "case %d: confidence %g, expected about 0.5", k, conf);
        CHECK(fabs(out.x + out.w / 2 - 160) < 0.5 && fabs(out.y + out.h / 2 - 120) < 0.5,
              "size_update %g, size_gate %g: centre (%g, %g), expected the found box's (160, 120)", prm.size_update,
              prm.size_gate, out.x + out.w / 2, out.y + out.h / 2);
        CHECK(fabs(out.w - cases[k].w) < 0.5 && fabs(out.h - cases[k].h) < 0.5,
              "size_update %g, size_gate %g (confidence %g): %gx%g, expected %gx%g", prm.size_update, prm.size_gate,
              conf, out.w, out.h, cases[k].w, cases[k].h);
        lorat_tracker_free(t);
    }
    const struct { float update, gate; const char *what; } bad_cases[] = {
        {0.0f, 0.0f, "size_update 0"}, {1.0f, 1.0f, "size_gate 1"}, {1.0f, -0.1f, "size_gate -0.1"}};
    for (int k = 0; k < 3; k++) {
        lorat_tracker_params bad;
        lorat_tracker_params_default(m, &bad);
        bad.size_update = bad_cases[k].update;
        bad.size_gate = bad_cases[k].gate;
        lorat_tracker *t = NULL;
        CHECK(lorat_tracker_create(m, &bad, &t, &err) == LORAT_STATUS_BAD_INPUT, "%s is accepted", bad_cases[k].what);
        lorat_tracker_free(t);
    }
    free(rgb), free(score), free(boxes);
    lorat_model_free(m);
}

/* box_average: the chosen cell is still the windowed argmax; the box is the probability-weighted
 * mean of the boxes of the cells within the radius (clipped at the grid's edge) whose probability
 * is at least half the chosen cell's, nothing else. */
static void test_box_average(void) {
    enum { GW = 6, GH = 5, N = GW * GH };
    float score[N], boxes[N * 4], window[N];
    hann_window_2d(window, GW, GH);
    for (int i = 0; i < N; i++) {
        score[i] = -4.0f + 0.1f * (float)(i % 7);
        for (int k = 0; k < 4; k++) boxes[i * 4 + k] = 0.1f + 0.02f * (float)((i * 4 + k) % 13);
    }
    const int best = 2 * GW + 3; /* (x 3, y 2), where the window is highest */
    score[best] = 3.0f;
    score[best - 1] = 1.0f;
    crop_params p = {1, 1, 0, 0}; /* crop pixels are frame pixels */
    for (int radius = 0; radius <= 2; radius++) {
        post_result r;
        post_process(score, boxes, window, GW, GH, 96, 80, 0.45f, radius, &p, 1000, 1000, &r);
        CHECK(r.index == best, "box_average %d: chose cell %d, expected %d", radius, r.index, best);
        double want[4] = {0, 0, 0, 0}, wsum = 0;
        for (int y = 0; y < GH; y++)
            for (int x = 0; x < GW; x++) {
                if (abs(x - 3) > radius || abs(y - 2) > radius) continue;
                double w = 1 / (1 + exp(-(double)score[y * GW + x]));
                if (w < 0.5 / (1 + exp(-3.0))) continue; /* under half the chosen cell's */
                for (int k = 0; k < 4; k++) want[k] += w * boxes[(y * GW + x) * 4 + k];
                wsum += w;
            }
        const double size[4] = {96, 80, 96, 80};
        for (int k = 0; k < 4; k++) {
            double v = want[k] / wsum * size[k];
            CHECK(fabs(r.box_crop[k] - v) < 1e-4 * size[k] && fabs(r.box[k] - v) < 1e-3,
                  "box_average %d: coordinate %d is %.6f, expected %.6f", radius, k, r.box_crop[k], v);
        }
    }
}

int main(void) {
    test_crop();
    test_box_average();
    test_size_update();
    test_postprocess();
    test_template_mask();
    test_loop();
    return test_finish();
}
