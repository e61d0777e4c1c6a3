/*
 * datasets_lasot.c — LaSOT and LaSOT_ext: listing ROOT/<cat>/<cat>-<k>/ (or a flat ROOT/<seq>/),
 * the test/train selection, the full_occlusion / out_of_view flags, and telling the two apart
 * from a folder (their layouts are the same; LaSOT_ext's 15 categories are none of LaSOT's 70).
 */
#include <stdlib.h>
#include <string.h>

#include "data/datasets_impl.h"
#include "data/datasets_lasot_list.h"

static lorat_status add_seq(dataset *ds, const char *name, const char *seqdir, lorat_error *err) {
    char *img = ds_path(seqdir, "img");
    char *anno = ds_path(seqdir, "groundtruth.txt");
    lorat_status s = img && anno ? ds_add(ds, name, NULL, img, anno, 1, 8, 0, err)
                                 : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    free(img);
    free(anno);
    return s;
}

/* Every sequence: a folder with a groundtruth.txt, directly under root or one level down (the
 * category folders). Order: by category, then by name. */
static lorat_status list_all(dataset *ds, lorat_error *err) {
    char **top;
    int ntop;
    lorat_status s = ds_list(ds->root, ds_keep_dir, &top, &ntop, err);
    for (int i = 0; i < ntop && !s; i++) {
        char *cdir = ds_path(ds->root, top[i]);
        if (!cdir) {
            s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            break;
        }
        if (ds_keep_seq_gt(ds->root, top[i])) {
            s = add_seq(ds, top[i], cdir, err);
        } else {
            char **sub;
            int nsub;
            s = ds_list(cdir, ds_keep_seq_gt, &sub, &nsub, err);
            for (int j = 0; j < nsub && !s; j++) {
                char *sdir = ds_path(cdir, sub[j]);
                s = sdir ? add_seq(ds, sub[j], sdir, err)
                         : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
                free(sdir);
            }
            ds_free_names(sub, nsub);
        }
        free(cdir);
    }
    ds_free_names(top, ntop);
    return s;
}

/* The folder of sequence name: ROOT/<cat>/<name> (cat = name up to its last '-'), or ROOT/<name>. */
static char *find_seq(const char *root, const char *name) {
    char cat[256];
    const char *dash = strrchr(name, '-');
    size_t n = dash ? (size_t)(dash - name) : strlen(name);
    if (n >= sizeof cat) n = sizeof cat - 1;
    memcpy(cat, name, n);
    cat[n] = '\0';
    char *p = ds_path3(root, cat, name);
    if (p && ds_is_dir(p)) return p;
    free(p);
    p = ds_path(root, name);
    if (p && ds_is_dir(p)) return p;
    free(p);
    return NULL;
}

/* The names of a split list: ROOT/<file>, or the built-in test list. */
static lorat_status split_names(const dataset *ds, const char *file, char ***names, int *count,
                                int *builtin, lorat_error *err) {
    char *path = ds_path(ds->root, file);
    if (!path) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    *builtin = 0;
    lorat_status s = LORAT_STATUS_OK;
    if (ds_is_file(path)) {
        s = ds_read_names(path, names, count, err);
    } else if (!strcmp(file, "testing_set.txt")) {
        int n = (int)(sizeof lasot_testing_set / sizeof lasot_testing_set[0]);
        *names = malloc(sizeof(char *) * (size_t)n);
        if (!*names) s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        for (int i = 0; i < n && !s; i++)
            if (!((*names)[i] = ds_strdup(lasot_testing_set[i]))) {
                ds_free_names(*names, i);
                s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            }
        *count = s ? 0 : n;
        *builtin = 1;
    } else {
        *names = NULL;
        *count = -1; /* no such list */
    }
    free(path);
    return s;
}

static lorat_status list_named(dataset *ds, char **names, int n, const char *from,
                               lorat_error *err) {
    lorat_status s = LORAT_STATUS_OK;
    for (int i = 0; i < n && !s; i++) {
        char *dir = find_seq(ds->root, names[i]);
        if (!dir)
            return err_set(err, LORAT_STATUS_IO,
                           "LaSOT sequence %s (%s, line %d) is not under %s: neither "
                           "<root>/<category>/%s nor <root>/%s is a folder",
                           names[i], from, i + 1, ds->root, names[i], names[i]);
        s = add_seq(ds, names[i], dir, err);
        free(dir);
    }
    return s;
}

