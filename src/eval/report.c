/*
 * report.c — see report.h. Reads the overall scores and curves of `lorat eval --json`, ranks
 * trackers, draws the three OPE plots with cairo (one drawing function for PNG and SVG) and
 * writes the table. It does not recompute any score from the curves: the numbers shown are the
 * evaluation's own, so the report cannot disagree with `lorat eval`.
 */
#include "eval/report.h"

#include <cairo-svg.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading ------------------------------------------------------------------------------ */

static const char *json_type_name(const cJSON *item) {
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "not a JSON value";
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): cairo draws
 * nothing of a string that is not, and JSON must not carry one. */
static int utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xe0) == 0xc0 ? 1
                : (*s & 0xf0) == 0xe0 ? 2
                : (*s & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0) return 0;
        unsigned cp = n == 0 ? *s : *s & (0x3fu >> n);
        for (int k = 1; k <= n; k++) {
            if ((s[k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[k] & 0x3fu);
        }
        static const unsigned min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        s += n + 1;
    }
    return 1;
}

/* Characters, not bytes, so that names like "SiamRPN++ (é)" keep the table's columns straight. */
static int utf8_width(const char *s) {
    int w = 0;
    for (; *s; s++)
        w += (*s & 0xc0) != 0x80;
    return w;
}

/* Scores are fractions; a little slack for values written as float32. */
static int is_fraction(double v) {
    return v >= -1e-6 && v <= 1 + 1e-6;
}

/* overall.<key>: a number in 0..1. Optional keys that are missing or null give NAN. */
static lorat_status read_score(const cJSON *overall, const char *key, int optional, double *out,
                               const char *source, lorat_error *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(overall, key);
    *out = NAN;
    if (!item || cJSON_IsNull(item)) {
        if (optional) return LORAT_STATUS_OK;
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall.%s\" is %s (is this the output of `lorat eval --json`?)",
                       source, key, item ? "null" : "missing");
    }
    if (!cJSON_IsNumber(item))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: key \"overall.%s\" must be a number, not %s",
                       source, key, json_type_name(item));
    if (!is_fraction(item->valuedouble))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall.%s\" is %g, outside 0..1 (scores are fractions, not "
                       "percentages)",
                       source, key, item->valuedouble);
    *out = item->valuedouble;
    return LORAT_STATUS_OK;
}

/* overall.<key>: an array of at least two numbers in 0..1. */
static lorat_status read_curve(const cJSON *overall, const char *key, report_curve *c,
                               const char *source, lorat_error *err) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(overall, key);
    c->y = NULL;
    c->n = 0;
    if (!arr)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall.%s\" is missing (is this the output of `lorat eval "
                       "--json`?)",
                       source, key);
    if (!cJSON_IsArray(arr))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall.%s\" must be an array of numbers, not %s", source, key,
                       json_type_name(arr));
    int n = cJSON_GetArraySize(arr);
    if (n < 2)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall.%s\" has %d value%s; a curve needs at least 2", source,
                       key, n, n == 1 ? "" : "s");
    c->y = malloc(sizeof(double) * (size_t)n);
    if (!c->y) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", source);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (!cJSON_IsNumber(v) || !is_fraction(v->valuedouble)) {
            lorat_status s = cJSON_IsNumber(v)
                                 ? err_set(err, LORAT_STATUS_FORMAT,
                                           "%s: \"overall.%s[%d]\" is %g, outside 0..1", source,
                                           key, i, v->valuedouble)
                                 : err_set(err, LORAT_STATUS_FORMAT,
                                           "%s: \"overall.%s[%d]\" must be a number, not %s",
                                           source, key, i, json_type_name(v));
            free(c->y);
            c->y = NULL;
            return s;
        }
        c->y[i++] = v->valuedouble;
    }
    c->n = n;
    return LORAT_STATUS_OK;
}

void report_tracker_free(report_tracker *t) {
    if (!t) return;
    free(t->name);
    free(t->source);
    free(t->dataset);
    free(t->protocol);
    free(t->success.y);
    free(t->precision_c.y);
    free(t->norm_precision_c.y);
    memset(t, 0, sizeof *t);
}

