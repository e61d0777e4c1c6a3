/*
 * datasets_coco.c — COCO 2017 detection as one-frame training sequences (spec/lorat-model.md §5:
 * "COCO 2017 train (DET, treated as 1-frame sequences)"), see datasets.h.
 *
 * ROOT/annotations/instances_<split>2017.json is read once, at dataset_open: one fread into
 * memory, one cJSON parse, then only what training needs is kept in compact arrays (per image:
 * id, file name, size; per kept object: its image and box) and the cJSON tree is freed, so that
 * dataset_load is a few small allocations (and one stat of the image with DATASET_LOAD_FRAMES).
 *
 * Kept objects: not iscrowd, bbox w > 0 and h > 0, and the box inside its image (x >= 0, y >= 0,
 * x + w <= width, y + h <= height, each with a 1e-3 tolerance). Each is the sequence
 * "<image_id>_<annotation_id>", in the file's order, with gt = (x, y, x + w, y + h).
 *
 * Memory. Before parsing, the values of every "segmentation" key (polygons and RLE counts, by far
 * most of the file's numbers, of no use here) are blanked to null in the buffer: parsed, they
 * would be some 45 million cJSON nodes (~4 GB for train2017). What is left is ~11 million nodes
 * (118k images x 8, 860k annotations x ~10; ~80 bytes each with malloc's overhead), so the peak
 * at open for train2017 is about 0.45 GB (the file) + ~1 GB (the tree), ~1.5 GB (a synthetic file
 * a tenth that size, 86k objects, peaked at 160 MB resident); the buffer is freed right after the
 * parse and the tree once extracted. What stays for train2017's ~850k kept
 * objects is ~100 MB (entries 48 B, boxes 40 B, names ~20 B each; images ~30 B each).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/datasets_impl.h"

#define COCO_TOLERANCE 1e-3

typedef struct coco_image {
    int64_t id;
    size_t file;       /* offset of its file name in ds_coco.files */
    int width, height;
} coco_image;

typedef struct coco_object {
    int image;         /* index into ds_coco.images (sorted by id) */
    double box[4];     /* x, y, w, h as in the file */
} coco_object;

struct ds_coco {
    char *json;        /* the annotation file */
    char *image_dir;   /* ROOT/<split>2017 */
    coco_image *images;
    int n_images;
    char *files;       /* the images' file names, NUL-separated */
    coco_object *objects; /* one per sequence, in sequence order */
    char *names;       /* the sequences' names, NUL-separated (the entries point into it) */
};

/* ---- reading the file --------------------------------------------------------------------- */

static lorat_status read_whole(const char *path, char **text, size_t *len, lorat_error *err) {
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, LORAT_STATUS_IO, "cannot open %s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return err_set(err, LORAT_STATUS_IO, "cannot read %s: not a seekable file", path);
    }
    /* COCO train2017's instances file is 448 MB; 2 GiB is a file that is not one */
    if ((unsigned long)size > (2UL << 30)) {
        fclose(f);
        return err_set(err, LORAT_STATUS_FORMAT, "%s: %ld bytes, more than a COCO annotation file may be "
                       "(2 GiB)", path, size);
    }
    char *buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(f);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s (%ld bytes)", path,
                       size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)size) {
        free(buf);
        return err_set(err, LORAT_STATUS_IO, "cannot read %s: read %zu of %ld bytes", path, got,
                       size);
    }
    buf[size] = '\0';
    *text = buf;
    *len = (size_t)size;
    return LORAT_STATUS_OK;
}