static lorat_status list_lasot(dataset *ds, lorat_error *err) {
    if (ds->kind == DATASET_LASOT_EXT || ds->split == DATASET_SPLIT_ALL) return list_all(ds, err);
    char **test;
    int ntest, builtin;
    lorat_status s = split_names(ds, "testing_set.txt", &test, &ntest, &builtin, err);
    if (s) return s;
    if (ds->split == DATASET_SPLIT_TEST) {
        s = list_named(ds, test, ntest,
                       builtin ? "the built-in testing_set.txt" : "testing_set.txt", err);
        ds_free_names(test, ntest);
        return s;
    }
    /* train: training_set.txt, or every sequence not in the test list */
    char **train;
    int ntrain, unused;
    s = split_names(ds, "training_set.txt", &train, &ntrain, &unused, err);
    if (!s && ntrain >= 0) {
        s = list_named(ds, train, ntrain, "training_set.txt", err);
        ds_free_names(train, ntrain);
    } else if (!s) {
        dataset all = *ds;
        all.count = 0;
        all.seqs = NULL;
        s = list_all(&all, err);
        for (int i = 0; i < all.count && !s; i++) {
            int in_test = 0;
            for (int j = 0; j < ntest && !in_test; j++) in_test = !strcmp(all.seqs[i].name, test[j]);
            if (!in_test)
                s = ds_add(ds, all.seqs[i].name, NULL, all.seqs[i].dir, all.seqs[i].anno, 1, 8,
                           0, err);
        }
        ds_free_entries(&all);
    }
    ds_free_names(test, ntest);
    return s;
}

/* One flag file: n values of 0/1 (as one comma-separated line; any layout accepted). */
static lorat_status read_flags(const char *dir, const char *file, int n, num_table *t,
                               lorat_error *err) {
    char *path = ds_path(dir, file);
    if (!path) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    lorat_status s = table_read(path, TABLE_FLAT, 0, t, err);
    if (!s && t->cols < n)
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s has %d values but groundtruth.txt has %d lines: one 0/1 flag per frame "
                    "expected",
                    path, t->cols, n);
    for (int i = 0; i < n && !s; i++)
        if (t->v[i] != 0 && t->v[i] != 1)
            s = err_set(err, LORAT_STATUS_FORMAT, "%s: value %d is %g; flags are 0 or 1", path,
                        i + 1, t->v[i]);
    if (s) table_free(t);
    free(path);
    return s;
}

static lorat_status read_visibility(const dataset_entry *e, dataset_sequence *seq,
                                    lorat_error *err) {
    char *dir = ds_strdup(e->anno);
    if (!dir) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    num_table occ = {0}, oov = {0};
    lorat_status s = read_flags(dir, "full_occlusion.txt", seq->gt_count, &occ, err);
    if (!s) s = read_flags(dir, "out_of_view.txt", seq->gt_count, &oov, err);
    if (!s)
        for (int i = 0; i < seq->gt_count; i++) seq->visible[i] = !(occ.v[i] != 0 || oov.v[i] != 0);
    table_free(&occ);
    table_free(&oov);
    free(dir);
    return s;
}

static lorat_status list(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err) {
    (void)opt;
    if (!seqdir) return list_lasot(ds, err);
    char name[512];
    return add_seq(ds, ds_basename(seqdir, name, sizeof name), seqdir, err);
}

static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    const ds_format *f = ds_format_of(ds->kind);
    const dataset_entry *e = &ds->seqs[index];
    lorat_status s = ds_load_boxes(e, f->display, f->one_based, 0, seq, err);
    if (s) return s;
    if ((s = read_visibility(e, seq, err))) {
        err_prefix(err, "%s sequence %s", f->display, e->name);
    } else {
        ds_finish_boxes(seq);
        if (flags & DATASET_LOAD_FRAMES) s = ds_frames_numbered(seq, e, f->display, err);
    }
    if (s) dataset_sequence_free(seq);
    return s;
}

