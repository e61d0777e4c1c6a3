/*
 * test_datasets.c — the dataset readers and the result files, on small datasets this test writes
 * in every layout (LaSOT, LaSOT_ext, GOT-10k, TrackingNet, OTB, TNL2K, custom): sequence lists
 * and splits, coordinates (LaSOT's −1), flags and labels, frame lists and their order, the
 * special cases; then bad input (each error must name the file and line); then reading and
 * writing result files (separators, 1-based files, repetitions, aliases, zips, atomic writes).
 * Frames are empty files: the readers list frames, they never decode them.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "data/datasets.h"
#include "eval/results.h"
#include "test.h"

static char root[256];

/* Writes text to root/<rel>, making folders. */
static void put(const char *rel, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    test_vput(root, rel, fmt, ap);
    va_end(ap);
}

/* Empty frame files rel/<fmt % i> for i in [a, b]. */
static void frames(const char *rel, const char *fmt, int a, int b) {
    for (int i = a; i <= b; i++) {
        char name[64], r[512];
        snprintf(name, sizeof name, fmt, i);
        snprintf(r, sizeof r, "%s/%s", rel, name);
        put(r, "%s", "");
    }
}

static const char *at(const char *rel) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static int ends_with(const char *s, const char *t) {
    size_t n = strlen(s), m = strlen(t);
    return n >= m && !strcmp(s + n - m, t);
}

static int near4(const double *b, double x1, double y1, double x2, double y2) {
    return fabs(b[0] - x1) < 1e-9 && fabs(b[1] - y1) < 1e-9 && fabs(b[2] - x2) < 1e-9 &&
           fabs(b[3] - y2) < 1e-9;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path);
}

static dataset open_ok(dataset_kind kind, const char *rel, dataset_split split) {
    dataset ds;
    dataset_options opt = {.split = split};
    lorat_error err = {0};
    lorat_status s = dataset_open(&ds, kind, at(rel), &opt, &err);
    CHECK(s == 0, "open %s %s: %s", dataset_kind_name(kind), rel, err.message);
    if (s) memset(&ds, 0, sizeof ds);
    return ds;
}

/* Loads sequence name of ds; on failure reports and returns a zeroed sequence. */
static dataset_sequence load_ok(const dataset *ds, const char *name, int flags) {
    dataset_sequence seq;
    memset(&seq, 0, sizeof seq);
    int i = dataset_find(ds, name);
    CHECK(i >= 0, "sequence %s not listed", name);
    if (i < 0) return seq;
    lorat_error err = {0};
    lorat_status s = dataset_load(ds, i, flags, &seq, &err);
    CHECK(s == 0, "load %s: %s", name, err.message);
    return seq;
}

/* Expects loading sequence name to fail with a message holding every one of the texts. */
static void load_fails(const dataset *ds, const char *name, int flags, const char *t1,
                       const char *t2) {
    dataset_sequence seq;
    lorat_error err = {0};
    int i = dataset_find(ds, name);
    CHECK(i >= 0, "sequence %s not listed", name);
    if (i < 0) return;
    lorat_status s = dataset_load(ds, i, flags, &seq, &err);
    CHECK(s != 0 && strstr(err.message, t1) && (!t2 || strstr(err.message, t2)),
          "load %s: expected an error with '%s'%s%s, got: %s", name, t1, t2 ? " and " : "",
          t2 ? t2 : "", s ? err.message : "(success)");
    if (!s) dataset_sequence_free(&seq);
}

