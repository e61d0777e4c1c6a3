/*
 * metrics.c — see metrics.h. Each protocol is one per-frame loop written after the toolkit's
 * own arithmetic (operation order, NaN handling, threshold construction), since ties at the
 * thresholds are common with integer boxes and decide the last digits of a score.
 */
#include "eval/metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *protocol_names[] = {"paper", "got10k", "lasot_toolkit", "got10k_ao",
                                       "trackingnet"};

const char *metrics_protocol_name(metrics_protocol p) {
    return (unsigned)p < 5 ? protocol_names[p] : "unknown";
}

lorat_status metrics_protocol_parse(const char *name, metrics_protocol *p, lorat_error *err) {
    for (int i = 0; i < 5; i++)
        if (!strcasecmp(name, protocol_names[i])) {
            *p = (metrics_protocol)i;
            return LORAT_STATUS_OK;
        }
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "unknown protocol '%s' (paper, got10k, lasot_toolkit, got10k_ao, trackingnet)",
                   name);
}

metrics_protocol metrics_protocol_for(metrics_protocol p, const char *official_name) {
    if (p == METRICS_PROTOCOL_GOT10K &&
        (!strcmp(official_name, "GOT10k") || !strcmp(official_name, "custom")))
        return METRICS_PROTOCOL_GOT10K_AO;
    return p;
}

metrics_rules metrics_rules_for(const char *name) {
    metrics_rules r = {0};
    if (!strcmp(name, "LaSOT") || !strcmp(name, "VastTrack")) {
        r.one_based = r.use_visibility = r.invisible_inf = 1;
    } else if (!strcmp(name, "LaSOT_Extension")) {
        r.use_visibility = 1;
    } else if (!strncmp(name, "UAV", 3)) {
        r.invalid_err_neg = 1;
    }
    return r;
}

/* ---- thresholds -------------------------------------------------------------------------- */

/* numpy.linspace(0, stop, n): i·(stop/(n−1)), the last one exactly stop. */
static void linspace(double *x, double stop, int n) {
    double step = stop / (n - 1);
    for (int i = 0; i < n - 1; i++) x[i] = i * step;
    x[n - 1] = stop;
}

/* MATLAB's a:d:b: the lower half counted up from a, the upper half down from b, the middle
 * (a+b)/2 when the count is even (MathWorks' colonop). */
static void matlab_colon(double *x, double a, double d, double b, int count) {
    int n = count - 1;
    for (int k = 0; k <= n / 2; k++) x[k] = a + k * d;
    for (int k = 0; k < n - n / 2; k++) x[n - k] = b - k * d;
    if (n % 2 == 0) x[n / 2] = (a + b) / 2;
}

int metrics_thresholds(metrics_protocol p, metrics_curve_kind kind, double *x) {
    switch (kind) {
    case METRICS_CURVE_SUCCESS:
        if (p == METRICS_PROTOCOL_GOT10K_AO) {
            linspace(x, 1.0, 101);
            return 101;
        }
        if (p == METRICS_PROTOCOL_LASOT_TOOLKIT)
            matlab_colon(x, 0.0, 0.05, 1.0, 21);
        else
            linspace(x, 1.0, 21);
        return 21;
    case METRICS_CURVE_PRECISION:
        if (p == METRICS_PROTOCOL_TRACKINGNET) {
            linspace(x, 50.0, 21);
            return 21;
        }
        for (int j = 0; j <= 50; j++) x[j] = j;
        return 51;
    case METRICS_CURVE_NORM_PRECISION:
        if (p == METRICS_PROTOCOL_TRACKINGNET) {
            linspace(x, 0.5, 21);
            return 21;
        }
        if (p == METRICS_PROTOCOL_GOT10K || p == METRICS_PROTOCOL_GOT10K_AO) {
            linspace(x, 0.5, 51);
        } else {
            for (int j = 0; j <= 50; j++) x[j] = j / 100.0; /* np.arange(51) / 100, (0:50)/100 */
        }
        return 51;
    }
    return 0;
}

/* ---- arithmetic as numpy does it --------------------------------------------------------- */

