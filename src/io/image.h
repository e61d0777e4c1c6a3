/*
 * image.h — 8-bit RGB images: decoding JPEG (libjpeg-turbo) and PNG (libpng) files, encoding
 * them back (atomic writes), listing a folder of frames in the order benchmarks number them, and
 * the little drawing needed to render a tracked box (rectangle, text).
 */
#ifndef LORAT_IO_IMAGE_H
#define LORAT_IO_IMAGE_H

#include <stdint.h>

#include "core/error.h"

/* Interleaved RGB, rows top to bottom, no padding: data[(y·w + x)·3 + c]. */
typedef struct image {
    int w, h;
    uint8_t *data;
    size_t capacity; /* bytes allocated, so a buffer can be reused for frames of the same size */
} image;

/* Decodes a JPEG or PNG (chosen by the file's magic bytes, not its name) into img, reusing
 * img->data when it is large enough. Grey and palette images become RGB; alpha is dropped;
 * 16-bit PNG is reduced to 8 bits. img->data stays the caller's to free (image_free), after a
 * failure too: a decode that fails half-way may have grown it. */
lorat_status image_read(const char *path, image *img, lorat_error *err);
/* Same, from memory. name is only used in messages. */
lorat_status image_decode(const uint8_t *bytes, size_t n, const char *name, image *img, lorat_error *err);

lorat_status image_alloc(image *img, int w, int h, lorat_error *err);
void image_free(image *img);

/* Atomic writers (temporary file in the same directory, fsync, rename). quality 1..100. */
lorat_status image_write_jpeg(const char *path, const image *img, int quality, lorat_error *err);
lorat_status image_write_png(const char *path, const image *img, lorat_error *err);
/* By extension: .jpg/.jpeg or .png. */
lorat_status image_write(const char *path, const image *img, lorat_error *err);

/* Lists the image files (.jpg, .jpeg, .png, any case) of a directory, sorted by the number in
 * their names when every name has one (00000001.jpg, 1.jpg, img12.png: numeric order, as
 * TrackingNet's 0.jpg … 10.jpg need), else by name. *paths is one allocation holding the array
 * and the strings: free(*paths) releases all. */
lorat_status image_list_dir(const char *dir, char ***paths, int *count, lorat_error *err);

/* Drawing, clipped to the image. Colours are 0xRRGGBB. */
void image_draw_rect(image *img, float x, float y, float w, float h, int thickness, uint32_t rgb);
void image_fill_rect(image *img, int x, int y, int w, int h, uint32_t rgb);
/* Text in a built-in 5×7 pixel font (ASCII 32–126), scaled by `scale`, top-left at (x, y). */
void image_draw_text(image *img, int x, int y, const char *text, int scale, uint32_t rgb);

#endif
