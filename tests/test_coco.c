/*
 * test_coco.c — COCO 2017 as one-frame training sequences (data/datasets_coco.c), on a small
 * annotation file and tiny JPEGs this test writes: the filters (crowd, zero-size and out-of-image
 * boxes dropped, a 1e-3 tolerance kept), names, boxes, sizes, frame paths, the val split, the
 * names of the kind, and bad input (each error must name the file).
 */
#include <ftw.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/datasets.h"
#include "io/image.h"
#include "test.h"

static char root[256];

static const char *at(const char *rel) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

/* Writes text to root/<rel>, making folders. */
static void put(const char *rel, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    test_vput(root, rel, fmt, ap);
    va_end(ap);
}

static void jpeg(const char *rel, int w, int h) {
    image img = {0};
    lorat_error err = {0};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", at(rel));
    *strrchr(dir, '/') = 0;
    test_mkdirs(dir);
    if (image_alloc(&img, w, h, &err) == 0) {
        for (size_t i = 0; i < (size_t)w * h * 3; i++) img.data[i] = (uint8_t)(i * 7);
        CHECK(image_write_jpeg(at(rel), &img, 90, &err) == 0, "write %s: %s", rel, err.message);
    }
    image_free(&img);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path);
}

static int near4(const double *b, double x1, double y1, double x2, double y2) {
    return fabs(b[0] - x1) < 1e-9 && fabs(b[1] - y1) < 1e-9 && fabs(b[2] - x2) < 1e-9 &&
           fabs(b[3] - y2) < 1e-9;
}

static int ends_with(const char *s, const char *t) {
    size_t n = strlen(s), m = strlen(t);
    return n >= m && !strcmp(s + n - m, t);
}

/* An annotation file in COCO's shape: polygons and an RLE crowd mask included, keys in the
 * official files' order. */
static const char *train_json =
    "{\"info\": {\"description\": \"tiny\", \"year\": 2017},\n"
    " \"licenses\": [{\"id\": 1, \"name\": \"x\"}],\n"
    " \"images\": [\n"
    "  {\"license\": 1, \"file_name\": \"a.jpg\", \"height\": 48, \"width\": 64, \"id\": 1},\n"
    "  {\"license\": 1, \"file_name\": \"b.jpg\", \"height\": 32, \"width\": 32, \"id\": 2},\n"
    "  {\"license\": 1, \"file_name\": \"c.jpg\", \"height\": 30, \"width\": 40, \"id\": 7},\n"
    "  {\"license\": 1, \"file_name\": \"missing.jpg\", \"height\": 20, \"width\": 20, \"id\": 9}],\n"
    " \"annotations\": [\n"
    "  {\"segmentation\": [[1.5, 2.0, 11.5, 2.0, 11.5, 22.0]], \"area\": 200.0, \"iscrowd\": 0,\n"
    "   \"image_id\": 1, \"bbox\": [1.5, 2.0, 10.0, 20.0], \"category_id\": 1, \"id\": 10},\n"
    "  {\"segmentation\": {\"counts\": [0, 5, 10, 3], \"size\": [48, 64]}, \"area\": 9.0,\n"
    "   \"iscrowd\": 1, \"image_id\": 1, \"bbox\": [0, 0, 8, 8], \"category_id\": 1, \"id\": 11},\n"
    "  {\"segmentation\": [], \"area\": 0, \"iscrowd\": 0, \"image_id\": 2,\n"
    "   \"bbox\": [0, 0, 0, 5], \"category_id\": 2, \"id\": 12},\n"
    "  {\"segmentation\": [[30, 0, 35, 5, 30, 5]], \"area\": 25, \"iscrowd\": 0, \"image_id\": 2,\n"
    "   \"bbox\": [30, 0, 5, 5], \"category_id\": 2, \"id\": 13},\n"
    "  {\"segmentation\": [[-1, 0, 4, 5, 0, 5]], \"iscrowd\": 0, \"image_id\": 2,\n"
    "   \"bbox\": [-1, 0, 5, 5], \"category_id\": 2, \"id\": 14},\n"
    "  {\"segmentation\": [[0, 0, 32, 32, 0, 32]], \"iscrowd\": 0, \"image_id\": 2,\n"
    "   \"bbox\": [0, 0, 32.0005, 32], \"category_id\": 2, \"id\": 15},\n"
    "  {\"segmentation\": [[5, 5, 15, 15, 5, 15]], \"image_id\": 7,\n"
    "   \"bbox\": [5, 5, 10, 10], \"category_id\": 3, \"id\": 16},\n"
    "  {\"segmentation\": [[0, 0, 4, 4, 0, 4]], \"iscrowd\": 0, \"image_id\": 7,\n"
    "   \"bbox\": [0, 0, 4, 4], \"category_id\": 3, \"id\": 900100000001},\n"
    "  {\"segmentation\": [[1, 1, 3, 3, 1, 3]], \"iscrowd\": 0, \"image_id\": 9,\n"
    "   \"bbox\": [1, 1, 2, 2], \"category_id\": 3, \"id\": 17},\n"
    "  {\"segmentation\": [[0, 0, 64, 48, 0, 48]], \"iscrowd\": 0, \"image_id\": 1,\n"
    "   \"bbox\": [0, 0, 64, 48.01], \"category_id\": 1, \"id\": 18}],\n"
    " \"categories\": [{\"supercategory\": \"s\", \"id\": 1, \"name\": \"segmentation\"}]}\n";

