/*
 * datasets.c — see datasets.h. The shared machinery (paths, listings, entries), the listers of
 * GOT-10k, custom, TrackingNet and TNL2K, and dataset_load for every layout. LaSOT's and OTB's
 * listers live in datasets_lasot.c and datasets_otb.c, COCO's reader in datasets_coco.c.
 */
#include "data/datasets.h"

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

/* ---- names ------------------------------------------------------------------------------- */

static const struct {
    dataset_kind kind;
    const char *name, *official, *display;
} kinds[] = {
    {DATASET_LASOT, "lasot", "LaSOT", "LaSOT"},
    {DATASET_LASOT_EXT, "lasot_ext", "LaSOT_Extension", "LaSOT_ext"},
    {DATASET_GOT10K, "got10k", "GOT10k", "GOT-10k"},
    {DATASET_TRACKINGNET, "trackingnet", "TrackingNet", "TrackingNet"},
    {DATASET_OTB, "otb", "OTB100", "OTB100"},
    {DATASET_TNL2K, "tnl2k", "TNL2K", "TNL2K"},
    {DATASET_CUSTOM, "custom", "custom", "custom"},
    {DATASET_COCO, "coco", "COCO", "COCO"},
};
#define N_KINDS (int)(sizeof kinds / sizeof kinds[0])

const char *dataset_kind_name(dataset_kind kind) {
    for (int i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind) return kinds[i].name;
    return "unknown";
}

const char *dataset_official_name(dataset_kind kind) {
    for (int i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind) return kinds[i].official;
    return "unknown";
}

const char *dataset_display_name(dataset_kind kind) {
    for (int i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == kind) return kinds[i].display;
    return "unknown";
}

lorat_status dataset_kind_parse(const char *name, dataset_kind *kind, lorat_error *err) {
    static const struct {
        const char *name;
        dataset_kind kind;
    } aliases[] = {{"lasot_extension", DATASET_LASOT_EXT}, {"lasotext", DATASET_LASOT_EXT},
                   {"got-10k", DATASET_GOT10K},          {"otb2015", DATASET_OTB},
                   {"tnl2k_test", DATASET_TNL2K},          {"coco2017", DATASET_COCO}};
    for (int i = 0; i < N_KINDS; i++)
        if (!strcasecmp(name, kinds[i].name) || !strcasecmp(name, kinds[i].official) ||
            !strcasecmp(name, kinds[i].display)) {
            *kind = kinds[i].kind;
            return LORAT_STATUS_OK;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcasecmp(name, aliases[i].name)) {
            *kind = aliases[i].kind;
            return LORAT_STATUS_OK;
        }
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "unknown dataset '%s' (known: lasot, lasot_ext, got10k, trackingnet, otb, "
                   "tnl2k, custom, coco)",
                   name);
}

int dataset_one_based(dataset_kind kind) {
    return kind == DATASET_LASOT;
}

const char *dataset_split_name(dataset_split split) {
    switch (split) {
    case DATASET_SPLIT_DEFAULT: return "default";
    case DATASET_SPLIT_TEST: return "test";
    case DATASET_SPLIT_VAL: return "val";
    case DATASET_SPLIT_TRAIN: return "train";
    case DATASET_SPLIT_ALL: return "all";
    }
    return "unknown";
}

lorat_status dataset_split_parse(const char *name, dataset_split *split, lorat_error *err) {
    static const dataset_split all[] = {DATASET_SPLIT_TEST, DATASET_SPLIT_VAL, DATASET_SPLIT_TRAIN,
                                        DATASET_SPLIT_ALL};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(name, dataset_split_name(all[i]))) {
            *split = all[i];
            return LORAT_STATUS_OK;
        }
    return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown split '%s' (test, val, train or all)",
                   name);
}

/* ---- paths and listings ------------------------------------------------------------------ */

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

static int has_ext(const char *name, const char *ext) {
    size_t n = strlen(name), e = strlen(ext);
    return n > e && !strcasecmp(name + n - e, ext);
}

int ds_keep_dir(const char *dir, const char *name) {
    char *p = ds_path(dir, name);
    int r = p && ds_is_dir(p);
    free(p);
    return r;
}

int ds_keep_image(const char *dir, const char *name) {
    return has_ext(name, ".jpg") || has_ext(name, ".jpeg") || has_ext(name, ".png");
}

