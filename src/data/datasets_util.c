/*
 * datasets_util.c — the machinery every dataset format shares (see datasets_impl.h): paths and
 * listings, the list of entries, list files, label and meta files, the ground-truth boxes and
 * the frame lists. It knows no layout; the formats (datasets_<layout>.c) are built on it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/datasets_impl.h"

/* ---- paths ------------------------------------------------------------------------------- */

char *ds_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *ds_path(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    while (na > 1 && a[na - 1] == '/') na--;
    char *p = malloc(na + nb + 2);
    if (!p) return NULL;
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}

char *ds_path3(const char *a, const char *b, const char *c) {
    char *ab = ds_path(a, b);
    if (!ab) return NULL;
    char *p = ds_path(ab, c);
    free(ab);
    return p;
}

int ds_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ds_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ds_has_ext(const char *name, const char *ext) {
    size_t n = strlen(name), e = strlen(ext);
    return n > e && !strcasecmp(name + n - e, ext);
}

int ds_has_dir(const char *dir, const char *a) {
    char *p = ds_path(dir, a);
    int r = p && ds_is_dir(p);
    free(p);
    return r;
}

int ds_has_file(const char *dir, const char *a) {
    char *p = ds_path(dir, a);
    int r = p && ds_is_file(p);
    free(p);
    return r;
}

const char *ds_basename(const char *path, char *buf, size_t size) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/') b--;
    size_t len = n - b;
    if (len >= size) len = size - 1;
    memcpy(buf, path + b, len);
    buf[len] = '\0';
    return buf;
}

char *ds_dirname(const char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    while (n > 0 && path[n - 1] != '/') n--; /* drop the last component */
    while (n > 1 && path[n - 1] == '/') n--;
    if (n == 0) return ds_strdup(".");
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* ---- listings ---------------------------------------------------------------------------- */

int ds_keep_dir(const char *dir, const char *name) {
    return ds_has_dir(dir, name);
}

int ds_keep_image(const char *dir, const char *name) {
    (void)dir;
    return ds_has_ext(name, ".jpg") || ds_has_ext(name, ".jpeg") || ds_has_ext(name, ".png");
}

int ds_keep_jpg(const char *dir, const char *name) {
    (void)dir;
    return ds_has_ext(name, ".jpg");
}

int ds_keep_txt(const char *dir, const char *name) {
    (void)dir;
    return ds_has_ext(name, ".txt");
}

int ds_keep_seq_gt(const char *dir, const char *name) {
    char *p = ds_path3(dir, name, "groundtruth.txt");
    int r = p && ds_is_file(p);
    free(p);
    return r;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ds_free_names(char **names, int count) {
    if (!names) return;
    for (int i = 0; i < count; i++) free(names[i]);
    free(names);
}

lorat_status ds_list(const char *dir, int (*keep)(const char *dir, const char *name),
                     char ***names, int *count, lorat_error *err) {
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return err_set(err, LORAT_STATUS_IO, "cannot list %s: %s", dir, strerror(errno));
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (keep && !keep(dir, de->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, sizeof *nv * (size_t)cap);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[n] = ds_strdup(de->d_name))) goto oom;
        n++;
    }
    closedir(d);
    if (n) qsort(v, (size_t)n, sizeof *v, cmp_str);
    *names = v;
    *count = n;
    return LORAT_STATUS_OK;
oom:
    closedir(d);
    ds_free_names(v, n);
    return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory listing %s", dir);
}

/* ---- entries and list files ------------------------------------------------------------------ */

lorat_status ds_add(dataset *ds, const char *name, const char *alias, const char *dir,
                    const char *anno, int first, int digits, int omit, lorat_error *err) {
    if ((ds->count & (ds->count - 1)) == 0) { /* grow at powers of two */
        int cap = ds->count ? ds->count * 2 : 16;
        if (cap < 16) cap = 16;
        dataset_entry *ns = realloc(ds->seqs, sizeof *ns * (size_t)cap);
        if (!ns) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory listing sequences");
        ds->seqs = ns;
    }
    dataset_entry *e = &ds->seqs[ds->count];
    memset(e, 0, sizeof *e);
    e->name = ds_strdup(name);
    e->alias = ds_strdup(alias);
    e->dir = ds_strdup(dir);
    e->anno = ds_strdup(anno);
    e->first = first;
    e->digits = digits;
    e->omit = omit;
    ds->count++;
    if (!e->name || !e->dir || (alias && !e->alias) || (anno && !e->anno))
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory listing sequences");
    return LORAT_STATUS_OK;
}

void ds_free_entries(dataset *ds) {
    for (int i = 0; i < ds->count; i++) {
        free(ds->seqs[i].name);
        free(ds->seqs[i].alias);
        free(ds->seqs[i].dir);
        free(ds->seqs[i].anno);
    }
    free(ds->seqs);
    ds->seqs = NULL;
    ds->count = 0;
}