/* ---- detection --------------------------------------------------------------------------- */

/* LaSOT_ext's categories (LoRAT's LaSOT_Extension.py; spec/evaluation.md §2). */
static const char *const ext_categories[] = {
    "atv",  "badminton", "cosplay", "dancingshoe", "footbag", "frisbee",     "jianzi",  "lantern",
    "misc", "opossum",   "paddle",  "raccoon",     "rhino",   "skatingshoe", "wingsuit",
};

static int ext_category(const char *cat, size_t n) {
    for (size_t i = 0; i < sizeof ext_categories / sizeof ext_categories[0]; i++)
        if (strlen(ext_categories[i]) == n && !strncmp(ext_categories[i], cat, n)) return 1;
    return 0;
}

/* A sequence folder: img/ beside groundtruth.txt (and no OTB groundtruth_rect.txt). */
static int is_sequence(const char *path) {
    return ds_has_dir(path, "img") && ds_has_file(path, "groundtruth.txt");
}

/* 1: a sequence named <cat>-<k> of an extension category; 0: of another one; -1: no name. */
static int ext_sequence_name(const char *name) {
    const char *dash = strrchr(name, '-');
    return dash ? ext_category(name, (size_t)(dash - name)) : -1;
}

/* What the folder at path is, and whether its sequences are the extension's (*ext). */
static int detect_any(const char *path, int *ext) {
    char name[512];
    ds_basename(path, name, sizeof name);
    if (is_sequence(path)) {
        *ext = ext_sequence_name(name) == 1;
        return DS_DETECT_SEQUENCE;
    }
    if (ds_has_file(path, "testing_set.txt") || ds_has_file(path, "training_set.txt")) {
        *ext = 0;
        return DS_DETECT_ROOT;
    }
    /* a root: ROOT/<cat>/<cat>-<k>/ or a flat ROOT/<seq>/ */
    char **top;
    int ntop, found = DS_DETECT_NONE;
    lorat_error err;
    if (ds_list(path, ds_keep_dir, &top, &ntop, &err)) return DS_DETECT_NONE;
    for (int i = 0; i < ntop && !found; i++) {
        char *cdir = ds_path(path, top[i]);
        if (cdir && is_sequence(cdir)) {
            found = DS_DETECT_ROOT;
            *ext = ext_sequence_name(top[i]) == 1;
        } else if (cdir) {
            char **sub;
            int nsub;
            if (!ds_list(cdir, ds_keep_dir, &sub, &nsub, &err)) {
                for (int j = 0; j < nsub && !found; j++) {
                    char *sdir = ds_path(cdir, sub[j]);
                    if (sdir && is_sequence(sdir)) {
                        found = DS_DETECT_ROOT;
                        *ext = ext_category(top[i], strlen(top[i]));
                    }
                    free(sdir);
                }
                ds_free_names(sub, nsub);
            }
        }
        free(cdir);
    }
    ds_free_names(top, ntop);
    return found;
}

static int detect_lasot(const char *path) {
    int ext = 0, r = detect_any(path, &ext);
    return ext ? DS_DETECT_NONE : r;
}

static int detect_lasot_ext(const char *path) {
    int ext = 0, r = detect_any(path, &ext);
    return ext ? r : DS_DETECT_NONE;
}

const ds_format ds_format_lasot = {
    .kind = DATASET_LASOT,
    .name = "lasot",
    .official = "LaSOT",
    .display = "LaSOT",
    .one_based = 1, /* its files count from 1: x and y lose 1 at load, as LoRAT's loader does */
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST) | DS_SPLIT_BIT(DATASET_SPLIT_TRAIN) |
              DS_SPLIT_BIT(DATASET_SPLIT_ALL),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_TRAIN,
    .splits_text = "its splits are test (the default), train and all",
    .detect = detect_lasot,
    .list = list,
    .load = load,
};

const ds_format ds_format_lasot_ext = {
    .kind = DATASET_LASOT_EXT,
    .name = "lasot_ext",
    .official = "LaSOT_Extension",
    .display = "LaSOT_ext",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_DEFAULT,
    .splits_text = "it has one split, its test set",
    .detect = detect_lasot_ext,
    .list = list,
    .load = load,
};