static void test_lasot(void) {
    put("lasot/airplane/airplane-1/groundtruth.txt", "1,1,10,10\n5,6,7,8\n3,3,4,4\n");
    put("lasot/airplane/airplane-1/full_occlusion.txt", "0,1,0");
    put("lasot/airplane/airplane-1/out_of_view.txt", "0,0,1\n");
    frames("lasot/airplane/airplane-1/img", "%08d.jpg", 1, 3);
    put("lasot/airplane/airplane-2/groundtruth.txt", "1,1,10,10\n");
    put("lasot/airplane/airplane-2/full_occlusion.txt", "0");
    put("lasot/airplane/airplane-2/out_of_view.txt", "0");
    put("lasot/bird/bird-3/groundtruth.txt", "1,1,10,10\n1,1,10,10\n");
    put("lasot/bird/bird-3/full_occlusion.txt", "0,0");
    put("lasot/bird/bird-3/out_of_view.txt", "0,0");
    frames("lasot/bird/bird-3/img", "%08d.jpg", 1, 1); /* one frame short */
    put("lasot/testing_set.txt", "airplane-1\r\nbird-3\r\n\r\n");

    dataset ds = open_ok(DATASET_LASOT, "lasot", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 2 && ds.split == DATASET_SPLIT_TEST, "LaSOT test: %d sequences", ds.count);
    CHECK(ds.count == 2 && !strcmp(ds.seqs[0].name, "airplane-1") &&
              !strcmp(ds.seqs[1].name, "bird-3"),
          "testing_set.txt order");
    dataset_sequence s = load_ok(&ds, "airplane-1", DATASET_LOAD_FRAMES);
    CHECK(s.frames == 3 && s.gt_count == 3, "airplane-1 has 3 frames");
    if (s.gt) {
        CHECK(near4(s.gt, 0, 0, 10, 10) && near4(s.gt + 4, 4, 5, 11, 13),
              "LaSOT x,y lose 1: (%g,%g,%g,%g)", s.gt[0], s.gt[1], s.gt[2], s.gt[3]);
        CHECK(s.visible[0] == 1 && s.visible[1] == 0 && s.visible[2] == 0,
              "full_occlusion / out_of_view -> invisible");
        CHECK(s.valid[0] && !s.valid[1], "valid = visible and positive size");
        CHECK(near4(s.init, 0, 0, 10, 10), "init box = first GT");
        CHECK(s.frame_paths && ends_with(s.frame_paths[2], "airplane-1/img/00000003.jpg"),
              "frame paths img/%%08d.jpg");
        CHECK(s.absence == NULL && s.width == 0, "no GOT-10k labels");
    }
    dataset_sequence_free(&s);
    s = load_ok(&ds, "bird-3", 0); /* without frames: not listed, not checked */
    CHECK(s.frame_paths == NULL && s.frames == 2, "frames not listed unless asked");
    dataset_sequence_free(&s);
    load_fails(&ds, "bird-3", DATASET_LOAD_FRAMES, "00000002.jpg is missing", "bird-3");
    dataset_free(&ds);

    ds = open_ok(DATASET_LASOT, "lasot", DATASET_SPLIT_ALL);
    CHECK(ds.count == 3, "LaSOT all: %d", ds.count);
    dataset_free(&ds);
    ds = open_ok(DATASET_LASOT, "lasot", DATASET_SPLIT_TRAIN);
    CHECK(ds.count == 1 && !strcmp(ds.seqs[0].name, "airplane-2"),
          "LaSOT train = all but the test list");
    dataset_free(&ds);

    /* a root without testing_set.txt uses the built-in list of 280 */
    put("lasot2/airplane/airplane-1/groundtruth.txt", "1,1,10,10\n");
    lorat_error err = {0};
    dataset d2;
    CHECK(dataset_open(&d2, DATASET_LASOT, at("lasot2"), NULL, &err) != 0 &&
              strstr(err.message, "airplane-9") && strstr(err.message, "built-in"),
          "built-in test list: %s", err.message);
    dataset_options opt = {.split = DATASET_SPLIT_VAL};
    CHECK(dataset_open(&d2, DATASET_LASOT, at("lasot"), &opt, &err) != 0 &&
              strstr(err.message, "val"),
          "LaSOT has no val split: %s", err.message);

    /* LaSOT_ext: same layout, no shift */
    put("ext/atv/atv-1/groundtruth.txt", "1,1,10,10\n2,2,3,3\n");
    put("ext/atv/atv-1/full_occlusion.txt", "0,0");
    put("ext/atv/atv-1/out_of_view.txt", "1,0");
    ds = open_ok(DATASET_LASOT_EXT, "ext", DATASET_SPLIT_DEFAULT);
    s = load_ok(&ds, "atv-1", 0);
    CHECK(s.gt && near4(s.gt, 1, 1, 11, 11) && s.visible[0] == 0 && s.visible[1] == 1,
          "LaSOT_ext: no −1, out_of_view read");
    dataset_sequence_free(&s);
    dataset_free(&ds);

    /* bad flag files */
    put("lasot3/cat/cat-1/groundtruth.txt", "1,1,10,10\n1,1,10,10\n1,1,10,10\n");
    put("lasot3/cat/cat-1/full_occlusion.txt", "0,0");
    put("lasot3/cat/cat-1/out_of_view.txt", "0,0,0");
    put("lasot3/cat/cat-2/groundtruth.txt", "1,1,10,10\n");
    put("lasot3/cat/cat-2/full_occlusion.txt", "2");
    put("lasot3/cat/cat-2/out_of_view.txt", "0");
    put("lasot3/cat/cat-3/groundtruth.txt", "1,1,10,10\n");
    put("lasot3/cat/cat-3/full_occlusion.txt", "0");
    ds = open_ok(DATASET_LASOT, "lasot3", DATASET_SPLIT_ALL);
    load_fails(&ds, "cat-1", 0, "full_occlusion.txt has 2 values", "3 lines");
    load_fails(&ds, "cat-2", 0, "full_occlusion.txt", "flags are 0 or 1");
    load_fails(&ds, "cat-3", 0, "out_of_view.txt", "cat-3");
    dataset_free(&ds);
}

