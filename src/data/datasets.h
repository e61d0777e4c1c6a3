/*
 * datasets.h — the tracking benchmarks as they lie on disk: LaSOT, LaSOT_ext, GOT-10k,
 * TrackingNet, OTB100, TNL2K, and the "custom" layout `lorat synth` writes (GOT-10k's).
 *
 * A dataset is a list of sequences. Opening one only lists the sequences (names and folders);
 * dataset_load reads one sequence's annotations, and lists (never reads) its frames when asked.
 * Boxes are continuous xyxy in pixels, as everywhere in lorat: (x, y, x+w, y+h) of a file's
 * x,y,w,h. The only shift is LaSOT's: its files are 1-based, so x and y lose 1 at load (as the
 * official LoRAT loader does); LaSOT_ext is kept as written (also as LoRAT does).
 *
 * Layouts (spec/evaluation.md §2):
 *   lasot       ROOT/<cat>/<cat>-<k>/{img/%08d.jpg, groundtruth.txt, full_occlusion.txt,
 *               out_of_view.txt}; the test split is ROOT/testing_set.txt (a copy of the toolkit's
 *               280 names is built in for roots that lack it), train is ROOT/training_set.txt
 *               (or everything not in test), all is every sequence.
 *   lasot_ext   the same layout; one split of 150 sequences.
 *   got10k      ROOT/{train,val,test}/list.txt + <seq>/{%08d.jpg, groundtruth.txt,
 *               absence.label, cover.label, cut_by_image.label, meta_info.ini}; ROOT may also be
 *               the split's folder itself. Test sequences have one ground-truth line.
 *   trackingnet ROOT/{TEST,TRAIN_0..TRAIN_11}/{anno/<seq>.txt, frames/<seq>/<i>.jpg} with i from
 *               0, in numeric order. TEST has one ground-truth line per sequence.
 *   otb         ROOT/<Seq>/{img/%04d.jpg, groundtruth_rect.txt} with comma/tab/space separators;
 *               the toolkits' special cases: frame ranges (David from 300, BlurCar1 from 247,
 *               BlurCar3 from 3, BlurCar4 from 18; Board is %05d), Tiger1's first 5 frames
 *               skipped (pytracking/LoRAT; the got10k toolkit keeps them), and the two-target
 *               folders (groundtruth_rect.1.txt / .2.txt) as Jogging_1, Jogging_2, Skating2_1,
 *               Skating2_2 and Human4_2 (whose .1 is empty); aliases give the got10k toolkit's
 *               names (Jogging.1, Human4).
 *   tnl2k       ROOT/<seq>/{imgs/ (.jpg, .png; sorted by name), groundtruth.txt}.
 *   custom      ROOT/list.txt (or every folder with a groundtruth.txt) + GOT-10k's sequence layout.
 *   coco        COCO 2017 detection, for training (spec/lorat-model.md §5): ROOT/annotations/
 *               instances_{train,val}2017.json + ROOT/{train,val}2017/<file_name>. Each object
 *               that is not a crowd, has w, h > 0 and lies inside its image is a one-frame
 *               sequence "<image_id>_<annotation_id>" (datasets_coco.c).
 *
 * One table of formats (datasets_impl.h) serves every caller: `lorat eval` and `lorat train` open
 * roots through it, `lorat track --sequence` opens one sequence folder through it (recognising
 * its layout the same way), so a sequence starts from the same first box and frames whichever
 * way it is read.
 *
 * Not here: decoding images (io/image), sampling training pairs (data/sampler), scoring (eval).
 */
#ifndef LORAT_DATA_DATASETS_H
#define LORAT_DATA_DATASETS_H

#include <stdint.h>

#include "core/error.h"

typedef enum dataset_kind {
    DATASET_LASOT,
    DATASET_LASOT_EXT,
    DATASET_GOT10K,
    DATASET_TRACKINGNET,
    DATASET_OTB,
    DATASET_TNL2K,
    DATASET_CUSTOM,
    DATASET_COCO,
} dataset_kind;

typedef enum dataset_split {
    DATASET_SPLIT_DEFAULT = 0, /* test for LaSOT, GOT-10k and TrackingNet; the only one elsewhere */
    DATASET_SPLIT_TEST,
    DATASET_SPLIT_VAL,   /* GOT-10k, COCO (val2017) */
    DATASET_SPLIT_TRAIN, /* LaSOT, GOT-10k, TrackingNet (every TRAIN_k chunk present), COCO
                            (train2017, its default) */
    DATASET_SPLIT_ALL,   /* LaSOT: train + test; TrackingNet: TEST + TRAIN_k */
} dataset_split;

typedef struct dataset_options {
    dataset_split split;
    int otb_tiger1_full; /* 1: keep Tiger1's first 5 frames (got10k toolkit); 0: skip (default) */
} dataset_options;

