/*
 * test_metrics.c — the OPE metrics: parity with the official LoRAT handler on the fixture
 * sequences (tests/data/official/metrics: per-frame IoU, curves, scores and per-dataset means to
 * 1e-6), then one case per documented difference between the toolkits' protocols
 * (spec/evaluation.md §1 and §4), each built so that the protocols disagree on it.
 */
#include <cjson/cJSON.h>
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "eval/metrics.h"
#include "test.h"

#define FIXTURE LORAT_TEST_DATA "/official/metrics/ope_metrics.json"
#define TOL 1e-6

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static double max_diff_seen; /* over every compared value, for the summary line */

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Compares a curve with the fixture's array; returns the largest difference. */
static double cmp_curve(const metrics_curve *c, const cJSON *arr, const char *what,
                        const char *name) {
    int n = cJSON_GetArraySize(arr);
    CHECK(c->n == n, "%s %s: %d points, fixture %d", name, what, c->n, n);
    double worst = 0;
    for (int i = 0; i < n && i < c->n; i++) {
        double d = fabs(c->y[i] - cJSON_GetArrayItem(arr, i)->valuedouble);
        if (d > worst) worst = d;
    }
    CHECK(worst <= TOL, "%s %s differs by %.3g", name, what, worst);
    if (worst > max_diff_seen) max_diff_seen = worst;
    return worst;
}

static void cmp_score(double got, double want, const char *what, const char *name) {
    double d = fabs(got - want);
    CHECK(d <= TOL, "%s %s = %.9f, fixture %.9f", name, what, got, want);
    if (d > max_diff_seen) max_diff_seen = d;
}

static void cmp_result(const metrics_result *r, const cJSON *o, const char *name) {
    cmp_curve(&r->success_curve, cJSON_GetObjectItem(o, "success_curve"), "success curve", name);
    cmp_curve(&r->precision_curve, cJSON_GetObjectItem(o, "precision_curve"), "precision curve",
              name);
    cmp_curve(&r->norm_precision_curve, cJSON_GetObjectItem(o, "normalized_precision_curve"),
              "normalised precision curve", name);
    cmp_score(r->success_auc, num(o, "success_score_auc"), "SUC", name);
    cmp_score(r->precision, num(o, "precision_score_p20"), "P", name);
    cmp_score(r->norm_precision, num(o, "normalized_precision_score_p0_2"), "P_norm", name);
    cmp_score(r->sr50, num(o, "success_rate_at_overlap_0_5"), "SR0.5", name);
    cmp_score(r->sr75, num(o, "success_rate_at_overlap_0_75"), "SR0.75", name);
}