lorat_status report_tracker_from_json(report_tracker *t, const char *name, const cJSON *root,
                                      const char *source, lorat_error *err) {
    lorat_error local;
    if (!err) err = &local;
    memset(t, 0, sizeof *t);
    if (!utf8_valid(name))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "tracker name '%s' (for %s) is not valid UTF-8",
                       name, source);
    if (!cJSON_IsObject(root))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the top level must be an object (from `lorat eval --json`), not %s",
                       source, json_type_name(root));
    const cJSON *dataset = cJSON_GetObjectItemCaseSensitive(root, "dataset");
    if (!cJSON_IsString(dataset) || !dataset->valuestring[0])
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"dataset\" is %s; it must name the "
                       "dataset (\"lasot\", \"got10k\", ...)",
                       source,
                       !dataset                  ? "missing"
                       : cJSON_IsString(dataset) ? "empty"
                                                 : json_type_name(dataset));
    const cJSON *protocol = cJSON_GetObjectItemCaseSensitive(root, "protocol");
    if (protocol && !cJSON_IsString(protocol) && !cJSON_IsNull(protocol))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: key \"protocol\" must be a string, not %s",
                       source, json_type_name(protocol));
    const cJSON *overall = cJSON_GetObjectItemCaseSensitive(root, "overall");
    if (!cJSON_IsObject(overall))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: key \"overall\" is %s; it must be the object of overall scores that "
                       "`lorat eval --json` writes",
                       source, overall ? json_type_name(overall) : "missing");
    const cJSON *seqs = cJSON_GetObjectItemCaseSensitive(root, "sequences");

    t->name = strdup(name);
    t->source = strdup(source);
    t->dataset = strdup(dataset->valuestring);
    t->protocol = strdup(cJSON_IsString(protocol) ? protocol->valuestring : "");
    t->n_sequences = cJSON_IsObject(seqs) ? cJSON_GetArraySize(seqs) : -1;
    if (!t->name || !t->source || !t->dataset || !t->protocol) {
        report_tracker_free(t);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", source);
    }
    lorat_status s;
    if ((s = read_score(overall, "success_auc", 0, &t->success_auc, source, err)) ||
        (s = read_score(overall, "precision", 0, &t->precision, source, err)) ||
        (s = read_score(overall, "norm_precision", 0, &t->norm_precision, source, err)) ||
        (s = read_score(overall, "ao", 1, &t->ao, source, err)) ||
        (s = read_score(overall, "sr50", 1, &t->sr50, source, err)) ||
        (s = read_score(overall, "sr75", 1, &t->sr75, source, err)) ||
        (s = read_curve(overall, "success_curve", &t->success, source, err)) ||
        (s = read_curve(overall, "precision_curve", &t->precision_c, source, err)) ||
        (s = read_curve(overall, "norm_precision_curve", &t->norm_precision_c, source, err))) {
        report_tracker_free(t);
        return s;
    }
    return LORAT_STATUS_OK;
}

/* 1-based line and column of byte `at` in text, for a parse error that a person can find. */
static void text_position(const char *text, size_t at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at && text[i]; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

lorat_status report_tracker_load(report_tracker *t, const char *name, const char *path,
                                 lorat_error *err) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, LORAT_STATUS_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (;;) {
        if (!text) {
            fclose(f);
            return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        }
        len += fread(text + len, 1, cap - 1 - len, f);
        if (len < cap - 1) break;
        char *bigger = realloc(text, cap * 2);
        if (!bigger) free(text);
        text = bigger;
        cap *= 2;
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(text);
        return err_set(err, LORAT_STATUS_IO, "cannot read %s", path);
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        return err_set(err, LORAT_STATUS_FORMAT, "%s: not a JSON file (it contains a NUL byte)",
                       path);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line, col;
        text_position(text, end ? (size_t)(end - text) : len, &line, &col);
        free(text);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not valid JSON (error at line %d, column %d); expected the output of "
                       "`lorat eval --json`",
                       path, line, col);
    }
    free(text);
    lorat_status s = report_tracker_from_json(t, name, root, path, err);
    cJSON_Delete(root);
    return s;
}

lorat_status report_check_same_dataset(const report_tracker *t, int n, lorat_error *err) {
    for (int i = 1; i < n; i++)
        if (strcmp(t[i].dataset, t[0].dataset) != 0)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s is on dataset \"%s\" but %s is on dataset \"%s\": a report "
                           "compares trackers on one dataset",
                           t[i].source, t[i].dataset, t[0].source, t[0].dataset);
    return LORAT_STATUS_OK;
}

