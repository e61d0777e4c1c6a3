/* fuzz_pickle.c — the pickle machine on its own, with hooks that answer every global, call and
 * persistent id with None (the .pth harness runs the real, restrictive hooks). */
#include "fuzz.h"
#include "io/pickle.h"

static lorat_status any_global(pickle *pk, void *ctx, const char *module, size_t module_len,
                               const char *name, size_t name_len, pickle_value **out) {
    *out = pickle_new(pk, PICKLE_NONE);
    return *out ? LORAT_STATUS_OK : pickle_status(pk);
}

static lorat_status any_call(pickle *pk, void *ctx, const pickle_value *fn, const pickle_value *args,
                             pickle_value **out) {
    *out = pickle_new(pk, PICKLE_NONE);
    return *out ? LORAT_STATUS_OK : pickle_status(pk);
}

static lorat_status any_pid(pickle *pk, void *ctx, const pickle_value *pid, pickle_value **out) {
    *out = pickle_new(pk, PICKLE_NONE);
    return *out ? LORAT_STATUS_OK : pickle_status(pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const pickle_hooks hooks = {NULL, any_global, any_call, any_pid};
    pickle *pk = NULL;
    pickle_value *root = NULL;
    lorat_error err;
    if (pickle_load(data, size, &hooks, "fuzz", &pk, &root, &err)) fuzz_note("pickle", &err);
    pickle_free(pk);
    return 0;
}