static double *boxes(const cJSON *arr, int n) {
    if (n < 1) n = 1;
    double *v = malloc(sizeof(double) * 4 * (size_t)n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            v[4 * i + k] = cJSON_GetArrayItem(cJSON_GetArrayItem(arr, i), k)->valuedouble;
    return v;
}

static void test_official_parity(void) {
    char *text = read_text(FIXTURE);
    CHECK(text != NULL, "cannot read %s", FIXTURE);
    if (!text) return;
    cJSON *root = cJSON_Parse(text);
    free(text);
    CHECK(root != NULL, "cannot parse %s", FIXTURE);
    if (!root) return;
    const cJSON *seqs = cJSON_GetObjectItem(root, "sequences");
    int nseq = cJSON_GetArraySize(seqs);
    CHECK(nseq == 6, "fixture has %d sequences", nseq);
    metrics_result *res = calloc((size_t)nseq, sizeof *res);
    const char **names = calloc((size_t)nseq, sizeof *names);
    metrics_average all;
    metrics_average_init(&all, METRICS_PROTOCOL_PAPER);
    for (int s = 0; s < nseq; s++) {
        const cJSON *o = cJSON_GetArrayItem(seqs, s);
        const char *name = cJSON_GetObjectItem(o, "name")->valuestring;
        const char *ds = cJSON_GetObjectItem(o, "dataset")->valuestring;
        names[s] = name;
        int n = cJSON_GetArraySize(cJSON_GetObjectItem(o, "frame_iou"));
        CHECK(n == (int)num(o, "length"), "%s: length", name);
        if (n < 1) continue;
        double *gt = boxes(cJSON_GetObjectItem(o, "groundtruth_xyxy"), n);
        double *pred = boxes(cJSON_GetObjectItem(o, "prediction_xyxy"), n);
        uint8_t *vis = malloc((size_t)n);
        const cJSON *v = cJSON_GetObjectItem(o, "visible");
        for (int i = 0; i < n; i++) vis[i] = cJSON_IsTrue(cJSON_GetArrayItem(v, i));
        metrics_rules rules = metrics_rules_for(ds);
        metrics_sequence ms = {.n = n, .gt = gt, .pred = pred, .visible = vis};
        double *iou = malloc(sizeof(double) * (size_t)n);
        lorat_error err = {0};
        CHECK(metrics_evaluate(METRICS_PROTOCOL_PAPER, &rules, &ms, &res[s], iou, &err) == 0,
              "%s: %s", name, err.message);
        const cJSON *fi = cJSON_GetObjectItem(o, "frame_iou");
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double d = fabs(iou[i] - cJSON_GetArrayItem(fi, i)->valuedouble);
            if (d > worst) worst = d;
        }
        CHECK(worst <= 1e-12, "%s: frame IoU differs by %.3g", name, worst);
        cmp_result(&res[s], o, name);
        metrics_average_add(&all, &res[s]);
        printf("  %-20s %-16s SUC %.9f  P %.9f  P_norm %.9f  (frame IoU max diff %.1e)\n", name,
               ds, res[s].success_auc, res[s].precision, res[s].norm_precision, worst);
        free(gt);
        free(pred);
        free(vis);
        free(iou);
    }
    /* per-dataset means, over the member sequences the fixture lists */
    const cJSON *means = cJSON_GetObjectItem(root, "dataset_means"), *m;
    cJSON_ArrayForEach(m, means) {
        metrics_average a;
        metrics_average_init(&a, METRICS_PROTOCOL_PAPER);
        const cJSON *member;
        int count = 0;
        cJSON_ArrayForEach(member, cJSON_GetObjectItem(m, "sequences")) {
            for (int s = 0; s < nseq; s++)
                if (!strcmp(names[s], member->valuestring)) {
                    metrics_average_add(&a, &res[s]);
                    count++;
                }
        }
        CHECK(count == cJSON_GetArraySize(cJSON_GetObjectItem(m, "sequences")),
              "dataset %s: members not found", m->string);
        metrics_result r;
        metrics_average_finish(&a, &r);
        char label[64];
        snprintf(label, sizeof label, "mean of %s", m->string);
        cmp_result(&r, m, label);
        printf("  %-37s SUC %.9f  P %.9f  P_norm %.9f\n", label, r.success_auc, r.precision,
               r.norm_precision);
    }
    metrics_result r;
    metrics_average_finish(&all, &r);
    cmp_result(&r, cJSON_GetObjectItem(root, "all_sequences_mean"), "mean of all six");
    printf("  %-37s SUC %.9f  P %.9f  P_norm %.9f\n", "mean of all six", r.success_auc,
           r.precision, r.norm_precision);
    printf("  official parity: largest difference over all curves and scores %.3g\n",
           max_diff_seen);
    free(res);
    free(names);
    cJSON_Delete(root);
}

/* ---- protocol differences ---------------------------------------------------------------- */

#define MAXF 32

typedef struct tcase {
    int n;
    double gt[MAXF * 4], pred[3 * MAXF * 4];
    uint8_t vis[MAXF];
    int8_t cover[MAXF];
    int use_vis, use_cover, width, height, runs;
} tcase;

static void set(double *b, double x, double y, double w, double h) {
    b[0] = x;
    b[1] = y;
    b[2] = x + w;
    b[3] = y + h;
}

/* n frames whose prediction equals the GT (10,10,20,20). */
static void tcase_init(tcase *t, int n) {
    memset(t, 0, sizeof *t);
    t->n = n;
    for (int i = 0; i < n; i++) {
        set(t->gt + 4 * i, 10, 10, 20, 20);
        set(t->pred + 4 * i, 10, 10, 20, 20);
        t->vis[i] = 1;
        t->cover[i] = 8;
    }
    t->width = t->height = 100;
}

static metrics_result run(metrics_protocol p, const char *dataset, const tcase *t, double *iou) {
    metrics_rules rules = metrics_rules_for(dataset);
    metrics_sequence ms = {.n = t->n,
                           .gt = t->gt,
                           .pred = t->pred,
                           .runs = t->runs,
                           .visible = t->use_vis ? t->vis : NULL,
                           .cover = t->use_cover ? t->cover : NULL,
                           .width = t->width,
                           .height = t->height};
    metrics_result r;
    lorat_error err = {0};
    lorat_status s = metrics_evaluate(p, &rules, &ms, &r, iou, &err);
    CHECK(s == 0, "metrics_evaluate(%s): %s", metrics_protocol_name(p), err.message);
    return r;
}

static void add_run(metrics_average *a, metrics_protocol p, const char *dataset, const tcase *t) {
    metrics_result r = run(p, dataset, t, NULL);
    metrics_average_add(a, &r);
}

static int near(double a, double b) {
    return fabs(a - b) <= 1e-7; /* paper curves are float32 */
}

