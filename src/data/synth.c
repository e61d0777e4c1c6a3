/*
 * synth.c — see synth.h. A sequence is planned first (synth_scene.c: every path, size and effect
 * for all its frames, drawn from one RNG stream seeded by (seed, sequence index)), then rendered
 * here frame by frame: background window at the camera's offset, distractors behind the target, the
 * target, distractors in front and occluders, then illumination and sensor noise. Ground truth is
 * the target's whole box (GOT-10k style), and its visible share is counted on the pixel grid with a
 * visibility buffer that the objects in front clear.
 *
 * Not a renderer of natural images: the point is a fair, cheap, labelled tracking problem with
 * the difficulties real sequences have (occlusion, leaving the view, look-alikes, clutter, light,
 * blur, camera motion), each present in some sequences and not others.
 */
#include "data/synth.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/rng.h"
#include "data/synth_render.h"
#include "data/synth_scene.h"
#include "io/image.h"

#define PATH_CAP 4096

static float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void synth_params_default(synth_params *p) {
    memset(p, 0, sizeof *p);
    p->sequences = 1;
    p->frames = 100;
    p->width = 320;
    p->height = 240;
    p->seed = 0;
    p->first_index = 1;
    p->domain = 0;
    p->jpeg_quality = 90;
}

/* ---- rendering ------------------------------------------------------------------------------- */

typedef struct frame_label {
    float x, y, w, h; /* clipped box */
    int absent, cover, cut;
} frame_label;

/* The frame's window of the background at the camera's offset (bilinear; averaged over the
 * exposure when the camera moves fast). The offset is the same for every pixel, so the weights
 * are too, and the canvas's SYNTH_BG_PAD keeps every tap inside without per-pixel clamping. */
static void draw_background(const synth_scene *s, int t, synth_canvas *f) {
    float cx = s->camx[t], cy = s->camy[t];
    float vx = t ? cx - s->camx[t - 1] : 0.0f, vy = t ? cy - s->camy[t - 1] : 0.0f;
    float speed = sqrtf(vx * vx + vy * vy);
    int n = s->blur_on && speed > 3.0f ? (int)fminf(ceilf(speed * s->exposure), 9.0f) : 1;
    const synth_canvas *bg = &s->bg;
    size_t row = (size_t)f->w * 3, bg_row = (size_t)bg->w * 3;
    float inv_n = 1.0f / (float)n;
    for (int j = 0; j < n; j++) {
        float k = n > 1 ? (((float)j + 0.5f) * inv_n - 0.5f) * s->exposure : 0.0f;
        float ox = clampf(cx + SYNTH_BG_PAD - vx * k, 0.0f, (float)(bg->w - f->w) - 1.001f);
        float oy = clampf(cy + SYNTH_BG_PAD - vy * k, 0.0f, (float)(bg->h - f->h) - 1.001f);
        int ix = (int)ox, iy = (int)oy;
        float tx = ox - (float)ix, ty = oy - (float)iy;
        float w00 = (1 - tx) * (1 - ty) * inv_n, w01 = tx * (1 - ty) * inv_n,
              w10 = (1 - tx) * ty * inv_n, w11 = tx * ty * inv_n;
        for (int y = 0; y < f->h; y++) {
            const float *a = bg->px + (size_t)(y + iy) * bg_row + (size_t)ix * 3, *b = a + bg_row;
            float *dst = f->px + (size_t)y * row;
            if (n == 1 && tx == 0.0f && ty == 0.0f) /* a still camera */
                memcpy(dst, a, row * sizeof *dst);
            else if (j == 0)
                for (size_t i = 0; i < row; i++)
                    dst[i] = w00 * a[i] + w01 * a[i + 3] + w10 * b[i] + w11 * b[i + 3];
            else
                for (size_t i = 0; i < row; i++)
                    dst[i] += w00 * a[i] + w01 * a[i + 3] + w10 * b[i] + w11 * b[i + 3];
        }
    }
}

static void draw_mover(const synth_scene *s, const synth_mover *m, int t, synth_canvas *f,
                       uint8_t *id, int id_mode) {
    const synth_track *tr = &m->tr;
    synth_object_pose pose = {
        tr->cx[t] - 0.5f * tr->w[t], tr->cy[t] - 0.5f * tr->h[t], tr->w[t], tr->h[t], 0, 0};
    int a = t > 0 ? t - 1 : 0, b = t > 0 ? t : (s->F > 1 ? 1 : 0);
    pose.vx = tr->cx[b] - tr->cx[a], pose.vy = tr->cy[b] - tr->cy[a];
    float speed = sqrtf(pose.vx * pose.vx + pose.vy * pose.vy);
    int n = s->blur_on && speed > 2.0f ? 1 + (int)fminf(speed * s->exposure * 0.6f, 6.0f) : 1;
    synth_draw_object(f, id, id_mode, &m->pat, &m->tex, &pose, n, s->exposure);
}

