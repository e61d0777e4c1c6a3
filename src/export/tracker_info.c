/*
 * tracker_info.c — see tracker_info.h. The steps are those of src/track/tracker.c, post.c and
 * crop.c (spec §4, §6), in their order; the numbers are the model file's tracking values as the
 * tracker resolves them (lorat_tracker_params_default) and the window it computes.
 */
#include "export/tracker_info.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "track/post.h"

/* The shortest decimal that reads back as the same float (0.45f prints 0.45, not
 * 0.449999988...), as a double for cJSON. */
static double short_float(float f) {
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        const double d = strtod(buf, NULL);
        if ((float)d == f) return d;
    }
    return (double)f;
}

/* A builder that remembers whether any allocation failed, so the tree is checked once. */
typedef struct jb {
    int ok;
} jb;

static cJSON *chk(jb *b, cJSON *j) {
    if (!j) b->ok = 0;
    return j;
}

static cJSON *obj(jb *b, cJSON *parent, const char *key) {
    cJSON *o = chk(b, cJSON_CreateObject());
    if (o && parent && !cJSON_AddItemToObject(parent, key, o)) {
        cJSON_Delete(o);
        b->ok = 0;
        return NULL;
    }
    return o;
}

static void str(jb *b, cJSON *o, const char *key, const char *v) {
    if (o) chk(b, cJSON_AddStringToObject(o, key, v));
}

static void num(jb *b, cJSON *o, const char *key, double v) {
    if (o) chk(b, cJSON_AddNumberToObject(o, key, v));
}

static void flag(jb *b, cJSON *o, const char *key, int v) {
    if (o) chk(b, cJSON_AddBoolToObject(o, key, v));
}

static void add(jb *b, cJSON *o, const char *key, cJSON *item) {
    if (!item) {
        b->ok = 0;
        return;
    }
    if (!o || !cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        b->ok = 0;
    }
}

static cJSON *ints(jb *b, int n, const int *v) {
    return chk(b, cJSON_CreateIntArray(v, n));
}

static cJSON *floats(jb *b, int n, const float *v) {
    cJSON *a = chk(b, cJSON_CreateArray());
    for (int i = 0; a && i < n; i++) {
        cJSON *x = chk(b, cJSON_CreateNumber(short_float(v[i])));
        if (x && !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            b->ok = 0;
        }
    }
    return a;
}

static cJSON *strings(jb *b, int n, const char *const *v) {
    return chk(b, cJSON_CreateStringArray(v, n));
}

/* One tensor of the network's interface. dims: -1 is the batch. */
static void tensor(jb *b, cJSON *list, const char *name, const char *dtype, int ndim,
                   const int *dims, int batch, const char *content) {
    cJSON *t = obj(b, NULL, NULL);
    str(b, t, "name", name);
    str(b, t, "dtype", dtype);
    cJSON *shape = chk(b, cJSON_CreateArray());
    for (int d = 0; shape && d < ndim; d++) {
        cJSON *x = dims[d] < 0
                       ? (batch > 0 ? cJSON_CreateNumber(batch) : cJSON_CreateString("batch"))
                       : cJSON_CreateNumber(dims[d]);
        if (!x || !cJSON_AddItemToArray(shape, x)) {
            cJSON_Delete(x);
            b->ok = 0;
        }
    }
    add(b, t, "shape", shape);
    str(b, t, "content", content);
    if (t && !cJSON_AddItemToArray(list, t)) {
        cJSON_Delete(t);
        b->ok = 0;
    }
}

static const char *const init_steps[] = {
    "b = the first box, x,y,w,h -> continuous xyxy (a pixel covers [i, i+1))",
    "mean0 = per-channel mean of the whole first frame, 0..255 (RGB)",
    ("template crop of b with template.area_factor into template.size_px, padded with mean0 "
     "(crop): z, and its adjusted (s', t')"),
    "normalise z (normalisation); z_feat_mask from b and the template's (s', t') (template_mask)",
    "the first frame's output is the given box; the template (z, z_feat_mask) is never updated",
};

static const char *const update_steps[] = {
    ("minimum size: keep the centre of the state box b, raise its width and height to at least "
     "postprocess.min_box_size pixels"),
    ("search crop of that box with search.area_factor into search.size_px, padded with mean0 of "
     "the FIRST frame (crop): x, and its adjusted (s', t')"),
    "normalise x; run the network on (z, x, z_feat_mask)",
    "postprocess.steps on score_map and boxes (batch element 0), giving box and confidence",
    ("state update: if box has x1 < x2 and y1 < y2 (after clipping), a = 0 when confidence < "
     "size_gate else size_update; a = 1: b = box; a < 1: the centre of box with width a*w(box) + "
     "(1-a)*w(b) and height likewise, clipped to the frame, taken if still non-empty. Otherwise b "
     "is kept"),
    "report b as x, y, w, h, and the confidence",
};

