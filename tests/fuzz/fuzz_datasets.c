/* fuzz_datasets.c — every benchmark reader. The first byte picks the layout; the rest, split at
 * NUL bytes, becomes that layout's text files (list, ground truth, labels) for one or two
 * sequences in a scratch folder, which the reader then lists and loads. */
#include "fuzz.h"
#include "data/datasets.h"

static void clear(const char *dir) {
    char path[256];
    snprintf(path, sizeof path, "%s/root", dir);
    fuzz_rmtree(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const dataset_kind kinds[] = {DATASET_GOT10K, DATASET_LASOT,  DATASET_LASOT_EXT, DATASET_OTB,
                                         DATASET_TNL2K,  DATASET_TRACKINGNET, DATASET_CUSTOM};
    const dataset_kind kind = kinds[data[0] % 7];
    const uint8_t *part[6];
    size_t len[6];
    const int n = fuzz_split(data + 1, size - 1, part, len, 6);
#define P(i) (i < n ? part[i] : (const uint8_t *)""), (i < n ? len[i] : 0)
    const char *dir = fuzz_scratch();
    clear(dir);
    char root[128];
    snprintf(root, sizeof root, "%s/root", dir);
    static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xd9};
    switch (kind) {
    case DATASET_GOT10K:
        fuzz_put(root, "val/list.txt", P(0));
        fuzz_put(root, "val/GOT-10k_Val_000001/groundtruth.txt", P(1));
        fuzz_put(root, "val/GOT-10k_Val_000001/absence.label", P(2));
        fuzz_put(root, "val/GOT-10k_Val_000001/cover.label", P(3));
        fuzz_put(root, "val/GOT-10k_Val_000001/00000001.jpg", jpg, sizeof jpg);
        break;
    case DATASET_LASOT:
    case DATASET_LASOT_EXT:
        fuzz_put(root, "testing_set.txt", P(0));
        fuzz_put(root, "cat/cat-1/groundtruth.txt", P(1));
        fuzz_put(root, "cat/cat-1/full_occlusion.txt", P(2));
        fuzz_put(root, "cat/cat-1/out_of_view.txt", P(3));
        fuzz_put(root, "cat/cat-1/img/00000001.jpg", jpg, sizeof jpg);
        break;
    case DATASET_OTB:
        fuzz_put(root, "Basketball/groundtruth_rect.txt", P(1));
        fuzz_put(root, "Basketball/img/0001.jpg", jpg, sizeof jpg);
        fuzz_put(root, "Jogging/groundtruth_rect.1.txt", P(2));
        fuzz_put(root, "Jogging/img/0001.jpg", jpg, sizeof jpg);
        break;
    case DATASET_TNL2K:
        fuzz_put(root, "seq_a/groundtruth.txt", P(1));
        fuzz_put(root, "seq_a/language.txt", P(2));
        fuzz_put(root, "seq_a/imgs/00001.jpg", jpg, sizeof jpg);
        break;
    case DATASET_TRACKINGNET:
        fuzz_put(root, "TEST/anno/a.txt", P(1));
        fuzz_put(root, "TEST/frames/a/0.jpg", jpg, sizeof jpg);
        break;
    default:
        fuzz_put(root, "list.txt", P(0));
        fuzz_put(root, "synth_000001/groundtruth.txt", P(1));
        fuzz_put(root, "synth_000001/absence.label", P(2));
        fuzz_put(root, "synth_000001/cover.label", P(3));
        fuzz_put(root, "synth_000001/meta_info.ini", P(4));
        fuzz_put(root, "synth_000001/00000001.jpg", jpg, sizeof jpg);
        break;
    }
#undef P
    dataset ds;
    dataset_options opt = {0};
    if (kind == DATASET_GOT10K) opt.split = DATASET_SPLIT_VAL;
    lorat_error err;
    if (dataset_open(&ds, kind, root, &opt, &err)) {
        fuzz_note("dataset_open", &err);
        return 0;
    }
    for (int i = 0; i < ds.count && i < 4; i++) {
        dataset_sequence seq;
        if (dataset_load(&ds, i, 0, &seq, &err)) fuzz_note("dataset_load", &err);
        else dataset_sequence_free(&seq);
    }
    dataset_free(&ds);
    return 0;
}