/* §4.1: thresholds built as each toolkit builds them. */
static void test_thresholds(void) {
    double paper[101], matlab[101], g10[101];
    metrics_thresholds(METRICS_PROTOCOL_PAPER, METRICS_CURVE_SUCCESS, paper);
    metrics_thresholds(METRICS_PROTOCOL_LASOT_TOOLKIT, METRICS_CURVE_SUCCESS, matlab);
    CHECK(paper[13] == 13 * 0.05, "paper threshold 13 is i*0.05");
    CHECK(matlab[13] == 1 - 7 * 0.05 && matlab[13] < 0.65, "MATLAB 0:0.05:1 at 13: %.17g",
          matlab[13]);
    CHECK(paper[3] != 3 / 20.0 && paper[3] == 3 * 0.05, "i*0.05 differs from i/20 at 3");
    CHECK(paper[10] == 0.5 && paper[15] == 0.75 && matlab[10] == 0.5 && matlab[15] == 0.75,
          "0.5 and 0.75 exact everywhere");
    metrics_thresholds(METRICS_PROTOCOL_PAPER, METRICS_CURVE_NORM_PRECISION, paper);
    metrics_thresholds(METRICS_PROTOCOL_GOT10K, METRICS_CURVE_NORM_PRECISION, g10);
    int differ = 0;
    for (int j = 0; j <= 50; j++) differ += paper[j] != g10[j];
    CHECK(paper[35] != g10[35] && paper[41] != g10[41] && paper[47] != g10[47] && differ == 3,
          "arange(51)/100 and linspace(0,0.5,51) differ at 35, 41, 47 only (%d differ)", differ);
    int n = metrics_thresholds(METRICS_PROTOCOL_TRACKINGNET, METRICS_CURVE_PRECISION, g10);
    CHECK(n == 21 && g10[1] == 2.5 && g10[20] == 50, "TrackingNet precision: linspace(0,50,21)");
    n = metrics_thresholds(METRICS_PROTOCOL_GOT10K_AO, METRICS_CURVE_SUCCESS, g10);
    CHECK(n == 101 && g10[50] == 0.5, "GOT-10k success curve: 101 thresholds");

    /* a frame with IoU exactly 13/20: a success at threshold 13 for MATLAB, not for numpy */
    tcase t;
    tcase_init(&t, 2);
    set(t.gt + 4, 10, 10, 20, 10);   /* area 200 */
    set(t.pred + 4, 10, 10, 13, 10); /* inside: IoU 130/200 */
    double iou[2];
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, iou);
    metrics_result l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "OTB100", &t, NULL);
    CHECK(iou[1] == 0.65, "IoU is exactly 0.65");
    CHECK(near(p.success_curve.y[13], 0.5) && near(l.success_curve.y[13], 1.0),
          "IoU tie at 0.65: paper %.3f, LaSOT toolkit %.3f", p.success_curve.y[13],
          l.success_curve.y[13]);
}

/* §1.2 / §4.2: IoU > t against TrackingNet's IoU >= t; §4.3: trapezoid read-out. */
static void test_strict_and_trapezoid(void) {
    tcase t;
    tcase_init(&t, 2);
    set(t.gt + 4, 0, 0, 20, 10);
    set(t.pred + 4, 0, 0, 10, 10); /* IoU 0.5 exactly */
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "TrackingNet", &t, NULL);
    metrics_result tn = run(METRICS_PROTOCOL_TRACKINGNET, "TrackingNet", &t, NULL);
    CHECK(near(p.sr50, 0.5) && near(tn.sr50, 1.0), "IoU 0.5: SR0.5 paper %.2f (>), TN %.2f (>=)",
          p.sr50, tn.sr50);
    double s = 0;
    for (int i = 0; i < 21; i++) s += tn.success_curve.y[i];
    double trap = (s - (tn.success_curve.y[0] + tn.success_curve.y[20]) / 2) / 20;
    CHECK(near(tn.success_auc, trap), "TrackingNet SUC is the trapezoid %.6f, got %.6f", trap,
          tn.success_auc);
    double s21 = 0;
    for (int i = 0; i < 21; i++) s21 += p.success_curve.y[i];
    CHECK(fabs(p.success_auc - s21 / 21) < 1e-7, "paper SUC is the mean of 21 points");
    CHECK(!near(tn.success_auc, s / 21), "trapezoid and mean differ here");
    CHECK(tn.precision_curve.n == 21 && p.precision_curve.n == 51,
          "TN precision curve has 21 points (2.5 px steps), paper 51");
    CHECK(tn.norm_precision_curve.n == 21, "TN normalised curve: linspace(0, 0.5, 21)");
    /* TN precision: area of its curve, not P@20 */
    double tp = 0;
    for (int i = 0; i < 20; i++)
        tp += (tn.precision_curve.y[i] + tn.precision_curve.y[i + 1]) / 2 * 0.05;
    CHECK(fabs(tn.precision - tp) < 1e-12, "TN precision is its curve's area");
}

/* §1.1: the pixel-inclusive IoU (paper, LaSOT toolkit) and the continuous one (got10k toolkit)
 * are the same number up to rounding (and got10k's eps); §1.3: the centre offsets cancel. */
