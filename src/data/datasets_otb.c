/*
 * datasets_otb.c — OTB100: ROOT/<Seq>/{img/, groundtruth_rect.txt | groundtruth_rect.<k>.txt}
 * and the toolkits' special cases (spec/evaluation.md §2): sequences whose ground truth starts
 * at a later image, Board's 5-digit frame names, Tiger1's 5 skipped frames, and the folders with
 * two targets. A sequence folder given alone (lorat track --sequence) gets the same special
 * cases, by its name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/datasets_impl.h"

/* Image number of ground-truth line 1, and zero padding, where not 1 and 4. */
static const struct {
    const char *name;
    int first, digits;
} special[] = {
    {"David", 300, 4}, {"BlurCar1", 247, 4}, {"BlurCar3", 3, 4}, {"BlurCar4", 18, 4},
    {"Board", 1, 5},
};

/* pytracking / LoRAT skip Tiger1's first 5 frames (its "initOmit"); the got10k toolkit does not. */
#define TIGER1_OMIT 5

/* A file that exists and holds something besides white space (Human4's .1 is empty). */
static int nonempty_file(const char *path) {
    if (!ds_is_file(path)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int c, found = 0;
    while (!found && (c = fgetc(f)) != EOF) found = !isspace(c);
    fclose(f);
    return found;
}

/* The targets of one OTB folder d (its name) at seqdir. */
static lorat_status add_folder(dataset *ds, const char *d, const char *seqdir,
                               const dataset_options *opt, lorat_error *err) {
    int first = 1, digits = 4;
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        if (!strcasecmp(d, special[k].name)) {
            first = special[k].first;
            digits = special[k].digits;
        }
    int omit = !strcasecmp(d, "Tiger1") && !opt->otb_tiger1_full ? TIGER1_OMIT : 0;
    char *img = ds_path(seqdir, "img");
    char *single = ds_path(seqdir, "groundtruth_rect.txt");
    lorat_status s = LORAT_STATUS_OK;
    if (!img || !single) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    } else if (nonempty_file(single)) {
        s = ds_add(ds, d, NULL, img, single, first, digits, omit, err);
    } else {
        int targets[9], nt = 0;
        char *files[9] = {0};
        for (int k = 1; k <= 9; k++) {
            char file[64];
            snprintf(file, sizeof file, "groundtruth_rect.%d.txt", k);
            char *p = ds_path(seqdir, file);
            if (p && nonempty_file(p)) {
                targets[nt] = k;
                files[nt++] = p;
            } else {
                free(p);
            }
        }
        for (int t = 0; t < nt && !s; t++) {
            char name[512], alias[512];
            snprintf(name, sizeof name, "%s_%d", d, targets[t]);
            if (nt > 1)
                snprintf(alias, sizeof alias, "%s.%d", d, targets[t]);
            else
                snprintf(alias, sizeof alias, "%s", d);
            s = ds_add(ds, name, alias, img, files[t], first, digits, omit, err);
        }
        for (int t = 0; t < nt; t++) free(files[t]);
    }
    free(img);
    free(single);
    return s;
}

static lorat_status list(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err) {
    if (seqdir) {
        char name[512];
        return add_folder(ds, ds_basename(seqdir, name, sizeof name), seqdir, opt, err);
    }
    char **dirs;
    int n;
    lorat_status s = ds_list(ds->root, ds_keep_dir, &dirs, &n, err);
    for (int i = 0; i < n && !s; i++) {
        char *seqdir = ds_path(ds->root, dirs[i]);
        s = seqdir ? add_folder(ds, dirs[i], seqdir, opt, err)
                   : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        free(seqdir);
    }
    ds_free_names(dirs, n);
    return s;
}

static lorat_status load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err) {
    const dataset_entry *e = &ds->seqs[index];
    const char *what = ds_format_otb.display;
    lorat_status s = ds_load_boxes(e, what, 0, 0, seq, err);
    if (s) return s;
    ds_finish_boxes(seq);
    if ((flags & DATASET_LOAD_FRAMES) && (s = ds_frames_numbered(seq, e, what, err)))
        dataset_sequence_free(seq);
    return s;
}

/* A sequence folder: img/ and groundtruth_rect.txt (or .1.txt, .2.txt for two targets). */
static int is_sequence(const char *path) {
    if (!ds_has_dir(path, "img")) return 0;
    if (ds_has_file(path, "groundtruth_rect.txt")) return 1;
    for (int k = 1; k <= 9; k++) {
        char file[64];
        snprintf(file, sizeof file, "groundtruth_rect.%d.txt", k);
        if (ds_has_file(path, file)) return 1;
    }
    return 0;
}

static int detect(const char *path) {
    if (is_sequence(path)) return DS_DETECT_SEQUENCE;
    char **dirs;
    int n, found = 0;
    lorat_error err;
    if (ds_list(path, ds_keep_dir, &dirs, &n, &err)) return DS_DETECT_NONE;
    for (int i = 0; i < n && !found; i++) {
        char *p = ds_path(path, dirs[i]);
        found = p && is_sequence(p);
        free(p);
    }
    ds_free_names(dirs, n);
    return found ? DS_DETECT_ROOT : DS_DETECT_NONE;
}

const ds_format ds_format_otb = {
    .kind = DATASET_OTB,
    .name = "otb",
    .official = "OTB100",
    .display = "OTB100",
    .splits = DS_SPLIT_BIT(DATASET_SPLIT_TEST),
    .default_split = DATASET_SPLIT_TEST,
    .train_split = DATASET_SPLIT_DEFAULT,
    .splits_text = "it has one split, its test set",
    .detect = detect,
    .list = list,
    .load = load,
};