static void test_got10k(void) {
    put("got/val/list.txt", "GOT-10k_Val_000001\nGOT-10k_Val_000002\n");
    put("got/val/GOT-10k_Val_000001/groundtruth.txt", "10.5,20.25,30,40\n11,21,30,40\n0,0,0,0\n");
    put("got/val/GOT-10k_Val_000001/absence.label", "0\n0\n1\n");
    put("got/val/GOT-10k_Val_000001/cover.label", "8\n3\n0\n");
    put("got/val/GOT-10k_Val_000001/cut_by_image.label", "0\n1\n0\n");
    put("got/val/GOT-10k_Val_000001/meta_info.ini",
        "[METAINFO]\nurl: https://example\nanno_fps: 10Hz\nresolution: (640, 480)\n");
    frames("got/val/GOT-10k_Val_000001", "%08d.jpg", 1, 3);
    put("got/val/GOT-10k_Val_000002/groundtruth.txt", "1,2,3,4\n1,2,3,4\n");
    put("got/val/GOT-10k_Val_000002/cover.label", "8\n9\n");
    put("got/test/list.txt", "GOT-10k_Test_000001\n");
    put("got/test/GOT-10k_Test_000001/groundtruth.txt", "5,6,7,8\n");
    frames("got/test/GOT-10k_Test_000001", "%08d.jpg", 1, 5);

    dataset ds = open_ok(DATASET_GOT10K, "got", DATASET_SPLIT_VAL);
    CHECK(ds.count == 2, "GOT-10k val: %d", ds.count);
    dataset_sequence s = load_ok(&ds, "GOT-10k_Val_000001", DATASET_LOAD_FRAMES);
    if (s.gt) {
        CHECK(near4(s.gt, 10.5, 20.25, 40.5, 60.25), "GOT-10k float boxes, no shift");
        CHECK(s.absence && s.cover && s.cut_by_image && s.cover[1] == 3 && s.cut_by_image[1] == 1,
              "labels read");
        CHECK(s.visible[2] == 0 && s.visible[0] == 1 && !s.valid[2], "absence -> invisible");
        CHECK(s.width == 640 && s.height == 480, "resolution from meta_info.ini: %dx%d", s.width,
              s.height);
        CHECK(s.frame_paths && ends_with(s.frame_paths[0], "GOT-10k_Val_000001/00000001.jpg"),
              "frames %%08d.jpg");
    }
    dataset_sequence_free(&s);
    load_fails(&ds, "GOT-10k_Val_000002", 0, "cover.label:2", "0..8");
    dataset_free(&ds);

    ds = open_ok(DATASET_GOT10K, "got", DATASET_SPLIT_DEFAULT);
    CHECK(ds.split == DATASET_SPLIT_TEST && ds.count == 1, "GOT-10k default split is test");
    s = load_ok(&ds, "GOT-10k_Test_000001", DATASET_LOAD_FRAMES);
    CHECK(s.gt_count == 1 && s.frames == 5 && s.frame_paths &&
              ends_with(s.frame_paths[4], "00000005.jpg"),
          "test: one GT line, frames counted on disk (%d)", s.frames);
    dataset_sequence_free(&s);
    dataset_free(&ds);

    /* the root may be the split's folder itself */
    ds = open_ok(DATASET_GOT10K, "got/val", DATASET_SPLIT_VAL);
    CHECK(ds.count == 2, "GOT-10k root = split folder");
    dataset_free(&ds);
    lorat_error err = {0};
    dataset_options opt = {.split = DATASET_SPLIT_TRAIN};
    CHECK(dataset_open(&ds, DATASET_GOT10K, at("got"), &opt, &err) != 0 &&
              strstr(err.message, "train/list.txt"),
          "missing split: %s", err.message);

    /* bad meta_info.ini and label count */
    put("got2/list.txt", "a\nb\n");
    put("got2/a/groundtruth.txt", "1,2,3,4\n");
    put("got2/a/meta_info.ini", "[METAINFO]\nresolution: 640x480\n");
    frames("got2/a", "%08d.jpg", 1, 1);
    put("got2/b/groundtruth.txt", "1,2,3,4\n1,2,3,4\n");
    put("got2/b/absence.label", "0\n");
    ds = open_ok(DATASET_GOT10K, "got2", DATASET_SPLIT_VAL);
    load_fails(&ds, "a", 0, "meta_info.ini:2", "resolution");
    load_fails(&ds, "b", 0, "absence.label has 1 line", "2");
    dataset_free(&ds);
}

static void test_custom(void) {
    put("custom/list.txt", "synth_000001\n");
    put("custom/synth_000001/groundtruth.txt", "1.5000,2.0000,30.2500,40.0000\n2,3,30,40\n");
    put("custom/synth_000001/absence.label", "0\n1\n");
    put("custom/synth_000001/cover.label", "8\n0\n");
    put("custom/synth_000001/cut_by_image.label", "0\n0\n");
    put("custom/synth_000001/meta_info.ini", "[METAINFO]\nresolution: (320, 240)\nseed: 7\n");
    frames("custom/synth_000001", "%08d.jpg", 1, 2);
    dataset ds = open_ok(DATASET_CUSTOM, "custom", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 1, "custom: list.txt");
    dataset_sequence s = load_ok(&ds, "synth_000001", DATASET_LOAD_FRAMES);
    CHECK(s.gt && near4(s.gt, 1.5, 2, 31.75, 42) && s.visible[1] == 0 && s.width == 320 &&
              s.frame_paths,
          "custom = GOT-10k sequence layout");
    dataset_sequence_free(&s);
    dataset_free(&ds);
    /* without list.txt: every folder with a groundtruth.txt */
    put("custom2/x/groundtruth.txt", "1,2,3,4\n");
    put("custom2/y/groundtruth.txt", "1,2,3,4\n");
    test_mkdirs(at("custom2/z"));
    ds = open_ok(DATASET_CUSTOM, "custom2", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 2, "custom without list.txt: %d", ds.count);
    dataset_free(&ds);
}