/* Share of the target's shape that is inside the image and not covered, on the pixel grid. */
static float visible_share(const synth_scene *s, int t, const uint8_t *id) {
    const synth_track *tr = &s->target.tr;
    float x0 = tr->cx[t] - 0.5f * tr->w[t], y0 = tr->cy[t] - 0.5f * tr->h[t];
    int xa = (int)floorf(x0), xb = (int)ceilf(x0 + tr->w[t]), ya = (int)floorf(y0),
        yb = (int)ceilf(y0 + tr->h[t]);
    long total = 0, vis = 0;
    for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++) {
            if (!synth_shape_covers(&s->target.pat, tr->w[t], tr->h[t], (float)x + 0.5f - x0,
                                    (float)y + 0.5f - y0))
                continue;
            total++;
            if (x >= 0 && y >= 0 && x < s->W && y < s->H && id[(size_t)y * s->W + x]) vis++;
        }
    return total ? (float)vis / (float)total : 0.0f;
}

static void render_frame(const synth_scene *s, int t, synth_canvas *f, uint8_t *id, image *img,
                         rng *r, frame_label *lab) {
    draw_background(s, t, f);
    for (int i = 0; i < s->n_dis; i++)
        if (s->dis[i].on && !s->dis[i].front) draw_mover(s, &s->dis[i], t, f, NULL, SYNTH_ID_NONE);
    memset(id, 0, (size_t)s->W * s->H);
    draw_mover(s, &s->target, t, f, id, SYNTH_ID_SET);
    for (int i = 0; i < s->n_dis; i++)
        if (s->dis[i].on && s->dis[i].front) draw_mover(s, &s->dis[i], t, f, id, SYNTH_ID_CLEAR);
    for (int i = 0; i < s->n_occ; i++)
        if (s->occ[i].on) draw_mover(s, &s->occ[i], t, f, id, SYNTH_ID_CLEAR);

    /* Ground truth: the whole box, clipped; its visible share binned as GOT-10k's cover.label. */
    const synth_track *tr = &s->target.tr;
    float W = (float)s->W, H = (float)s->H;
    float x0 = tr->cx[t] - 0.5f * tr->w[t], y0 = tr->cy[t] - 0.5f * tr->h[t];
    float x1 = x0 + tr->w[t], y1 = y0 + tr->h[t];
    lab->cut = x0 < 0.0f || y0 < 0.0f || x1 > W || y1 > H;
    float cx0 = clampf(x0, 0.0f, W), cy0 = clampf(y0, 0.0f, H);
    lab->x = cx0;
    lab->y = cy0;
    lab->w = clampf(x1, 0.0f, W) - cx0;
    lab->h = clampf(y1, 0.0f, H) - cy0;
    float v = visible_share(s, t, id);
    lab->absent = v <= 0.0f;
    lab->cover = v <= 0.0f   ? 0
                 : v >= 1.0f ? 8
                 : v > 0.9f  ? 7
                             : (int)fminf(fmaxf(ceilf(v / 0.15f - 1e-6f), 1.0f), 6.0f);
    /* A box past the border is not wholly seen, even when the pixel grid (or an ellipse inside its
     * box) happens to show every sampled pixel. */
    if (lab->cut && lab->cover == 8) lab->cover = 7;

    /* Light and sensor, then 8 bits: out = src·gain·contrast + (128 − 128·contrast + brightness) +
     * noise, written as one flat loop over the row's interleaved channels so that it vectorises. */
    int ox = (int)(rng_next(r) & (SYNTH_NOISE_TILE - 1)),
        oy = (int)(rng_next(r) & (SYNTH_NOISE_TILE - 1));
    float c = s->contrast[t], off = 128.0f - 128.0f * c + s->bright[t] + 0.5f;
    size_t row = (size_t)s->W * 3;
    for (size_t i = 0; i < row; i++)
        s->gain_row[i] = s->gain[t * 3 + i % 3] * c;
    const float *g = s->gain_row;
    for (int y = 0; y < s->H; y++) {
        const float *n =
            s->noise + (size_t)((y + oy) & (SYNTH_NOISE_TILE - 1)) * s->noise_w + (size_t)ox * 3;
        const float *src = f->px + (size_t)y * row;
        uint8_t *dst = img->data + (size_t)y * row;
        for (size_t i = 0; i < row; i++) {
            float q = src[i] * g[i] + n[i] + off;
            q = q < 0.0f ? 0.0f : q;
            q = q > 255.0f ? 255.0f : q;
            dst[i] = (uint8_t)(int)q;
        }
    }
}