const char *report_dataset_display_name(const char *dataset) {
    static const char *names[][2] = {
        {"lasot", "LaSOT"},         {"lasot_ext", "LaSOT_ext"},       {"got10k", "GOT-10k"},
        {"otb", "OTB100"},          {"trackingnet", "TrackingNet"},   {"tnl2k", "TNL2K"},
        {"vasttrack", "VastTrack"}, {"synth", "synthetic sequences"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(dataset, names[i][0])) return names[i][1];
    return dataset;
}

/* ---- ranking ------------------------------------------------------------------------------ */

static double plot_score(const report_tracker *t, report_plot_kind kind) {
    switch (kind) {
    case REPORT_PLOT_SUCCESS:
        return t->success_auc;
    case REPORT_PLOT_PRECISION:
        return t->precision;
    case REPORT_PLOT_NORM_PRECISION:
        return t->norm_precision;
    }
    return 0;
}

/* order[0..n) = indices of t by score, best first; ties keep the order of t. */
static void rank_by(int *order, const report_tracker *t, int n, report_plot_kind kind) {
    for (int i = 0; i < n; i++) {
        int j = i;
        double s = plot_score(&t[i], kind);
        while (j > 0 && plot_score(&t[order[j - 1]], kind) < s) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

/* ---- drawing ------------------------------------------------------------------------------ */

/* Ten colours that stay apart on white and in grey print (the tab10 palette, red first, as
 * papers draw their own tracker), and four dash patterns in units of the line width. */
static const double palette[10][3] = {
    {0.839, 0.153, 0.157}, {0.122, 0.467, 0.706}, {0.173, 0.627, 0.173}, {1.000, 0.498, 0.055},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};
static const double dash_patterns[4][4] = {{0}, {3.0, 2.8}, {5.0, 3.0, 0.0, 3.0}, {0.0, 2.4}};
static const int dash_counts[4] = {0, 2, 4, 2};

static void set_style(cairo_t *cr, int style, double line_width) {
    const double *c = palette[style % 10];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, line_width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    int d = style % 4;
    double dashes[4];
    for (int i = 0; i < dash_counts[d]; i++)
        dashes[i] = dash_patterns[d][i] * line_width;
    cairo_set_dash(cr, dashes, dash_counts[d], 0);
}

/* A 1-unit line at x is sharp on a pixel grid when it runs along a pixel centre. */
static double snap(double x) {
    return floor(x) + 0.5;
}

typedef struct plot_axes {
    double x0, x1, y0, y1; /* plot area in device units: x0 left, y0 top */
    double x_max;          /* the x axis spans [0, x_max]; y spans [0, 1] */
} plot_axes;

static double ax_x(const plot_axes *a, double v) {
    return a->x0 + (a->x1 - a->x0) * v / a->x_max;
}
static double ax_y(const plot_axes *a, double v) {
    return a->y1 - (a->y1 - a->y0) * v;
}

typedef enum text_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } text_align;

/* Text whose baseline sits at y (or whose vertical middle does, with middle set). */
static void draw_text(cairo_t *cr, double x, double y, const char *s, text_align align,
                      int middle) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    double dx = align == ALIGN_LEFT ? 0 : align == ALIGN_CENTER ? e.x_advance / 2 : e.x_advance;
    double dy = middle ? e.y_bearing + e.height / 2 : 0;
    cairo_move_to(cr, x - dx, y - dy);
    cairo_show_text(cr, s);
}

static void set_font(cairo_t *cr, double size, int bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static void draw_axes(cairo_t *cr, const plot_axes *a, double x_step, const char *x_label,
                      const char *y_label) {
    int nx = (int)lround(a->x_max / x_step), ny = 10;
    char buf[32];
    /* grid: dotted, light, under everything */
    cairo_set_source_rgb(cr, 0.72, 0.72, 0.72);
    cairo_set_line_width(cr, 1);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    const double dots[2] = {1, 3};
    cairo_set_dash(cr, dots, 2, 0);
    for (int i = 1; i < nx; i++) {
        double x = snap(ax_x(a, i * x_step));
        cairo_move_to(cr, x, a->y0);
        cairo_line_to(cr, x, a->y1);
    }
    for (int i = 1; i < ny; i++) {
        double y = snap(ax_y(a, i / 10.0));
        cairo_move_to(cr, a->x0, y);
        cairo_line_to(cr, a->x1, y);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);

    /* box and outward ticks */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, snap(a->x0), snap(a->y0), snap(a->x1) - snap(a->x0),
                    snap(a->y1) - snap(a->y0));
    for (int i = 0; i <= nx; i++) {
        double x = snap(ax_x(a, i * x_step));
        cairo_move_to(cr, x, snap(a->y1));
        cairo_line_to(cr, x, snap(a->y1) + 5);
    }
    for (int i = 0; i <= ny; i++) {
        double y = snap(ax_y(a, i / 10.0));
        cairo_move_to(cr, snap(a->x0), y);
        cairo_line_to(cr, snap(a->x0) - 5, y);
    }
    cairo_stroke(cr);

    set_font(cr, 13, 0);
    for (int i = 0; i <= nx; i++) {
        snprintf(buf, sizeof buf, "%g", i * x_step);
        draw_text(cr, ax_x(a, i * x_step), a->y1 + 22, buf, ALIGN_CENTER, 0);
    }
    for (int i = 0; i <= ny; i++) {
        snprintf(buf, sizeof buf, "%g", i / 10.0);
        draw_text(cr, a->x0 - 9, ax_y(a, i / 10.0), buf, ALIGN_RIGHT, 1);
    }
    set_font(cr, 15, 0);
    draw_text(cr, (a->x0 + a->x1) / 2, a->y1 + 48, x_label, ALIGN_CENTER, 0);
    cairo_save(cr);
    cairo_translate(cr, a->x0 - 50, (a->y0 + a->y1) / 2);
    cairo_rotate(cr, -M_PI / 2);
    draw_text(cr, 0, 0, y_label, ALIGN_CENTER, 0);
    cairo_restore(cr);
}

static void draw_curve(cairo_t *cr, const plot_axes *a, const report_curve *c) {
    for (int i = 0; i < c->n; i++) {
        double x = ax_x(a, a->x_max * i / (c->n - 1)), y = ax_y(a, c->y[i]);
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
}

/* The legend box inside the plot area, lower left (left set) or lower right. */
static void draw_legend(cairo_t *cr, const plot_axes *a, int left, const report_tracker *t,
                        const int *order, const int *style, int n, report_plot_kind kind) {
    const double margin = 12, pad = 9, sample = 36, gap = 8, line_width = 2.5;
    double font = 13, row = 0, text_w = 0;
    char buf[320];
    /* shrink the font until the legend fits in the plot's height */
    for (;; font -= 0.5) {
        set_font(cr, font, 0);
        row = font * 1.45;
        if (n * row + 2 * pad <= (a->y1 - a->y0) - 2 * margin || font <= 6) break;
    }
    text_w = 0;
    for (int k = 0; k < n; k++) {
        const report_tracker *r = &t[order[k]];
        snprintf(buf, sizeof buf, "%s [%.3f]", r->name, plot_score(r, kind));
        cairo_text_extents_t e;
        cairo_text_extents(cr, buf, &e);
        if (e.x_advance > text_w) text_w = e.x_advance;
    }
    double w = pad + sample + gap + text_w + pad, h = n * row + 2 * pad;
    double bx = left ? a->x0 + margin : a->x1 - margin - w, by = a->y1 - margin - h;
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_rectangle(cr, snap(bx), snap(by), floor(w), floor(h));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.92);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (int k = 0; k < n; k++) {
        const report_tracker *r = &t[order[k]];
        double cy = by + pad + row * (k + 0.5);
        set_style(cr, style[order[k]], line_width);
        cairo_move_to(cr, bx + pad + line_width / 2, cy);
        cairo_line_to(cr, bx + pad + sample - line_width / 2, cy);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        snprintf(buf, sizeof buf, "%s [%.3f]", r->name, plot_score(r, kind));
        draw_text(cr, bx + pad + sample + gap, cy, buf, ALIGN_LEFT, 1);
    }
}

typedef struct plot_info {
    double x_max, x_step;
    const char *x_label, *y_label, *file, *title_fmt;
    int legend_left;
} plot_info;

static const plot_info plots[3] = {
    [REPORT_PLOT_SUCCESS] = {1.0, 0.1, "Overlap threshold", "Success rate", "success",
                             "Success plots of OPE on %s", 1},
    [REPORT_PLOT_PRECISION] = {50.0, 5.0, "Location error threshold (pixels)", "Precision",
                               "precision", "Precision plots of OPE on %s", 0},
    [REPORT_PLOT_NORM_PRECISION] = {0.5, 0.05, "Normalized location error threshold",
                                    "Normalized precision", "norm_precision",
                                    "Normalized Precision plots of OPE on %s", 0},
};

static const report_curve *plot_curve(const report_tracker *t, report_plot_kind kind) {
    return kind == REPORT_PLOT_SUCCESS     ? &t->success
           : kind == REPORT_PLOT_PRECISION ? &t->precision_c
                                           : &t->norm_precision_c;
}

void report_draw_plot(cairo_t *cr, double width, double height, report_plot_kind kind,
                      const report_tracker *t, int n, const char *title) {
    const plot_info *p = &plots[kind];
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    int *by_suc = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    int *style = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!order || !by_suc || !style) {
        free(order);
        free(by_suc);
        free(style);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        return;
    }
    /* style by success rank: a tracker looks the same in all three plots */
    rank_by(by_suc, t, n, REPORT_PLOT_SUCCESS);
    for (int k = 0; k < n; k++)
        style[by_suc[k]] = k;
    rank_by(order, t, n, kind);

    plot_axes a = {.x0 = 84, .x1 = width - 28, .y0 = 52, .y1 = height - 72, .x_max = p->x_max};
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);

    set_font(cr, 17, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_text(cr, (a.x0 + a.x1) / 2, a.y0 - 18, title, ALIGN_CENTER, 0);
    draw_axes(cr, &a, p->x_step, p->x_label, p->y_label);

    /* curves: worst first, so the best lies on top; clipped just outside the box so that a
     * curve along y = 1 or y = 0 stays whole */
    cairo_save(cr);
    cairo_rectangle(cr, a.x0 - 2, a.y0 - 2, a.x1 - a.x0 + 4, a.y1 - a.y0 + 4);
    cairo_clip(cr);
    for (int k = n - 1; k >= 0; k--) {
        set_style(cr, style[order[k]], 2.5);
        draw_curve(cr, &a, plot_curve(&t[order[k]], kind));
    }
    cairo_restore(cr);

    draw_legend(cr, &a, p->legend_left, t, order, style, n, kind);
    cairo_restore(cr);
    free(order);
    free(by_suc);
    free(style);
}

