/* fuzz_safetensors.c — the safetensors reader: header, offsets, dtypes, metadata. */
#include "fuzz.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    safetensors *st = NULL;
    lorat_error err;
    if (safetensors_open(path, &st, &err)) fuzz_note("safetensors", &err);
    else {
        int n = 0;
        const tensor_info *t = safetensors_tensors(st, &n);
        volatile uint8_t sink = 0;
        for (int i = 0; i < n; i++)
            if (t[i].nbytes) sink ^= ((const uint8_t *)t[i].data)[t[i].nbytes - 1];
        for (int i = 0; i < safetensors_meta_count(st); i++) {
            const char *k, *v;
            safetensors_meta_at(st, i, &k, &v);
            sink ^= (uint8_t)(k[0] ^ v[0]);
        }
        (void)sink;
        safetensors_close(st);
    }
    close(fd);
    return 0;
}