static const char *const post_steps[] = {
    "p = sigmoid(score_map), flattened row-major (h*w)",
    "v = p*(1 - window_influence) + window*window_influence (a convex blend, not a product)",
    "idx = argmax(v), the first index on ties; confidence = p[idx]",
    ("box_average = 0: box = boxes[idx]; R > 0: the p-weighted mean of boxes[i] over the cells i "
     "within R cells of idx in x and in y whose p[i] >= p[idx]/2"),
    "crop pixels: (x1*Ws, y1*Hs, x2*Ws, y2*Hs), (Ws, Hs) = search.size_px (float32)",
    ("frame pixels: each crop coordinate u maps to X = (u - t')/s' (x with s'x, t'x; y with "
     "s'y, t'y) with the search crop's adjusted parameters (in float64 from their float32 "
     "values), then x clipped to [0, frame width], y to [0, frame height]"),
};

static const char *const crop_steps[] = {
    ("s = sqrt(Wo*Ho / ((w+p)*(h+p))), p = (f-1)*(w+h)/2, one scale for both axes; (Wo, Ho) the "
     "crop size, (w, h) the box size, f the area factor (float64)"),
    "t = (Wo/2, Ho/2) - s*centre(box); a frame point X maps to u = s*X + t",
    ("out_rect = the frame rectangle (0, 0, W, H) mapped by (s, t), clipped to [0, Wo] x [0, Ho], "
     "rasterised"),
    "in_rect = out_rect mapped back by (1/s, -t/s), rasterised, clipped to the frame",
    ("fill the crop with the padding colour; bilinear-resize frame[in_rect] into crop[out_rect] "
     "(align_corners = false, no antialias, source coordinates clamped at 0)"),
    ("adjusted parameters (float32): s' = size(out_rect)/size(in_rect) per axis, t' = "
     "out_rect.xy1 - s'*in_rect.xy1; every later box mapping uses (s', t')"),
};