/* ---- files ----------------------------------------------------------------------------------- */

static lorat_status make_dirs(const char *path, lorat_error *err) {
    char buf[PATH_CAP];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "output path '%s' is too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char keep = *p;
        *p = '\0';
        struct stat st;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return err_set(err, LORAT_STATUS_IO, "cannot create directory '%s': %s", buf,
                           strerror(errno));
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
            return err_set(err, LORAT_STATUS_IO,
                           "cannot create directory '%s': a file of that name is in the way", buf);
        *p = keep;
        if (!keep) break;
    }
    return LORAT_STATUS_OK;
}

/* Writes path.tmp and renames it into place, so a killed run never leaves a file that looks whole.
 */
static lorat_status write_text(const char *path, const char *text, size_t n, lorat_error *err) {
    char tmp[PATH_CAP + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return err_set(err, LORAT_STATUS_IO, "cannot write '%s': %s", tmp, strerror(errno));
    int bad = fwrite(text, 1, n, f) != n;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return err_set(err, LORAT_STATUS_IO, "cannot write '%s': %s", path, strerror(e));
    }
    return LORAT_STATUS_OK;
}

/* A growing text buffer. */
typedef struct text {
    char *s;
    size_t n, cap;
} text;

static int text_printf(text *t, const char *fmt, ...) LORAT_PRINTF(2, 3);
static int text_printf(text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return -1;
        if (t->s && t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return 0;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)k;
        char *s = realloc(t->s, cap);
        if (!s) return -1;
        t->s = s, t->cap = cap;
    }
}

typedef struct seq_stats {
    long frames, absent, cut, partial;
} seq_stats;

static lorat_status write_sequence(const char *out_dir, const synth_params *prm, int index,
                                   const synth_photo *photos, int n_photos, seq_stats *st,
                                   lorat_error *err) {
    char dir[PATH_CAP], path[PATH_CAP + 64];
    if (snprintf(dir, sizeof dir, "%s/synth_%06d", out_dir, index) >= (int)sizeof dir)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "output path '%s' is too long", out_dir);
    lorat_status status = make_dirs(dir, err);
    if (status) return status;
    synth_scene *s = NULL;
    if ((status = synth_scene_plan(&s, prm, index, photos, n_photos, err))) return status;
    int W = s->W, H = s->H, F = s->F;
    synth_canvas frame = {W, H, malloc((size_t)W * H * 3 * sizeof(float))};
    uint8_t *id = malloc((size_t)W * H);
    image img = {0};
    text gt = {0}, absence = {0}, cover = {0}, cut = {0}, meta = {0};
    rng r;
    rng_seed(&r, s->target.pat.layout_seed ^ 0x5851f42d4c957f2dull);
    if (!frame.px || !id) {
        status = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory rendering %dx%d frames", W, H);
        goto done;
    }
    if ((status = image_alloc(&img, W, H, err))) goto done;
    for (int t = 0; t < F; t++) {
        frame_label lab;
        render_frame(s, t, &frame, id, &img, &r, &lab);
        snprintf(path, sizeof path, "%s/%08d.jpg", dir, t + 1);
        if ((status = image_write_jpeg(path, &img, prm->jpeg_quality, err))) goto done;
        int bad = text_printf(&gt, "%.4f,%.4f,%.4f,%.4f\n", lab.x, lab.y, lab.w, lab.h);
        bad |= text_printf(&absence, "%d\n", lab.absent) | text_printf(&cover, "%d\n", lab.cover);
        bad |= text_printf(&cut, "%d\n", lab.cut);
        if (bad) {
            status = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory writing labels");
            goto done;
        }
        st->frames++;
        st->absent += lab.absent;
        st->cut += lab.cut;
        st->partial += !lab.absent && lab.cover < 8;
    }
    /* Frames left over from an earlier, longer run would be counted as frames by readers. */
    for (int t = F + 1;; t++) {
        snprintf(path, sizeof path, "%s/%08d.jpg", dir, t);
        if (unlink(path) != 0) break;
    }
    static const char *adverbs[] = {"slowly", "moderately", "quickly"};
    const char *camera = s->camera == 2 ? "shaky" : s->camera ? "pan" : "static";
    int n_dis = 0, n_occ = 0;
    for (int i = 0; i < s->n_dis; i++)
        n_dis += s->dis[i].on;
    for (int i = 0; i < s->n_occ; i++)
        n_occ += s->occ[i].on;
    int bad = text_printf(
        &meta,
        "[METAINFO]\nurl: none\nbegin: 0\nend: %d\nanno_fps: 10Hz\nobject_class: synthetic\n"
        "motion_class: synthetic\nmajor_class: synthetic\nroot_class: synthetic\n"
        "motion_adverb: %s\nresolution: (%d, %d)\n",
        F - 1, adverbs[s->speed_class], W, H);
    bad |= text_printf(
        &meta,
        "generator: lorat synth\nseed: %llu\nsequence_index: %d\ndomain: %d\nframes: %d\n"
        "jpeg_quality: %d\n",
        (unsigned long long)prm->seed, index, prm->domain, F, prm->jpeg_quality);
    bad |= text_printf(&meta, "target: pattern=%s shape=%s border=%d\n",
                       synth_pattern_name(s->target.pat.kind),
                       synth_shape_name(s->target.pat.shape), s->target.pat.border);
    bad |= text_printf(
        &meta,
        "effects: distractors=%d same_look=%d occluders=%d full_occluders=%d out_of_view=%d "
        "camera=%s illumination=%d light_switch=%d motion_blur=%d scale=%d aspect=%d noise=%d\n",
        n_dis, s->same_look && n_dis, n_occ, s->n_full, s->out_of_view, camera, s->illum,
        s->light_switch, s->blur_on, s->scale_on, s->aspect_on, s->noise_on);
    bad |= text_printf(&meta, "background: %s%s\n", s->photo ? "photo " : "procedural",
                       s->photo ? s->photo : "");
    if (bad) {
        status = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory writing labels");
        goto done;
    }
    /* groundtruth.txt last: when it is there, the rest of the sequence is too. */
    const struct {
        const char *name;
        text *t;
    } files[] = {{"absence.label", &absence},
                 {"cover.label", &cover},
                 {"cut_by_image.label", &cut},
                 {"meta_info.ini", &meta},
                 {"groundtruth.txt", &gt}};
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !status; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        status = write_text(path, files[i].t->s, files[i].t->n, err);
    }