/* ---- table -------------------------------------------------------------------------------- */

enum { N_COLUMNS = 6 };
static const char *column_keys[N_COLUMNS] = {"success_auc", "norm_precision", "precision",
                                             "ao",          "sr50",           "sr75"};
static const char *column_heads[N_COLUMNS] = {"SUC", "P_norm", "P", "AO", "SR50", "SR75"};

static double column_value(const report_tracker *t, int c) {
    const double v[N_COLUMNS] = {t->success_auc, t->norm_precision, t->precision,
                                 t->ao,          t->sr50,           t->sr75};
    return v[c];
}

/* The table's numbers: 100·x printed with one decimal, read back, so text and JSON agree. */
typedef struct table {
    int n, *order;            /* order: by success AUC, best first */
    double (*pct)[N_COLUMNS]; /* per tracker (index in t); NAN: not available */
    int shown[N_COLUMNS];     /* the column has at least one value */
    double best[N_COLUMNS];
} table;

static void table_free(table *tb) {
    free(tb->order);
    free(tb->pct);
}

static int table_init(table *tb, const report_tracker *t, int n) {
    memset(tb, 0, sizeof *tb);
    tb->n = n;
    tb->order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    tb->pct = malloc(sizeof *tb->pct * (size_t)(n > 0 ? n : 1));
    if (!tb->order || !tb->pct) {
        table_free(tb);
        return 0;
    }
    rank_by(tb->order, t, n, REPORT_PLOT_SUCCESS);
    for (int c = 0; c < N_COLUMNS; c++)
        tb->best[c] = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < N_COLUMNS; c++) {
            double v = column_value(&t[i], c);
            if (isnan(v)) {
                tb->pct[i][c] = NAN;
                continue;
            }
            char buf[32];
            snprintf(buf, sizeof buf, "%.1f", 100 * v);
            tb->pct[i][c] = strtod(buf, NULL);
            tb->shown[c] = 1;
            if (tb->pct[i][c] > tb->best[c]) tb->best[c] = tb->pct[i][c];
        }
    return 1;
}

