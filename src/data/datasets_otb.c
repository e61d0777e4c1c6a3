/*
 * datasets_otb.c — OTB100: ROOT/<Seq>/{img/, groundtruth_rect.txt | groundtruth_rect.<k>.txt}
 * and the toolkits' special cases (spec/evaluation.md §2): sequences whose ground truth starts
 * at a later image, Board's 5-digit frame names, Tiger1's 5 skipped frames, and the folders with
 * two targets.
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

lorat_status ds_list_otb(dataset *ds, const dataset_options *opt, lorat_error *err) {
    char **dirs;
    int n;
    lorat_status s = ds_list(ds->root, ds_keep_dir, &dirs, &n, err);
    for (int i = 0; i < n && !s; i++) {
        const char *d = dirs[i];
        int first = 1, digits = 4;
        for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
            if (!strcasecmp(d, special[k].name)) {
                first = special[k].first;
                digits = special[k].digits;
            }
        int omit = !strcasecmp(d, "Tiger1") && !opt->otb_tiger1_full ? TIGER1_OMIT : 0;
        char *seqdir = ds_path(ds->root, d);
        char *img = seqdir ? ds_path(seqdir, "img") : NULL;
        char *single = seqdir ? ds_path(seqdir, "groundtruth_rect.txt") : NULL;
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
        free(seqdir);
        free(img);
        free(single);
    }
    ds_free_names(dirs, n);
    return s;
}
