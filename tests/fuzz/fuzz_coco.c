/* fuzz_coco.c — the COCO reader: the input is annotations/instances_train2017.json (images,
 * annotations, crowds, boxes) of a scratch COCO root. */
#include "fuzz.h"
#include "data/datasets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *dir = fuzz_scratch();
    char root[128];
    snprintf(root, sizeof root, "%s/coco", dir);
    fuzz_put(root, "annotations/instances_train2017.json", data, size);
    fuzz_put(root, "train2017/000000000001.jpg", "", 0);
    dataset ds;
    dataset_options opt = {0};
    opt.split = DATASET_SPLIT_TRAIN;
    lorat_error err;
    if (dataset_open(&ds, DATASET_COCO, root, &opt, &err)) {
        fuzz_note("coco", &err);
        return 0;
    }
    for (int i = 0; i < ds.count && i < 8; i++) {
        dataset_sequence seq;
        if (dataset_load(&ds, i, 0, &seq, &err)) fuzz_note("coco load", &err);
        else dataset_sequence_free(&seq);
    }
    dataset_free(&ds);
    return 0;
}