static void test_trackingnet(void) {
    put("tn/TEST/anno/seqA.txt", "10,20,30,40\n");
    frames("tn/TEST/frames/seqA", "%d.jpg", 0, 11);
    put("tn/TRAIN_0/anno/seqB.txt", "1,2,3,4\n1,2,3,4\n1,2,3,4\n");
    frames("tn/TRAIN_0/frames/seqB", "%d.jpg", 0, 2);
    put("tn/TRAIN_3/anno/seqC.txt", "1,2,3,4\n");
    frames("tn/TRAIN_3/frames/seqC", "%d.jpg", 0, 0);
    dataset ds = open_ok(DATASET_TRACKINGNET, "tn", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 1 && ds.split == DATASET_SPLIT_TEST, "TrackingNet TEST");
    dataset_sequence s = load_ok(&ds, "seqA", DATASET_LOAD_FRAMES);
    CHECK(s.frames == 12 && s.gt_count == 1, "TEST: one GT line, 12 frames (%d)", s.frames);
    CHECK(s.frame_paths && ends_with(s.frame_paths[2], "seqA/2.jpg") &&
              ends_with(s.frame_paths[10], "seqA/10.jpg"),
          "frames in numeric order 0.jpg, 1.jpg, 2.jpg, ... 10.jpg");
    dataset_sequence_free(&s);
    dataset_free(&ds);
    ds = open_ok(DATASET_TRACKINGNET, "tn", DATASET_SPLIT_TRAIN);
    CHECK(ds.count == 2, "TRAIN_k chunks: %d sequences", ds.count);
    s = load_ok(&ds, "seqB", DATASET_LOAD_FRAMES);
    CHECK(s.frames == 3 && s.frame_paths && ends_with(s.frame_paths[0], "TRAIN_0/frames/seqB/0.jpg"),
          "train sequence");
    dataset_sequence_free(&s);
    dataset_free(&ds);
    ds = open_ok(DATASET_TRACKINGNET, "tn", DATASET_SPLIT_ALL);
    CHECK(ds.count == 3, "all chunks");
    dataset_free(&ds);
}

static void test_otb(void) {
    put("otb/Basketball/groundtruth_rect.txt", "1,2\t3 4\n5, 6,7\t8\n");
    frames("otb/Basketball/img", "%04d.jpg", 1, 2);
    put("otb/David/groundtruth_rect.txt", "1,1,5,5\n2,2,5,5\n");
    frames("otb/David/img", "%04d.jpg", 300, 301);
    put("otb/Board/groundtruth_rect.txt", "1,1,5,5\n");
    frames("otb/Board/img", "%05d.jpg", 1, 1);
    put("otb/Tiger1/groundtruth_rect.txt", "1,1,5,5\n2,1,5,5\n3,1,5,5\n4,1,5,5\n5,1,5,5\n"
                                           "6,1,5,5\n7,1,5,5\n");
    frames("otb/Tiger1/img", "%04d.jpg", 1, 7);
    put("otb/Jogging/groundtruth_rect.1.txt", "1,1,5,5\n");
    put("otb/Jogging/groundtruth_rect.2.txt", "9,9,5,5\n");
    put("otb/Human4/groundtruth_rect.1.txt", "\n");
    put("otb/Human4/groundtruth_rect.2.txt", "3,3,5,5\n");
    test_mkdirs(at("otb/notes"));
    dataset ds = open_ok(DATASET_OTB, "otb", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 7, "OTB: 7 targets, got %d", ds.count);
    dataset_sequence s = load_ok(&ds, "Basketball", DATASET_LOAD_FRAMES);
    CHECK(s.gt && near4(s.gt, 1, 2, 4, 6) && near4(s.gt + 4, 5, 6, 12, 14),
          "mixed comma / tab / space separators");
    dataset_sequence_free(&s);
    s = load_ok(&ds, "David", DATASET_LOAD_FRAMES);
    CHECK(s.frame_paths && ends_with(s.frame_paths[0], "David/img/0300.jpg"),
          "David starts at image 300");
    dataset_sequence_free(&s);
    s = load_ok(&ds, "Board", DATASET_LOAD_FRAMES);
    CHECK(s.frame_paths && ends_with(s.frame_paths[0], "Board/img/00001.jpg"), "Board is %%05d");
    dataset_sequence_free(&s);
    s = load_ok(&ds, "Tiger1", DATASET_LOAD_FRAMES);
    CHECK(s.frames == 2 && s.gt && near4(s.gt, 6, 1, 11, 6) && s.frame_paths &&
              ends_with(s.frame_paths[0], "Tiger1/img/0006.jpg"),
          "Tiger1 skips its first 5 frames and GT lines (%d frames)", s.frames);
    dataset_sequence_free(&s);
    s = load_ok(&ds, "Jogging_2", 0);
    CHECK(s.gt && near4(s.gt, 9, 9, 14, 14), "Jogging_2 = groundtruth_rect.2.txt");
    dataset_sequence_free(&s);
    CHECK(dataset_find(&ds, "Jogging.1") == dataset_find(&ds, "Jogging_1") &&
              dataset_find(&ds, "Jogging_1") >= 0,
          "got10k toolkit's name Jogging.1 is an alias");
    CHECK(dataset_find(&ds, "Human4_2") >= 0 && dataset_find(&ds, "Human4") ==
                                                     dataset_find(&ds, "Human4_2"),
          "Human4 (empty .1) is Human4_2, alias Human4");
    dataset_free(&ds);
    dataset_options opt = {.otb_tiger1_full = 1};
    lorat_error err = {0};
    CHECK(dataset_open(&ds, DATASET_OTB, at("otb"), &opt, &err) == 0, "%s", err.message);
    s = load_ok(&ds, "Tiger1", DATASET_LOAD_FRAMES);
    CHECK(s.frames == 7, "Tiger1 in full (got10k toolkit): %d", s.frames);
    dataset_sequence_free(&s);
    dataset_free(&ds);
}

