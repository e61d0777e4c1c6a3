/*
 * results.c — see results.h: writing result files and the servers' zips (reading is
 * results_read.c).
 * Zips are written through libzip (lorat's own reader in io/zip.c uses the ziparc_ prefix, so
 * the two never clash).
 */
#include "core/fileio.h"
#include "eval/results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "data/datasets_impl.h"
#include "data/table.h"

results_layout results_layout_for(dataset_kind kind) {
    return kind == DATASET_GOT10K || kind == DATASET_CUSTOM ? RESULTS_LAYOUT_GOT10K
                                                            : RESULTS_LAYOUT_PLAIN;
}

/* ---- writing ----------------------------------------------------------------------------- */

void results_write_options_default(results_write_options *o, dataset_kind kind) {
    memset(o, 0, sizeof *o);
    o->layout = results_layout_for(kind);
    o->one_based = dataset_one_based(kind);
    o->run = 1;
    o->decimals = 4;
}

/* mkdir -p */
static lorat_status make_dirs(const char *dir, lorat_error *err) {
    char *p = ds_strdup(dir);
    if (!p) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    for (char *q = p + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                lorat_status s = err_set(err, LORAT_STATUS_IO, "cannot create folder %s: %s", p,
                                         strerror(errno));
                free(p);
                return s;
            }
            *q = c;
            if (!c) break;
        }
    }
    free(p);
    if (!ds_is_dir(dir))
        return err_set(err, LORAT_STATUS_IO, "%s exists and is not a folder", dir);
    return LORAT_STATUS_OK;
}

/* Writes len bytes to path atomically (core/fileio: a temporary file beside it, fsync, rename). */
static lorat_status write_atomic(const char *path, const char *data, size_t len,
                                 lorat_error *err) {
    const void *parts[1] = {data};
    return file_write_atomic(path, parts, &len, 1, err);
}

/* Appends printf output to a growing buffer. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int k = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

lorat_status results_write_sequence(const char *dir, const char *name, const double *xyxy, int n,
                                    const double *times, const results_write_options *o,
                                    lorat_error *err) {
    if (n < 1) return err_set(err, LORAT_STATUS_BAD_INPUT, "sequence %s: no boxes to write", name);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            if (!isfinite(xyxy[4 * (size_t)i + k]))
                return err_set(err, LORAT_STATUS_BAD_INPUT,
                               "sequence %s, frame %d: the box has a non-finite coordinate; "
                               "result files must hold finite boxes",
                               name, i);
    char *folder = o->layout == RESULTS_LAYOUT_GOT10K ? ds_path(dir, name) : ds_strdup(dir);
    if (!folder) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    lorat_status s = make_dirs(folder, err);
    char file[1100], tfile[1100];
    if (o->layout == RESULTS_LAYOUT_GOT10K)
        snprintf(file, sizeof file, "%s_%03d.txt", name, o->run > 0 ? o->run : 1);
    else
        snprintf(file, sizeof file, "%s.txt", name);
    snprintf(tfile, sizeof tfile, "%s_time.txt", name);
    sbuf b = {0};
    double shift = o->one_based ? 1.0 : 0.0;
    int dec = o->decimals >= 0 ? o->decimals : 4;
    for (int i = 0; i < n && !s; i++) {
        const double *q = xyxy + 4 * (size_t)i;
        double x1 = q[0], y1 = q[1], x2 = q[2], y2 = q[3];
        if (o->rasterize) { /* LoRAT's bbox_rasterize */
            x2 = floor(x2 + (1 - 1e-4));
            y2 = floor(y2 + (1 - 1e-4));
            x1 = floor(x1);
            y1 = floor(y1);
        }
        sb_printf(&b, "%.*f,%.*f,%.*f,%.*f\n", dec, x1 + shift, dec, y1 + shift, dec, x2 - x1,
                  dec, y2 - y1);
    }
    char *path = ds_path(folder, file);
    if (!s && (b.oom || !path)) s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (!s) s = write_atomic(path, b.p, b.len, err);
    free(path);
    if (!s && times) {
        b.len = 0;
        for (int i = 0; i < n; i++) sb_printf(&b, "%.8f\n", times[i]);
        path = ds_path(folder, tfile);
        if (b.oom || !path)
            s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        else
            s = write_atomic(path, b.p, b.len, err);
        free(path);
    }
    free(b.p);
    free(folder);
    return s;
}

