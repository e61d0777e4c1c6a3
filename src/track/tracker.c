/*
 * tracker.c — the official one-stream tracking loop (spec §6) behind the public tracker API.
 *
 * init: template crop (area factor 2) around the first box, padded with the first frame's mean,
 *       and the template foreground mask. The template is never updated.
 * update: minimum size on the state box, search crop (area factor 4 or 5) padded with the
 *       *first* frame's mean, the network on template + search, post-processing; the state box
 *       becomes the result when it is a valid box overlapping the frame. The confidence is
 *       reported; as in the official tracker it is never used unless size_gate > 0 (a tracking
 *       parameter beyond the official ones, like size_update and box_average).
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "track/post.h"
#include "track/tracker.h"

struct lorat_tracker {
    const lorat_model *model;
    lorat_tracker_params params;
    model_workspace *ws;
    int tw, th, sw, sh;   /* template and search crop sizes in pixels */
    int gzw, gzh, gxw, gxh; /* token grids */
    float *z, *x, *score, *boxes, *window;
    uint8_t *mask;
    float mean0[3];
    double box[4]; /* state, xyxy */
    int frame_w, frame_h, initialized;
    crop_params search;
    tracker_times times;
};

void lorat_tracker_params_default(const lorat_model *model, lorat_tracker_params *p) {
    const model_config *c = &model->cfg;
    p->template_area_factor = c->template_area_factor > 0 ? c->template_area_factor : 2.0f;
    p->search_area_factor = c->search_area_factor > 0 ? c->search_area_factor : 4.0f;
    p->window_influence = c->window_influence >= 0 ? c->window_influence : 0.45f;
    p->min_box_size = c->min_box_size > 0 ? c->min_box_size : 10.0f;
    p->size_update = c->size_update > 0 ? c->size_update : 1.0f;
    p->size_gate = c->size_gate > 0 ? c->size_gate : 0.0f;
    p->box_average = c->box_average > 0 ? c->box_average : 0;
}

lorat_status lorat_tracker_create(const lorat_model *model, const lorat_tracker_params *params,
                                  lorat_tracker **out, lorat_error *err) {
    *out = NULL;
    lorat_tracker *t = calloc(1, sizeof *t);
    if (!t) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate a tracker");
    const model_config *c = &model->cfg;
    t->model = model;
    if (params)
        t->params = *params;
    else
        lorat_tracker_params_default(model, &t->params);
    if (!(t->params.template_area_factor > 0) || !(t->params.search_area_factor > 0) ||
        !(t->params.window_influence >= 0 && t->params.window_influence <= 1) ||
        !(t->params.min_box_size >= 0) || !(t->params.size_update > 0 && t->params.size_update <= 1) ||
        !(t->params.size_gate >= 0 && t->params.size_gate < 1) ||
        t->params.box_average < 0 || t->params.box_average > 8) {
        free(t);
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "tracker parameters out of range: area factors must be > 0, window "
                       "influence in [0,1], minimum size >= 0, size update in (0,1], size gate in [0,1), "
                       "box average in 0..8");
    }
    t->gzw = c->template_w, t->gzh = c->template_h, t->gxw = c->search_w, t->gxh = c->search_h;
    t->tw = t->gzw * c->patch, t->th = t->gzh * c->patch;
    t->sw = t->gxw * c->patch, t->sh = t->gxh * c->patch;
    t->z = malloc(sizeof(float) * 3 * (size_t)t->tw * t->th);
    t->x = malloc(sizeof(float) * 3 * (size_t)t->sw * t->sh);
    t->score = malloc(sizeof(float) * (size_t)t->gxw * t->gxh);
    t->boxes = malloc(sizeof(float) * 4 * (size_t)t->gxw * t->gxh);
    t->window = malloc(sizeof(float) * (size_t)t->gxw * t->gxh);
    t->mask = malloc((size_t)t->gzw * t->gzh);
    lorat_status st = LORAT_STATUS_OK;
    if (!t->z || !t->x || !t->score || !t->boxes || !t->window || !t->mask)
        st = err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the tracker's buffers");
    if (!st) st = model_workspace_create(model, 1, &t->ws, err);
    if (st) {
        lorat_tracker_free(t);
        return st;
    }
    hann_window_2d(t->window, t->gxw, t->gxh);
    *out = t;
    return LORAT_STATUS_OK;
}

