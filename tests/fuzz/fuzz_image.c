/* fuzz_image.c — JPEG and PNG decoding (libjpeg-turbo, libpng) through lorat's checks. */
#include "fuzz.h"
#include "io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    image img = {0};
    lorat_error err;
    if (image_decode(data, size, "fuzz", &img, &err)) fuzz_note("image", &err);
    image_free(&img); /* the buffer is the caller's, after a failure too */
    return 0;
}