static void test_iou_forms(void) {
    tcase t;
    tcase_init(&t, MAXF);
    unsigned x = 12345;
    for (int i = 1; i < MAXF; i++) {
        double v[8];
        for (int k = 0; k < 8; k++) {
            x = x * 1103515245u + 12345u;
            v[k] = (x >> 8) % 4000 / 100.0;
        }
        set(t.gt + 4 * i, v[0], v[1], 5 + v[2], 5 + v[3]);
        set(t.pred + 4 * i, v[4], v[5], 5 + v[6], 5 + v[7]);
    }
    double a[MAXF], b[MAXF], c[MAXF];
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, a);
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "OTB100", &t, b);
    metrics_result l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "OTB100", &t, c);
    double worst = 0;
    for (int i = 0; i < MAXF; i++) {
        worst = fmax(worst, fabs(a[i] - b[i]));
        worst = fmax(worst, fabs(a[i] - c[i]));
    }
    CHECK(worst < 1e-12, "IoU forms agree to %.2g", worst);
    double pd = 0;
    for (int j = 0; j <= 50; j++)
        pd = fmax(pd, fmax(fabs(p.precision_curve.y[j] - g.precision_curve.y[j]),
                           fabs(p.precision_curve.y[j] - l.precision_curve.y[j])));
    CHECK(pd < 1e-7, "centre errors agree (x+(w-1)/2 everywhere): %.2g", pd);
}

/* §1.1 / §4.6: TrackingNet rounds every number half to even before the IoU. */
static void test_trackingnet_rounding(void) {
    tcase t;
    tcase_init(&t, 3);
    set(t.pred + 4, 10.5, 10, 20, 20); /* rint(10.5) = 10: IoU 1 */
    set(t.pred + 8, 12.5, 10, 20, 20); /* rint(12.5) = 12 (round() would give 13) */
    double iou[3], piou[3];
    run(METRICS_PROTOCOL_TRACKINGNET, "TrackingNet", &t, iou);
    run(METRICS_PROTOCOL_PAPER, "TrackingNet", &t, piou);
    CHECK(iou[1] == 1.0 && piou[1] < 1.0, "x 10.5 rounds to 10: TN IoU %.4f, paper %.4f", iou[1],
          piou[1]);
    CHECK(near(iou[2], 360.0 / 440.0), "x 12.5 rounds half to even (12): IoU %.6f", iou[2]);
}

/* §1.4: got10k toolkit normalises by max(1, GT size) and reads out the mean of its curve. */
static void test_norm_precision(void) {
    tcase t;
    tcase_init(&t, 2);
    set(t.gt + 4, 10, 10, 0.5, 20);
    set(t.pred + 4, 10.15, 10, 0.5, 20); /* centre off by 0.15 px */
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, NULL);
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "OTB100", &t, NULL);
    CHECK(near(p.norm_precision_curve.y[20], 0.5) && near(g.norm_precision_curve.y[20], 1.0),
          "GT w 0.5: paper divides by 0.5 (error 0.3), got10k by max(1, w) (0.15): %.2f vs %.2f",
          p.norm_precision_curve.y[20], g.norm_precision_curve.y[20]);
    double m = 0;
    for (int j = 0; j <= 50; j++) m += g.norm_precision_curve.y[j];
    CHECK(near(g.norm_precision, m / 51), "got10k P_norm is the mean of its 51-point curve");
    CHECK(near(p.norm_precision, p.norm_precision_curve.y[20]), "paper P_norm is curve[20]");
}