static void test_names(void) {
    dataset_kind k;
    lorat_error err = {0};
    CHECK(dataset_kind_parse("coco", &k, &err) == 0 && k == DATASET_COCO, "parse coco");
    CHECK(dataset_kind_parse("COCO", &k, &err) == 0 && k == DATASET_COCO, "parse COCO");
    CHECK(!strcmp(dataset_kind_name(DATASET_COCO), "coco"), "name");
    CHECK(!strcmp(dataset_display_name(DATASET_COCO), "COCO"), "display name");
    CHECK(!strcmp(dataset_official_name(DATASET_COCO), "COCO"), "official name");
    CHECK(!dataset_one_based(DATASET_COCO), "0-based");
}

static void test_train(void) {
    put("coco/annotations/instances_train2017.json", "%s", train_json);
    jpeg("coco/train2017/a.jpg", 64, 48);
    jpeg("coco/train2017/b.jpg", 32, 32);
    jpeg("coco/train2017/c.jpg", 40, 30);
    dataset ds;
    lorat_error err = {0};
    lorat_status s = dataset_open(&ds, DATASET_COCO, at("coco"), NULL, &err);
    CHECK(s == 0, "open: %s", err.message);
    if (s) return;
    CHECK(ds.split == DATASET_SPLIT_TRAIN, "the default split is train (got %d)", (int)ds.split);
    static const char *names[] = {"1_10", "2_15", "7_16", "7_900100000001", "9_17"};
    CHECK(ds.count == 5, "5 objects kept (crowd, zero-size and out-of-image dropped), got %d",
          ds.count);
    for (int i = 0; i < 5 && i < ds.count; i++)
        CHECK(!strcmp(ds.seqs[i].name, names[i]), "sequence %d is %s, expected %s", i,
              ds.seqs[i].name, names[i]);
    CHECK(dataset_find(&ds, "2_15") == 1, "find 2_15");
    CHECK(dataset_find(&ds, "1_11") < 0 && dataset_find(&ds, "2_13") < 0, "dropped not listed");

    static const double boxes[5][4] = {
        {1.5, 2, 11.5, 22}, {0, 0, 32.0005, 32}, {5, 5, 15, 15}, {0, 0, 4, 4}, {1, 1, 3, 3}};
    static const int sizes[5][2] = {{64, 48}, {32, 32}, {40, 30}, {40, 30}, {20, 20}};
    static const char *files[5] = {"/train2017/a.jpg", "/train2017/b.jpg", "/train2017/c.jpg",
                                   "/train2017/c.jpg", NULL};
    for (int i = 0; i < 5 && i < ds.count; i++) {
        dataset_sequence seq;
        int flags = files[i] ? DATASET_LOAD_FRAMES : 0;
        s = dataset_load(&ds, i, flags, &seq, &err);
        CHECK(s == 0, "load %s: %s", names[i], err.message);
        if (s) continue;
        CHECK(!strcmp(seq.name, names[i]), "name %s", seq.name);
        CHECK(seq.frames == 1 && seq.gt_count == 1, "%s: one frame", names[i]);
        const double *b = boxes[i];
        CHECK(near4(seq.gt, b[0], b[1], b[2], b[3]), "%s: box %g %g %g %g", names[i], seq.gt[0],
              seq.gt[1], seq.gt[2], seq.gt[3]);
        CHECK(near4(seq.init, b[0], b[1], b[2], b[3]), "%s: init", names[i]);
        CHECK(seq.visible[0] == 1 && seq.valid[0] == 1, "%s: visible and valid", names[i]);
        CHECK(seq.width == sizes[i][0] && seq.height == sizes[i][1], "%s: size %dx%d", names[i],
              seq.width, seq.height);
        if (files[i]) {
            CHECK(seq.frame_paths && ends_with(seq.frame_paths[0], files[i]) &&
                      !strncmp(seq.frame_paths[0], root, strlen(root)),
                  "%s: frame %s", names[i], seq.frame_paths ? seq.frame_paths[0] : "(none)");
            image img = {0};
            CHECK(seq.frame_paths && image_read(seq.frame_paths[0], &img, &err) == 0 &&
                      img.w == seq.width && img.h == seq.height,
                  "%s: the frame decodes at the annotated size", names[i]);
            image_free(&img);
        } else {
            CHECK(seq.frame_paths == NULL, "no frames without DATASET_LOAD_FRAMES");
        }
        dataset_sequence_free(&seq);
    }
    /* An image listed but absent on disk: an error naming it, when its frames are asked for. */
    dataset_sequence seq;
    s = dataset_load(&ds, 4, DATASET_LOAD_FRAMES, &seq, &err);
    CHECK(s != 0 && strstr(err.message, "missing.jpg") && strstr(err.message, "9_17"),
          "a missing image: %s", s ? err.message : "(success)");
    if (!s) dataset_sequence_free(&seq);
    s = dataset_load(&ds, 5, 0, &seq, &err);
    CHECK(s != 0, "index out of range");
    if (!s) dataset_sequence_free(&seq);
    dataset_free(&ds);
    CHECK(ds.count == 0 && ds.seqs == NULL && ds.coco == NULL, "freed");
}