/* Adds the file at path as member `name` of the archive. */
static lorat_status zip_add_file(zip_t *za, const char *path, const char *name, lorat_error *err) {
    zip_source_t *src = zip_source_file(za, path, 0, -1);
    if (!src)
        return err_set(err, LORAT_STATUS_IO, "cannot add %s to the zip: %s", path,
                       zip_strerror(za));
    if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
        zip_source_free(src);
        return err_set(err, LORAT_STATUS_IO, "cannot add %s to the zip: %s", path,
                       zip_strerror(za));
    }
    return LORAT_STATUS_OK;
}

lorat_status results_zip(const char *dir, results_layout layout, char *const *names, int count,
                         const char *zip_path, lorat_error *err) {
    if (count < 1) return err_set(err, LORAT_STATUS_BAD_INPUT, "no sequences to pack into %s", zip_path);
    size_t n = strlen(zip_path);
    char *tmp = malloc(n + 32);
    if (!tmp) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    snprintf(tmp, n + 32, "%s.tmp.%ld", zip_path, (long)getpid());
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *fsrc = zip_source_file_create(tmp, 0, -1, &ze);
    zip_t *za = fsrc ? zip_open_from_source(fsrc, ZIP_CREATE | ZIP_TRUNCATE, &ze) : NULL;
    if (!za) {
        lorat_status s = err_set(err, LORAT_STATUS_IO, "cannot create %s: %s", zip_path,
                                 zip_error_strerror(&ze));
        if (fsrc) zip_source_free(fsrc);
        zip_error_fini(&ze);
        free(tmp);
        return s;
    }
    zip_error_fini(&ze);
    lorat_status s = LORAT_STATUS_OK;
    for (int i = 0; i < count && !s; i++) {
        const char *name = names[i];
        if (layout == RESULTS_LAYOUT_PLAIN) {
            char file[1100];
            snprintf(file, sizeof file, "%s.txt", name);
            char *p = ds_path(dir, file);
            if (!p)
                s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            else if (!ds_is_file(p))
                s = err_set(err, LORAT_STATUS_IO, "cannot pack sequence %s: %s is missing", name,
                            p);
            else
                s = zip_add_file(za, p, file, err);
            free(p);
            continue;
        }
        char *folder = ds_path(dir, name);
        char **files = NULL;
        int nf = 0, boxes = 0;
        s = folder ? ds_list(folder, NULL, &files, &nf, err)
                   : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        if (s) err_prefix(err, "cannot pack sequence %s", name);
        for (int k = 0; k < nf && !s; k++) {
            char tfile[1100];
            snprintf(tfile, sizeof tfile, "%s_time.txt", name);
            int is_run = results_run_number(files[k], name) >= 1;
            if (!is_run && strcmp(files[k], tfile)) continue;
            boxes += is_run;
            char member[2300];
            snprintf(member, sizeof member, "%s/%s", name, files[k]);
            char *p = ds_path(folder, files[k]);
            s = p ? zip_add_file(za, p, member, err)
                  : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            free(p);
        }
        if (!s && !boxes)
            s = err_set(err, LORAT_STATUS_IO, "cannot pack sequence %s: %s/%s_001.txt is missing",
                        name, folder, name);
        ds_free_names(files, nf);
        free(folder);
    }
    if (s) {
        zip_discard(za);
        unlink(tmp);
    } else if (zip_close(za) != 0) {
        s = err_set(err, LORAT_STATUS_IO, "cannot write %s: %s", zip_path, zip_strerror(za));
        zip_discard(za);
        unlink(tmp);
    } else if (rename(tmp, zip_path) != 0) {
        s = err_set(err, LORAT_STATUS_IO, "cannot write %s: %s", zip_path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return s;
}