int ds_keep_jpg(const char *dir, const char *name) {
    return has_ext(name, ".jpg");
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

/* ---- listers ----------------------------------------------------------------------------- */

static int keep_seq_with_gt(const char *dir, const char *name) {
    char *p = ds_path3(dir, name, "groundtruth.txt");
    int r = p && ds_is_file(p);
    free(p);
    return r;
}

/* GOT-10k's sequence layout under base, from list.txt (or, for custom roots without one, every
 * folder holding a groundtruth.txt). */
static lorat_status list_got10k_layout(dataset *ds, const char *base, int need_list,
                                       lorat_error *err) {
    char *list = ds_path(base, "list.txt");
    if (!list) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    char **names;
    int n;
    lorat_status s;
    if (ds_is_file(list) || need_list)
        s = ds_read_names(list, &names, &n, err);
    else
        s = ds_list(base, keep_seq_with_gt, &names, &n, err);
    free(list);
    if (s) return s;
    for (int i = 0; i < n && !s; i++) {
        char *dir = ds_path(base, names[i]);
        char *anno = dir ? ds_path(dir, "groundtruth.txt") : NULL;
        s = dir && anno ? ds_add(ds, names[i], NULL, dir, anno, 1, 8, 0, err)
                        : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(dir);
        free(anno);
    }
    ds_free_names(names, n);
    return s;
}

static lorat_status list_got10k(dataset *ds, lorat_error *err) {
    const char *sub = dataset_split_name(ds->split);
    char *base = ds_path(ds->root, sub);
    char *list = base ? ds_path(base, "list.txt") : NULL;
    if (!list) {
        free(base);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    lorat_status s;
    if (ds_is_file(list)) {
        s = list_got10k_layout(ds, base, 1, err);
    } else {
        char *own = ds_path(ds->root, "list.txt");
        if (own && ds_is_file(own))
            s = list_got10k_layout(ds, ds->root, 1, err);
        else
            s = err_set(err, LORAT_STATUS_IO,
                        "GOT-10k: found neither %s nor %s (give the GOT-10k root, which holds "
                        "train/ val/ test/, or the folder of one split)",
                        list, own ? own : "list.txt");
        free(own);
    }
    free(base);
    free(list);
    return s;
}

static int keep_txt(const char *dir, const char *name) {
    return has_ext(name, ".txt");
}

static lorat_status list_trackingnet_chunk(dataset *ds, const char *chunk, lorat_error *err) {
    char *cdir = ds_path(ds->root, chunk);
    char *adir = cdir ? ds_path(cdir, "anno") : NULL;
    char *fdir = cdir ? ds_path(cdir, "frames") : NULL;
    char **names = NULL;
    int n = 0;
    lorat_status s = adir && fdir ? ds_list(adir, keep_txt, &names, &n, err)
                                  : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    for (int i = 0; i < n && !s; i++) {
        names[i][strlen(names[i]) - 4] = '\0';
        char file[1024];
        snprintf(file, sizeof file, "%s.txt", names[i]);
        char *dir = ds_path(fdir, names[i]);
        char *anno = ds_path(adir, file);
        s = dir && anno ? ds_add(ds, names[i], NULL, dir, anno, 0, 0, 0, err)
                        : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(dir);
        free(anno);
    }
    ds_free_names(names, n);
    free(cdir);
    free(adir);
    free(fdir);
    return s;
}

static lorat_status list_trackingnet(dataset *ds, lorat_error *err) {
    lorat_status s = LORAT_STATUS_OK;
    if (ds->split == DATASET_SPLIT_TEST || ds->split == DATASET_SPLIT_ALL) {
        char *t = ds_path(ds->root, "TEST");
        int ok = t && ds_is_dir(t);
        free(t);
        if (!ok)
            return err_set(err, LORAT_STATUS_IO,
                           "TrackingNet: %s has no TEST folder (the root holds TEST/ and "
                           "TRAIN_0 ... TRAIN_11/, each with anno/ and frames/)",
                           ds->root);
        if ((s = list_trackingnet_chunk(ds, "TEST", err))) return s;
    }
    if (ds->split == DATASET_SPLIT_TRAIN || ds->split == DATASET_SPLIT_ALL) {
        int found = 0;
        for (int k = 0; k < 12 && !s; k++) {
            char chunk[32];
            snprintf(chunk, sizeof chunk, "TRAIN_%d", k);
            char *t = ds_path(ds->root, chunk);
            int ok = t && ds_is_dir(t);
            free(t);
            if (!ok) continue;
            found++;
            s = list_trackingnet_chunk(ds, chunk, err);
        }
        if (!s && !found)
            return err_set(err, LORAT_STATUS_IO, "TrackingNet: %s has no TRAIN_k folder",
                           ds->root);
    }
    return s;
}

static lorat_status list_tnl2k(dataset *ds, lorat_error *err) {
    char **names;
    int n;
    lorat_status s = ds_list(ds->root, keep_seq_with_gt, &names, &n, err);
    for (int i = 0; i < n && !s; i++) {
        char *dir = ds_path3(ds->root, names[i], "imgs");
        char *anno = ds_path3(ds->root, names[i], "groundtruth.txt");
        s = dir && anno ? ds_add(ds, names[i], NULL, dir, anno, 1, 0, 0, err)
                        : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(dir);
        free(anno);
    }
    ds_free_names(names, n);
    return s;
}

/* ---- open / free ------------------------------------------------------------------------- */

static lorat_status resolve_split(dataset *ds, dataset_split split, lorat_error *err) {
    const char *kind = dataset_display_name(ds->kind);
    switch (ds->kind) {
    case DATASET_LASOT:
    case DATASET_TRACKINGNET:
        if (split == DATASET_SPLIT_VAL)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s has no val split (test, train, all)",
                           kind);
        ds->split = split == DATASET_SPLIT_DEFAULT ? DATASET_SPLIT_TEST : split;
        return LORAT_STATUS_OK;
    case DATASET_GOT10K:
        if (split == DATASET_SPLIT_ALL)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "GOT-10k's splits are test, val and train (not all)");
        ds->split = split == DATASET_SPLIT_DEFAULT ? DATASET_SPLIT_TEST : split;
        return LORAT_STATUS_OK;
    case DATASET_LASOT_EXT:
    case DATASET_OTB:
    case DATASET_TNL2K:
        if (split == DATASET_SPLIT_VAL || split == DATASET_SPLIT_TRAIN)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s has one split, its test set (--split %s does not apply)", kind,
                           dataset_split_name(split));
        ds->split = DATASET_SPLIT_TEST;
        return LORAT_STATUS_OK;
    case DATASET_COCO:
        if (split == DATASET_SPLIT_TEST || split == DATASET_SPLIT_ALL)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "COCO's splits are train (train2017, the default) and val (val2017)");
        ds->split = split == DATASET_SPLIT_DEFAULT ? DATASET_SPLIT_TRAIN : split;
        return LORAT_STATUS_OK;
    case DATASET_CUSTOM: /* whatever the folder holds */
        ds->split = split == DATASET_SPLIT_DEFAULT ? DATASET_SPLIT_ALL : split;
        return LORAT_STATUS_OK;
    }
    return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown dataset kind %d", (int)ds->kind);
}