/* numpy's pairwise summation (up to its 128-element block, which covers every curve here). */
static float sum_f32(const float *a, int n) {
    float res;
    int i;
    if (n < 8) {
        res = -0.0f;
        for (i = 0; i < n; i++) res += a[i];
        return res;
    }
    float r[8];
    for (int j = 0; j < 8; j++) r[j] = a[j];
    for (i = 8; i < n - (n % 8); i += 8)
        for (int j = 0; j < 8; j++) r[j] += a[i + j];
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[i];
    return res;
}

static double sum_f64(const double *a, int n) {
    double res;
    int i;
    if (n < 8) {
        res = -0.0;
        for (i = 0; i < n; i++) res += a[i];
        return res;
    }
    double r[8];
    for (int j = 0; j < 8; j++) r[j] = a[j];
    for (i = 8; i < n - (n % 8); i += 8)
        for (int j = 0; j < 8; j++) r[j] += a[i + j];
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[i];
    return res;
}

static double mean_f64(const double *a, int n) {
    return sum_f64(a, n) / n;
}

/* numpy.trapz(y, x=linspace(0, 1, n)). */
static double trapz01(const double *y, int n) {
    double x[METRICS_MAX_POINTS], t[METRICS_MAX_POINTS];
    linspace(x, 1.0, n);
    for (int i = 0; i < n - 1; i++) t[i] = (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
    return sum_f64(t, n - 1);
}

/* numpy.maximum / minimum propagate NaN (C's fmax / fmin drop it). */
static double np_max(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}
static double np_min(double a, double b) {
    return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
}
/* x.clip(min=0) keeps NaN */
static double clip0(double a) {
    return a < 0 ? 0 : a;
}

/* xyxy (internal) -> xywh in the file's coordinates, as LoRAT's compatibility helper + xyxy2xywh. */
static void to_xywh(double *o, const double *b, double shift) {
    double x1 = b[0] + shift, y1 = b[1] + shift, x2 = b[2] + shift, y2 = b[3] + shift;
    o[0] = x1;
    o[1] = y1;
    o[2] = x2 - x1;
    o[3] = y2 - y1;
}

/* The got10k toolkit's rect_iou: continuous intersection, eps in the union, clipped to 0..1. */
static double iou_got10k(const double *a, const double *b) {
    double x1 = np_max(a[0], b[0]), y1 = np_max(a[1], b[1]);
    double x2 = np_min(a[0] + a[2], b[0] + b[2]), y2 = np_min(a[1] + a[3], b[1] + b[3]);
    double w = np_max(x2 - x1, 0), h = np_max(y2 - y1, 0);
    double inter = w * h;
    double uni = a[2] * a[3] + b[2] * b[3] - inter;
    double iou = inter / (uni + DBL_EPSILON);
    return isnan(iou) ? iou : iou < 0 ? 0 : iou > 1 ? 1 : iou;
}

/* The got10k toolkit's center_error and normalized_center_error (b is the GT). */
static void errors_got10k(const double *a, const double *b, double *err, double *nerr) {
    double dx = (a[0] + (a[2] - 1) / 2) - (b[0] + (b[2] - 1) / 2);
    double dy = (a[1] + (a[3] - 1) / 2) - (b[1] + (b[3] - 1) / 2);
    *err = sqrt(pow(dx, 2) + pow(dy, 2));
    double nx = dx / np_max(1.0, b[2]), ny = dy / np_max(1.0, b[3]);
    *nerr = sqrt(pow(nx, 2) + pow(ny, 2));
}

/* ---- per-run scoring --------------------------------------------------------------------- */

/* Threshold counts of one run (or of a pool). */
typedef struct counts {
    long s[METRICS_MAX_POINTS], p[METRICS_MAX_POINTS], np[METRICS_MAX_POINTS];
} counts;

typedef struct thresholds {
    int ns, np, nn;
    double s[METRICS_MAX_POINTS], p[METRICS_MAX_POINTS], n[METRICS_MAX_POINTS];
} thresholds;

static void thresholds_init(thresholds *t, metrics_protocol p) {
    t->ns = metrics_thresholds(p, METRICS_CURVE_SUCCESS, t->s);
    t->np = metrics_thresholds(p, METRICS_CURVE_PRECISION, t->p);
    t->nn = metrics_thresholds(p, METRICS_CURVE_NORM_PRECISION, t->n);
}

/* Adds one frame: IoU compared with `>` (or `>=` when ge), errors with `<=`. */
static void count_frame(counts *c, const thresholds *t, double iou, double err, double nerr,
                        int ge) {
    for (int i = 0; i < t->ns; i++) c->s[i] += ge ? iou >= t->s[i] : iou > t->s[i];
    for (int i = 0; i < t->np; i++) c->p[i] += err <= t->p[i];
    for (int i = 0; i < t->nn; i++) c->np[i] += nerr <= t->n[i];
}

static void curves_from_counts(metrics_result *r, const counts *c, const thresholds *t,
                               double denom, int as_f32) {
    r->success_curve.n = t->ns;
    r->precision_curve.n = t->np;
    r->norm_precision_curve.n = t->nn;
    for (int i = 0; i < t->ns; i++) {
        double v = c->s[i] / denom;
        r->success_curve.y[i] = as_f32 ? (double)(float)v : v;
    }
    for (int i = 0; i < t->np; i++) {
        double v = c->p[i] / denom;
        r->precision_curve.y[i] = as_f32 ? (double)(float)v : v;
    }
    for (int i = 0; i < t->nn; i++) {
        double v = c->np[i] / denom;
        r->norm_precision_curve.y[i] = as_f32 ? (double)(float)v : v;
    }
}

/* The read-outs of a protocol from its curves (double arithmetic). */
static void readouts(metrics_protocol p, metrics_result *r) {
    const metrics_curve *s = &r->success_curve, *pc = &r->precision_curve,
                        *nc = &r->norm_precision_curve;
    r->ao = NAN;
    switch (p) {
    case METRICS_PROTOCOL_PAPER:
    case METRICS_PROTOCOL_LASOT_TOOLKIT:
    case METRICS_PROTOCOL_GOT10K:
        r->success_auc = mean_f64(s->y, s->n);
        r->precision = pc->y[20];
        r->norm_precision = p == METRICS_PROTOCOL_GOT10K ? mean_f64(nc->y, nc->n) : nc->y[20];
        r->sr50 = s->y[10];
        r->sr75 = s->y[15];
        break;
    case METRICS_PROTOCOL_TRACKINGNET:
        r->success_auc = trapz01(s->y, s->n);
        r->precision = trapz01(pc->y, pc->n);
        r->norm_precision = trapz01(nc->y, nc->n);
        r->sr50 = s->y[10];
        r->sr75 = s->y[15];
        break;
    case METRICS_PROTOCOL_GOT10K_AO: {
        const metrics_pool *q = &r->pool;
        double f = (double)q->frames;
        for (int i = 0; i < s->n; i++) r->success_curve.y[i] = q->success[i] / f;
        for (int i = 0; i < pc->n; i++) r->precision_curve.y[i] = q->precision[i] / f;
        for (int i = 0; i < nc->n; i++) r->norm_precision_curve.y[i] = q->norm_precision[i] / f;
        r->ao = q->iou_sum / f;
        r->sr50 = q->above50 / f;
        r->sr75 = q->above75 / f;
        r->success_auc = mean_f64(s->y, s->n);
        r->precision = pc->y[20];
        r->norm_precision = nc->y[20];
        break;
    }
    }
}

static void run_paper(const metrics_rules *ru, const metrics_sequence *sq, const double *pred,
                      const thresholds *t, metrics_result *r, double *frame_iou) {
    counts c;
    memset(&c, 0, sizeof c);
    double shift = ru->one_based ? 1.0 : 0.0;
    for (int i = 0; i < sq->n; i++) {
        double g[4], p[4];
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        to_xywh(p, pred + 4 * (size_t)i, shift);
        int vis = sq->visible ? sq->visible[i] != 0 : 1;
        int valid = g[2] > 0.0 && g[3] > 0.0;
        if (ru->use_visibility) valid = valid && vis;
        /* pytracking's calc_iou_overlap */
        double tlx = np_max(p[0], g[0]), tly = np_max(p[1], g[1]);
        double brx = np_min(p[0] + p[2] - 1.0, g[0] + g[2] - 1.0);
        double bry = np_min(p[1] + p[3] - 1.0, g[1] + g[3] - 1.0);
        double inter = clip0(brx - tlx + 1.0) * clip0(bry - tly + 1.0);
        double iou = inter / (p[2] * p[3] + g[2] * g[3] - inter);
        /* calc_err_center, plain and normalised by the GT size */
        double pcx = p[0] + 0.5 * (p[2] - 1.0), pcy = p[1] + 0.5 * (p[3] - 1.0);
        double gcx = g[0] + 0.5 * (g[2] - 1.0), gcy = g[1] + 0.5 * (g[3] - 1.0);
        double dx = pcx - gcx, dy = pcy - gcy;
        double err = sqrt(dx * dx + dy * dy);
        double ndx = pcx / g[2] - gcx / g[2], ndy = pcy / g[3] - gcy / g[3];
        double nerr = sqrt(ndx * ndx + ndy * ndy);
        if (!valid) {
            err = ru->invalid_err_neg ? -1.0 : INFINITY;
            nerr = -1.0;
            iou = -1.0;
        }
        if (ru->invisible_inf && !vis) err = nerr = INFINITY;
        if (frame_iou) frame_iou[i] = iou;
        count_frame(&c, t, iou, err, nerr, 0);
    }
    curves_from_counts(r, &c, t, (double)sq->n, 1);
    r->frames = sq->n;
}

static void run_got10k(const metrics_rules *ru, const metrics_sequence *sq, const double *pred,
                       const thresholds *t, metrics_result *r, double *frame_iou) {
    counts c;
    memset(&c, 0, sizeof c);
    double shift = ru->one_based ? 1.0 : 0.0;
    long m = 0;
    for (int i = 0; i < sq->n; i++) {
        double g[4], p[4];
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        if (i == 0)
            memcpy(p, g, sizeof p); /* boxes[0] = anno[0] */
        else
            to_xywh(p, pred + 4 * (size_t)i, shift);
        if (isnan(g[0]) || isnan(g[1]) || isnan(g[2]) || isnan(g[3])) {
            if (frame_iou) frame_iou[i] = NAN;
            continue; /* ExperimentLaSOT drops GT rows with a NaN */
        }
        double iou = iou_got10k(p, g), err, nerr;
        errors_got10k(p, g, &err, &nerr);
        if (frame_iou) frame_iou[i] = iou;
        count_frame(&c, t, iou, err, nerr, 0);
        m++;
    }
    curves_from_counts(r, &c, t, (double)m, 0);
    r->frames = m;
}

/* MATLAB's max / min ignore NaN, like fmax / fmin. */
static void run_lasot_toolkit(const metrics_rules *ru, const metrics_sequence *sq,
                              const double *pred, const thresholds *t, metrics_result *r,
                              double *frame_iou, double *work) {
    counts c;
    memset(&c, 0, sizeof c);
    double shift = ru->one_based ? 1.0 : 0.0;
    double *res = work; /* (n, 4) repaired predictions, xywh */
    for (int i = 0; i < sq->n; i++) to_xywh(res + 4 * (size_t)i, pred + 4 * (size_t)i, shift);
    for (int i = 1; i < sq->n; i++) {
        double *q = res + 4 * (size_t)i, g[4];
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        int bad = isnan(q[0]) || isnan(q[1]) || isnan(q[2]) || isnan(q[3]) || q[2] <= 0 ||
                  q[3] <= 0;
        int gt_ok = !isnan(g[0]) && !isnan(g[1]) && !isnan(g[2]) && !isnan(g[3]);
        if (bad && gt_ok) memcpy(q, q - 4, 4 * sizeof *q);
    }
    to_xywh(res, sq->gt, shift); /* rect_mat(1,:) = rect_anno(1,:) */
    for (int i = 0; i < sq->n; i++) {
        if (sq->visible && !sq->visible[i]) { /* absent: removed, still in len_all */
            if (frame_iou) frame_iou[i] = NAN;
            continue;
        }
        double g[4];
        const double *p = res + 4 * (size_t)i;
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        double iou = -1, err = -1, nerr = -1;
        if (g[0] > 0 && g[1] > 0 && g[2] > 0 && g[3] > 0) {
            double ra = p[0] + p[2] - 1, ta = p[1] + p[3] - 1;
            double rb = g[0] + g[2] - 1, tb = g[1] + g[3] - 1;
            double inter = fmax(0, fmin(ra, rb) - fmax(p[0], g[0]) + 1) *
                           fmax(0, fmin(ta, tb) - fmax(p[1], g[1]) + 1);
            iou = inter / (p[2] * p[3] + g[2] * g[3] - inter);
            double cx = p[0] + (p[2] - 1) / 2, cy = p[1] + (p[3] - 1) / 2;
            double gx = g[0] + (g[2] - 1) / 2, gy = g[1] + (g[3] - 1) / 2;
            err = sqrt((cx - gx) * (cx - gx) + (cy - gy) * (cy - gy));
            double ncx = cx / g[2], ncy = cy / g[3], ngx = gx / g[2], ngy = gy / g[3];
            nerr = sqrt((ncx - ngx) * (ncx - ngx) + (ncy - ngy) * (ncy - ngy));
        }
        if (frame_iou) frame_iou[i] = iou;
        count_frame(&c, t, iou, err, nerr, 0);
    }
    curves_from_counts(r, &c, t, sq->n + DBL_EPSILON, 0);
    r->frames = sq->n;
}

static void clip_to_image(double *b, double w, double h) {
    /* np.clip(a, lo, hi) = min(max(a, lo), hi) */
    b[0] = np_min(np_max(b[0], 0), w);
    b[1] = np_min(np_max(b[1], 0), h);
    b[2] = np_min(np_max(b[2], 0), w - b[0]);
    b[3] = np_min(np_max(b[3], 0), h - b[1]);
}

static void run_got10k_ao(const metrics_rules *ru, const metrics_sequence *sq, const double *pred,
                          const thresholds *t, metrics_pool *q, double *frame_iou) {
    double shift = ru->one_based ? 1.0 : 0.0;
    if (frame_iou) frame_iou[0] = NAN;
    for (int i = 1; i < sq->n; i++) {
        int keep = sq->cover ? sq->cover[i] > 0 : sq->visible ? sq->visible[i] != 0 : 1;
        if (!keep) {
            if (frame_iou) frame_iou[i] = NAN;
            continue;
        }
        double g[4], p[4];
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        to_xywh(p, pred + 4 * (size_t)i, shift);
        clip_to_image(p, sq->width, sq->height);
        clip_to_image(g, sq->width, sq->height);
        double iou = iou_got10k(p, g), err, nerr;
        errors_got10k(p, g, &err, &nerr);
        if (frame_iou) frame_iou[i] = iou;
        q->frames++;
        q->iou_sum += iou;
        q->above50 += iou > 0.5;
        q->above75 += iou > 0.75;
        for (int k = 0; k < t->ns; k++) q->success[k] += iou > t->s[k];
        for (int k = 0; k < t->np; k++) q->precision[k] += err <= t->p[k];
        for (int k = 0; k < t->nn; k++) q->norm_precision[k] += nerr <= t->n[k];
    }
}

static void run_trackingnet(const metrics_rules *ru, const metrics_sequence *sq,
                            const double *pred, const thresholds *t, metrics_result *r,
                            double *frame_iou) {
    counts c;
    memset(&c, 0, sizeof c);
    double shift = ru->one_based ? 1.0 : 0.0;
    for (int i = 0; i < sq->n; i++) {
        double g[4], p[4];
        to_xywh(g, sq->gt + 4 * (size_t)i, shift);
        to_xywh(p, pred + 4 * (size_t)i, shift);
        for (int k = 0; k < 4; k++) {
            g[k] = rint(g[k]); /* np.round: half to even */
            p[k] = rint(p[k]);
        }
        if (i == 0) memcpy(p, g, sizeof p);
        double gx2 = g[0] + g[2] - 1.0, gy2 = g[1] + g[3] - 1.0;
        double px2 = p[0] + p[2] - 1.0, py2 = p[1] + p[3] - 1.0;
        double gcx = g[0] + (g[2] + 1.0) / 2.0, gcy = g[1] + (g[3] + 1.0) / 2.0;
        double pcx = p[0] + (p[2] + 1.0) / 2.0, pcy = p[1] + (p[3] + 1.0) / 2.0;
        /* pandas' row max / min skip NaN; clip(lower=0) keeps it */
        double iw = clip0(rint(fmin(gx2, px2) - fmax(g[0], p[0]) + 1));
        double ih = clip0(rint(fmin(gy2, py2) - fmax(g[1], p[1]) + 1));
        double inter = iw * ih;
        double iou = inter / (g[3] * g[2] + p[3] * p[2] - inter);
        double dx = gcx - pcx, dy = gcy - pcy;
        double dist = sqrt(dx * dx + dy * dy);
        double ndist = sqrt(dx / g[2] * dx / g[2] + dy / g[3] * dy / g[3]);
        if (frame_iou) frame_iou[i] = iou;
        count_frame(&c, t, iou, dist, ndist, 1);
    }
    curves_from_counts(r, &c, t, (double)sq->n, 0);
    r->frames = sq->n;
}

lorat_status metrics_evaluate(metrics_protocol p, const metrics_rules *rules,
                              const metrics_sequence *sq, metrics_result *out, double *frame_iou,
                              lorat_error *err) {
    static const metrics_rules none = {0};
    if (!rules) rules = &none;
    memset(out, 0, sizeof *out);
    int runs = sq->runs > 0 ? sq->runs : 1;
    if (sq->n < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "a sequence needs at least one frame");
    if (p == METRICS_PROTOCOL_GOT10K_AO && (sq->width <= 0 || sq->height <= 0))
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the got10k toolkit's GOT-10k experiment (protocol got10k on GOT-10k, or "
                       "got10k_ao) clips boxes to the image and needs its size (meta_info.ini's "
                       "resolution), which this sequence lacks");
    if ((unsigned)p > METRICS_PROTOCOL_TRACKINGNET)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown protocol %d", (int)p);
    thresholds t;
    thresholds_init(&t, p);
    double *work = NULL;
    if (p == METRICS_PROTOCOL_LASOT_TOOLKIT &&
        !(work = malloc(sizeof(double) * 4 * (size_t)sq->n)))
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    metrics_result run;
    memset(&run, 0, sizeof run);
    double sum[3][METRICS_MAX_POINTS] = {{0}};
    for (int k = 0; k < runs; k++) {
        const double *pred = sq->pred + 4 * (size_t)sq->n * (size_t)k;
        double *fi = frame_iou ? frame_iou + (size_t)sq->n * (size_t)k : NULL;
        memset(&run, 0, sizeof run);
        switch (p) {
        case METRICS_PROTOCOL_PAPER: run_paper(rules, sq, pred, &t, &run, fi); break;
        case METRICS_PROTOCOL_GOT10K: run_got10k(rules, sq, pred, &t, &run, fi); break;
        case METRICS_PROTOCOL_LASOT_TOOLKIT:
            run_lasot_toolkit(rules, sq, pred, &t, &run, fi, work);
            break;
        case METRICS_PROTOCOL_TRACKINGNET: run_trackingnet(rules, sq, pred, &t, &run, fi); break;
        case METRICS_PROTOCOL_GOT10K_AO: run_got10k_ao(rules, sq, pred, &t, &out->pool, fi); break;
        }
        if (p == METRICS_PROTOCOL_GOT10K_AO) continue;
        out->frames += run.frames;
        for (int i = 0; i < t.ns; i++) sum[0][i] += run.success_curve.y[i];
        for (int i = 0; i < t.np; i++) sum[1][i] += run.precision_curve.y[i];
        for (int i = 0; i < t.nn; i++) sum[2][i] += run.norm_precision_curve.y[i];
    }
    free(work);
    out->success_curve.n = t.ns;
    out->precision_curve.n = t.np;
    out->norm_precision_curve.n = t.nn;
    if (p == METRICS_PROTOCOL_GOT10K_AO) {
        out->frames = out->pool.frames;
        readouts(p, out);
        return LORAT_STATUS_OK;
    }
    if (runs == 1) {
        out->success_curve = run.success_curve;
        out->precision_curve = run.precision_curve;
        out->norm_precision_curve = run.norm_precision_curve;
    } else {
        for (int i = 0; i < t.ns; i++) out->success_curve.y[i] = sum[0][i] / runs;
        for (int i = 0; i < t.np; i++) out->precision_curve.y[i] = sum[1][i] / runs;
        for (int i = 0; i < t.nn; i++) out->norm_precision_curve.y[i] = sum[2][i] / runs;
    }
    readouts(p, out);
    if (p == METRICS_PROTOCOL_PAPER && runs == 1) {
        /* OPEMetrics.success_score: numpy's float32 mean of the float32 curve */
        float c[METRICS_MAX_POINTS];
        for (int i = 0; i < t.ns; i++) c[i] = (float)out->success_curve.y[i];
        out->success_auc = (double)(float)((double)sum_f32(c, t.ns) / t.ns);
    }
    if (p == METRICS_PROTOCOL_LASOT_TOOLKIT) { /* MATLAB's mean adds from the left */
        double s = 0;
        for (int i = 0; i < t.ns; i++) s += out->success_curve.y[i];
        out->success_auc = s / t.ns;
    }
    return LORAT_STATUS_OK;
}