/* §1.5: GOT-10k AO — frame 0 left out, clipping to the image, cover > 0, strict SR. */
static void test_got10k_ao(void) {
    tcase t;
    tcase_init(&t, 4);
    set(t.pred, 50, 50, 5, 5);          /* frame 0: ignored */
    set(t.gt + 4, 90, 10, 20, 20);      /* runs past the right edge (W = 100) */
    set(t.pred + 4, 90, 10, 10, 20);    /* the visible part: IoU 1 once clipped, 0.5 before */
    set(t.pred + 8, 10, 10, 10, 20);    /* IoU 0.5 exactly: not an SR0.5 success */
    set(t.pred + 12, 70, 70, 10, 10);   /* no overlap, but cover 0: left out */
    t.cover[3] = 0;
    t.use_cover = 1;
    double iou[4];
    metrics_result r = run(METRICS_PROTOCOL_GOT10K_AO, "GOT10k", &t, iou);
    CHECK(isnan(iou[0]) && isnan(iou[3]), "frame 0 and the cover-0 frame are left out");
    CHECK(r.frames == 2, "2 frames scored, got %ld", r.frames);
    CHECK(near(iou[1], 1.0), "clipped to the image: IoU %.6f", iou[1]);
    CHECK(fabs(r.ao - 0.75) < 1e-12 && near(r.sr50, 0.5), "AO %.6f (0.75), SR0.5 %.3f (0.5)", r.ao,
          r.sr50);
    CHECK(r.success_curve.n == 101, "101-point success curve");
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "GOT10k", &t, NULL);
    CHECK(isnan(p.ao) && !isnan(r.ao), "AO is defined by got10k_ao only");
    CHECK(!near(p.sr50, r.sr50), "paper SR0.5 counts frame 0 and the cover-0 frame");

    /* pooling: AO over all frames of all sequences, not the mean of per-sequence AOs */
    tcase a, b;
    tcase_init(&a, 3); /* 2 scored frames, IoU 1 */
    tcase_init(&b, 9); /* 8 scored frames, IoU 0 */
    for (int i = 1; i < 9; i++) set(b.pred + 4 * i, 60, 60, 10, 10);
    metrics_result ra = run(METRICS_PROTOCOL_GOT10K_AO, "GOT10k", &a, NULL);
    metrics_result rb = run(METRICS_PROTOCOL_GOT10K_AO, "GOT10k", &b, NULL);
    metrics_average avg;
    metrics_average_init(&avg, METRICS_PROTOCOL_GOT10K_AO);
    metrics_average_add(&avg, &ra);
    metrics_average_add(&avg, &rb);
    metrics_result o;
    metrics_average_finish(&avg, &o);
    CHECK(fabs(o.ao - 0.2) < 1e-12, "pooled AO %.4f (2 of 10 frames), not 0.5", o.ao);
    metrics_average_init(&avg, METRICS_PROTOCOL_PAPER);
    add_run(&avg, METRICS_PROTOCOL_PAPER, "GOT10k", &a);
    add_run(&avg, METRICS_PROTOCOL_PAPER, "GOT10k", &b);
    metrics_average_finish(&avg, &o);
    CHECK(near(o.success_curve.y[10], (1.0 + 1.0 / 9) / 2), "paper: mean of per-sequence curves");

    /* repetitions: pooled by got10k_ao, curves averaged by the others */
    tcase_init(&t, 3);
    t.runs = 2;
    for (int i = 0; i < 3; i++) set(t.pred + 4 * (3 + i), 10, 10, 20, 20);
    set(t.pred + 4 * 4, 60, 60, 10, 10); /* run 2, frame 1: IoU 0 */
    r = run(METRICS_PROTOCOL_GOT10K_AO, "GOT10k", &t, NULL);
    CHECK(r.frames == 4 && fabs(r.ao - 0.75) < 1e-12, "two runs pooled: %ld frames, AO %.3f",
          r.frames, r.ao);
    p = run(METRICS_PROTOCOL_PAPER, "GOT10k", &t, NULL);
    CHECK(near(p.success_curve.y[10], (1.0 + 2.0 / 3) / 2), "paper averages the runs' curves");
}

/* `--protocol got10k` on GOT-10k is the got10k toolkit's ExperimentGOT10k, reproduced on a
 * hand-made case. What its report() does on val, read from got10k/experiments/got10k.py:
 *   covers = meta['cover'][1:]                               (absence.label is never read)
 *   seq_ious = [rect_iou(b[1:], anno[1:], bound=resolution) for b in boxes]   (every repetition)
 *   seq_ious = concatenate([t[covers > 0] for t in seq_ious])
 *   ious = concatenate(all sequences);  ao = mean(ious);  sr = mean(ious > 0.5)
 * rect_iou clips both boxes to the image (x <- clip(x, 0, W), w <- clip(w, 0, W - x)), then
 * inter / (union + eps) clipped to [0, 1]. SR0.75 is mean(ious > 0.75) (the server's). Every IoU
 * below is a multiple of 1/8 with a union >= 200 (eps is below its last bit), so the toolkit's
 * numbers are exact fractions:
 *   A (W = H = 100, one run): frame 0 is off the target (left out: b[1:]); frame 1 IoU 1;
 *     frame 2 (10,10,20,10) in (10,10,20,20): 200/400 = 0.5; frame 3 the GT (90,10,20,20) runs
 *     past the right edge: clipped to (90,10,10,20), the prediction (80,10,20,20) keeps its 400,
 *     inter 10x20 = 200, union 400 -> 0.5 (1/3 unclipped); frame 4 has cover 0 (left out, IoU 0
 *     if it were counted). A's IoUs: 1, 0.5, 0.5.
 *   B (two runs; frame 3 flagged absent but cover 1, so counted): GT (0,0,40,10) on every frame.
 *     run 1: (0,0,30,10) 300/400 = 0.75, (0,0,35,10) 350/400 = 0.875, (0,0,10,10) 0.25;
 *     run 2: the GT 1, far off 0, (0,0,20,10) 0.5.
 *   Pooled: 9 IoUs summing to 5.375: AO = 5.375 / 9 = 43/72; SR0.5 = #{1, 0.75, 0.875, 1} / 9
 *   = 4/9 (0.5 itself fails: strict >); SR0.75 = #{1, 0.875, 1} / 9 = 1/3 (0.75 fails).
 *   Not pooling would give (2/3 + 3.375/6) / 2 = 0.6146; counting frame 0 of A, A's cover-0
 *   frame, or dropping B's absent frame, or not clipping, each gives another AO. */