lorat_status dataset_open(dataset *ds, dataset_kind kind, const char *root,
                          const dataset_options *opt, lorat_error *err) {
    static const dataset_options defaults = {0};
    if (!opt) opt = &defaults;
    memset(ds, 0, sizeof *ds);
    ds->kind = kind;
    lorat_status s = resolve_split(ds, opt->split, err);
    if (s) return s;
    if (!ds_is_dir(root))
        return err_set(err, LORAT_STATUS_IO, "%s root %s is not a folder",
                       dataset_display_name(kind), root);
    if (!(ds->root = ds_strdup(root))) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    switch (kind) {
    case DATASET_LASOT:
    case DATASET_LASOT_EXT: s = ds_list_lasot(ds, err); break;
    case DATASET_GOT10K: s = list_got10k(ds, err); break;
    case DATASET_CUSTOM: s = list_got10k_layout(ds, root, 0, err); break;
    case DATASET_TRACKINGNET: s = list_trackingnet(ds, err); break;
    case DATASET_OTB: s = ds_list_otb(ds, opt, err); break;
    case DATASET_TNL2K: s = list_tnl2k(ds, err); break;
    case DATASET_COCO: s = ds_list_coco(ds, err); break;
    }
    if (!s && ds->count == 0)
        s = err_set(err, LORAT_STATUS_FORMAT, "%s (%s split): no sequences found under %s",
                    dataset_display_name(kind), dataset_split_name(ds->split), root);
    if (s) dataset_free(ds);
    return s;
}

void dataset_free(dataset *ds) {
    if (!ds) return;
    if (ds->coco) ds_free_coco(ds); /* its entries' strings and the entries */
    for (int i = 0; i < ds->count; i++) {
        free(ds->seqs[i].name);
        free(ds->seqs[i].alias);
        free(ds->seqs[i].dir);
        free(ds->seqs[i].anno);
    }
    free(ds->seqs);
    free(ds->root);
    memset(ds, 0, sizeof *ds);
}

int dataset_find(const dataset *ds, const char *name) {
    for (int i = 0; i < ds->count; i++)
        if (!strcmp(ds->seqs[i].name, name)) return i;
    for (int i = 0; i < ds->count; i++)
        if (ds->seqs[i].alias && !strcmp(ds->seqs[i].alias, name)) return i;
    return -1;
}

/* ---- loading ----------------------------------------------------------------------------- */

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

