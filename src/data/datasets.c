/*
 * datasets.c — see datasets.h. The table of formats and what goes through it: the names, the
 * splits, opening a root or one sequence folder, loading, freeing and recognising a folder.
 * Each layout's own code is a ds_format in datasets_<layout>.c (datasets_impl.h); nothing here
 * knows a layout.
 */
#include "data/datasets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/datasets_impl.h"

/* The order of detection: the most particular layouts first (TrackingNet's frames/ folders, TNL2K's
 * imgs/, OTB's groundtruth_rect.txt, LaSOT_ext's categories before LaSOT's), GOT-10k before the
 * custom layout that shares its sequence folders. */
static const ds_format *const formats[] = {
    &ds_format_trackingnet, &ds_format_tnl2k,  &ds_format_otb,    &ds_format_lasot_ext,
    &ds_format_lasot,       &ds_format_got10k, &ds_format_custom, &ds_format_coco,
};
#define N_FORMATS (int)(sizeof formats / sizeof formats[0])

const ds_format *ds_format_of(dataset_kind kind) {
    for (int i = 0; i < N_FORMATS; i++)
        if (formats[i]->kind == kind) return formats[i];
    return NULL;
}

/* ---- names ------------------------------------------------------------------------------- */

const char *dataset_kind_name(dataset_kind kind) {
    const ds_format *f = ds_format_of(kind);
    return f ? f->name : "unknown";
}

const char *dataset_official_name(dataset_kind kind) {
    const ds_format *f = ds_format_of(kind);
    return f ? f->official : "unknown";
}

const char *dataset_display_name(dataset_kind kind) {
    const ds_format *f = ds_format_of(kind);
    return f ? f->display : "unknown";
}

int dataset_one_based(dataset_kind kind) {
    const ds_format *f = ds_format_of(kind);
    return f && f->one_based;
}

dataset_split dataset_train_split(dataset_kind kind) {
    const ds_format *f = ds_format_of(kind);
    return f ? f->train_split : DATASET_SPLIT_DEFAULT;
}

