/* fuzz_trax.c — what a TraX client sends `lorat trax`: the input as the client's byte stream,
 * read in bounded lines, each split into a message; every argument is then read as a region and
 * as an image path, and the message is written back (quoting and escaping) to /dev/null. */
#include <fcntl.h>
#include <stddef.h>

#include "fuzz.h"
#include "cli/trax_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    lseek(fd, 0, SEEK_SET);
    static trax_stream s;  /* 80 kB: not on the stack */
    static trax_message m; /* 64 kB */
    memset(&s, 0, offsetof(trax_stream, buf));
    s.in = fd;
    s.out = open("/dev/null", O_WRONLY);
    lorat_error err;
    for (int lines = 0; lines < 1000; lines++) {
        size_t n;
        const int r = trax_read_line(&s, &n, &err);
        if (r < 0) fuzz_note("trax line", &err);
        if (r <= 0) break;
        const int p = trax_message_parse(s.line, n, &m, &err);
        if (p < 0) {
            fuzz_note("trax message", &err);
            continue;
        }
        if (p == 0) continue;
        for (int i = 0; i < m.n_args; i++) {
            lorat_box box;
            const char *file;
            if (trax_region_parse(m.args[i], &box, &err)) fuzz_note("trax region", &err);
            if (trax_image_path(m.args[i], &file, &err)) fuzz_note("trax image", &err);
        }
        if (s.out >= 0 &&
            trax_message_send(&s, m.name, m.args, m.n_args, m.keys, m.values, m.n_named, &err))
            fuzz_note("trax send", &err);
    }
    if (s.out >= 0) close(s.out);
    close(fd);
    return 0;
}