static void test_got10k_experiment(void) {
    CHECK(metrics_protocol_for(METRICS_PROTOCOL_GOT10K, "GOT10k") == METRICS_PROTOCOL_GOT10K_AO &&
              metrics_protocol_for(METRICS_PROTOCOL_GOT10K, "custom") ==
                  METRICS_PROTOCOL_GOT10K_AO,
          "got10k on GOT-10k (and custom) is the GOT-10k experiment");
    const char *others[] = {"LaSOT", "LaSOT_Extension", "OTB100", "TrackingNet", "TNL2K"};
    for (int i = 0; i < 5; i++)
        CHECK(metrics_protocol_for(METRICS_PROTOCOL_GOT10K, others[i]) == METRICS_PROTOCOL_GOT10K,
              "got10k on %s stays the OTB/LaSOT-style experiment", others[i]);
    CHECK(metrics_protocol_for(METRICS_PROTOCOL_PAPER, "GOT10k") == METRICS_PROTOCOL_PAPER &&
              metrics_protocol_for(METRICS_PROTOCOL_GOT10K_AO, "LaSOT") ==
                  METRICS_PROTOCOL_GOT10K_AO,
          "other protocols are themselves");
    const metrics_protocol p = metrics_protocol_for(METRICS_PROTOCOL_GOT10K, "GOT10k");

    tcase a;
    tcase_init(&a, 5);
    a.use_cover = 1;
    set(a.pred, 70, 70, 10, 10);         /* frame 0: off the target */
    set(a.pred + 8, 10, 10, 20, 10);     /* 0.5 */
    set(a.gt + 12, 90, 10, 20, 20);      /* past the right edge */
    set(a.pred + 12, 80, 10, 20, 20);    /* 0.5 once clipped */
    set(a.pred + 16, 70, 70, 10, 10);    /* cover 0 */
    a.cover[4] = 0;
    tcase b;
    tcase_init(&b, 4);
    b.use_cover = b.use_vis = 1;
    b.runs = 2;
    b.vis[3] = 0; /* absent, but cover 1 */
    b.cover[3] = 1;
    for (int i = 0; i < 4; i++) {
        set(b.gt + 4 * i, 0, 0, 40, 10);
        set(b.pred + 4 * i, 0, 0, 40, 10);
        set(b.pred + 4 * (4 + i), 0, 0, 40, 10);
    }
    set(b.pred + 4, 0, 0, 30, 10);
    set(b.pred + 8, 0, 0, 35, 10);
    set(b.pred + 12, 0, 0, 10, 10);
    set(b.pred + 4 * 6, 60, 60, 10, 10);
    set(b.pred + 4 * 7, 0, 0, 20, 10);
    double ia[5], ib[8];
    metrics_result ra = run(p, "GOT10k", &a, ia), rb = run(p, "GOT10k", &b, ib);
    CHECK(isnan(ia[0]) && ia[1] == 1 && ia[2] == 0.5 && ia[3] == 0.5 && isnan(ia[4]),
          "A's IoUs: frame 0 out, 1, 0.5, 0.5 (clipped), cover 0 out: %g %g %g %g %g", ia[0], ia[1],
          ia[2], ia[3], ia[4]);
    CHECK(ib[1] == 0.75 && ib[2] == 0.875 && ib[3] == 0.25 && ib[5] == 1 && ib[6] == 0 &&
              ib[7] == 0.5,
          "B's IoUs, both runs, the absent frame with cover 1 counted");
    CHECK(ra.frames == 3 && rb.frames == 6, "frames scored: A %ld (3), B %ld (6)", ra.frames,
          rb.frames);
    CHECK(ra.ao == 2.0 / 3 && rb.ao == 3.375 / 6, "per sequence (seq_wise): A %.17g, B %.17g",
          ra.ao, rb.ao);
    metrics_average avg;
    metrics_average_init(&avg, p);
    metrics_average_add(&avg, &ra);
    metrics_average_add(&avg, &rb);
    metrics_result o;
    metrics_average_finish(&avg, &o);
    CHECK(o.ao == 43.0 / 72, "AO %.17g, the toolkit's 43/72 = %.17g", o.ao, 43.0 / 72);
    CHECK(o.sr50 == 4.0 / 9, "SR0.5 %.17g, the toolkit's 4/9", o.sr50);
    CHECK(o.sr75 == 3.0 / 9, "SR0.75 %.17g, 3/9", o.sr75);
    CHECK(o.frames == 9 && o.success_curve.n == 101, "9 pooled frames, the 101-point curve");
    /* the curve's points at 0.5 and 0.75 (linspace(0, 1, 101)) are SR0.5 and SR0.75 */
    CHECK(o.success_curve.y[50] == o.sr50 && o.success_curve.y[75] == o.sr75 &&
              o.success_curve.y[0] == 8.0 / 9,
          "succ_curve[50] %.6f, [75] %.6f, [0] %.6f (IoU 0 fails > 0)", o.success_curve.y[50],
          o.success_curve.y[75], o.success_curve.y[0]);
    CHECK(fabs(o.ao - (2.0 / 3 + 3.375 / 6) / 2) > 0.015,
          "pooled (0.5972), not the mean of sequences (0.6146)");
    /* the same files under the OTB/LaSOT-style experiment (another dataset name) differ */
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "OTB100", &a, NULL);
    CHECK(isnan(g.ao) && g.success_curve.n == 21, "got10k on OTB100: no AO, 21 thresholds");
}