/* "LaSOT (protocol paper, 280 sequences)" */
static void table_heading(char *out, size_t size, const report_tracker *t, int n,
                          const char *title) {
    if (!title) title = n > 0 ? report_dataset_display_name(t[0].dataset) : "";
    int same_protocol = 1, same_count = 1;
    for (int i = 1; i < n; i++) {
        same_protocol &= !strcmp(t[i].protocol, t[0].protocol);
        same_count &= t[i].n_sequences == t[0].n_sequences;
    }
    char protocol[160] = "", count[64] = "";
    if (n > 0 && !same_protocol)
        snprintf(protocol, sizeof protocol, "protocols differ");
    else if (n > 0 && t[0].protocol[0])
        snprintf(protocol, sizeof protocol, "protocol %.120s", t[0].protocol);
    if (n > 0 && !same_count)
        snprintf(count, sizeof count, "sequence counts differ");
    else if (n > 0 && t[0].n_sequences >= 0)
        snprintf(count, sizeof count, "%d sequences", t[0].n_sequences);
    if (protocol[0] || count[0])
        snprintf(out, size, "%s (%s%s%s)", title, protocol, protocol[0] && count[0] ? ", " : "",
                 count);
    else
        snprintf(out, size, "%s", title);
}

/* A growing string; on out of memory it keeps failing quietly and report_table_text says NULL. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
    int oom;
} strbuf;

static void sb_add(strbuf *b, const char *fmt, ...) LORAT_PRINTF(2, 3);
static void sb_add(strbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* Drops the spaces before the end of the current line. */
static void sb_end_line(strbuf *b) {
    if (b->oom) return;
    while (b->len > 0 && b->s[b->len - 1] == ' ')
        b->len--;
    sb_add(b, "\n");
}