static void test_val(void) {
    put("coco/annotations/instances_val2017.json",
        "{\"images\": [{\"file_name\": \"v.jpg\", \"height\": 16, \"width\": 24, \"id\": 5}],"
        " \"annotations\": [{\"image_id\": 5, \"bbox\": [2, 3, 4, 5], \"id\": 6, \"iscrowd\": 0,"
        " \"segmentation\": [[2, 3, 6, 8, 2, 8]]}]}");
    jpeg("coco/val2017/v.jpg", 24, 16);
    dataset ds;
    dataset_options opt = {.split = DATASET_SPLIT_VAL};
    lorat_error err = {0};
    lorat_status s = dataset_open(&ds, DATASET_COCO, at("coco"), &opt, &err);
    CHECK(s == 0 && ds.count == 1 && !strcmp(ds.seqs[0].name, "5_6"), "val split: %s",
          s ? err.message : "");
    if (!s) {
        dataset_sequence seq;
        s = dataset_load(&ds, 0, DATASET_LOAD_FRAMES, &seq, &err);
        CHECK(s == 0 && ends_with(seq.frame_paths[0], "/val2017/v.jpg") &&
                  near4(seq.gt, 2, 3, 6, 8),
              "val load: %s", s ? err.message : "");
        if (!s) dataset_sequence_free(&seq);
        dataset_free(&ds);
    }
    opt.split = DATASET_SPLIT_TEST;
    s = dataset_open(&ds, DATASET_COCO, at("coco"), &opt, &err);
    CHECK(s != 0 && strstr(err.message, "train") && strstr(err.message, "val"),
          "no test split: %s", s ? err.message : "(success)");
    if (!s) dataset_free(&ds);
}