/* The folder that holds a sequence's ground-truth file. */
static char *anno_dir(const dataset_entry *e) {
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

/* A per-frame integer label file (absence.label, cover.label, ...): n lines, values in lo..hi.
 * A missing file leaves *out NULL. */
static lorat_status read_label(const char *dir, const char *file, int n, int lo, int hi,
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
static lorat_status read_meta(const char *dir, dataset_sequence *seq, lorat_error *err) {
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

/* Frame paths dir/<number><ext> for numbers first .. first+n-1, zero-padded to digits. */
static lorat_status frames_numbered(dataset_sequence *seq, const char *dir, int first, int digits,
                                    const char *ext, const char *what, lorat_error *err) {
    int n = seq->frames;
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

/* Frame paths from a listing of dir (names sorted by strcmp), the first seq->frames of them. */
static lorat_status frames_listed(dataset_sequence *seq, const char *dir, const char *what,
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

static lorat_status count_jpgs(const char *dir, int *n, lorat_error *err) {
    char **names;
    lorat_status s = ds_list(dir, ds_keep_jpg, &names, n, err);
    if (!s) ds_free_names(names, *n);
    return s;
}

lorat_status dataset_load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                          lorat_error *err) {
    memset(seq, 0, sizeof *seq);
    if (index < 0 || index >= ds->count)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "sequence index %d outside 0..%d", index,
                       ds->count - 1);
    if (ds->kind == DATASET_COCO) return ds_load_coco(ds, index, flags, seq, err);
    const dataset_entry *e = &ds->seqs[index];
    const char *what = dataset_display_name(ds->kind);
    num_table t;
    lorat_status s = table_read(e->anno, 4, 0, &t, err);
    if (s) {
        err_prefix(err, "%s sequence %s", what, e->name);
        return s;
    }
    char *folder = anno_dir(e);
    int rows = t.rows - e->omit;
    if (!(seq->name = ds_strdup(e->name)) || !folder) {
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
    int first_only = rows == 1 && (ds->kind == DATASET_GOT10K || ds->kind == DATASET_CUSTOM ||
                                   ds->kind == DATASET_TRACKINGNET);
    if (first_only) {
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
    double shift = dataset_one_based(ds->kind) ? 1.0 : 0.0;
    for (int i = 0; i < n; i++) {
        const double *r = t.v + 4 * (size_t)(i + e->omit);
        double *g = seq->gt + 4 * (size_t)i;
        g[0] = r[0] - shift;
        g[1] = r[1] - shift;
        g[2] = g[0] + r[2];
        g[3] = g[1] + r[3];
        seq->visible[i] = 1;
    }
    switch (ds->kind) {
    case DATASET_LASOT:
    case DATASET_LASOT_EXT: s = ds_lasot_visibility(e, seq, err); break;
    case DATASET_GOT10K:
    case DATASET_CUSTOM:
        if (!first_only) {
            if ((s = read_label(folder, "absence.label", n, 0, 1, &seq->absence, err)) ||
                (s = read_label(folder, "cover.label", n, 0, 8, &seq->cover, err)) ||
                (s = read_label(folder, "cut_by_image.label", n, 0, 1, &seq->cut_by_image, err)))
                break;
            if (seq->absence)
                for (int i = 0; i < n; i++) seq->visible[i] = !seq->absence[i];
        }
        s = read_meta(folder, seq, err);
        break;
    case DATASET_TNL2K:
        /* The toolkit's absent frames are exactly its zero-size boxes (spec §1.6). */
        for (int i = 0; i < n; i++) {
            const double *g = seq->gt + 4 * (size_t)i;
            seq->visible[i] = g[2] - g[0] > 0 && g[3] - g[1] > 0;
        }
        break;
    case DATASET_TRACKINGNET:
    case DATASET_OTB:
    case DATASET_COCO: break;
    }
    if (s) {
        err_prefix(err, "%s sequence %s", what, e->name);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const double *g = seq->gt + 4 * (size_t)i;
        seq->valid[i] = seq->visible[i] && g[2] - g[0] > 0 && g[3] - g[1] > 0;
    }
    memcpy(seq->init, seq->gt, sizeof seq->init);
    if (flags & DATASET_LOAD_FRAMES) {
        switch (ds->kind) {
        case DATASET_TNL2K: s = frames_listed(seq, e->dir, what, err); break;
        case DATASET_LASOT:
        case DATASET_LASOT_EXT:
        case DATASET_GOT10K:
        case DATASET_CUSTOM:
        case DATASET_TRACKINGNET:
        case DATASET_OTB:
        case DATASET_COCO:
            s = frames_numbered(seq, e->dir, e->first + e->omit, e->digits, ".jpg", what, err);
            break;
        }
    }
done:
    table_free(&t);
    free(folder);
    if (s) dataset_sequence_free(seq);
    return s;
}
