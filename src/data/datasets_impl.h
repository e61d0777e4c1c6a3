/*
 * datasets_impl.h — what the dataset readers (datasets*.c) share: paths, directory listings,
 * the list of entries, and the per-format listers and label readers. Not for other modules.
 */
#ifndef LORAT_DATA_DATASETS_IMPL_H
#define LORAT_DATA_DATASETS_IMPL_H

#include "data/datasets.h"
#include "data/table.h"

char *ds_strdup(const char *s);
/* "a/b" and "a/b/c" (malloc; NULL when out of memory). */
char *ds_path(const char *a, const char *b);
char *ds_path3(const char *a, const char *b, const char *c);
int ds_is_dir(const char *path);
int ds_is_file(const char *path);

/* The entries of dir for which keep(dir, name) is true (NULL: all but . and ..), sorted by
 * strcmp. Free with ds_free_names. */
lorat_status ds_list(const char *dir, int (*keep)(const char *dir, const char *name),
                     char ***names, int *count, lorat_error *err);
void ds_free_names(char **names, int count);

/* keep-functions for ds_list */
int ds_keep_dir(const char *dir, const char *name);
int ds_keep_image(const char *dir, const char *name); /* .jpg / .jpeg / .png, any case */
int ds_keep_jpg(const char *dir, const char *name);   /* .jpg, any case */

/* Appends an entry (strings copied; alias and anno may be NULL). */
lorat_status ds_add(dataset *ds, const char *name, const char *alias, const char *dir,
                    const char *anno, int first, int digits, int omit, lorat_error *err);

/* Reads the names of a list file (list.txt, testing_set.txt): one per line, blank lines and
 * surrounding white space ignored. */
lorat_status ds_read_names(const char *path, char ***names, int *count, lorat_error *err);

/* Listers, one per layout family. */
lorat_status ds_list_lasot(dataset *ds, lorat_error *err);
lorat_status ds_list_otb(dataset *ds, const dataset_options *opt, lorat_error *err);

/* COCO (datasets_coco.c): ds_list_coco reads the annotation file into ds->coco and lists one
 * entry per kept object (entry strings point into ds->coco: ds_free_coco frees them, the entries
 * and the tables); ds_load_coco is dataset_load for COCO (index already checked). */
lorat_status ds_list_coco(dataset *ds, lorat_error *err);
lorat_status ds_load_coco(const dataset *ds, int index, int flags, dataset_sequence *seq,
                          lorat_error *err);
void ds_free_coco(dataset *ds);

/* LaSOT's full_occlusion.txt / out_of_view.txt into seq->visible (n values expected). */
lorat_status ds_lasot_visibility(const dataset_entry *e, dataset_sequence *seq, lorat_error *err);

#endif