done:
    free(gt.s), free(absence.s), free(cover.s), free(cut.s), free(meta.s);
    image_free(&img);
    free(frame.px);
    free(id);
    synth_scene_free(s);
    return status;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list.txt keeps the names already listed there, so a set can be written in chunks with
 * first_index; sorted and without duplicates. */
static lorat_status write_list(const char *out_dir, const synth_params *p, lorat_error *err) {
    char path[PATH_CAP + 16];
    snprintf(path, sizeof path, "%s/list.txt", out_dir);
    size_t n = 0, cap = (size_t)p->sequences + 16;
    char **names = malloc(cap * sizeof *names);
    char line[512];
    lorat_status status = LORAT_STATUS_OK;
    if (!names) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory writing '%s'", path);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        if (n == cap) {
            char **nn = realloc(names, (cap *= 2) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(line))) break;
        n++;
    }
    if (f) fclose(f);
    for (int i = 0; i < p->sequences; i++) {
        if (n == cap) {
            char **nn = realloc(names, (cap *= 2) * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        snprintf(line, sizeof line, "synth_%06d", p->first_index + i);
        if (!(names[n] = strdup(line))) break;
        n++;
    }
    qsort(names, n, sizeof *names, cmp_names);
    text t = {0};
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || strcmp(names[i], names[i - 1]) != 0) && text_printf(&t, "%s\n", names[i]))
            status = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory writing '%s'", path);
    if (!status) status = write_text(path, t.s ? t.s : "", t.n, err);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(t.s);
    return status;
}

/* The photographs of p->backgrounds, in name order, each reduced by box averaging to at most
 * PHOTO_SIDE pixels a side (backgrounds show a window of a few hundred pixels). */
#define PHOTO_SIDE 1024
typedef struct photo_set {
    synth_photo *ph;
    uint8_t **px;
    char **names;
    int n;
} photo_set;

static void photos_free(photo_set *ps) {
    for (int i = 0; i < ps->n; i++)
        free(ps->px[i]), free(ps->names[i]);
    free(ps->ph), free(ps->px), free(ps->names);
    memset(ps, 0, sizeof *ps);
}

