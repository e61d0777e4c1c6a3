/*
 * datasets_lasot.c — LaSOT and LaSOT_ext: listing ROOT/<cat>/<cat>-<k>/ (or a flat ROOT/<seq>/),
 * the test/train selection, and the full_occlusion / out_of_view flags.
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

static int has_gt(const char *dir, const char *name) {
    char *p = ds_path3(dir, name, "groundtruth.txt");
    int r = p && ds_is_file(p);
    free(p);
    return r;
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
        if (has_gt(ds->root, top[i])) {
            s = add_seq(ds, top[i], cdir, err);
        } else {
            char **sub;
            int nsub;
            s = ds_list(cdir, has_gt, &sub, &nsub, err);
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

lorat_status ds_list_lasot(dataset *ds, lorat_error *err) {
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
        all.root = NULL; /* borrowed */
        dataset_free(&all);
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

lorat_status ds_lasot_visibility(const dataset_entry *e, dataset_sequence *seq, lorat_error *err) {
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
