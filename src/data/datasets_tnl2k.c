/*
 * datasets_tnl2k.c — TNL2K: ROOT/<seq>/{imgs/ (.jpg and .png, in name order), groundtruth.txt,
 * language.txt}. Its toolkit's absent frames are exactly the zero-size boxes (spec §1.6), so a
 * zero-size box is an invisible frame.
 */
#include <stdlib.h>

#include "data/datasets_impl.h"

static lorat_status add_folder(dataset *ds, const char *name, const char *seqdir,
                               lorat_error *err) {
    char *dir = ds_path(seqdir, "imgs");
    char *anno = ds_path(seqdir, "groundtruth.txt");
    lorat_status s = dir && anno ? ds_add(ds, name, NULL, dir, anno, 1, 0, 0, err)
                                 : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    free(dir);
    free(anno);
    return s;
}

static lorat_status list(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err) {
    (void)opt;
    char name[512];
    if (seqdir) return add_folder(ds, ds_basename(seqdir, name, sizeof name), seqdir, err);
    char **names;
    int n;
    lorat_status s = ds_list(ds->root, ds_keep_seq_gt, &names, &n, err);
    for (int i = 0; i < n && !s; i++) {
        char *seq = ds_path(ds->root, names[i]);
        s = seq ? add_folder(ds, names[i], seq, err)
                : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(seq);
    }
    ds_free_names(names, n);
    return s;
}

static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    const dataset_entry *e = &ds->seqs[index];
    const char *what = ds_format_tnl2k.display;
    lorat_status s = ds_load_boxes(e, what, 0, 0, seq, err);
    if (s) return s;
    for (int i = 0; i < seq->gt_count; i++) {
        const double *g = seq->gt + 4 * (size_t)i;
        seq->visible[i] = g[2] - g[0] > 0 && g[3] - g[1] > 0;
    }
    ds_finish_boxes(seq);
    if ((flags & DATASET_LOAD_FRAMES) && (s = ds_frames_listed(seq, e->dir, what, err)))
        dataset_sequence_free(seq);
    return s;
}

static int is_sequence(const char *path) {
    return ds_has_dir(path, "imgs") && ds_has_file(path, "groundtruth.txt");
}

static int detect(const char *path) {
    if (is_sequence(path)) return DS_DETECT_SEQUENCE;
    char **names;
    int n, found = 0;
    lorat_error err;
    if (ds_list(path, ds_keep_seq_gt, &names, &n, &err)) return DS_DETECT_NONE;
    for (int i = 0; i < n && !found; i++) {
        char *p = ds_path(path, names[i]);
        found = p && is_sequence(p);
        free(p);
    }
    ds_free_names(names, n);
    return found ? DS_DETECT_ROOT : DS_DETECT_NONE;
}

const ds_format ds_format_tnl2k = {
    .kind = DATASET_TNL2K,
    .name = "tnl2k",
    .official = "TNL2K",
    .display = "TNL2K",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_DEFAULT,
    .splits_text = "it has one split, its test set",
    .detect = detect,
    .list = list,
    .load = load,
};