/* End of the JSON string that starts at s[i] == '"': the index after its closing quote, or n. */
static size_t string_end(const char *s, size_t i, size_t n) {
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

/* Overwrites with null (and spaces) each array or object that is the value of key `key`. Values
 * that do not close (malformed) are left for the parser to report. */
static void blank_values(char *s, size_t n, const char *key) {
    size_t kl = strlen(key);
    for (size_t i = 0; i < n;) {
        if (s[i] != '"') {
            i++;
            continue;
        }
        size_t j = string_end(s, i, n);
        if (j - i != kl + 2 || memcmp(s + i + 1, key, kl)) {
            i = j;
            continue;
        }
        size_t k = j;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r')) k++;
        if (k >= n || s[k] != ':') {
            i = j;
            continue;
        }
        k++;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r')) k++;
        if (k >= n || (s[k] != '[' && s[k] != '{')) {
            i = k;
            continue;
        }
        size_t e = k;
        int depth = 0;
        while (e < n) {
            char c = s[e];
            if (c == '"') {
                e = string_end(s, e, n);
                continue;
            }
            e++;
            if (c == '[' || c == '{')
                depth++;
            else if ((c == ']' || c == '}') && --depth == 0)
                break;
        }
        if (depth != 0 || e - k < 4) { /* unclosed, or too short to hold "null" */
            i = e;
            continue;
        }
        memcpy(s + k, "null", 4);
        memset(s + k + 4, ' ', e - k - 4);
        i = e;
    }
}

/* ---- extracting --------------------------------------------------------------------------- */

static int get_number(const cJSON *o, const char *key, double *v) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x)) return 0;
    *v = x->valuedouble;
    return 1;
}

static int get_id(const cJSON *o, const char *key, int64_t *id) {
    double v;
    if (!get_number(o, key, &v) || v != floor(v) || fabs(v) > 9007199254740992.0) return 0;
    *id = (int64_t)v;
    return 1;
}

static int cmp_image(const void *a, const void *b) {
    int64_t x = ((const coco_image *)a)->id, y = ((const coco_image *)b)->id;
    return (x > y) - (x < y);
}

static int find_image(const struct ds_coco *c, int64_t id) {
    int lo = 0, hi = c->n_images - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->images[mid].id == id) return mid;
        if (c->images[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static lorat_status extract_images(struct ds_coco *c, const cJSON *arr, lorat_error *err) {
    int n = cJSON_GetArraySize(arr);
    size_t bytes = 0;
    const cJSON *im;
    cJSON_ArrayForEach(im, arr) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(im, "file_name");
        if (cJSON_IsString(f)) bytes += strlen(f->valuestring) + 1;
    }
    c->images = malloc(sizeof *c->images * (size_t)(n ? n : 1));
    c->files = malloc(bytes ? bytes : 1);
    if (!c->images || !c->files) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    size_t at = 0;
    int i = 0;
    cJSON_ArrayForEach(im, arr) {
        coco_image *d = &c->images[i];
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(im, "file_name");
        double w, h;
        if (!cJSON_IsObject(im) || !get_id(im, "id", &d->id) || !cJSON_IsString(f) ||
            !f->valuestring[0] || !get_number(im, "width", &w) || !get_number(im, "height", &h))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: images[%d] is not an object with an integer id, a file_name, a "
                           "width and a height",
                           c->json, i);
        if (!(w >= 1 && h >= 1 && w <= 65535 && h <= 65535 && w == floor(w) && h == floor(h)))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: images[%d] (id %" PRId64 ") has size %gx%g: whole numbers in "
                           "1..65535 expected",
                           c->json, i, d->id, w, h);
        d->width = (int)w;
        d->height = (int)h;
        d->file = at;
        size_t len = strlen(f->valuestring) + 1;
        memcpy(c->files + at, f->valuestring, len);
        at += len;
        i++;
    }
    c->n_images = n;
    qsort(c->images, (size_t)n, sizeof *c->images, cmp_image);
    for (int k = 1; k < n; k++)
        if (c->images[k].id == c->images[k - 1].id)
            return err_set(err, LORAT_STATUS_FORMAT, "%s: two images have the id %" PRId64,
                           c->json, c->images[k].id);
    return LORAT_STATUS_OK;
}