/* §1.6 / §4.4 / §4.5: absent, zero-size and NaN ground truth. */
static void test_absent_frames(void) {
    tcase t;
    tcase_init(&t, 4);
    t.vis[2] = 0;
    t.use_vis = 1;
    set(t.pred + 8, 60, 60, 20, 20); /* far away on the invisible frame */
    metrics_result lasot = run(METRICS_PROTOCOL_PAPER, "LaSOT", &t, NULL);
    metrics_result ext = run(METRICS_PROTOCOL_PAPER, "LaSOT_Extension", &t, NULL);
    CHECK(near(lasot.norm_precision, 0.75) && near(ext.norm_precision, 1.0),
          "invisible frame: LaSOT P_norm %.2f (+Inf fails), LaSOT_ext %.2f (−1 counts)",
          lasot.norm_precision, ext.norm_precision);
    CHECK(near(lasot.precision, 0.75) && near(ext.precision, 0.75),
          "invisible frame fails P in both");
    CHECK(near(lasot.success_curve.y[0], 0.75), "invalid frames stay in the denominator");

    /* the got10k toolkit ignores the flags: a perfect prediction on an "absent" frame counts */
    tcase_init(&t, 4);
    t.vis[2] = 0;
    t.use_vis = 1;
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "LaSOT", &t, NULL);
    metrics_result l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "LaSOT", &t, NULL);
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "LaSOT", &t, NULL);
    CHECK(near(g.success_curve.y[10], 1.0), "got10k ignores absent flags");
    CHECK(fabs(l.success_curve.y[10] - 3 / (4 + DBL_EPSILON)) < 1e-15 &&
              near(p.success_curve.y[10], 0.75),
          "LaSOT toolkit and paper: the absent frame fails, denominator 4");

    /* UAV: zero-size GT counts as a precision success; elsewhere it fails */
    tcase_init(&t, 4);
    set(t.gt + 4, 10, 10, 0, 0);
    metrics_result uav = run(METRICS_PROTOCOL_PAPER, "UAV123", &t, NULL);
    metrics_result otb = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, NULL);
    CHECK(near(uav.precision, 1.0) && near(otb.precision, 0.75),
          "zero-size GT: UAV P %.2f (error −1), other P %.2f (+Inf)", uav.precision,
          otb.precision);
    CHECK(near(otb.norm_precision, 1.0), "zero-size GT: normalised error −1 counts everywhere");

    /* LaSOT toolkit: GT with a coordinate <= 0 gets IoU −1 and centre error −1 */
    tcase_init(&t, 4);
    set(t.gt + 4, 0, 10, 20, 20);
    set(t.pred + 4, 40, 40, 20, 20); /* far off */
    l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "TNL2K", &t, NULL);
    p = run(METRICS_PROTOCOL_PAPER, "TNL2K", &t, NULL);
    CHECK(near(l.precision, 1.0 / (1 + DBL_EPSILON / 4)) && near(p.precision, 0.75),
          "GT x = 0: LaSOT toolkit P %.3f (−1 sentinel), paper %.3f", l.precision, p.precision);
    CHECK(near(l.success_curve.y[0], 0.75), "... and IoU −1");
    /* LaSOT is 1-based: internal x 0 is file x 1 (> 0), a valid frame for the toolkit */
    metrics_result l1 = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "LaSOT", &t, NULL);
    CHECK(near(l1.precision, 0.75), "LaSOT's +1: the frame is valid, P %.3f", l1.precision);

    /* got10k toolkit: a GT row with NaN leaves the denominator */
    tcase_init(&t, 4);
    t.gt[4 * 3 + 2] = NAN;
    set(t.pred + 4 * 1, 60, 60, 20, 20);
    g = run(METRICS_PROTOCOL_GOT10K, "LaSOT", &t, NULL);
    CHECK(g.frames == 3 && near(g.success_curve.y[10], 2.0 / 3),
          "NaN GT row dropped: %ld frames, SR %.3f", g.frames, g.success_curve.y[10]);
}