void lorat_tracker_free(lorat_tracker *t) {
    if (!t) return;
    model_workspace_free(t->ws);
    free(t->z);
    free(t->x);
    free(t->score);
    free(t->boxes);
    free(t->window);
    free(t->mask);
    free(t);
}

static lorat_status check_image(const lorat_image *img, lorat_error *err) {
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || img->stride < 3 * img->width)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the image is empty or malformed (width %d, height %d, stride %d): an RGB "
                       "image needs width, height > 0 and stride >= 3·width",
                       img ? img->width : 0, img ? img->height : 0, img ? img->stride : 0);
    return LORAT_STATUS_OK;
}

/* A tracker runs with the thread count its workspace was planned for, whichever thread calls it
 * (OpenMP's count is a per-thread setting: a thread the caller started has the default): set for
 * the call, the caller's own restored after. */
static int enter_threads(const lorat_tracker *t) {
    const int prev = omp_get_max_threads(), want = model_workspace_threads(t->ws);
    if (want > 0 && want != prev) omp_set_num_threads(want);
    return prev;
}

static void leave_threads(int prev) {
    if (omp_get_max_threads() != prev) omp_set_num_threads(prev);
}

static lorat_status tracker_init(lorat_tracker *t, const lorat_image *img, lorat_box box, lorat_error *err);

lorat_status lorat_tracker_init(lorat_tracker *t, const lorat_image *img, lorat_box box,
                                lorat_error *err) {
    const int prev = enter_threads(t);
    const lorat_status st = tracker_init(t, img, box, err);
    leave_threads(prev);
    return st;
}

static lorat_status tracker_init(lorat_tracker *t, const lorat_image *img, lorat_box box,
                                 lorat_error *err) {
    lorat_status st = check_image(img, err);
    if (st) return st;
    if (!isfinite(box.x) || !isfinite(box.y) || !isfinite(box.w) || !isfinite(box.h) || box.w < 1 ||
        box.h < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "init box %g,%g,%g,%g (x,y,w,h) must be finite with width and height of at "
                       "least 1 pixel",
                       box.x, box.y, box.w, box.h);
    if (fabsf(box.x) > 1e7f || fabsf(box.y) > 1e7f || box.w > 1e7f || box.h > 1e7f)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "init box %g,%g,%g,%g (x,y,w,h): coordinates and sizes beyond 1e7 pixels "
                       "are not a box in a frame", box.x, box.y, box.w, box.h);
    if (box.x >= img->width || box.y >= img->height || box.x + box.w <= 0 || box.y + box.h <= 0)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "init box %g,%g,%g,%g (x,y,w,h) lies outside the %dx%d image",
                       box.x, box.y, box.w, box.h, img->width, img->height);
    t->frame_w = img->width;
    t->frame_h = img->height;
    t->box[0] = box.x;
    t->box[1] = box.y;
    t->box[2] = (double)box.x + box.w;
    t->box[3] = (double)box.y + box.h;
    image_mean_rgb(img, t->mean0);
    crop_params zp;
    crop_siamfc(t->z, img, t->box, t->params.template_area_factor, t->tw, t->th, t->mean0, &zp);
    normalize_imagenet(t->z, t->tw * t->th);
    template_mask(t->mask, t->gzw, t->gzh, (double)t->tw / t->gzw, t->box, &zp);
    t->initialized = 1;
    memset(&t->times, 0, sizeof t->times);
    return LORAT_STATUS_OK;
}