/* The kept objects into c->objects and their names into c->names; *kept their count. */
static lorat_status extract_objects(struct ds_coco *c, const cJSON *arr, int *kept,
                                    lorat_error *err) {
    int n = cJSON_GetArraySize(arr);
    c->objects = malloc(sizeof *c->objects * (size_t)(n ? n : 1));
    /* "<id>_<id>": ids are below 2^53 (16 digits and a sign), so at most 36 bytes each */
    size_t cap = (size_t)(n ? n : 1) * 40, at = 0;
    c->names = malloc(cap);
    if (!c->objects || !c->names) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    int i = 0, k = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) {
        int64_t id, image_id;
        const cJSON *bbox = cJSON_GetObjectItemCaseSensitive(a, "bbox");
        if (!cJSON_IsObject(a) || !get_id(a, "id", &id) || !get_id(a, "image_id", &image_id))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: annotations[%d] is not an object with integer id and image_id",
                           c->json, i);
        double box[4];
        int ok = cJSON_IsArray(bbox) && cJSON_GetArraySize(bbox) == 4;
        for (int j = 0; ok && j < 4; j++) {
            const cJSON *v = cJSON_GetArrayItem(bbox, j);
            ok = cJSON_IsNumber(v) && isfinite(v->valuedouble);
            if (ok) box[j] = v->valuedouble;
        }
        if (!ok)
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: annotations[%d] (id %" PRId64 ") has no bbox [x, y, w, h] of 4 "
                           "numbers",
                           c->json, i, id);
        int im = find_image(c, image_id);
        if (im < 0)
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: annotations[%d] (id %" PRId64 ") refers to image %" PRId64
                           ", which is not in its images",
                           c->json, i, id, image_id);
        i++;
        double crowd = 0;
        if (get_number(a, "iscrowd", &crowd) && crowd != 0) continue;
        const coco_image *img = &c->images[im];
        const double t = COCO_TOLERANCE;
        if (!(box[2] > 0 && box[3] > 0 && box[0] >= -t && box[1] >= -t &&
              box[0] + box[2] <= img->width + t && box[1] + box[3] <= img->height + t))
            continue;
        coco_object *o = &c->objects[k++];
        o->image = im;
        memcpy(o->box, box, sizeof box);
        at += (size_t)snprintf(c->names + at, cap - at, "%" PRId64 "_%" PRId64, image_id, id) + 1;
    }
    char *shrunk = realloc(c->names, at ? at : 1);
    if (shrunk) c->names = shrunk;
    *kept = k;
    return LORAT_STATUS_OK;
}

/* ---- the interface ------------------------------------------------------------------------ */

static void free_coco(dataset *ds) {
    struct ds_coco *c = ds->coco;
    if (!c) return;
    free(c->json);
    free(c->image_dir);
    free(c->images);
    free(c->files);
    free(c->objects);
    free(c->names);
    free(c);
    free(ds->seqs);
    ds->seqs = NULL;
    ds->count = 0;
    ds->coco = NULL;
}

