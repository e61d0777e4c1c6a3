/* fuzz_video.c — a video file through FFmpeg's demuxers and decoders as lorat opens it, and its
 * first frames. */
#include "fuzz.h"
#include "io/video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    video_reader *v = NULL;
    lorat_error err;
    if (video_open(path, &v, &err)) fuzz_note("video", &err);
    else {
        image img = {0};
        for (int i = 0; i < 4; i++) {
            int eof = 0;
            if (video_read(v, &img, &eof, &err) || eof) break;
        }
        image_free(&img);
        video_close(v);
    }
    close(fd);
    return 0;
}