/* Opening root/<rel> must fail with a message holding t1 and t2. */
static void open_fails(const char *rel, const char *t1, const char *t2) {
    dataset ds;
    lorat_error err = {0};
    lorat_status s = dataset_open(&ds, DATASET_COCO, at(rel), NULL, &err);
    CHECK(s != 0 && strstr(err.message, t1) && (!t2 || strstr(err.message, t2)),
          "%s: expected an error with '%s'%s%s, got: %s", rel, t1, t2 ? " and " : "",
          t2 ? t2 : "", s ? err.message : "(success)");
    if (!s) dataset_free(&ds);
}

static void bad(const char *rel, const char *json) {
    char path[512];
    snprintf(path, sizeof path, "%s/annotations/instances_train2017.json", rel);
    put(path, "%s", json);
    snprintf(path, sizeof path, "%s/train2017", rel);
    test_mkdirs(at(path));
}

static void test_errors(void) {
    test_mkdirs(at("nofile/train2017"));
    open_fails("nofile", "instances_train2017.json", "not found");
    put("noimages/annotations/instances_train2017.json", "%s", train_json);
    open_fails("noimages", "train2017", "missing");
    open_fails("nosuchroot", "nosuchroot", NULL);

    bad("malformed", "{\"images\": [{\"id\": 1,\n \"file_name\": \"a.jpg\" \"width\": 3}]}");
    open_fails("malformed", "malformed/annotations/instances_train2017.json", "line 2");
    bad("truncated", "{\"images\": [], \"annotations\": [{\"segmentation\": [[1, 2, 3");
    open_fails("truncated", "truncated/annotations/instances_train2017.json", "malformed");
    bad("notcoco", "[1, 2, 3]");
    open_fails("notcoco", "notcoco/annotations/instances_train2017.json", "\"annotations\"");
    bad("unknown",
        "{\"images\": [{\"file_name\": \"a.jpg\", \"height\": 8, \"width\": 8, \"id\": 1}],"
        " \"annotations\": [{\"image_id\": 99, \"bbox\": [0, 0, 2, 2], \"id\": 3}]}");
    open_fails("unknown", "unknown/annotations/instances_train2017.json", "image 99");
    bad("nobbox",
        "{\"images\": [{\"file_name\": \"a.jpg\", \"height\": 8, \"width\": 8, \"id\": 1}],"
        " \"annotations\": [{\"image_id\": 1, \"bbox\": [0, 0, 2], \"id\": 3}]}");
    open_fails("nobbox", "nobbox/annotations/instances_train2017.json", "bbox");
    bad("badimage", "{\"images\": [{\"file_name\": \"a.jpg\", \"id\": 1}], \"annotations\": []}");
    open_fails("badimage", "badimage/annotations/instances_train2017.json", "images[0]");
    bad("dupimage",
        "{\"images\": [{\"file_name\": \"a.jpg\", \"height\": 8, \"width\": 8, \"id\": 1},"
        " {\"file_name\": \"b.jpg\", \"height\": 8, \"width\": 8, \"id\": 1}], \"annotations\": []}");
    open_fails("dupimage", "dupimage/annotations/instances_train2017.json", "id 1");
    bad("allcrowd",
        "{\"images\": [{\"file_name\": \"a.jpg\", \"height\": 8, \"width\": 8, \"id\": 1}],"
        " \"annotations\": [{\"image_id\": 1, \"bbox\": [0, 0, 2, 2], \"id\": 3, \"iscrowd\": 1}]}");
    open_fails("allcrowd", "no sequences", "allcrowd");
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/lorat-coco.XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_names();
    test_train();
    test_val();
    test_errors();
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return test_finish();
}
