/*
 * datasets_got10k.c — GOT-10k (ROOT/{train,val,test}/list.txt + <seq>/) and the custom layout
 * `lorat synth` writes, which is GOT-10k's sequence layout under a root of any name: each
 * sequence folder holds %08d.jpg frames, groundtruth.txt, absence.label, cover.label,
 * cut_by_image.label and meta_info.ini. Test sequences publish their first box only.
 */
#include <stdlib.h>
#include <string.h>

#include "data/datasets_impl.h"

/* One sequence folder: its frames are in the folder itself, 8-digit numbers from 1. */
static lorat_status add_folder(dataset *ds, const char *name, const char *seqdir,
                               lorat_error *err) {
    char *anno = ds_path(seqdir, "groundtruth.txt");
    lorat_status s = anno ? ds_add(ds, name, NULL, seqdir, anno, 1, 8, 0, err)
                          : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    free(anno);
    return s;
}

/* The sequences under base, from list.txt (or, for custom roots without one, every folder
 * holding a groundtruth.txt). */
static lorat_status list_base(dataset *ds, const char *base, int need_list, lorat_error *err) {
    char *list = ds_path(base, "list.txt");
    if (!list) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    char **names;
    int n;
    lorat_status s;
    if (ds_is_file(list) || need_list)
        s = ds_read_names(list, &names, &n, err);
    else
        s = ds_list(base, ds_keep_seq_gt, &names, &n, err);
    free(list);
    if (s) return s;
    for (int i = 0; i < n && !s; i++) {
        char *dir = ds_path(base, names[i]);
        s = dir ? add_folder(ds, names[i], dir, err)
                : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(dir);
    }
    ds_free_names(names, n);
    return s;
}

static lorat_status list_one(dataset *ds, const char *seqdir, lorat_error *err) {
    char name[512];
    return add_folder(ds, ds_basename(seqdir, name, sizeof name), seqdir, err);
}

static lorat_status list_got10k(dataset *ds, const char *seqdir, const dataset_options *opt,
                                lorat_error *err) {
    (void)opt;
    if (seqdir) return list_one(ds, seqdir, err);
    char *base = ds_path(ds->root, dataset_split_name(ds->split));
    char *list = base ? ds_path(base, "list.txt") : NULL;
    if (!list) {
        free(base);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    lorat_status s;
    if (ds_is_file(list)) {
        s = list_base(ds, base, 1, err);
    } else {
        char *own = ds_path(ds->root, "list.txt");
        if (own && ds_is_file(own))
            s = list_base(ds, ds->root, 1, err);
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

static lorat_status list_custom(dataset *ds, const char *seqdir, const dataset_options *opt,
                                lorat_error *err) {
    (void)opt;
    return seqdir ? list_one(ds, seqdir, err) : list_base(ds, ds->root, 0, err);
}

/* Both layouts load alike: the labels and the image size, unless only the first box is public. */
static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    const ds_format *f = ds_format_of(ds->kind);
    const dataset_entry *e = &ds->seqs[index];
    lorat_status s = ds_load_boxes(e, f->display, f->one_based, 1, seq, err);
    if (s) return s;
    char *folder = ds_anno_dir(e);
    if (!folder) s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    const int n = seq->gt_count;
    if (!s && n > 1) {
        if (!(s = ds_read_label(folder, "absence.label", n, 0, 1, &seq->absence, err)) &&
            !(s = ds_read_label(folder, "cover.label", n, 0, 8, &seq->cover, err)))
            s = ds_read_label(folder, "cut_by_image.label", n, 0, 1, &seq->cut_by_image, err);
        if (!s && seq->absence)
            for (int i = 0; i < n; i++) seq->visible[i] = !seq->absence[i];
    }
    if (!s) s = ds_read_meta(folder, seq, err);
    free(folder);
    if (s) {
        err_prefix(err, "%s sequence %s", f->display, e->name);
    } else {
        ds_finish_boxes(seq);
        if (flags & DATASET_LOAD_FRAMES) s = ds_frames_numbered(seq, e, f->display, err);
    }
    if (s) dataset_sequence_free(seq);
    return s;
}

/* A sequence folder: groundtruth.txt beside its first frame. */
static int is_sequence(const char *path) {
    return ds_has_file(path, "groundtruth.txt") && ds_has_file(path, "00000001.jpg");
}

static int has_prefix(const char *s, const char *p) {
    return !strncmp(s, p, strlen(p));
}

static int detect_got10k(const char *path) {
    char name[512];
    ds_basename(path, name, sizeof name);
    if (has_prefix(name, "GOT-10k_") && is_sequence(path)) return DS_DETECT_SEQUENCE;
    static const char *splits[] = {"train", "val", "test"};
    for (int i = 0; i < 3; i++) {
        char *sub = ds_path(path, splits[i]);
        int r = sub && ds_has_file(sub, "list.txt");
        free(sub);
        if (r) return DS_DETECT_ROOT;
    }
    /* the folder of one split: list.txt naming GOT-10k_<Split>_NNNNNN folders */
    char **names;
    int n;
    lorat_error err;
    char *list = ds_path(path, "list.txt");
    int root = 0;
    if (list && ds_is_file(list) && !ds_read_names(list, &names, &n, &err)) {
        root = n > 0 && has_prefix(names[0], "GOT-10k_") && ds_has_dir(path, names[0]);
        ds_free_names(names, n);
    }
    free(list);
    return root ? DS_DETECT_ROOT : DS_DETECT_NONE;
}

static int detect_custom(const char *path) {
    if (is_sequence(path)) return DS_DETECT_SEQUENCE;
    if (ds_has_file(path, "list.txt")) return DS_DETECT_ROOT;
    char **names;
    int n, root = 0;
    lorat_error err;
    if (!ds_list(path, ds_keep_seq_gt, &names, &n, &err)) {
        for (int i = 0; i < n && !root; i++) {
            char *p = ds_path(path, names[i]);
            root = p && is_sequence(p);
            free(p);
        }
        ds_free_names(names, n);
    }
    return root ? DS_DETECT_ROOT : DS_DETECT_NONE;
}

const ds_format ds_format_got10k = {
    .kind = DATASET_GOT10K,
    .name = "got10k",
    .official = "GOT10k",
    .display = "GOT-10k",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST) | DS_SPLIT_BIT(DATASET_SPLIT_VAL) |
              DS_SPLIT_BIT(DATASET_SPLIT_TRAIN),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_TRAIN,
    .splits_text = "its splits are test (the default), val and train",
    .detect = detect_got10k,
    .list = list_got10k,
    .load = load,
};

const ds_format ds_format_custom = {
    .kind = DATASET_CUSTOM,
    .name = "custom",
    .official = "custom",
    .display = "custom",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_ALL) | DS_SPLIT_BIT(DATASET_SPLIT_TEST) |
              DS_SPLIT_BIT(DATASET_SPLIT_VAL) | DS_SPLIT_BIT(DATASET_SPLIT_TRAIN),
    .default_split = DATASET_SPLIT_ALL, /* whatever the folder holds */
    .train_split = DATASET_SPLIT_DEFAULT,
    .splits_text = "a custom root is read whole",
    .detect = detect_custom,
    .list = list_custom,
    .load = load,
};