static lorat_status photos_load(const char *dir, photo_set *ps, lorat_error *err) {
    char **paths = NULL;
    int count = 0;
    memset(ps, 0, sizeof *ps);
    lorat_status s = image_list_dir(dir, &paths, &count, err);
    if (s) return err_prefix(err, "--backgrounds"), s;
    if (count == 0) {
        free(paths);
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "--backgrounds %s holds no JPEG or PNG photographs", dir);
    }
    ps->ph = calloc((size_t)count, sizeof *ps->ph);
    ps->px = calloc((size_t)count, sizeof *ps->px);
    ps->names = calloc((size_t)count, sizeof *ps->names);
    if (!ps->ph || !ps->px || !ps->names) {
        free(paths);
        photos_free(ps);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", dir);
    }
    image img = {0};
    for (int i = 0; i < count && !s; i++) {
        if ((s = image_read(paths[i], &img, err))) break;
        int side = img.w > img.h ? img.w : img.h, k = (side + PHOTO_SIDE - 1) / PHOTO_SIDE;
        int w = img.w / k, h = img.h / k;
        if (w < 16 || h < 16) {
            s = err_set(err, LORAT_STATUS_BAD_INPUT,
                        "%s is %dx%d: a background photograph needs 16x16 pixels at least",
                        paths[i], img.w, img.h);
            break;
        }
        uint8_t *px = malloc((size_t)w * h * 3);
        const char *base = strrchr(paths[i], '/');
        char *name = strdup(base ? base + 1 : paths[i]);
        if (!px || !name) {
            free(px), free(name);
            s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", paths[i]);
            break;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    unsigned sum = 0;
                    for (int dy = 0; dy < k; dy++)
                        for (int dx = 0; dx < k; dx++)
                            sum += img.data[((size_t)(y * k + dy) * img.w + x * k + dx) * 3 + c];
                    px[((size_t)y * w + x) * 3 + c] = (uint8_t)((sum + k * k / 2) / (k * k));
                }
        ps->px[ps->n] = px;
        ps->names[ps->n] = name;
        ps->ph[ps->n] = (synth_photo){w, h, px, name};
        ps->n++;
    }
    image_free(&img);
    free(paths);
    if (s) photos_free(ps);
    return s;
}

lorat_status synth_write(const char *out_dir, const synth_params *p, int verbose,
                         lorat_error *err) {
    if (p->sequences < 1 || p->frames < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "need at least one sequence and one frame (got %d and %d)", p->sequences,
                       p->frames);
    if (p->width < 64 || p->height < 64 || p->width > 8192 || p->height > 8192)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "frame size %dx%d is outside 64x64 .. 8192x8192", p->width, p->height);
    if (p->domain != 0 && p->domain != 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "domain %d does not exist (0 or 1)", p->domain);
    if (p->jpeg_quality < 1 || p->jpeg_quality > 100)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "JPEG quality %d is outside 1..100",
                       p->jpeg_quality);
    if (p->first_index < 0 || p->first_index > 99999999 - p->sequences)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "sequence indices %d.. are outside 0..99999999",
                       p->first_index);
    if (p->backgrounds && p->domain != 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "background photographs are for domain 1 (--domain 1)");
    photo_set photos = {0};
    if (p->backgrounds) {
        lorat_status s = photos_load(p->backgrounds, &photos, err);
        if (s) return s;
    }
    lorat_status status = make_dirs(out_dir, err);
    if (status) return photos_free(&photos), status;

    int failed = 0, failed_at = p->sequences, done = 0, shown = 0;
    seq_stats total = {0};
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < p->sequences; i++) {
        int stop;
#pragma omp atomic read
        stop = failed;
        if (stop) continue;
        lorat_error e = {0};
        seq_stats st = {0};
        lorat_status s =
            write_sequence(out_dir, p, p->first_index + i, photos.ph, photos.n, &st, &e);
#pragma omp critical(synth_progress)
        {
            if (s) {
                if (i < failed_at) {
                    failed_at = i;
                    status = s;
                    if (err) *err = e;
                }
#pragma omp atomic write
                failed = 1;
            } else {
                done++;
                total.frames += st.frames;
                total.absent += st.absent;
                total.cut += st.cut;
                total.partial += st.partial;
                int step = done * 20 / p->sequences;
                if (verbose && (step > shown || done == p->sequences)) {
                    shown = step;
                    fprintf(stderr, "synth: %d/%d sequences\n", done, p->sequences);
                }
            }
        }
    }
    photos_free(&photos);
    if (status) return status;
    if ((status = write_list(out_dir, p, err))) return status;
    if (verbose)
        fprintf(stderr,
                "synth: of %ld frames, %ld have the target absent, %ld partly visible (occluded or "
                "cut), %ld cut by the border\n",
                total.frames, total.absent, total.partial, total.cut);
    return LORAT_STATUS_OK;
}