char *report_table_text(const report_tracker *t, int n, const char *title) {
    table tb;
    if (!table_init(&tb, t, n)) return NULL;
    char heading[512];
    table_heading(heading, sizeof heading, t, n, title);
    int name_w = 7;
    for (int i = 0; i < n; i++)
        if (utf8_width(t[i].name) > name_w) name_w = utf8_width(t[i].name);
    strbuf b = {0};
    sb_add(&b, "%s\n", heading);
    sb_add(&b, "%-*s", name_w, "Tracker");
    for (int c = 0; c < N_COLUMNS; c++)
        if (tb.shown[c]) sb_add(&b, "  %6s ", column_heads[c]);
    sb_end_line(&b);
    for (int i = 0; i < name_w; i++)
        sb_add(&b, "-");
    for (int c = 0; c < N_COLUMNS; c++)
        if (tb.shown[c]) sb_add(&b, "  ------ ");
    sb_end_line(&b);
    for (int k = 0; k < n; k++) {
        int i = tb.order[k];
        sb_add(&b, "%s%*s", t[i].name, name_w - utf8_width(t[i].name), "");
        for (int c = 0; c < N_COLUMNS; c++) {
            if (!tb.shown[c]) continue;
            double v = tb.pct[i][c];
            if (isnan(v))
                sb_add(&b, "  %6s ", "-");
            else
                sb_add(&b, "  %6.1f%c", v, v == tb.best[c] && n > 1 ? '*' : ' ');
        }
        sb_end_line(&b);
    }
    if (n > 1)
        sb_add(&b, "* best in its column; scores in percent\n");
    else
        sb_add(&b, "scores in percent\n");
    table_free(&tb);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

cJSON *report_table_json(const report_tracker *t, int n, const char *title) {
    table tb;
    if (!table_init(&tb, t, n)) return NULL;
    char heading[512];
    table_heading(heading, sizeof heading, t, n, title);
    if (!title) title = n > 0 ? report_dataset_display_name(t[0].dataset) : "";
    cJSON *root = cJSON_CreateObject(), *cols = NULL, *list = NULL, *best = NULL;
    int ok = root && cJSON_AddStringToObject(root, "title", title);
    ok = ok && cJSON_AddStringToObject(root, "heading", heading);
    ok = ok && cJSON_AddStringToObject(root, "dataset", n > 0 ? t[0].dataset : "");
    ok = ok && cJSON_AddStringToObject(root, "unit", "percent, one decimal");
    ok = ok && (cols = cJSON_AddArrayToObject(root, "columns"));
    ok = ok && (list = cJSON_AddArrayToObject(root, "trackers"));
    ok = ok && (best = cJSON_AddObjectToObject(root, "best"));
    for (int c = 0; ok && c < N_COLUMNS; c++)
        if (tb.shown[c]) ok = cJSON_AddItemToArray(cols, cJSON_CreateString(column_keys[c]));
    for (int k = 0; ok && k < n; k++) {
        int i = tb.order[k];
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToArray(list, e);
        if (e && !ok) cJSON_Delete(e);
        ok = ok && cJSON_AddNumberToObject(e, "rank", k + 1);
        ok = ok && cJSON_AddStringToObject(e, "name", t[i].name);
        ok = ok && cJSON_AddStringToObject(e, "file", t[i].source);
        ok = ok && cJSON_AddStringToObject(e, "protocol", t[i].protocol);
        ok =
            ok && (t[i].n_sequences >= 0 ? cJSON_AddNumberToObject(e, "sequences", t[i].n_sequences)
                                         : cJSON_AddNullToObject(e, "sequences"));
        for (int c = 0; ok && c < N_COLUMNS; c++)
            ok = isnan(tb.pct[i][c])
                     ? cJSON_AddNullToObject(e, column_keys[c]) != NULL
                     : cJSON_AddNumberToObject(e, column_keys[c], tb.pct[i][c]) != NULL;
    }
    for (int c = 0; ok && c < N_COLUMNS; c++) {
        if (!tb.shown[c]) continue;
        cJSON *names = cJSON_AddArrayToObject(best, column_keys[c]);
        ok = names != NULL;
        for (int k = 0; ok && k < n; k++)
            if (tb.pct[tb.order[k]][c] == tb.best[c])
                ok = cJSON_AddItemToArray(names, cJSON_CreateString(t[tb.order[k]].name));
    }
    table_free(&tb);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* ---- files -------------------------------------------------------------------------------- */

static lorat_status make_dirs(const char *dir, lorat_error *err) {
    char *p = strdup(dir);
    if (!p) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    for (char *s = p + 1;; s++) {
        int last = *s == '\0';
        if (*s != '/' && !last) continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            lorat_status st = err_set(err, LORAT_STATUS_IO, "cannot create output directory %s: %s",
                                      p, strerror(errno));
            free(p);
            return st;
        }
        if (last) break;
        *s = '/';
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return err_set(err, LORAT_STATUS_IO, "output directory %s: %s", dir,
                       stat(dir, &sb) != 0 ? strerror(errno) : "exists but is not a directory");
    return LORAT_STATUS_OK;
}

/* dir/name ← data, through a temporary in dir and a rename, so a reader never sees half. */
static lorat_status write_atomic(const char *dir, const char *name, const void *data, size_t len,
                                 lorat_error *err) {
    char path[4096], tmp[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid()) >=
            sizeof tmp)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "output directory name too long: %s", dir);
    const char *what = "create";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666), e = 0;
    if (fd < 0) {
        e = errno;
        goto fail;
    }
    what = "write";
    for (const char *p = data; len > 0;) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            e = w < 0 ? errno : EIO;
            goto fail;
        }
        p += w;
        len -= (size_t)w;
    }
    what = "fsync";
    if (fsync(fd) != 0 && errno != EINVAL) {
        e = errno;
        goto fail;
    }
    what = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        e = errno;
        goto fail;
    }
    what = "rename";
    if (rename(tmp, path) != 0) {
        e = errno;
        goto fail;
    }
    return LORAT_STATUS_OK;