static lorat_status list(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err) {
    (void)opt;
    if (seqdir)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "COCO has no sequence folders (%s): its objects are one-frame sequences "
                       "of the annotation file",
                       seqdir);
    const char *split = ds->split == DATASET_SPLIT_VAL ? "val2017" : "train2017";
    struct ds_coco *c = calloc(1, sizeof *c);
    if (!c) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    ds->coco = c;
    char file[64];
    snprintf(file, sizeof file, "instances_%s.json", split);
    c->json = ds_path3(ds->root, "annotations", file);
    c->image_dir = ds_path(ds->root, split);
    if (!c->json || !c->image_dir) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (!ds_is_file(c->json))
        return err_set(err, LORAT_STATUS_IO,
                       "COCO: %s not found (the root holds annotations/instances_%s.json and "
                       "%s/)",
                       c->json, split, split);
    if (!ds_is_dir(c->image_dir))
        return err_set(err, LORAT_STATUS_IO, "COCO: the image folder %s is missing",
                       c->image_dir);

    char *text;
    size_t len;
    lorat_status s = read_whole(c->json, &text, &len, err);
    if (s) return s;
    blank_values(text, len, "segmentation");
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
        int line = 1;
        for (size_t i = 0; i < off; i++) line += text[i] == '\n';
        free(text);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: malformed JSON (line %d, byte %zu), or out of memory parsing it",
                       c->json, line, off);
    }
    free(text);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    int kept = 0;
    if (!cJSON_IsObject(root) || !cJSON_IsArray(images) || !cJSON_IsArray(anns))
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s: not a COCO annotation file (an object with arrays \"images\" and "
                    "\"annotations\" expected)",
                    c->json);
    if (!s) s = extract_images(c, images, err);
    if (!s) s = extract_objects(c, anns, &kept, err);
    cJSON_Delete(root);
    if (s) return s;

    /* Shrink to what was kept; the entries point into c's strings. */
    coco_object *o = realloc(c->objects, sizeof *o * (size_t)(kept ? kept : 1));
    if (o) c->objects = o;
    ds->seqs = malloc(sizeof *ds->seqs * (size_t)(kept ? kept : 1));
    if (!ds->seqs) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    const char *name = c->names;
    for (int i = 0; i < kept; i++) {
        dataset_entry *e = &ds->seqs[i];
        memset(e, 0, sizeof *e);
        e->name = (char *)name;
        e->dir = c->image_dir;
        e->anno = c->json;
        e->first = 0;
        name += strlen(name) + 1;
    }
    ds->count = kept;
    return LORAT_STATUS_OK;
}

static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    memset(seq, 0, sizeof *seq);
    const struct ds_coco *c = ds->coco;
    const coco_object *o = &c->objects[index];
    const coco_image *img = &c->images[o->image];
    seq->name = ds_strdup(ds->seqs[index].name);
    seq->gt = malloc(sizeof(double) * 4);
    seq->visible = malloc(1);
    seq->valid = malloc(1);
    if (!seq->name || !seq->gt || !seq->visible || !seq->valid) {
        dataset_sequence_free(seq);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    seq->frames = seq->gt_count = 1;
    seq->gt[0] = o->box[0];
    seq->gt[1] = o->box[1];
    seq->gt[2] = o->box[0] + o->box[2];
    seq->gt[3] = o->box[1] + o->box[3];
    seq->visible[0] = seq->valid[0] = 1;
    seq->width = img->width;
    seq->height = img->height;
    memcpy(seq->init, seq->gt, sizeof seq->init);
    if (flags & DATASET_LOAD_FRAMES) {
        const char *file = c->files + img->file;
        size_t n = strlen(c->image_dir) + 1 + strlen(file) + 1;
        char **v = malloc(sizeof(char *) + n);
        if (!v) {
            dataset_sequence_free(seq);
            return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        }
        v[0] = (char *)(v + 1);
        snprintf(v[0], n, "%s/%s", c->image_dir, file);
        seq->frame_paths = v;
        if (!ds_is_file(v[0])) {
            lorat_status s = err_set(err, LORAT_STATUS_IO,
                                     "COCO sequence %s: image %s is missing (listed in %s)",
                                     seq->name, v[0], c->json);
            dataset_sequence_free(seq);
            return s;
        }
    }
    return LORAT_STATUS_OK;
}

static int detect(const char *path) {
    char *a = ds_path(path, "annotations");
    int r = a && (ds_has_file(a, "instances_train2017.json") ||
                  ds_has_file(a, "instances_val2017.json"));
    free(a);
    return r ? DS_DETECT_ROOT : DS_DETECT_NONE;
}

const ds_format ds_format_coco = {
    .kind = DATASET_COCO,
    .name = "coco",
    .official = "COCO",
    .display = "COCO",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TRAIN) | DS_SPLIT_BIT(DATASET_SPLIT_VAL),
    .default_split = DATASET_SPLIT_TRAIN,
    .train_split = DATASET_SPLIT_TRAIN,
    .splits_text = "its splits are train (train2017, the default) and val (val2017)",
    .detect = detect,
    .list = list,
    .load = load,
    .free = free_coco,
};