static void test_tnl2k(void) {
    put("tnl/seqA/groundtruth.txt", "1,1,5,5\n0,0,0,0\n2,2,5,5\n");
    put("tnl/seqA/imgs/00003.png", "%s", "");
    put("tnl/seqA/imgs/00001.jpg", "%s", "");
    put("tnl/seqA/imgs/00002.jpg", "%s", "");
    put("tnl/seqA/language.txt", "the red car\n");
    put("tnl/seqB/groundtruth.txt", "1,1,5,5\n1,1,5,5\n1,1,5,5\n");
    put("tnl/seqB/imgs/00001.jpg", "%s", "");
    dataset ds = open_ok(DATASET_TNL2K, "tnl", DATASET_SPLIT_DEFAULT);
    CHECK(ds.count == 2, "TNL2K: %d", ds.count);
    dataset_sequence s = load_ok(&ds, "seqA", DATASET_LOAD_FRAMES);
    CHECK(s.frame_paths && ends_with(s.frame_paths[0], "imgs/00001.jpg") &&
              ends_with(s.frame_paths[2], "imgs/00003.png"),
          "imgs sorted by name, jpg and png");
    CHECK(s.visible && s.visible[1] == 0 && s.visible[0] == 1, "zero-size box = absent");
    dataset_sequence_free(&s);
    load_fails(&ds, "seqB", DATASET_LOAD_FRAMES, "has 1 image", "fewer frames");
    dataset_free(&ds);
}

static void test_bad_ground_truth(void) {
    put("bad/list.txt", "nogt\nragged\nnan\nword\nhole\nempty\n");
    test_mkdirs(at("bad/nogt"));
    put("bad/ragged/groundtruth.txt", "1,2,3,4\n1,2,3\n");
    put("bad/nan/groundtruth.txt", "1,2,3,4\n1,2,3,4\nnan,2,3,4\n");
    put("bad/word/groundtruth.txt", "1,2,3,4\n1,2,x3,4\n");
    put("bad/hole/groundtruth.txt", "1,2,3,4\n\n1,2,3,4\n");
    put("bad/empty/groundtruth.txt", "\n\n");
    dataset ds = open_ok(DATASET_CUSTOM, "bad", DATASET_SPLIT_DEFAULT);
    load_fails(&ds, "nogt", 0, "nogt/groundtruth.txt", "cannot open");
    load_fails(&ds, "ragged", 0, "ragged/groundtruth.txt:2", "3 values, expected 4");
    load_fails(&ds, "nan", 0, "nan/groundtruth.txt:3", "nan");
    load_fails(&ds, "word", 0, "word/groundtruth.txt:2", "value 3 ('x3') is not a number");
    load_fails(&ds, "hole", 0, "hole/groundtruth.txt:2", "empty line");
    load_fails(&ds, "empty", 0, "empty/groundtruth.txt is empty", NULL);
    dataset_free(&ds);
    lorat_error err = {0};
    CHECK(dataset_open(&ds, DATASET_OTB, at("no-such-root"), NULL, &err) != 0 &&
              strstr(err.message, "no-such-root"),
          "missing root: %s", err.message);
    test_mkdirs(at("emptyroot"));
    CHECK(dataset_open(&ds, DATASET_TNL2K, at("emptyroot"), NULL, &err) != 0 &&
              strstr(err.message, "no sequences"),
          "no sequences: %s", err.message);
    dataset_kind k;
    CHECK(dataset_kind_parse("vot", &k, &err) != 0 && strstr(err.message, "lasot_ext"),
          "unknown dataset: %s", err.message);
}

/* ---- one table of formats: recognising folders, one sequence folder alone -------------------- */

static void expect_detect(const char *rel, int shape, dataset_kind kind) {
    dataset_kind k = (dataset_kind)-1;
    int d = dataset_detect(at(rel), &k);
    CHECK(d == shape && (shape == DATASET_DETECT_NONE || k == kind),
          "%s: detected shape %d as %s, expected %d as %s", rel, d,
          d ? dataset_kind_name(k) : "-", shape, dataset_kind_name(kind));
}