/* One sequence as listed. name and alias are for everyone; the rest is the readers' own. */
typedef struct dataset_entry {
    char *name;  /* "airplane-1", "GOT-10k_Val_000001", "Jogging_1" */
    char *alias; /* the name another toolkit gives its result file ("Jogging.1"), or NULL */
    char *dir;   /* the folder that holds its frames */
    char *anno;  /* its ground-truth file */
    int first;   /* number of the image of ground-truth line 1 (OTB), else 1 (0: TrackingNet) */
    int digits;  /* zero padding of the frame numbers (0: none) */
    int omit;    /* leading frames and ground-truth lines skipped (OTB Tiger1) */
} dataset_entry;

typedef struct dataset {
    dataset_kind kind;
    dataset_split split; /* resolved: never DATASET_SPLIT_DEFAULT */
    char *root;          /* the folder given to dataset_open */
    int count;
    dataset_entry *seqs;
    struct ds_coco *coco; /* COCO's compact tables (datasets_coco.c), else NULL */
} dataset;

/* What dataset_load reads. Arrays of gt_count rows unless noted. */
typedef struct dataset_sequence {
    char *name;
    int frames;           /* frames in the sequence */
    char **frame_paths;   /* frames paths (DATASET_LOAD_FRAMES), else NULL; one allocation */
    int gt_count;         /* == frames, or 1 where only the first box is public (GOT-10k and
                             TrackingNet test) */
    double *gt;           /* (gt_count, 4) xyxy */
    uint8_t *visible;     /* 1 unless the target is absent: LaSOT full_occlusion|out_of_view,
                             GOT-10k absence.label; TNL2K: the box has zero size (the toolkit's
                             absent frames all do); 1 elsewhere */
    uint8_t *valid;       /* visible and the box has w > 0 and h > 0: usable for training */
    int8_t *absence, *cover, *cut_by_image; /* GOT-10k / custom labels, NULL when absent */
    int width, height;    /* image size from meta_info.ini (GOT-10k, custom) or the annotation
                             file (COCO), 0 when unknown */
    double init[4];       /* the box on frame 0, xyxy */
} dataset_sequence;

enum { DATASET_LOAD_FRAMES = 1 };

/* "lasot", "lasot_ext", "got10k", "trackingnet", "otb", "tnl2k", "custom", "coco". */
const char *dataset_kind_name(dataset_kind kind);
lorat_status dataset_kind_parse(const char *name, dataset_kind *kind, lorat_error *err);
/* The name the official code gives the dataset ("LaSOT", "LaSOT_Extension", "GOT10k",
 * "TrackingNet", "OTB100", "TNL2K", "custom", "COCO"): the metrics' per-dataset rules key on it. */
const char *dataset_official_name(dataset_kind kind);
/* For people: "LaSOT", "LaSOT_ext", "GOT-10k", "TrackingNet", "OTB100", "TNL2K", "custom",
 * "COCO". */
const char *dataset_display_name(dataset_kind kind);
/* 1 when the benchmark's files (ground truth and result files) are 1-based: LaSOT. */
int dataset_one_based(dataset_kind kind);
/* The split `lorat train` reads: train where a benchmark has one (LaSOT, GOT-10k, TrackingNet,
 * COCO), else DATASET_SPLIT_DEFAULT (all of it). */
dataset_split dataset_train_split(dataset_kind kind);

/* "test", "val", "train", "all" (and "default"). */
const char *dataset_split_name(dataset_split split);
lorat_status dataset_split_parse(const char *name, dataset_split *split, lorat_error *err);

/* Lists the sequences of the dataset under root. opt may be NULL (defaults). */
lorat_status dataset_open(dataset *ds, dataset_kind kind, const char *root,
                          const dataset_options *opt, lorat_error *err);
void dataset_free(dataset *ds);

/* What a folder is, recognised by the readers' own layouts (the first that matches, most
 * particular first): one sequence of a benchmark or a benchmark's root; *kind says which. A
 * LaSOT-layout sequence is LaSOT_ext when its category is one of the extension's 15. */
enum { DATASET_DETECT_NONE = 0, DATASET_DETECT_SEQUENCE = 1, DATASET_DETECT_ROOT = 2 };
int dataset_detect(const char *path, dataset_kind *kind);

/* A dataset of the one sequence folder dir, of layout *kind (NULL: detected): its entry, ground
 * truth and frames are what dataset_open on the folder's root would give that sequence (OTB's
 * special cases by the folder's name; a two-target OTB folder lists both targets). */
lorat_status dataset_open_sequence(dataset *ds, const char *dir, const dataset_kind *kind,
                                   const dataset_options *opt, lorat_error *err);

/* Index of the sequence called name (or whose alias is name), -1 if none. */
int dataset_find(const dataset *ds, const char *name);

/* Reads sequence index: its ground truth and labels, and with DATASET_LOAD_FRAMES its frame
 * paths (checked to exist: fewer frames than ground-truth lines is an error). On failure seq
 * holds nothing to free. */
lorat_status dataset_load(const dataset *ds, int index, int flags, dataset_sequence *seq,
                          lorat_error *err);
void dataset_sequence_free(dataset_sequence *seq);

#endif