lorat_status dataset_kind_parse(const char *name, dataset_kind *kind, lorat_error *err) {
    static const struct {
        const char *name;
        dataset_kind kind;
    } aliases[] = {{"lasot_extension", DATASET_LASOT_EXT}, {"lasotext", DATASET_LASOT_EXT},
                   {"got-10k", DATASET_GOT10K},          {"otb2015", DATASET_OTB},
                   {"tnl2k_test", DATASET_TNL2K},          {"coco2017", DATASET_COCO}};
    for (int i = 0; i < N_FORMATS; i++)
        if (!strcasecmp(name, formats[i]->name) || !strcasecmp(name, formats[i]->official) ||
            !strcasecmp(name, formats[i]->display)) {
            *kind = formats[i]->kind;
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

/* ---- open / free ------------------------------------------------------------------------- */

static lorat_status resolve_split(dataset *ds, const ds_format *f, dataset_split split,
                                  lorat_error *err) {
    if (split == DATASET_SPLIT_DEFAULT) {
        ds->split = f->default_split;
    } else if (f->splits & DS_SPLIT_BIT(split)) {
        ds->split = split;
    } else if (split == DATASET_SPLIT_ALL && f->splits == DS_SPLIT_BIT(DATASET_SPLIT_TEST)) {
        ds->split = DATASET_SPLIT_TEST; /* a benchmark of one split: all of it is its test set */
    } else {
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s has no %s split: %s", f->display,
                       dataset_split_name(split), f->splits_text);
    }
    return LORAT_STATUS_OK;
}

/* "a LaSOT", "an OTB100" */
static const char *article(const char *display) {
    return display[0] == 'O' ? "an" : "a";
}

/* " (it looks like a <layout> root: --dataset <name>)" for a folder another layout recognises. */
static void layout_hint(char *buf, size_t size, const char *path, dataset_kind not_this) {
    buf[0] = '\0';
    for (int i = 0; i < N_FORMATS; i++) {
        if (formats[i]->kind == not_this) continue;
        int d = formats[i]->detect(path);
        if (d == DS_DETECT_NONE) continue;
        snprintf(buf, size, " (it looks like %s %s %s: --dataset %s)", article(formats[i]->display),
                 formats[i]->display, d == DS_DETECT_ROOT ? "root" : "sequence folder",
                 formats[i]->name);
        return;
    }
}

/* Opens a dataset of kind on root; with seqdir, of that one sequence folder only. */
static lorat_status open_with(dataset *ds, dataset_kind kind, const char *root,
                              const char *seqdir, const dataset_options *opt, lorat_error *err) {
    static const dataset_options defaults = {0};
    if (!opt) opt = &defaults;
    memset(ds, 0, sizeof *ds);
    ds->kind = kind;
    const ds_format *f = ds_format_of(kind);
    if (!f) return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown dataset kind %d", (int)kind);
    lorat_status s = resolve_split(ds, f, opt->split, err);
    if (s) return s;
    const char *folder = seqdir ? seqdir : root;
    if (!ds_is_dir(folder))
        return err_set(err, LORAT_STATUS_IO, "%s %s %s is not a folder", f->display,
                       seqdir ? "sequence" : "root", folder);
    if (!(ds->root = ds_strdup(root))) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    s = f->list(ds, seqdir, opt, err);
    if (!s && ds->count == 0) {
        char hint[256];
        layout_hint(hint, sizeof hint, folder, kind);
        if (seqdir)
            s = err_set(err, LORAT_STATUS_FORMAT, "%s: no %s sequence in this folder%s", seqdir,
                        f->display, hint);
        else
            s = err_set(err, LORAT_STATUS_FORMAT, "%s (%s split): no sequences found under %s%s",
                        f->display, dataset_split_name(ds->split), root, hint);
    }
    if (s) dataset_free(ds);
    return s;
}

lorat_status dataset_open(dataset *ds, dataset_kind kind, const char *root,
                          const dataset_options *opt, lorat_error *err) {
    return open_with(ds, kind, root, NULL, opt, err);
}

int dataset_detect(const char *path, dataset_kind *kind) {
    if (!ds_is_dir(path)) return DATASET_DETECT_NONE;
    for (int i = 0; i < N_FORMATS; i++) {
        int d = formats[i]->detect(path);
        if (d == DS_DETECT_NONE) continue;
        *kind = formats[i]->kind;
        return d == DS_DETECT_SEQUENCE ? DATASET_DETECT_SEQUENCE : DATASET_DETECT_ROOT;
    }
    return DATASET_DETECT_NONE;
}

lorat_status dataset_open_sequence(dataset *ds, const char *dir, const dataset_kind *kind,
                                   const dataset_options *opt, lorat_error *err) {
    memset(ds, 0, sizeof *ds);
    dataset_kind k;
    if (kind) {
        k = *kind;
    } else {
        int d = dataset_detect(dir, &k);
        if (d == DATASET_DETECT_ROOT)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s looks like %s %s root, not one sequence's folder (give a "
                           "folder inside it)",
                           dir, article(dataset_display_name(k)), dataset_display_name(k));
        if (d != DATASET_DETECT_SEQUENCE)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s is not a sequence folder of a known layout: LaSOT / LaSOT_ext "
                           "(img/ + groundtruth.txt), OTB (img/ + groundtruth_rect.txt), TNL2K "
                           "(imgs/ + groundtruth.txt), TrackingNet (<chunk>/frames/<seq> with "
                           "<chunk>/anno/<seq>.txt), GOT-10k / custom (groundtruth.txt + "
                           "00000001.jpg); a folder of frames alone is `lorat track --frames DIR "
                           "--init x,y,w,h`",
                           dir);
    }
    char *root = ds_dirname(dir);
    if (!root) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    lorat_status s = open_with(ds, k, root, dir, opt, err);
    free(root);
    return s;
}

void dataset_free(dataset *ds) {
    if (!ds) return;
    const ds_format *f = ds_format_of(ds->kind);
    if (f && f->free) f->free(ds);
    ds_free_entries(ds);
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

lorat_status dataset_load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                          lorat_error *err) {
    memset(seq, 0, sizeof *seq);
    if (index < 0 || index >= ds->count)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "sequence index %d outside 0..%d", index,
                       ds->count - 1);
    const ds_format *f = ds_format_of(ds->kind);
    if (!f) return err_set(err, LORAT_STATUS_BAD_INPUT, "unknown dataset kind %d", (int)ds->kind);
    return f->load(ds, index, flags, seq, err);
}