/* §1.6 invalid predictions and §1.7 the first frame. */
static void test_predictions_and_first_frame(void) {
    tcase t;
    tcase_init(&t, 3);
    set(t.pred + 8, 10, 10, 0, 20); /* w = 0 on the last frame */
    metrics_result l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "OTB100", &t, NULL);
    metrics_result p = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, NULL);
    CHECK(near(l.success_curve.y[20], 0.0) && near(l.success_curve.y[19], 1 / (1 + DBL_EPSILON / 3)),
          "LaSOT toolkit replaces a w <= 0 box by the previous one");
    CHECK(near(p.success_curve.y[10], 2.0 / 3), "paper keeps it (fails)");

    tcase_init(&t, 4);
    set(t.pred, 60, 60, 10, 10); /* frame 0 prediction far off */
    p = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, NULL);
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "OTB100", &t, NULL);
    l = run(METRICS_PROTOCOL_LASOT_TOOLKIT, "OTB100", &t, NULL);
    metrics_result tn = run(METRICS_PROTOCOL_TRACKINGNET, "TrackingNet", &t, NULL);
    metrics_result ao = run(METRICS_PROTOCOL_GOT10K_AO, "GOT10k", &t, NULL);
    CHECK(near(p.sr50, 0.75), "paper scores frame 0 as given");
    CHECK(near(g.sr50, 1.0) && fabs(l.sr50 - 1) < 1e-15 && near(tn.sr50, 1.0),
          "got10k, LaSOT toolkit and TrackingNet replace frame 0 by the GT");
    CHECK(ao.frames == 3 && near(ao.sr50, 1.0), "GOT-10k leaves frame 0 out");
}

/* §1.8: the LaSOT toolkit's mean skips sequences whose curve is all zero; §4.8 float32 curves. */
static void test_averaging_and_float32(void) {
    tcase good, dead;
    tcase_init(&good, 3);
    tcase_init(&dead, 3);
    dead.use_vis = 1;
    dead.vis[0] = dead.vis[1] = dead.vis[2] = 0; /* absent throughout: every curve 0 */
    metrics_average l, p;
    metrics_average_init(&l, METRICS_PROTOCOL_LASOT_TOOLKIT);
    metrics_average_init(&p, METRICS_PROTOCOL_PAPER);
    add_run(&l, METRICS_PROTOCOL_LASOT_TOOLKIT, "LaSOT", &good);
    add_run(&l, METRICS_PROTOCOL_LASOT_TOOLKIT, "LaSOT", &dead);
    add_run(&p, METRICS_PROTOCOL_PAPER, "LaSOT", &good);
    add_run(&p, METRICS_PROTOCOL_PAPER, "LaSOT", &dead);
    metrics_result rl, rp;
    metrics_average_finish(&l, &rl);
    metrics_average_finish(&p, &rp);
    CHECK(fabs(rl.sr50 - 1.0) < 1e-15 && near(rp.sr50, 0.5),
          "all-zero sequence: skipped by the LaSOT toolkit (%.3f), kept by paper (%.3f)", rl.sr50,
          rp.sr50);

    tcase t;
    tcase_init(&t, 3);
    set(t.pred + 4, 60, 60, 10, 10);
    set(t.pred + 8, 60, 60, 10, 10);
    metrics_result a = run(METRICS_PROTOCOL_PAPER, "OTB100", &t, NULL);
    metrics_result g = run(METRICS_PROTOCOL_GOT10K, "OTB100", &t, NULL);
    CHECK(a.success_curve.y[10] == (double)(float)(1.0 / 3) && a.success_curve.y[10] != 1.0 / 3,
          "paper curves are float32");
    CHECK(g.success_curve.y[10] == 1.0 / 3, "got10k curves are float64");
}

static void test_errors(void) {
    tcase t;
    tcase_init(&t, 3);
    metrics_sequence ms = {.n = 3, .gt = t.gt, .pred = t.pred};
    metrics_result r;
    lorat_error err = {0};
    CHECK(metrics_evaluate(METRICS_PROTOCOL_GOT10K_AO, NULL, &ms, &r, NULL, &err) ==
                  LORAT_STATUS_BAD_INPUT &&
              strstr(err.message, "resolution"),
          "got10k_ao without the image size: %s", err.message);
    metrics_protocol p;
    CHECK(metrics_protocol_parse("lasot_toolkit", &p, &err) == 0 &&
              p == METRICS_PROTOCOL_LASOT_TOOLKIT,
          "parse lasot_toolkit");
    CHECK(metrics_protocol_parse("otb", &p, &err) != 0 && strstr(err.message, "paper"),
          "unknown protocol named: %s", err.message);
}

int main(void) {
    test_official_parity();
    test_thresholds();
    test_iou_forms();
    test_strict_and_trapezoid();
    test_trackingnet_rounding();
    test_norm_precision();
    test_got10k_ao();
    test_got10k_experiment();
    test_absent_frames();
    test_predictions_and_first_frame();
    test_averaging_and_float32();
    test_errors();
    return test_finish();
}