fail:
    if (fd >= 0) close(fd);
    if (strcmp(what, "create") != 0) unlink(tmp);
    return err_set(err, LORAT_STATUS_IO, "cannot write %s (%s of temporary file %s failed: %s)",
                   path, what, tmp, strerror(e));
}

/* cairo's stream writers append here. */
typedef struct bytes {
    unsigned char *p;
    size_t len, cap;
} bytes;

static cairo_status_t bytes_write(void *closure, const unsigned char *data, unsigned int n) {
    bytes *b = closure;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) return CAIRO_STATUS_WRITE_ERROR;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return CAIRO_STATUS_SUCCESS;
}

static void xml_escape(strbuf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            sb_add(b, "&amp;");
            break;
        case '<':
            sb_add(b, "&lt;");
            break;
        case '>':
            sb_add(b, "&gt;");
            break;
        case '"':
            sb_add(b, "&quot;");
            break;
        default:
            sb_add(b, "%c", *s);
        }
    }
}

/* cairo draws SVG text as glyph outlines, so the words are not in the file. A <title> and a
 * <desc> with the legend put them back, for search, screen readers and tests. */
static lorat_status svg_with_text(strbuf *out, const bytes *svg, const char *title,
                                  const report_tracker *t, int n, report_plot_kind kind,
                                  lorat_error *err) {
    const char *s = (const char *)svg->p, *end = s + svg->len;
    const char *open = NULL;
    for (const char *p = s; p + 4 < end; p++)
        if (!memcmp(p, "<svg", 4)) {
            open = p;
            break;
        }
    const char *gt = open ? memchr(open, '>', (size_t)(end - open)) : NULL;
    if (!gt) return err_set(err, LORAT_STATUS_INTERNAL, "cairo wrote an SVG without an <svg> tag");
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!order) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    rank_by(order, t, n, kind);
    sb_add(out, "%.*s\n<title>", (int)(gt + 1 - s), s);
    xml_escape(out, title);
    sb_add(out, "</title>\n<desc>Legend, best first:");
    for (int k = 0; k < n; k++) {
        char score[32];
        snprintf(score, sizeof score, " [%.3f]", plot_score(&t[order[k]], kind));
        sb_add(out, "\n");
        xml_escape(out, t[order[k]].name);
        sb_add(out, "%s", score);
    }
    sb_add(out, "\n</desc>%.*s", (int)(end - gt - 1), gt + 1);
    free(order);
    if (out->oom) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    return LORAT_STATUS_OK;
}