lorat_status ds_read_names(const char *path, char ***names, int *count, lorat_error *err) {
    *names = NULL;
    *count = 0;
    char *text;
    lorat_status s = table_slurp(path, &text, NULL, err);
    if (s) return s;
    int n = 0, cap = 0;
    char **v = NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line && isspace((unsigned char)*line)) line++;
        size_t len = strlen(line);
        while (len && isspace((unsigned char)line[len - 1])) line[--len] = '\0';
        if (!len) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nv = realloc(v, sizeof *nv * (size_t)cap);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[n] = ds_strdup(line))) goto oom;
        n++;
    }
    free(text);
    *names = v;
    *count = n;
    return LORAT_STATUS_OK;
oom:
    free(text);
    ds_free_names(v, n);
    return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", path);
}

char *ds_anno_dir(const dataset_entry *e) {
    char *d = ds_strdup(e->anno);
    if (!d) return NULL;
    char *slash = strrchr(d, '/');
    if (slash && slash != d)
        *slash = '\0';
    else if (slash)
        slash[1] = '\0';
    else
        strcpy(d, ".");
    return d;
}

/* ---- labels and meta files ------------------------------------------------------------------- */

lorat_status ds_read_label(const char *dir, const char *file, int n, int lo, int hi,
                           int8_t **out, lorat_error *err) {
    *out = NULL;
    char *path = ds_path(dir, file);
    if (!path) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (!ds_is_file(path)) {
        free(path);
        return LORAT_STATUS_OK;
    }
    num_table t;
    lorat_status s = table_read(path, 1, 0, &t, err);
    if (!s && t.rows != n)
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s has %d line%s but groundtruth.txt has %d: one label per frame expected",
                    path, t.rows, t.rows == 1 ? "" : "s", n);
    if (!s && !(*out = malloc((size_t)n)))
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    for (int i = 0; i < n && !s; i++) {
        double v = t.v[i];
        if (v != floor(v) || v < lo || v > hi)
            s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: label %g is not an integer in %d..%d",
                        path, i + 1, v, lo, hi);
        else
            (*out)[i] = (int8_t)v;
    }
    if (s) {
        free(*out);
        *out = NULL;
    }
    table_free(&t);
    free(path);
    return s;
}

/* meta_info.ini: "[METAINFO]" then "key: value" lines; only resolution: (W, H) is kept. */
lorat_status ds_read_meta(const char *dir, dataset_sequence *seq, lorat_error *err) {
    char *path = ds_path(dir, "meta_info.ini");
    if (!path) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (!ds_is_file(path)) {
        free(path);
        return LORAT_STATUS_OK;
    }
    char *text;
    lorat_status s = table_slurp(path, &text, NULL, err);
    if (s) {
        free(path);
        return s;
    }
    int line = 0;
    for (char *p = text; *p && !s;) {
        char *end = strchr(p, '\n');
        if (end) *end = '\0';
        line++;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncmp(p, "resolution", 10) && (p[10] == ':' || p[10] == ' ')) {
            const char *v = strchr(p, ':');
            /* read as long (no undefined %d overflow), then bounded: a frame side of at most
             * 65535 pixels */
            long lw = 0, lh = 0;
            int used = 0;
            if (!v || sscanf(v + 1, " ( %9ld , %9ld )%n", &lw, &lh, &used) != 2 || used == 0 ||
                lw <= 0 || lh <= 0 || lw > 65535 || lh > 65535)
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s:%d: cannot read the resolution '%s' (expected \"resolution: "
                            "(W, H)\" with W, H in 1..65535)",
                            path, line, v ? v + 1 : p);
            const int w = (int)lw, h = (int)lh;
            seq->width = w;
            seq->height = h;
        }
        if (!end) break;
        p = end + 1;
    }
    free(text);
    free(path);
    return s;
}

/* ---- boxes and frames -------------------------------------------------------------------- */

void dataset_sequence_free(dataset_sequence *seq) {
    if (!seq) return;
    free(seq->name);
    free(seq->frame_paths);
    free(seq->gt);
    free(seq->visible);
    free(seq->valid);
    free(seq->absence);
    free(seq->cover);
    free(seq->cut_by_image);
    memset(seq, 0, sizeof *seq);
}

static lorat_status count_jpgs(const char *dir, int *n, lorat_error *err) {
    char **names;
    lorat_status s = ds_list(dir, ds_keep_jpg, &names, n, err);
    if (!s) ds_free_names(names, *n);
    return s;
}