/* The sequence name of the root's dataset and the folder's one-sequence dataset load alike. */
static void expect_same_load(dataset_kind kind, const char *root, dataset_split split,
                             const char *seqdir, const char *name) {
    dataset whole = open_ok(kind, root, split), one;
    dataset_options opt = {0};
    lorat_error err = {0};
    lorat_status st = dataset_open_sequence(&one, at(seqdir), NULL, &opt, &err);
    CHECK(st == 0, "open sequence %s: %s", seqdir, err.message);
    if (st) {
        dataset_free(&whole);
        return;
    }
    CHECK(one.kind == kind, "%s read as %s", seqdir, dataset_kind_name(one.kind));
    dataset_sequence a = load_ok(&whole, name, DATASET_LOAD_FRAMES);
    dataset_sequence b = load_ok(&one, name, DATASET_LOAD_FRAMES);
    int same = a.frames == b.frames && a.gt_count == b.gt_count && a.gt && b.gt &&
               !memcmp(a.init, b.init, sizeof a.init) &&
               !memcmp(a.gt, b.gt, sizeof(double) * 4 * (size_t)a.gt_count) &&
               !memcmp(a.visible, b.visible, (size_t)a.gt_count) && a.width == b.width;
    for (int i = 0; same && i < a.frames; i++)
        same = a.frame_paths && b.frame_paths && !strcmp(a.frame_paths[i], b.frame_paths[i]);
    CHECK(same, "%s: the folder alone loads as %s within %s (%d/%d frames)", seqdir, name, root,
          a.frames, b.frames);
    dataset_sequence_free(&a);
    dataset_sequence_free(&b);
    dataset_free(&one);
    dataset_free(&whole);
}

static void test_detect_and_sequences(void) {
    frames("ext/atv/atv-1/img", "%08d.jpg", 1, 2);
    frames("lasot/airplane/airplane-2/img", "%08d.jpg", 1, 1);
    frames("otb/Tiger1/img", "%04d.jpg", 1, 7);
    frames("otb/Jogging/img", "%04d.jpg", 1, 1);
    expect_detect("lasot", DATASET_DETECT_ROOT, DATASET_LASOT);
    expect_detect("lasot/airplane/airplane-1", DATASET_DETECT_SEQUENCE, DATASET_LASOT);
    expect_detect("ext", DATASET_DETECT_ROOT, DATASET_LASOT_EXT);
    expect_detect("ext/atv/atv-1", DATASET_DETECT_SEQUENCE, DATASET_LASOT_EXT);
    expect_detect("got", DATASET_DETECT_ROOT, DATASET_GOT10K);
    expect_detect("got/val", DATASET_DETECT_ROOT, DATASET_GOT10K);
    expect_detect("got/val/GOT-10k_Val_000001", DATASET_DETECT_SEQUENCE, DATASET_GOT10K);
    expect_detect("tn", DATASET_DETECT_ROOT, DATASET_TRACKINGNET);
    expect_detect("tn/TEST/frames/seqA", DATASET_DETECT_SEQUENCE, DATASET_TRACKINGNET);
    expect_detect("otb", DATASET_DETECT_ROOT, DATASET_OTB);
    expect_detect("otb/David", DATASET_DETECT_SEQUENCE, DATASET_OTB);
    expect_detect("tnl", DATASET_DETECT_ROOT, DATASET_TNL2K);
    expect_detect("tnl/seqA", DATASET_DETECT_SEQUENCE, DATASET_TNL2K);
    expect_detect("custom", DATASET_DETECT_ROOT, DATASET_CUSTOM);
    expect_detect("custom/synth_000001", DATASET_DETECT_SEQUENCE, DATASET_CUSTOM);
    expect_detect("emptyroot", DATASET_DETECT_NONE, DATASET_CUSTOM);
    expect_detect("no-such-folder", DATASET_DETECT_NONE, DATASET_CUSTOM);

    expect_same_load(DATASET_LASOT, "lasot", DATASET_SPLIT_ALL, "lasot/airplane/airplane-1",
                     "airplane-1");
    expect_same_load(DATASET_LASOT_EXT, "ext", DATASET_SPLIT_DEFAULT, "ext/atv/atv-1", "atv-1");
    expect_same_load(DATASET_GOT10K, "got", DATASET_SPLIT_VAL, "got/val/GOT-10k_Val_000001",
                     "GOT-10k_Val_000001");
    expect_same_load(DATASET_GOT10K, "got", DATASET_SPLIT_TEST, "got/test/GOT-10k_Test_000001",
                     "GOT-10k_Test_000001");
    expect_same_load(DATASET_TRACKINGNET, "tn", DATASET_SPLIT_TEST, "tn/TEST/frames/seqA", "seqA");
    expect_same_load(DATASET_OTB, "otb", DATASET_SPLIT_DEFAULT, "otb/David", "David");
    expect_same_load(DATASET_OTB, "otb", DATASET_SPLIT_DEFAULT, "otb/Tiger1", "Tiger1");
    expect_same_load(DATASET_OTB, "otb", DATASET_SPLIT_DEFAULT, "otb/Jogging", "Jogging_2");
    expect_same_load(DATASET_TNL2K, "tnl", DATASET_SPLIT_DEFAULT, "tnl/seqA", "seqA");
    expect_same_load(DATASET_CUSTOM, "custom", DATASET_SPLIT_DEFAULT, "custom/synth_000001",
                     "synth_000001");

    /* the layout given: a LaSOT_ext folder read as LaSOT loses 1 px; a root is not a sequence */
    dataset one;
    lorat_error err = {0};
    dataset_kind lasot = DATASET_LASOT;
    CHECK(dataset_open_sequence(&one, at("ext/atv/atv-1"), &lasot, NULL, &err) == 0, "%s",
          err.message);
    dataset_sequence s = load_ok(&one, "atv-1", 0);
    CHECK(s.gt && near4(s.gt, 0, 0, 10, 10), "atv-1 read as LaSOT: 1-based");
    dataset_sequence_free(&s);
    dataset_free(&one);
    CHECK(dataset_open_sequence(&one, at("otb"), NULL, NULL, &err) != 0 &&
              strstr(err.message, "looks like an OTB100 root"),
          "a root: %s", err.message);
    CHECK(dataset_open_sequence(&one, at("emptyroot"), NULL, NULL, &err) != 0 &&
              strstr(err.message, "emptyroot is not a sequence folder of a known layout"),
          "no layout: %s", err.message);
    dataset_kind otb = DATASET_OTB;
    CHECK(dataset_open_sequence(&one, at("emptyroot"), &otb, NULL, &err) != 0 &&
              strstr(err.message, "no OTB100 sequence in this folder"),
          "no sequence of the given layout: %s", err.message);
    /* a root of another layout: the message says which */
    CHECK(dataset_open(&one, DATASET_TNL2K, at("otb"), NULL, &err) != 0 &&
              strstr(err.message, "it looks like an OTB100 root: --dataset otb"),
          "wrong --dataset: %s", err.message);
    CHECK(dataset_train_split(DATASET_LASOT) == DATASET_SPLIT_TRAIN &&
              dataset_train_split(DATASET_OTB) == DATASET_SPLIT_DEFAULT &&
              dataset_train_split(DATASET_COCO) == DATASET_SPLIT_TRAIN,
          "train splits");
}