enum { PLOT_WIDTH = 800, PLOT_HEIGHT = 600 };

static lorat_status write_plot(const char *dir, report_plot_kind kind, const report_tracker *t,
                               int n, const char *title, lorat_error *err) {
    const plot_info *p = &plots[kind];
    char line[600], name[64];
    snprintf(line, sizeof line, p->title_fmt, title);

    /* PNG */
    bytes png = {0};
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, PLOT_WIDTH, PLOT_HEIGHT);
    cairo_t *cr = cairo_create(surf);
    report_draw_plot(cr, PLOT_WIDTH, PLOT_HEIGHT, kind, t, n, line);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (!cs) cs = cairo_surface_write_to_png_stream(surf, bytes_write, &png);
    cairo_surface_destroy(surf);
    lorat_status s = LORAT_STATUS_OK;
    snprintf(name, sizeof name, "%s.png", p->file);
    if (cs)
        s = err_set(err, LORAT_STATUS_INTERNAL, "%s/%s: cairo could not draw it: %s", dir, name,
                    cairo_status_to_string(cs));
    else
        s = write_atomic(dir, name, png.p, png.len, err);
    free(png.p);
    if (s) return s;

    /* SVG: the same drawing on a vector surface */
    bytes svg = {0};
    surf = cairo_svg_surface_create_for_stream(bytes_write, &svg, PLOT_WIDTH, PLOT_HEIGHT);
    cairo_svg_surface_set_document_unit(surf, CAIRO_SVG_UNIT_PX);
    cr = cairo_create(surf);
    report_draw_plot(cr, PLOT_WIDTH, PLOT_HEIGHT, kind, t, n, line);
    cs = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (!cs) cs = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    snprintf(name, sizeof name, "%s.svg", p->file);
    strbuf out = {0};
    if (cs)
        s = err_set(err, LORAT_STATUS_INTERNAL, "%s/%s: cairo could not draw it: %s", dir, name,
                    cairo_status_to_string(cs));
    else if (!(s = svg_with_text(&out, &svg, line, t, n, kind, err)))
        s = write_atomic(dir, name, out.s, out.len, err);
    free(svg.p);
    free(out.s);
    return s;
}

lorat_status report_write(const report_tracker *t, int n, const char *title, const char *dir,
                          lorat_error *err) {
    if (n < 1) return err_set(err, LORAT_STATUS_BAD_INPUT, "a report needs at least one tracker");
    if (title && !utf8_valid(title))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "the title '%s' is not valid UTF-8", title);
    lorat_status s = report_check_same_dataset(t, n, err);
    if (s) return s;
    if ((s = make_dirs(dir, err))) return s;
    const char *what = title ? title : report_dataset_display_name(t[0].dataset);
    for (int k = 0; k < 3; k++)
        if ((s = write_plot(dir, (report_plot_kind)k, t, n, what, err))) return s;

    char *text = report_table_text(t, n, title);
    if (!text) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    s = write_atomic(dir, "table.txt", text, strlen(text), err);
    free(text);
    if (s) return s;
    cJSON *json = report_table_json(t, n, title);
    char *js = json ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    if (!js) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    size_t len = strlen(js);
    char *withnl = realloc(js, len + 2);
    if (!withnl) {
        free(js);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    withnl[len] = '\n';
    withnl[len + 1] = '\0';
    s = write_atomic(dir, "table.json", withnl, len + 1, err);
    free(withnl);
    return s;
}
