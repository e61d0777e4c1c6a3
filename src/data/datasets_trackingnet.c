/*
 * datasets_trackingnet.c — TrackingNet: ROOT/{TEST, TRAIN_0 .. TRAIN_11}/{anno/<seq>.txt,
 * frames/<seq>/<i>.jpg} with i from 0, unpadded (so listed in numeric order). TEST publishes
 * the first box of each sequence only. A sequence folder is <chunk>/frames/<seq>, whose
 * ground truth is <chunk>/anno/<seq>.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/datasets_impl.h"

static lorat_status list_chunk(dataset *ds, const char *chunk, lorat_error *err) {
    char *cdir = ds_path(ds->root, chunk);
    char *adir = cdir ? ds_path(cdir, "anno") : NULL;
    char *fdir = cdir ? ds_path(cdir, "frames") : NULL;
    char **names = NULL;
    int n = 0;
    lorat_status s = adir && fdir ? ds_list(adir, ds_keep_txt, &names, &n, err)
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

/* The ground-truth file of the sequence folder <chunk>/frames/<seq> (malloc), or NULL. */
static char *anno_of(const char *seqdir) {
    char name[512], parent_name[64];
    ds_basename(seqdir, name, sizeof name);
    char *frames = ds_dirname(seqdir);
    char *chunk = frames ? ds_dirname(frames) : NULL;
    char file[600];
    snprintf(file, sizeof file, "%s.txt", name);
    char *anno = NULL;
    if (frames && chunk && !strcmp(ds_basename(frames, parent_name, sizeof parent_name), "frames"))
        anno = ds_path3(chunk, "anno", file);
    free(frames);
    free(chunk);
    return anno;
}

static lorat_status list(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err) {
    (void)opt;
    if (seqdir) {
        char name[512];
        char *anno = anno_of(seqdir);
        lorat_status s = anno ? ds_add(ds, ds_basename(seqdir, name, sizeof name), NULL, seqdir,
                                       anno, 0, 0, 0, err)
                              : err_set(err, LORAT_STATUS_BAD_INPUT,
                                        "TrackingNet: %s is not a <chunk>/frames/<seq> folder",
                                        seqdir);
        free(anno);
        return s;
    }
    lorat_status s = LORAT_STATUS_OK;
    if (ds->split == DATASET_SPLIT_TEST || ds->split == DATASET_SPLIT_ALL) {
        if (!ds_has_dir(ds->root, "TEST"))
            return err_set(err, LORAT_STATUS_IO,
                           "TrackingNet: %s has no TEST folder (the root holds TEST/ and "
                           "TRAIN_0 ... TRAIN_11/, each with anno/ and frames/)",
                           ds->root);
        if ((s = list_chunk(ds, "TEST", err))) return s;
    }
    if (ds->split == DATASET_SPLIT_TRAIN || ds->split == DATASET_SPLIT_ALL) {
        int found = 0;
        for (int k = 0; k < 12 && !s; k++) {
            char chunk[32];
            snprintf(chunk, sizeof chunk, "TRAIN_%d", k);
            if (!ds_has_dir(ds->root, chunk)) continue;
            found++;
            s = list_chunk(ds, chunk, err);
        }
        if (!s && !found)
            return err_set(err, LORAT_STATUS_IO, "TrackingNet: %s has no TRAIN_k folder",
                           ds->root);
    }
    return s;
}

static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    const dataset_entry *e = &ds->seqs[index];
    const char *what = ds_format_trackingnet.display;
    lorat_status s = ds_load_boxes(e, what, 0, 1, seq, err);
    if (s) return s;
    ds_finish_boxes(seq);
    if ((flags & DATASET_LOAD_FRAMES) && (s = ds_frames_numbered(seq, e, what, err)))
        dataset_sequence_free(seq);
    return s;
}

static int is_chunk(const char *root, const char *chunk) {
    char *c = ds_path(root, chunk);
    int r = c && ds_has_dir(c, "anno") && ds_has_dir(c, "frames");
    free(c);
    return r;
}

static int detect(const char *path) {
    char *anno = anno_of(path);
    int seq = anno && ds_is_file(anno) && ds_has_file(path, "0.jpg");
    free(anno);
    if (seq) return DS_DETECT_SEQUENCE;
    if (is_chunk(path, "TEST")) return DS_DETECT_ROOT;
    for (int k = 0; k < 12; k++) {
        char chunk[32];
        snprintf(chunk, sizeof chunk, "TRAIN_%d", k);
        if (is_chunk(path, chunk)) return DS_DETECT_ROOT;
    }
    return DS_DETECT_NONE;
}

const ds_format ds_format_trackingnet = {
    .kind = DATASET_TRACKINGNET,
    .name = "trackingnet",
    .official = "TrackingNet",
    .display = "TrackingNet",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST) | DS_SPLIT_BIT(DATASET_SPLIT_TRAIN) |
              DS_SPLIT_BIT(DATASET_SPLIT_ALL),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_TRAIN,
    .splits_text = "its splits are test (TEST, the default), train (every TRAIN_k) and all",
    .detect = detect,
    .list = list,
    .load = load,
};
