/* fuzz_model.c — loading a lorat model file: metadata, configuration limits, every tensor's
 * name, shape and dtype, then one tracker made and freed. */
#include "fuzz.h"
#include "lorat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    lorat_model *m = NULL;
    lorat_error err;
    if (lorat_model_load(path, &m, &err)) fuzz_note("model", &err);
    else {
        lorat_tracker *t = NULL;
        if (!lorat_tracker_create(m, NULL, &t, &err)) lorat_tracker_free(t);
        lorat_model_free(m);
    }
    close(fd);
    return 0;
}