/* ---- result files ------------------------------------------------------------------------ */

static void test_results_read(void) {
    put("res/a.txt", "1,2,3,4\n5\t6\t7\t8\n9 10  11 ,12\n");
    put("res/lasot-1.txt", "1,1,10,10\n");
    put("res/g/g_001.txt", "1,2,3,4\n1,2,3,4\n");
    put("res/g/g_002.txt", "2,2,3,4\n2,2,3,4\n");
    put("res/g/g_time.txt", "0.1\n0.1\n");
    put("res/h/h_001.txt", "1,2,3,4\n");
    put("res/h/h_002.txt", "1,2,3,4\n1,2,3,4\n");
    put("res/Jogging.1.txt", "1,2,3,4\n");
    put("res/nan.txt", "1,2,3,4\n1,nan,3,4\n");
    put("res/ragged.txt", "1,2,3,4\n1,2,3,4,5\n");
    put("res/empty.txt", "%s", "");
    results_sequence r;
    lorat_error err = {0};
    CHECK(results_read_sequence(at("res"), "a", NULL, 0, &r, &err) == 0, "%s", err.message);
    CHECK(r.runs == 1 && r.length == 3 && near4(r.xyxy + 8, 9, 10, 20, 22),
          "comma, tab and space separators");
    results_sequence_free(&r);
    CHECK(results_read_sequence(at("res"), "lasot-1", NULL, 1, &r, &err) == 0, "%s", err.message);
    CHECK(r.xyxy && near4(r.xyxy, 0, 0, 10, 10), "1-based files lose 1 on x, y");
    results_sequence_free(&r);
    CHECK(results_read_sequence(at("res"), "g", NULL, 0, &r, &err) == 0, "%s", err.message);
    CHECK(r.runs == 2 && r.length == 2 && near4(r.xyxy + 8, 2, 2, 5, 6),
          "GOT-10k layout: both repetitions, not the time file (runs %d)", r.runs);
    results_sequence_free(&r);
    CHECK(results_read_sequence(at("res"), "h", NULL, 0, &r, &err) != 0 &&
              strstr(err.message, "h_002.txt") && strstr(err.message, "same frames"),
          "repetitions of different lengths: %s", err.message);
    CHECK(results_read_sequence(at("res"), "Jogging_1", "Jogging.1", 0, &r, &err) == 0,
          "alias: %s", err.message);
    results_sequence_free(&r);
    CHECK(results_read_sequence(at("res"), "nan", NULL, 0, &r, &err) != 0 &&
              strstr(err.message, "nan.txt:2") && strstr(err.message, "sequence nan"),
          "NaN: %s", err.message);
    CHECK(results_read_sequence(at("res"), "ragged", NULL, 0, &r, &err) != 0 &&
              strstr(err.message, "ragged.txt:2") && strstr(err.message, "5 values"),
          "ragged: %s", err.message);
    CHECK(results_read_sequence(at("res"), "empty", NULL, 0, &r, &err) != 0 &&
              strstr(err.message, "empty"),
          "empty: %s", err.message);
    CHECK(results_read_sequence(at("res"), "missing", NULL, 0, &r, &err) != 0 &&
              strstr(err.message, "no results for sequence missing"),
          "missing: %s", err.message);
}

static int count_tmp_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static char *zip_member_text(const char *zip_path, const char *name) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_file_create(zip_path, 0, -1, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za) {
        if (src) zip_source_free(src);
        return NULL;
    }
    char *text = NULL;
    zip_int64_t i = zip_name_locate(za, name, 0);
    zip_stat_t st;
    if (i >= 0 && zip_stat_index(za, (zip_uint64_t)i, 0, &st) == 0) {
        zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)i, 0);
        text = calloc(1, st.size + 1);
        if (f && text) zip_fread(f, text, st.size);
        if (f) zip_fclose(f);
    }
    zip_discard(za);
    return text;
}

