/*
 * datasets_impl.h — what the dataset readers share, not for other modules (results.c and
 * score.c borrow the path helpers).
 *
 * The readers are one table of formats (datasets.c): each benchmark layout is a ds_format that
 * says what it is called, which splits it has, how to recognise one of its folders, how to list
 * its sequences (from a root, or one sequence folder) and how to load one. The formats live in
 * datasets_<layout>.c and use only the shared machinery below (datasets_util.c); datasets.c
 * holds the table and dispatches through it. Nothing calls back up: util <- formats <- table.
 */
#ifndef LORAT_DATA_DATASETS_IMPL_H
#define LORAT_DATA_DATASETS_IMPL_H

#include "data/datasets.h"
#include "data/table.h"

/* ---- shared machinery (datasets_util.c) --------------------------------------------------- */

char *ds_strdup(const char *s);
/* "a/b" and "a/b/c" (malloc; NULL when out of memory). */
char *ds_path(const char *a, const char *b);
char *ds_path3(const char *a, const char *b, const char *c);
int ds_is_dir(const char *path);
int ds_is_file(const char *path);
int ds_has_ext(const char *name, const char *ext); /* any case */
/* dir/a is a folder; dir/a is a file. */
int ds_has_dir(const char *dir, const char *a);
int ds_has_file(const char *dir, const char *a);
/* The last component of path, without trailing slashes, into buf ("" when none). */
const char *ds_basename(const char *path, char *buf, size_t size);
/* The folder above path (malloc; "." for a bare name, NULL when out of memory). */
char *ds_dirname(const char *path);

/* The entries of dir for which keep(dir, name) is true (NULL: all but . and ..), sorted by
 * strcmp. Free with ds_free_names. */
lorat_status ds_list(const char *dir, int (*keep)(const char *dir, const char *name),
                     char ***names, int *count, lorat_error *err);
void ds_free_names(char **names, int count);

/* keep-functions for ds_list */
int ds_keep_dir(const char *dir, const char *name);
int ds_keep_image(const char *dir, const char *name);   /* .jpg / .jpeg / .png, any case */
int ds_keep_jpg(const char *dir, const char *name);     /* .jpg, any case */
int ds_keep_txt(const char *dir, const char *name);     /* .txt, any case */
int ds_keep_seq_gt(const char *dir, const char *name);  /* a folder holding groundtruth.txt */

/* Appends an entry (strings copied; alias and anno may be NULL). */
lorat_status ds_add(dataset *ds, const char *name, const char *alias, const char *dir,
                    const char *anno, int first, int digits, int omit, lorat_error *err);
/* Frees the entries' strings and the entries (not ds->root). */
void ds_free_entries(dataset *ds);

/* Reads the names of a list file (list.txt, testing_set.txt): one per line, blank lines and
 * surrounding white space ignored. */
lorat_status ds_read_names(const char *path, char ***names, int *count, lorat_error *err);

/* The folder that holds entry e's ground-truth file (malloc). */
char *ds_anno_dir(const dataset_entry *e);

/* The first half of every load: e's ground-truth file (less its e->omit first lines) into
 * seq->gt as xyxy, x and y less 1 for a one-based layout, every frame visible. With
 * first_only_ok, a file of one line is a test split's first box: the frame count is then the
 * number of .jpg files in e->dir. Errors name the sequence (what: the layout's display name). */
lorat_status ds_load_boxes(const dataset_entry *e, const char *what, int one_based,
                           int first_only_ok, dataset_sequence *seq, lorat_error *err);
/* The second half: valid = visible and w, h > 0; init = the first box. */
void ds_finish_boxes(dataset_sequence *seq);

/* Frame paths e->dir/<number>.jpg from e->first + e->omit, zero-padded to e->digits, one per
 * frame (the first and last checked to exist). */
lorat_status ds_frames_numbered(dataset_sequence *seq, const dataset_entry *e, const char *what,
                                lorat_error *err);
/* Frame paths from a listing of dir (images sorted by name), the first seq->frames of them. */
lorat_status ds_frames_listed(dataset_sequence *seq, const char *dir, const char *what,
                              lorat_error *err);

/* A per-frame integer label file dir/file (absence.label, ...): n lines of integers in lo..hi.
 * A missing file leaves *out NULL. */
lorat_status ds_read_label(const char *dir, const char *file, int n, int lo, int hi,
                           int8_t **out, lorat_error *err);
/* dir/meta_info.ini's resolution: (W, H) into seq->width, seq->height (left 0 without it). */
lorat_status ds_read_meta(const char *dir, dataset_sequence *seq, lorat_error *err);

/* ---- the formats ---------------------------------------------------------------------------- */

enum {
    DS_DETECT_NONE = 0,
    DS_DETECT_SEQUENCE = 1, /* the folder is one sequence of the layout */
    DS_DETECT_ROOT = 2,     /* the folder is a root that holds sequences of the layout */
};

#define DS_SPLIT_BIT(s) (1u << (unsigned)(s))

typedef struct ds_format {
    dataset_kind kind;
    const char *name;          /* "lasot": what --dataset takes, and the JSON's "dataset" */
    const char *official;      /* the official code's name; the metrics key their rules on it */
    const char *display;       /* for people */
    int one_based;             /* ground truth and result files count pixels from 1 */
    unsigned splits;           /* DS_SPLIT_BIT of each split it has */
    dataset_split default_split, train_split; /* DEFAULT resolves to; `lorat train` reads */
    const char *splits_text;   /* the splits, for the message when one does not apply */
    /* DS_DETECT_SEQUENCE, DS_DETECT_ROOT or DS_DETECT_NONE for the folder at path. */
    int (*detect)(const char *path);
    /* Lists the sequences under ds->root (split already resolved); with seqdir, only that
     * sequence folder, named as the root listing would name it. */
    lorat_status (*list)(dataset *ds, const char *seqdir, const dataset_options *opt,
                         lorat_error *err);
    /* dataset_load for one listed entry (index checked). */
    lorat_status (*load)(const dataset *ds, int index, int flags, dataset_sequence *seq,
                         lorat_error *err);
    /* Frees what list made; NULL: the entries (ds_free_entries). */
    void (*free)(dataset *ds);
} ds_format;

extern const ds_format ds_format_lasot, ds_format_lasot_ext;    /* datasets_lasot.c */
extern const ds_format ds_format_got10k, ds_format_custom;      /* datasets_got10k.c */
extern const ds_format ds_format_trackingnet;                   /* datasets_trackingnet.c */
extern const ds_format ds_format_otb;                           /* datasets_otb.c */
extern const ds_format ds_format_tnl2k;                         /* datasets_tnl2k.c */
extern const ds_format ds_format_coco;                          /* datasets_coco.c */

/* The format of kind (NULL for an unknown kind). */
const ds_format *ds_format_of(dataset_kind kind);

#endif