/* ---- averages ---------------------------------------------------------------------------- */

void metrics_average_init(metrics_average *a, metrics_protocol p) {
    memset(a, 0, sizeof *a);
    a->protocol = p;
}

void metrics_average_add(metrics_average *a, const metrics_result *r) {
    a->sequences++;
    a->frames += r->frames;
    if (a->protocol == METRICS_PROTOCOL_GOT10K_AO) {
        metrics_pool *q = &a->pool;
        q->frames += r->pool.frames;
        q->iou_sum += r->pool.iou_sum;
        q->above50 += r->pool.above50;
        q->above75 += r->pool.above75;
        for (int i = 0; i < METRICS_MAX_POINTS; i++) {
            q->success[i] += r->pool.success[i];
            q->precision[i] += r->pool.precision[i];
            q->norm_precision[i] += r->pool.norm_precision[i];
        }
        return;
    }
    const metrics_curve *c[3] = {&r->success_curve, &r->precision_curve, &r->norm_precision_curve};
    for (int k = 0; k < 3; k++) {
        if (a->protocol == METRICS_PROTOCOL_LASOT_TOOLKIT) {
            /* plot_draw_save.m: aa = aa(sum(aa,2) > eps, :) */
            double s = 0;
            for (int i = 0; i < c[k]->n; i++) s += c[k]->y[i];
            if (!(s > DBL_EPSILON)) continue;
        }
        a->kept[k]++;
        for (int i = 0; i < c[k]->n; i++) a->sum[k][i] += c[k]->y[i];
    }
}

void metrics_average_finish(const metrics_average *a, metrics_result *out) {
    thresholds t;
    memset(out, 0, sizeof *out);
    thresholds_init(&t, a->protocol);
    out->success_curve.n = t.ns;
    out->precision_curve.n = t.np;
    out->norm_precision_curve.n = t.nn;
    if (a->protocol == METRICS_PROTOCOL_GOT10K_AO) {
        out->pool = a->pool;
        out->frames = a->pool.frames;
        readouts(a->protocol, out);
        return;
    }
    out->frames = a->frames;
    metrics_curve *c[3] = {&out->success_curve, &out->precision_curve, &out->norm_precision_curve};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < c[k]->n; i++)
            c[k]->y[i] = a->kept[k] ? a->sum[k][i] / a->kept[k] : NAN;
    readouts(a->protocol, out);
    if (a->protocol == METRICS_PROTOCOL_LASOT_TOOLKIT) {
        double s = 0;
        for (int i = 0; i < t.ns; i++) s += out->success_curve.y[i];
        out->success_auc = s / t.ns;
    }
}