static void test_results_write(void) {
    double boxes[] = {10.25, 20.5, 40.25, 60.5, 11.9999, 21.0001, 41.5, 61.5};
    double times[] = {0.5, 0.25};
    results_write_options o;
    lorat_error err = {0};
    results_write_options_default(&o, DATASET_LASOT);
    CHECK(o.layout == RESULTS_LAYOUT_PLAIN && o.one_based == 1 && o.decimals == 4, "LaSOT defaults");
    CHECK(results_write_sequence(at("out/lasot"), "cat-1", boxes, 2, times, &o, &err) == 0, "%s",
          err.message);
    FILE *f = fopen(at("out/lasot/cat-1.txt"), "r");
    char line[256] = "";
    if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL, "read back");
        fclose(f);
    }
    CHECK(!strcmp(line, "11.2500,21.5000,30.0000,40.0000\n"), "LaSOT written 1-based: %s", line);
    CHECK(count_tmp_files(at("out/lasot")) == 0, "no temporary file left");
    results_sequence r;
    CHECK(results_read_sequence(at("out/lasot"), "cat-1", NULL, 1, &r, &err) == 0, "%s",
          err.message);
    CHECK(r.xyxy && near4(r.xyxy, 10.25, 20.5, 40.25, 60.5) && r.length == 2,
          "round trip (write 1-based, read back)");
    results_sequence_free(&r);

    results_write_options_default(&o, DATASET_GOT10K);
    CHECK(o.layout == RESULTS_LAYOUT_GOT10K && !o.one_based, "GOT-10k defaults");
    o.rasterize = 1;
    CHECK(results_write_sequence(at("out/got"), "GOT-10k_Test_000001", boxes, 2, times, &o,
                                 &err) == 0,
          "%s", err.message);
    f = fopen(at("out/got/GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt"), "r");
    line[0] = 0;
    if (f) {
        CHECK(fgets(line, sizeof line, f) && fgets(line, sizeof line, f), "two lines");
        fclose(f);
    }
    CHECK(!strcmp(line, "11.0000,21.0000,31.0000,41.0000\n"), "rasterized: %s", line);
    CHECK(access(at("out/got/GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt"), F_OK) == 0,
          "time file written");
    o.rasterize = 0;
    o.run = 2;
    CHECK(results_write_sequence(at("out/got"), "GOT-10k_Test_000001", boxes, 2, NULL, &o,
                                 &err) == 0,
          "%s", err.message);
    CHECK(results_read_sequence(at("out/got"), "GOT-10k_Test_000001", NULL, 0, &r, &err) == 0 &&
              r.runs == 2,
          "two repetitions read back: %s", err.message);
    results_sequence_free(&r);
    char *names[] = {"GOT-10k_Test_000001"};
    CHECK(results_zip(at("out/got"), RESULTS_LAYOUT_GOT10K, names, 1, at("out/got.zip"), &err) ==
              0,
          "zip: %s", err.message);
    char *t = zip_member_text(at("out/got.zip"), "GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt");
    CHECK(t && !strncmp(t, "10.0000,20.0000,31.0000,41.0000\n", 32), "zip member _001: %s",
          t ? t : "(missing)");
    free(t);
    t = zip_member_text(at("out/got.zip"), "GOT-10k_Test_000001/GOT-10k_Test_000001_time.txt");
    CHECK(t && !strcmp(t, "0.50000000\n0.25000000\n"), "zip member _time: %s", t ? t : "(missing)");
    free(t);
    t = zip_member_text(at("out/got.zip"), "GOT-10k_Test_000001/GOT-10k_Test_000001_002.txt");
    CHECK(t != NULL, "zip member _002");
    free(t);
    CHECK(count_tmp_files(at("out")) == 0, "no temporary zip left");

    results_write_options_default(&o, DATASET_TRACKINGNET);
    CHECK(results_write_sequence(at("out/tn"), "seqA", boxes, 2, NULL, &o, &err) == 0, "%s",
          err.message);
    char *tn[] = {"seqA", "seqZ"};
    CHECK(results_zip(at("out/tn"), RESULTS_LAYOUT_PLAIN, tn, 2, at("out/tn.zip"), &err) != 0 &&
              strstr(err.message, "seqZ"),
          "zip with a missing sequence: %s", err.message);
    CHECK(access(at("out/tn.zip"), F_OK) != 0 && count_tmp_files(at("out")) == 0,
          "nothing written on failure");
    CHECK(results_zip(at("out/tn"), RESULTS_LAYOUT_PLAIN, tn, 1, at("out/tn.zip"), &err) == 0,
          "%s", err.message);
    t = zip_member_text(at("out/tn.zip"), "seqA.txt");
    CHECK(t && !strncmp(t, "10.2500,20.5000,30.0000,40.0000\n", 32), "TrackingNet zip: %s",
          t ? t : "(missing)");
    free(t);

    double bad[] = {1, 2, NAN, 4};
    CHECK(results_write_sequence(at("out/tn"), "x", bad, 1, NULL, &o, &err) != 0 &&
              strstr(err.message, "frame 0"),
          "refuses to write NaN: %s", err.message);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/lorat-datasets.XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_lasot();
    test_got10k();
    test_custom();
    test_trackingnet();
    test_otb();
    test_tnl2k();
    test_bad_ground_truth();
    test_detect_and_sequences();
    test_results_read();
    test_results_write();
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return test_finish();
}