lorat_status ds_load_boxes(const dataset_entry *e, const char *what, int one_based,
                           int first_only_ok, dataset_sequence *seq, lorat_error *err) {
    memset(seq, 0, sizeof *seq);
    num_table t;
    lorat_status s = table_read(e->anno, 4, 0, &t, err);
    if (s) {
        err_prefix(err, "%s sequence %s", what, e->name);
        return s;
    }
    int rows = t.rows - e->omit;
    if (!(seq->name = ds_strdup(e->name))) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    if (rows < 1) {
        s = err_set(err, LORAT_STATUS_FORMAT, "%s has %d lines, fewer than the %d skipped",
                    e->anno, t.rows, e->omit);
        goto done;
    }
    seq->gt_count = seq->frames = rows;
    /* Test splits publish the first box only: the frames on disk say how long the sequence is. */
    if (first_only_ok && rows == 1) {
        if ((s = count_jpgs(e->dir, &seq->frames, err))) goto done;
        if (seq->frames < 1) {
            s = err_set(err, LORAT_STATUS_FORMAT, "%s sequence %s: %s holds no .jpg frame", what,
                        e->name, e->dir);
            goto done;
        }
    }
    int n = seq->gt_count;
    seq->gt = malloc(sizeof(double) * 4 * (size_t)n);
    seq->visible = malloc((size_t)n);
    seq->valid = malloc((size_t)n);
    if (!seq->gt || !seq->visible || !seq->valid) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    double shift = one_based ? 1.0 : 0.0;
    for (int i = 0; i < n; i++) {
        const double *r = t.v + 4 * (size_t)(i + e->omit);
        double *g = seq->gt + 4 * (size_t)i;
        g[0] = r[0] - shift;
        g[1] = r[1] - shift;
        g[2] = g[0] + r[2];
        g[3] = g[1] + r[3];
        seq->visible[i] = 1;
    }
done:
    table_free(&t);
    if (s) dataset_sequence_free(seq);
    return s;
}

void ds_finish_boxes(dataset_sequence *seq) {
    for (int i = 0; i < seq->gt_count; i++) {
        const double *g = seq->gt + 4 * (size_t)i;
        seq->valid[i] = seq->visible[i] && g[2] - g[0] > 0 && g[3] - g[1] > 0;
    }
    memcpy(seq->init, seq->gt, sizeof seq->init);
}

lorat_status ds_frames_numbered(dataset_sequence *seq, const dataset_entry *e, const char *what,
                                lorat_error *err) {
    const char *dir = e->dir, *ext = ".jpg";
    const int first = e->first + e->omit, digits = e->digits, n = seq->frames;
    size_t dl = strlen(dir), el = strlen(ext);
    size_t per = dl + 1 + 12 + el + 1;
    char **v = malloc(sizeof(char *) * (size_t)n + per * (size_t)n);
    if (!v) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory listing frames");
    char *str = (char *)(v + n);
    for (int i = 0; i < n; i++) {
        v[i] = str;
        int len = snprintf(str, per, "%s/%0*d%s", dir, digits, first + i, ext);
        str += len + 1;
    }
    if (!ds_is_file(v[0]) || !ds_is_file(v[n - 1])) {
        const char *missing = !ds_is_file(v[0]) ? v[0] : v[n - 1];
        lorat_status s = err_set(
            err, LORAT_STATUS_IO,
            "%s sequence %s: frame %s is missing (the ground truth has %d line%s, so the "
            "frames must run from %0*d%s to %0*d%s)",
            what, seq->name, missing, seq->gt_count, seq->gt_count == 1 ? "" : "s", digits,
            first, ext, digits, first + n - 1, ext);
        free(v);
        return s;
    }
    seq->frame_paths = v;
    return LORAT_STATUS_OK;
}

lorat_status ds_frames_listed(dataset_sequence *seq, const char *dir, const char *what,
                              lorat_error *err) {
    char **names;
    int count;
    lorat_status s = ds_list(dir, ds_keep_image, &names, &count, err);
    if (s) return s;
    if (count < seq->frames) {
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s sequence %s: %s has %d image%s but the ground truth has %d lines "
                    "(fewer frames than ground-truth lines)",
                    what, seq->name, dir, count, count == 1 ? "" : "s", seq->gt_count);
        ds_free_names(names, count);
        return s;
    }
    size_t total = 0, dl = strlen(dir);
    for (int i = 0; i < seq->frames; i++) total += dl + 1 + strlen(names[i]) + 1;
    char **v = malloc(sizeof(char *) * (size_t)seq->frames + total);
    if (!v) {
        ds_free_names(names, count);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory listing frames");
    }
    char *str = (char *)(v + seq->frames);
    for (int i = 0; i < seq->frames; i++) {
        v[i] = str;
        str += sprintf(str, "%s/%s", dir, names[i]) + 1;
    }
    ds_free_names(names, count);
    seq->frame_paths = v;
    return LORAT_STATUS_OK;
}
