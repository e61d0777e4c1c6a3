/* fuzz_zip.c — the zip reader: end of central directory, zip64, members and their data. */
#include "fuzz.h"
#include "io/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ziparc_archive z;
    lorat_error err;
    if (ziparc_open(&z, data, size, "fuzz.zip", &err)) return 0;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < z.count; i++) {
        const uint8_t *d = NULL;
        if (!ziparc_member_data(&z, &z.members[i], &d, "fuzz.zip", &err) && d && z.members[i].size)
            sink ^= d[z.members[i].size - 1];
        ziparc_find(&z, z.members[i].name, z.members[i].name_len);
    }
    (void)sink;
    ziparc_free(&z);
    return 0;
}