lorat_status tracker_prepare(lorat_tracker *t, const lorat_image *img, lorat_error *err) {
    if (!t->initialized)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "tracker update before init: call init with the first frame and box");
    lorat_status st = check_image(img, err);
    if (st) return st;
    if (img->width != t->frame_w || img->height != t->frame_h)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "frame size changed from %dx%d to %dx%d: a sequence must keep one size",
                       t->frame_w, t->frame_h, img->width, img->height);
    double t0 = omp_get_wtime();
    /* Minimum size: keep the centre, raise w and h to at least min_box_size. */
    double cx = (t->box[0] + t->box[2]) / 2, cy = (t->box[1] + t->box[3]) / 2;
    double w = fmax(t->box[2] - t->box[0], t->params.min_box_size);
    double h = fmax(t->box[3] - t->box[1], t->params.min_box_size);
    double b[4] = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
    crop_siamfc(t->x, img, b, t->params.search_area_factor, t->sw, t->sh, t->mean0, &t->search);
    normalize_imagenet(t->x, t->sw * t->sh);
    t->times.crop += omp_get_wtime() - t0;
    return LORAT_STATUS_OK;
}

const crop_params *tracker_search_params(const lorat_tracker *t) {
    return &t->search;
}

void tracker_finish(lorat_tracker *t, const float *score, const float *boxes, lorat_box *box,
                    float *confidence) {
    double t0 = omp_get_wtime();
    post_result r;
    post_process(score, boxes, t->window, t->gxw, t->gxh, t->sw, t->sh, t->params.window_influence,
                 t->params.box_average,
                 &t->search, t->frame_w, t->frame_h, &r);
    /* The state follows the result only when it is a real box inside the frame; with
     * size_update < 1 its size moves only part of the way (centre as found), as SiamFC damps scale;
     * on a frame less confident than size_gate it keeps its size (a weak model's sizes are worst
     * where it is unsure, and a wrong size grows the next search region or shrinks it). */
    if (r.box[0] < r.box[2] && r.box[1] < r.box[3]) {
        const double a = r.confidence < t->params.size_gate ? 0.0 : t->params.size_update;
        if (a < 1) {
            double cx = (r.box[0] + r.box[2]) / 2, cy = (r.box[1] + r.box[3]) / 2;
            double w = a * (r.box[2] - r.box[0]) + (1 - a) * (t->box[2] - t->box[0]);
            double h = a * (r.box[3] - r.box[1]) + (1 - a) * (t->box[3] - t->box[1]);
            double b[4] = {fmax(cx - w / 2, 0), fmax(cy - h / 2, 0), fmin(cx + w / 2, t->frame_w),
                           fmin(cy + h / 2, t->frame_h)};
            if (b[0] < b[2] && b[1] < b[3]) memcpy(t->box, b, sizeof t->box);
        } else {
            memcpy(t->box, r.box, sizeof t->box);
        }
    }
    box->x = (float)t->box[0];
    box->y = (float)t->box[1];
    box->w = (float)(t->box[2] - t->box[0]);
    box->h = (float)(t->box[3] - t->box[1]);
    if (confidence) *confidence = r.confidence;
    t->times.post += omp_get_wtime() - t0;
    t->times.updates++;
}

const tracker_times *tracker_get_times(const lorat_tracker *t) {
    return &t->times;
}

void tracker_set_state(lorat_tracker *t, lorat_box box) {
    t->box[0] = box.x;
    t->box[1] = box.y;
    t->box[2] = (double)box.x + box.w;
    t->box[3] = (double)box.y + box.h;
}

lorat_status lorat_tracker_update(lorat_tracker *t, const lorat_image *img, lorat_box *box,
                                  float *confidence, lorat_error *err) {
    const int prev = enter_threads(t);
    lorat_status st = tracker_prepare(t, img, err);
    if (!st) {
        double t0 = omp_get_wtime();
        model_forward(t->model, t->ws, t->z, t->x, t->mask, 1, t->score, t->boxes, NULL);
        t->times.model += omp_get_wtime() - t0;
        const char *why = model_workspace_failure(t->ws);
        if (why) st = err_set(err, LORAT_STATUS_INTERNAL, "the network failed: %s", why);
        else tracker_finish(t, t->score, t->boxes, box, confidence);
    }
    leave_threads(prev);
    return st;
}
