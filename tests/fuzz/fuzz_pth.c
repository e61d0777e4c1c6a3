/* fuzz_pth.c — a .pth file as torch.save writes it: zip, pickle, restricted globals, storages,
 * views with offsets and strides. */
#include "fuzz.h"
#include "io/pth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    pth_file *f = NULL;
    lorat_error err;
    if (pth_open(path, &f, &err)) fuzz_note("pth", &err);
    else {
        int n = 0;
        const tensor_info *t = pth_tensors(f, &n);
        volatile uint8_t sink = 0;
        for (int i = 0; i < n; i++)
            if (t[i].nbytes) sink ^= ((const uint8_t *)t[i].data)[t[i].nbytes - 1];
        (void)sink;
        pth_close(f);
    }
    close(fd);
    return 0;
}