lorat_status tracker_info_json(const lorat_model *m, const char *onnx_file, int batch, char **out,
                               lorat_error *err) {
    *out = NULL;
    const model_config *c = &m->cfg;
    const int p = c->patch, gw = c->search_w, gh = c->search_h;
    if (gw > 512 || gh > 512)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "search grid %dx%d: the Hann window is made for "
                       "grids up to 512x512",
                       gw, gh);
    lorat_tracker_params tp;
    lorat_tracker_params_default(m, &tp);
    float *window = malloc(sizeof(float) * (size_t)gw * gh);
    if (!window) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the Hann window");
    hann_window_2d(window, gw, gh);

    jb b = {.ok = 1};
    cJSON *root = obj(&b, NULL, NULL);
    str(&b, root, "format", TRACKER_INFO_FORMAT);
    num(&b, root, "format_version", TRACKER_INFO_VERSION);
    str(&b, root, "producer", "lorat");
    str(&b, root, "producer_version", lorat_version());
    str(&b, root, "variant", c->variant);
    str(&b, root, "coordinates",
        "boxes are continuous xyxy pixel coordinates (a pixel covers "
        "[i, i+1)); the first box and the reported boxes are x, y, w, h");

    cJSON *net = obj(&b, root, "network");
    str(&b, net, "file", onnx_file);
    if (batch > 0)
        num(&b, net, "batch", batch);
    else
        str(&b, net, "batch", "free (dimension 'batch')");
    cJSON *ins = chk(&b, cJSON_CreateArray()), *outs = chk(&b, cJSON_CreateArray());
    if (ins && outs) {
        tensor(&b, ins, "z", "float32", 4,
               (const int[]){-1, 3, c->template_h * p, c->template_w * p}, batch,
               "template crop, normalised, NCHW, RGB");
        tensor(&b, ins, "x", "float32", 4, (const int[]){-1, 3, gh * p, gw * p}, batch,
               "search crop, normalised, NCHW, RGB");
        tensor(&b, ins, "z_feat_mask", "int64", 3, (const int[]){-1, c->template_h, c->template_w},
               batch, "template_mask: 1 on template tokens covered by the target, else 0");
        tensor(&b, outs, "score_map", "float32", 3, (const int[]){-1, gh, gw}, batch,
               "raw logits per search cell, row-major (y, then x); probability = sigmoid");
        tensor(
            &b, outs, "boxes", "float32", 4, (const int[]){-1, gh, gw, 4}, batch,
            "per cell x1, y1, x2, y2 normalised to the search crop (0..1 spans it, not clipped)");
    }
    add(&b, net, "inputs", ins);
    add(&b, net, "outputs", outs);

    static const char *const names[2] = {"template", "search"};
    for (int k = 0; k < 2; k++) {
        cJSON *o = obj(&b, root, names[k]);
        const int w = k ? gw : c->template_w, h = k ? gh : c->template_h;
        add(&b, o, "size_px", ints(&b, 2, (const int[]){w * p, h * p}));
        add(&b, o, "grid", ints(&b, 2, (const int[]){w, h}));
        num(&b, o, "stride_px", p);
        num(&b, o, "area_factor", short_float(k ? tp.search_area_factor : tp.template_area_factor));
    }

    cJSON *crop = obj(&b, root, "crop");
    str(&b, crop, "method",
        "SiamFC crop, aligned to whole pixels (the official scale_and_translate)");
    add(&b, crop, "steps", strings(&b, 6, crop_steps));
    str(&b, crop, "rasterise",
        "(floor(x1), floor(y1), floor(x2 + 1 - 1e-4), floor(y2 + 1 - 1e-4)), "
        "end-exclusive");
    str(&b, crop, "padding",
        "mean0: the per-channel mean (0..255) of the whole first frame, for the "
        "template and for every search crop");

    cJSON *norm = obj(&b, root, "normalisation");
    str(&b, norm, "formula",
        "v = (pixel/255 - mean[c]) / std[c] for pixel values 0..255, channels RGB");
    num(&b, norm, "scale", 1.0 / 255.0);
    add(&b, norm, "mean", floats(&b, 3, (const float[]){0.485f, 0.456f, 0.406f}));
    add(&b, norm, "std", floats(&b, 3, (const float[]){0.229f, 0.224f, 0.225f}));
    str(&b, norm, "layout",
        "CHW planes, float32 (the crop is resampled on the 0..255 scale first)");

    cJSON *mask = obj(&b, root, "template_mask");
    str(&b, mask, "definition",
        "the box (frame xyxy) mapped into the template crop with its "
        "adjusted (s', t'), divided by stride_px, rasterised (end-exclusive), clipped to [0, grid "
        "w] x [0, grid h]; mask[y1:y2, x1:x2] = 1, 0 elsewhere");
    add(&b, mask, "shape", ints(&b, 2, (const int[]){c->template_h, c->template_w}));
    num(&b, mask, "stride_px", p);

    add(&b, root, "init", strings(&b, 5, init_steps));
    add(&b, root, "update", strings(&b, 6, update_steps));

    cJSON *post = obj(&b, root, "postprocess");
    add(&b, post, "steps", strings(&b, 6, post_steps));
    num(&b, post, "window_influence", short_float(tp.window_influence));
    num(&b, post, "min_box_size", short_float(tp.min_box_size));
    num(&b, post, "size_update", short_float(tp.size_update));
    num(&b, post, "size_gate", short_float(tp.size_gate));
    num(&b, post, "box_average", tp.box_average);
    flag(&b, post, "official",
         tp.size_update == 1.0f && tp.size_gate == 0.0f && tp.box_average == 0);
    cJSON *win = obj(&b, post, "window");
    str(&b, win, "kind", "hann, symmetric (torch.hann_window(n, periodic=False)), float32");
    str(&b, win, "formula",
        "hann_n[k] = 0.5 - 0.5*cos(2*pi*k/(n-1)) (1 when n = 1); "
        "window[y][x] = hann_h[y] * hann_w[x]");
    add(&b, win, "shape", ints(&b, 2, (const int[]){gh, gw}));
    cJSON *rows = chk(&b, cJSON_CreateArray());
    for (int y = 0; rows && y < gh; y++) {
        cJSON *r = floats(&b, gw, window + (size_t)y * gw);
        if (r && !cJSON_AddItemToArray(rows, r)) {
            cJSON_Delete(r);
            b.ok = 0;
        }
    }
    add(&b, win, "values", rows);
    free(window);

    char *text = b.ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot build the tracker-info JSON");
    *out = text;
    return LORAT_STATUS_OK;
}
