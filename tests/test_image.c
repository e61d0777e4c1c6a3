/*
 * test_image.c — io/image: JPEG and PNG round trips (PNG exact, JPEG within a tolerance), odd
 * sizes, every PNG colour type and bit depth a dataset may hold (written here with libpng
 * directly), grey and CMYK JPEGs (written with libjpeg directly), truncated and non-image files,
 * the ordering of frame folders, and drawing that must stay inside the image whatever it is
 * given (run under ASan to see the point).
 *
 * Every file lives in a fresh directory under /tmp that is removed at the end.
 */
#include "io/image.h"
#include "test.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

static char tmpdir[64];

static const char *tmp_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot create %s\n", path);
        exit(2);
    }
    if (n && fwrite(data, 1, n, f) != n) exit(2);
    fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *n = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    *n = fread(buf, 1, (size_t)size, f);
    fclose(f);
    return buf;
}

/* Entries of dir whose name contains part. */
static int count_files(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, part)) n++;
    if (d) closedir(d);
    return n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void) {
    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A smooth picture: gradients, as photographs mostly are. */
static void fill_smooth(image *img) {
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            uint8_t *p = img->data + ((size_t)y * img->w + x) * 3;
            p[0] = (uint8_t)(img->w > 1 ? 20 + 200 * x / (img->w - 1) : 100);
            p[1] = (uint8_t)(img->h > 1 ? 30 + 180 * y / (img->h - 1) : 150);
            p[2] = (uint8_t)(128 + 60 * sin(0.1 * x + 0.07 * y));
        }
}

static void fill_noise(image *img, uint32_t seed) {
    for (size_t i = 0; i < (size_t)img->w * img->h * 3; i++) {
        seed = seed * 1664525u + 1013904223u;
        img->data[i] = (uint8_t)(seed >> 24);
    }
}

static double mean_abs_diff(const image *a, const image *b) {
    if (a->w != b->w || a->h != b->h) return 1e9;
    double s = 0;
    size_t n = (size_t)a->w * a->h * 3;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a->data[i] - b->data[i]);
    return s / (double)n;
}

static int same_pixels(const image *a, const image *b) {
    return a->w == b->w && a->h == b->h && memcmp(a->data, b->data, (size_t)a->w * a->h * 3) == 0;
}

static const uint8_t *px(const image *img, int x, int y) {
    return img->data + ((size_t)y * img->w + x) * 3;
}

static int px_is(const image *img, int x, int y, uint32_t rgb) {
    const uint8_t *p = px(img, x, y);
    return p[0] == (uint8_t)(rgb >> 16) && p[1] == (uint8_t)(rgb >> 8) && p[2] == (uint8_t)rgb;
}

/* ---- files made with libpng and libjpeg directly -------------------------------------------- */

/* A PNG of any colour type and depth; rows are given packed as libpng expects them. */
static void write_png_raw(const char *path, int w, int h, int color_type, int depth,
                          const uint8_t *data, size_t rowbytes, const png_color *palette,
                          int npalette, const uint8_t *trns, int ntrns, int interlace) {
    FILE *f = fopen(path, "wb");
    if (!f) exit(2);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette) png_set_PLTE(png, info, palette, npalette);
    if (trns) png_set_tRNS(png, info, trns, ntrns, NULL);
    png_write_info(png, info);
    if (data) { /* without data: the header alone, a truncated file */
        png_bytep *rows = malloc((size_t)h * sizeof *rows);
        for (int y = 0; y < h; y++)
            rows[y] = (png_bytep)(data + (size_t)y * rowbytes);
        png_write_image(png, rows);
        png_write_end(png, NULL);
        free(rows);
    }
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

/* A JPEG with `comps` components in colour space cs (JCS_GRAYSCALE or JCS_CMYK). */
static void write_jpeg_raw(const char *path, int w, int h, int comps, J_COLOR_SPACE cs,
                           const uint8_t *data) {
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    FILE *f = fopen(path, "wb");
    if (!f) exit(2);
    jpeg_stdio_dest(&ci, f);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = comps;
    ci.in_color_space = cs;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = (JSAMPROW)(data + (size_t)ci.next_scanline * w * comps);
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    fclose(f);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_alloc(void) {
    image img = {0};
    lorat_error err = {0};
    CHECK(image_alloc(&img, 0, 5, &err) == LORAT_STATUS_BAD_INPUT, "zero width accepted");
    CHECK(image_alloc(&img, 5, -1, &err) == LORAT_STATUS_BAD_INPUT, "negative height accepted");
    CHECK(image_alloc(&img, 1 << 20, 1 << 20, &err) == LORAT_STATUS_BAD_INPUT,
          "2^40 pixels accepted");
    CHECK(image_alloc(&img, 10, 10, &err) == LORAT_STATUS_OK, "%s", err.message);
    uint8_t *p = img.data;
    CHECK(img.capacity == 300, "capacity %zu", img.capacity);
    CHECK(image_alloc(&img, 5, 4, &err) == LORAT_STATUS_OK && img.data == p && img.w == 5,
          "a smaller image did not reuse the buffer");
    CHECK(image_alloc(&img, 20, 20, NULL) == LORAT_STATUS_OK && img.capacity == 1200,
          "growing failed");
    image_free(&img);
    CHECK(img.data == NULL && img.capacity == 0, "image_free left data");
    image_free(&img);
    image_free(NULL);
}

static void test_round_trips(void) {
    char path[256];
    lorat_error err = {0};
    const int sizes[][2] = {{64, 48}, {1, 1}, {3, 5}, {5, 3}, {17, 9}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int w = sizes[k][0], h = sizes[k][1];
        image src = {0}, back = {0};
        CHECK(image_alloc(&src, w, h, &err) == LORAT_STATUS_OK, "%s", err.message);

        /* PNG is lossless: exact, for noise as well as smooth pictures. */
        fill_noise(&src, (uint32_t)k + 1);
        tmp_path(path, sizeof path, "noise.png");
        CHECK(image_write_png(path, &src, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(image_read(path, &back, &err) == LORAT_STATUS_OK, "%dx%d png: %s", w, h, err.message);
        CHECK(same_pixels(&src, &back), "%dx%d PNG round trip is not exact", w, h);

        fill_smooth(&src);
        tmp_path(path, sizeof path, "smooth.png");
        CHECK(image_write(path, &src, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(image_read(path, &back, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(same_pixels(&src, &back), "%dx%d smooth PNG round trip is not exact", w, h);

        /* JPEG at quality 95 (4:4:4) on a smooth picture: close. */
        tmp_path(path, sizeof path, "smooth.jpg");
        CHECK(image_write_jpeg(path, &src, 95, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(image_read(path, &back, &err) == LORAT_STATUS_OK, "%s", err.message);
        double mae = mean_abs_diff(&src, &back);
        CHECK(mae < 3.0, "%dx%d JPEG q95 mean abs error %.2f", w, h, mae);

        /* Low quality (4:2:0) still decodes to the right size and roughly the right picture
         * (tiny images are all edges, where 4:2:0 is at its worst). */
        tmp_path(path, sizeof path, "smooth_q40.JPEG");
        CHECK(image_write(path, &src, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(image_write_jpeg(path, &src, 40, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(image_read(path, &back, &err) == LORAT_STATUS_OK, "%s", err.message);
        mae = mean_abs_diff(&src, &back);
        CHECK(back.w == w && back.h == h && (w * h < 64 || mae < 6.0),
              "%dx%d JPEG q40 mean abs error %.2f", w, h, mae);
        image_free(&src);
        image_free(&back);
    }
    CHECK(count_files(tmpdir, ".tmp.") == 0, "a temporary file was left behind");

    /* The buffer is reused when large enough. */
    image big = {0};
    CHECK(image_alloc(&big, 100, 100, &err) == LORAT_STATUS_OK, "%s", err.message);
    uint8_t *p = big.data;
    CHECK(image_read(tmp_path(path, sizeof path, "smooth.png"), &big, &err) == LORAT_STATUS_OK,
          "%s", err.message);
    CHECK(big.data == p && big.w == 17 && big.h == 9 && big.capacity == 30000,
          "image_read did not reuse a large enough buffer");

    /* image_decode from memory. */
    size_t n;
    uint8_t *bytes = read_bytes(path, &n);
    image m = {0};
    CHECK(image_decode(bytes, n, "in-memory", &m, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(same_pixels(&m, &big), "image_decode differs from image_read");
    free(bytes);
    image_free(&m);

    /* Writer argument errors. */
    CHECK(image_write_jpeg(tmp_path(path, sizeof path, "q.jpg"), &big, 0, &err) ==
              LORAT_STATUS_BAD_INPUT,
          "quality 0 accepted");
    CHECK(image_write_jpeg(path, &big, 101, &err) == LORAT_STATUS_BAD_INPUT, "quality 101");
    CHECK(image_write(tmp_path(path, sizeof path, "x.bmp"), &big, &err) == LORAT_STATUS_BAD_INPUT,
          "a .bmp name accepted");
    CHECK(strstr(err.message, "x.bmp") != NULL, "message does not name the file: %s", err.message);
    image empty = {0};
    CHECK(image_write(tmp_path(path, sizeof path, "e.png"), &empty, &err) == LORAT_STATUS_BAD_INPUT,
          "an empty image written");
    CHECK(image_write(tmp_path(path, sizeof path, "no/such/dir/a.png"), &big, &err) ==
              LORAT_STATUS_IO,
          "writing into a missing directory: status %d", err.status);
    CHECK(strstr(err.message, "no/such/dir/a.png") != NULL, "message: %s", err.message);
    CHECK(count_files(tmpdir, ".tmp.") == 0 && count_files(tmpdir, "q.jpg") == 0,
          "a failed write left a file behind");
    image_free(&big);
}

/* Every PNG colour type: grey (1, 8, 16 bits), grey+alpha, palette (with tRNS), RGB 16-bit,
 * RGBA, interlaced. */
static void test_png_kinds(void) {
    char path[256];
    lorat_error err = {0};
    image img = {0};
    enum { W = 7, H = 5 };
    uint8_t buf[W * H * 8];

    /* 8-bit grey */
    for (int i = 0; i < W * H; i++)
        buf[i] = (uint8_t)(i * 7);
    write_png_raw(tmp_path(path, sizeof path, "grey8.png"), W, H, PNG_COLOR_TYPE_GRAY, 8, buf, W,
                  NULL, 0, NULL, 0, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    int ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H; i++)
        ok = img.data[3 * i] == buf[i] && img.data[3 * i + 1] == buf[i] &&
             img.data[3 * i + 2] == buf[i];
    CHECK(ok, "8-bit grey PNG not expanded to RGB exactly");

    /* 1-bit grey: 0 → black, 1 → white. Row 0 = 1010101, others 0. */
    memset(buf, 0, sizeof buf);
    buf[0] = 0xAA;
    write_png_raw(tmp_path(path, sizeof path, "grey1.png"), W, H, PNG_COLOR_TYPE_GRAY, 1, buf, 1,
                  NULL, 0, NULL, 0, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(px_is(&img, 0, 0, 0xFFFFFF) && px_is(&img, 1, 0, 0) && px_is(&img, 2, 0, 0xFFFFFF) &&
              px_is(&img, 0, 1, 0),
          "1-bit grey PNG decoded wrongly");

    /* 16-bit grey with alpha: the high byte, alpha dropped. */
    for (int i = 0; i < W * H; i++) {
        uint16_t g = (uint16_t)(i * 1800 + 0x00FF), a = (uint16_t)(i * 100);
        buf[4 * i] = (uint8_t)(g >> 8);
        buf[4 * i + 1] = (uint8_t)g;
        buf[4 * i + 2] = (uint8_t)(a >> 8);
        buf[4 * i + 3] = (uint8_t)a;
    }
    write_png_raw(tmp_path(path, sizeof path, "greya16.png"), W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 16,
                  buf, W * 4, NULL, 0, NULL, 0, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H; i++)
        ok = img.data[3 * i] == buf[4 * i] && img.data[3 * i + 2] == buf[4 * i];
    CHECK(ok, "16-bit grey+alpha PNG decoded wrongly");

    /* Palette with transparency. */
    png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
    uint8_t trns[4] = {0, 128, 255, 255};
    for (int i = 0; i < W * H; i++)
        buf[i] = (uint8_t)(i % 4);
    write_png_raw(tmp_path(path, sizeof path, "palette.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, buf,
                  W, pal, 4, trns, 4, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H; i++) {
        const png_color *c = &pal[i % 4];
        ok = img.data[3 * i] == c->red && img.data[3 * i + 1] == c->green &&
             img.data[3 * i + 2] == c->blue;
    }
    CHECK(ok, "palette PNG with tRNS decoded wrongly");

    /* 4-bit palette, interlaced. */
    memset(buf, 0, sizeof buf);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            buf[y * 4 + x / 2] |= (uint8_t)(((x + y) % 4) << (x % 2 ? 0 : 4));
    write_png_raw(tmp_path(path, sizeof path, "palette4i.png"), W, H, PNG_COLOR_TYPE_PALETTE, 4,
                  buf, 4, pal, 4, NULL, 0, 1);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    ok = img.w == W && img.h == H;
    for (int y = 0; ok && y < H; y++)
        for (int x = 0; ok && x < W; x++) {
            const png_color *c = &pal[(x + y) % 4];
            ok = px_is(&img, x, y, (uint32_t)c->red << 16 | (uint32_t)c->green << 8 | c->blue);
        }
    CHECK(ok, "interlaced 4-bit palette PNG decoded wrongly");

    /* RGBA: alpha dropped, colour kept as stored. */
    for (int i = 0; i < W * H; i++) {
        buf[4 * i] = (uint8_t)(i * 5);
        buf[4 * i + 1] = (uint8_t)(200 - i);
        buf[4 * i + 2] = (uint8_t)(i * 3);
        buf[4 * i + 3] = (uint8_t)(i * 7);
    }
    write_png_raw(tmp_path(path, sizeof path, "rgba.png"), W, H, PNG_COLOR_TYPE_RGBA, 8, buf, W * 4,
                  NULL, 0, NULL, 0, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H; i++)
        ok = img.data[3 * i] == buf[4 * i] && img.data[3 * i + 1] == buf[4 * i + 1] &&
             img.data[3 * i + 2] == buf[4 * i + 2];
    CHECK(ok, "RGBA PNG decoded wrongly");

    /* RGB 16-bit: the high byte. */
    for (int i = 0; i < W * H * 6; i++)
        buf[i] = (uint8_t)(i * 13 + 1);
    write_png_raw(tmp_path(path, sizeof path, "rgb16.png"), W, H, PNG_COLOR_TYPE_RGB, 16, buf,
                  W * 6, NULL, 0, NULL, 0, 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H * 3; i++)
        ok = img.data[i] == buf[2 * i];
    CHECK(ok, "16-bit RGB PNG decoded wrongly");

    /* A header claiming 100000 x 100000 pixels: refused before any allocation. */
    write_png_raw(tmp_path(path, sizeof path, "huge.png"), 100000, 100000, PNG_COLOR_TYPE_RGB, 8,
                  NULL, 0, NULL, 0, NULL, 0, 0);
    FILE *f = fopen(path, "ab"); /* the start of an IDAT chunk, where libpng stops reading info */
    fwrite("\0\0\0\x10IDAT", 1, 8, f);
    fclose(f);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_UNSUPPORTED, "huge PNG: status %d: %s",
          err.status, err.message);
    CHECK(strstr(err.message, "huge.png") != NULL, "message: %s", err.message);
    image_free(&img);
}

static void test_jpeg_kinds(void) {
    char path[256];
    lorat_error err = {0};
    image img = {0};
    enum { W = 16, H = 8 };
    uint8_t buf[W * H * 4];

    for (int i = 0; i < W * H; i++)
        buf[i] = (uint8_t)(40 + (i % W) * 10);
    write_jpeg_raw(tmp_path(path, sizeof path, "grey.jpg"), W, H, 1, JCS_GRAYSCALE, buf);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    int ok = img.w == W && img.h == H;
    for (int i = 0; ok && i < W * H; i++)
        ok = img.data[3 * i] == img.data[3 * i + 1] && img.data[3 * i] == img.data[3 * i + 2] &&
             abs(img.data[3 * i] - buf[i]) <= 4;
    CHECK(ok, "grey JPEG not decoded to equal, close R, G, B");

    /* CMYK as Photoshop writes it (Adobe marker, inverted inks): pure red ink (M and Y full). */
    for (int i = 0; i < W * H; i++) {
        buf[4 * i] = 255;     /* C = 0 */
        buf[4 * i + 1] = 0;   /* M = 255 */
        buf[4 * i + 2] = 0;   /* Y = 255 */
        buf[4 * i + 3] = 255; /* K = 0 */
    }
    write_jpeg_raw(tmp_path(path, sizeof path, "cmyk.jpg"), W, H, 4, JCS_CMYK, buf);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_OK, "%s", err.message);
    const uint8_t *p = px(&img, W / 2, H / 2);
    CHECK(img.w == W && p[0] > 240 && p[1] < 15 && p[2] < 15, "CMYK JPEG red came out %d,%d,%d",
          p[0], p[1], p[2]);
    image_free(&img);
}

/* Every cut of a file must fail cleanly with a message naming it. */
static void check_truncations(const char *name, const uint8_t *bytes, size_t n, size_t keep_max) {
    char path[256];
    lorat_error err = {0};
    image img = {0};
    tmp_path(path, sizeof path, name);
    int bad = 0, unnamed = 0, checked = 0;
    for (size_t cut = 0; cut <= keep_max; cut += cut < 64 ? 1 : 7) {
        write_bytes(path, bytes, cut);
        lorat_status s = image_read(path, &img, &err);
        checked++;
        if (s != LORAT_STATUS_FORMAT) {
            if (!bad) fprintf(stderr, "%s cut to %zu of %zu bytes: status %d\n", name, cut, n, s);
            bad++;
        } else if (!strstr(err.message, path)) {
            unnamed++;
        }
    }
    CHECK(bad == 0, "%d of %d truncations of %s did not fail with FORMAT", bad, checked, name);
    CHECK(unnamed == 0, "%d messages did not name %s (last: %s)", unnamed, name, err.message);
    /* Half the file, the case of an interrupted download. */
    write_bytes(path, bytes, n / 2);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_FORMAT, "half of %s read", name);
    printf("%s cut in half: %s\n", name, err.message);
    image_free(&img);
}

static void test_bad_files(void) {
    char path[256];
    lorat_error err = {0};
    image src = {0}, img = {0};
    CHECK(image_alloc(&src, 48, 40, &err) == LORAT_STATUS_OK, "%s", err.message);
    fill_noise(&src, 7);

    size_t n;
    CHECK(image_write_jpeg(tmp_path(path, sizeof path, "full.jpg"), &src, 90, &err) == 0, "%s",
          err.message);
    uint8_t *jpg = read_bytes(path, &n);
    /* Every cut, down to a file that lacks only its final EOI marker, is truncated. */
    check_truncations("cut.jpg", jpg, n, n - 1);
    /* Corrupt entropy data in the middle: an error or a picture, never a crash. */
    jpg[n / 2] ^= 0xFF;
    jpg[n / 2 + 1] = 0xFF;
    jpg[n / 2 + 2] = 0xD9;
    tmp_path(path, sizeof path, "corrupt.jpg");
    write_bytes(path, jpg, n);
    lorat_status s = image_read(path, &img, &err);
    CHECK(s == LORAT_STATUS_OK || s == LORAT_STATUS_FORMAT, "corrupt JPEG: status %d", s);
    free(jpg);

    CHECK(image_write_png(tmp_path(path, sizeof path, "full.png"), &src, &err) == 0, "%s",
          err.message);
    uint8_t *png = read_bytes(path, &n);
    check_truncations("cut.png", png, n, n - 1);
    png[n / 2] ^= 0x55; /* a CRC error in the image data */
    tmp_path(path, sizeof path, "crc.png");
    write_bytes(path, png, n);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_FORMAT, "PNG with a bad CRC read");
    free(png);

    const char *text = "this is a text file, not an image\n";
    tmp_path(path, sizeof path, "notes.jpg");
    write_bytes(path, text, strlen(text));
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_FORMAT, "text file: status %d", err.status);
    CHECK(strstr(err.message, path) && strstr(err.message, "not a JPEG or PNG"), "message: %s",
          err.message);
    printf("text file: %s\n", err.message);

    tmp_path(path, sizeof path, "empty.png");
    write_bytes(path, "", 0);
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_FORMAT, "empty file: status %d", err.status);
    CHECK(strstr(err.message, path) != NULL, "message: %s", err.message);

    tmp_path(path, sizeof path, "missing.jpg");
    CHECK(image_read(path, &img, &err) == LORAT_STATUS_IO, "missing file: status %d", err.status);
    CHECK(strstr(err.message, path) != NULL, "message: %s", err.message);
    printf("missing file: %s\n", err.message);

    CHECK(image_read(tmpdir, &img, &err) == LORAT_STATUS_IO, "a directory: status %d", err.status);
    CHECK(image_decode(NULL, 0, "nothing", &img, &err) == LORAT_STATUS_FORMAT, "empty buffer");
    CHECK(image_read(NULL, &img, &err) == LORAT_STATUS_BAD_INPUT, "NULL path");
    image_free(&src);
    image_free(&img);
}

static void touch(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_bytes(path, "", 0);
}

/* Lists dir and compares the base names with want (count n). */
static void check_listing(const char *dir, const char *const *want, int n) {
    char **paths = NULL;
    int count = -1;
    lorat_error err = {0};
    lorat_status s = image_list_dir(dir, &paths, &count, &err);
    CHECK(s == LORAT_STATUS_OK, "%s", err.message);
    CHECK(count == n, "%s: %d images listed, expected %d", dir, count, n);
    for (int i = 0; s == LORAT_STATUS_OK && i < count && i < n; i++) {
        char expect[512];
        snprintf(expect, sizeof expect, "%s/%s", dir, want[i]);
        CHECK(strcmp(paths[i], expect) == 0, "%s: entry %d is %s, expected %s", dir, i, paths[i],
              expect);
    }
    free(paths);
}

static void test_list_dir(void) {
    char dir[256], path[300];
    lorat_error err = {0};

    /* TrackingNet: 0.jpg … 11.jpg in numeric order, not 0, 1, 10, 11, 2. Other files, hidden
     * files and directories are ignored. */
    mkdir(tmp_path(dir, sizeof dir, "trackingnet"), 0777);
    const char *tn[] = {"11.jpg", "2.jpg", "0.jpg", "10.jpg", "1.jpg"};
    for (int i = 0; i < 5; i++)
        touch(dir, tn[i]);
    touch(dir, "notes.txt");
    touch(dir, "groundtruth.txt");
    touch(dir, "._3.jpg");
    snprintf(path, sizeof path, "%s/5.jpg", dir);
    mkdir(path, 0777);
    const char *tn_want[] = {"0.jpg", "1.jpg", "2.jpg", "10.jpg", "11.jpg"};
    check_listing(dir, tn_want, 5);

    /* GOT-10k / LaSOT: zero-padded. Mixed case extensions count. */
    mkdir(tmp_path(dir, sizeof dir, "padded"), 0777);
    const char *pd[] = {"00000010.jpg", "00000002.JPG", "00000001.jpg", "00000011.jpeg"};
    for (int i = 0; i < 4; i++)
        touch(dir, pd[i]);
    const char *pd_want[] = {"00000001.jpg", "00000002.JPG", "00000010.jpg", "00000011.jpeg"};
    check_listing(dir, pd_want, 4);

    /* The last run of digits counts; equal numbers are ordered by name. */
    mkdir(tmp_path(dir, sizeof dir, "mixed"), 0777);
    const char *mx[] = {"img12.png", "img2.png", "cam3_f2.png", "img0002.png", "x9_100.jpg"};
    for (int i = 0; i < 5; i++)
        touch(dir, mx[i]);
    const char *mx_want[] = {"cam3_f2.png", "img0002.png", "img2.png", "img12.png", "x9_100.jpg"};
    check_listing(dir, mx_want, 5);

    /* A name without a number: plain name order for all. */
    mkdir(tmp_path(dir, sizeof dir, "names"), 0777);
    const char *nm[] = {"b.png", "a.jpg", "c10.jpg", "c9.jpg"};
    for (int i = 0; i < 4; i++)
        touch(dir, nm[i]);
    const char *nm_want[] = {"a.jpg", "b.png", "c10.jpg", "c9.jpg"};
    check_listing(dir, nm_want, 4);

    /* A trailing slash does not double. */
    char **paths = NULL;
    int count = 0;
    snprintf(path, sizeof path, "%s/", dir);
    CHECK(image_list_dir(path, &paths, &count, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(count == 4 && paths && strstr(paths[0], "//") == NULL, "trailing slash: %s",
          paths ? paths[0] : "(none)");
    free(paths);

    /* Missing, empty, and holding no images: errors naming the directory. */
    tmp_path(dir, sizeof dir, "nonexistent");
    CHECK(image_list_dir(dir, &paths, &count, &err) == LORAT_STATUS_IO, "missing dir: %d",
          err.status);
    CHECK(strstr(err.message, dir) != NULL, "message: %s", err.message);
    mkdir(tmp_path(dir, sizeof dir, "empty"), 0777);
    CHECK(image_list_dir(dir, &paths, &count, &err) != LORAT_STATUS_OK, "empty dir listed");
    CHECK(strstr(err.message, dir) != NULL, "message: %s", err.message);
    printf("empty dir: %s\n", err.message);
    touch(dir, "readme.txt");
    CHECK(image_list_dir(dir, &paths, &count, &err) != LORAT_STATUS_OK, "dir without images");
    CHECK(paths == NULL && count == 0, "outputs not cleared on error");
}

static int count_colour(const image *img, uint32_t rgb) {
    int n = 0;
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            n += px_is(img, x, y, rgb);
    return n;
}

static void test_drawing(void) {
    lorat_error err = {0};
    image img = {0};
    CHECK(image_alloc(&img, 40, 30, &err) == LORAT_STATUS_OK, "%s", err.message);
    const uint32_t red = 0xFF0000, green = 0x00FF00;

    /* Filled rectangles, clipped on every side. */
    memset(img.data, 0, 40 * 30 * 3);
    image_fill_rect(&img, -5, -5, 10, 10, red);
    CHECK(count_colour(&img, red) == 25, "clipped top-left fill: %d pixels",
          count_colour(&img, red));
    image_fill_rect(&img, 35, 25, 100, 100, red);
    CHECK(count_colour(&img, red) == 50, "clipped bottom-right fill");
    image_fill_rect(&img, -100, -100, 1000, 1000, green);
    CHECK(count_colour(&img, green) == 40 * 30, "covering fill");
    image_fill_rect(&img, INT_MAX, INT_MAX, INT_MAX, INT_MAX, red);
    image_fill_rect(&img, INT_MIN, INT_MIN, INT_MAX, INT_MAX, red);
    image_fill_rect(&img, 0, 0, -3, 4, red);
    CHECK(count_colour(&img, green) == 40 * 30, "fills off the image changed pixels");

    /* A 1-pixel outline covers the box's outermost pixels. */
    memset(img.data, 0, 40 * 30 * 3);
    image_draw_rect(&img, 10, 10, 20, 10, 1, red);
    CHECK(px_is(&img, 10, 10, red) && px_is(&img, 29, 10, red) && px_is(&img, 10, 19, red) &&
              px_is(&img, 29, 19, red) && px_is(&img, 20, 10, red) && px_is(&img, 10, 15, red),
          "1-pixel outline missing pixels");
    CHECK(!px_is(&img, 9, 10, red) && !px_is(&img, 30, 10, red) && !px_is(&img, 15, 15, red) &&
              !px_is(&img, 15, 20, red),
          "1-pixel outline too large");
    CHECK(count_colour(&img, red) == 2 * 20 + 2 * 8, "1-pixel outline has %d pixels",
          count_colour(&img, red));

    /* Thickness 3: one pixel outside, two inside. */
    memset(img.data, 0, 40 * 30 * 3);
    image_draw_rect(&img, 10, 10, 20, 10, 3, red);
    CHECK(px_is(&img, 9, 9, red) && px_is(&img, 11, 11, red) && px_is(&img, 30, 20, red) &&
              px_is(&img, 28, 18, red),
          "3-pixel outline missing pixels");
    CHECK(!px_is(&img, 8, 8, red) && !px_is(&img, 12, 12, red) && !px_is(&img, 31, 21, red) &&
              !px_is(&img, 27, 17, red),
          "3-pixel outline too large");

    /* Partly or wholly outside, degenerate, absurd: must not crash (ASan) nor wrap around. */
    memset(img.data, 0, 40 * 30 * 3);
    image_draw_rect(&img, -10, -10, 25, 25, 2, red);
    image_draw_rect(&img, 30, 20, 100, 100, 5, red);
    image_draw_rect(&img, -1e30f, -1e30f, 2e30f, 2e30f, 3, red);
    image_draw_rect(&img, NAN, 0, 10, 10, 1, red);
    image_draw_rect(&img, 0, 0, INFINITY, 10, 1, red);
    image_draw_rect(&img, 5, 5, -3, 4, 1, red);
    image_draw_rect(&img, 5, 5, 0, 0, 1000000, red);
    image_draw_rect(&img, 100, 100, 10, 10, 1, red);
    image_draw_rect(&img, 2, 2, 3, 3, 0, red);
    CHECK(px_is(&img, 0, 14, red) && px_is(&img, 14, 0, red), "clipped outline missing");

    /* Text: at the edges, off the image, scaled, every character. */
    image_draw_text(&img, 37, 27, "Hello, 100% (x/y): -1.5", 1, green);
    image_draw_text(&img, -7, -3, "frame 12", 3, green);
    image_draw_text(&img, INT_MAX - 3, INT_MIN + 2, "x", 1000000, green);
    image_draw_text(&img, 0, 0, "\x01\x7f\xff\n\nline", 2, green);
    image_draw_text(&img, 0, 0, "", 1, green);
    image_draw_text(&img, 0, 0, NULL, 1, green);
    image_free(&img);

    /* Each printable character: inside its 5x7 cell, distinct from every other one, and scale 2
     * doubles it exactly. */
    enum { N = 95 };
    static uint8_t cells[N][7][5];
    int outside = 0, empty = 0, bad_scale = 0;
    image cell = {0}, big = {0};
    CHECK(image_alloc(&cell, 8, 10, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(image_alloc(&big, 16, 20, &err) == LORAT_STATUS_OK, "%s", err.message);
    for (int c = 32; c < 127; c++) {
        char s[2] = {(char)c, 0};
        memset(cell.data, 0, cell.capacity);
        memset(big.data, 0, big.capacity);
        image_draw_text(&cell, 1, 1, s, 1, 0xFFFFFF);
        image_draw_text(&big, 2, 2, s, 2, 0xFFFFFF);
        int lit = 0;
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 8; x++) {
                int on = px_is(&cell, x, y, 0xFFFFFF);
                if (x >= 1 && x < 6 && y >= 1 && y < 8)
                    cells[c - 32][y - 1][x - 1] = (uint8_t)on;
                else
                    outside += on;
                lit += on;
            }
        if ((c == ' ') != (lit == 0)) empty++;
        for (int y = 0; y < 20; y++)
            for (int x = 0; x < 16; x++)
                if (px_is(&big, x, y, 0xFFFFFF) != px_is(&cell, x / 2, y / 2, 0xFFFFFF))
                    bad_scale++;
    }
    CHECK(outside == 0, "%d glyph pixels outside the 5x7 cell", outside);
    CHECK(empty == 0, "%d characters drawn blank (or space drawn)", empty);
    CHECK(bad_scale == 0, "scale 2 differs from scale 1 doubled at %d pixels", bad_scale);
    int same = 0;
    for (int a = 0; a < N; a++)
        for (int b = a + 1; b < N; b++)
            if (memcmp(cells[a], cells[b], sizeof cells[a]) == 0) {
                fprintf(stderr, "'%c' and '%c' look the same\n", a + 32, b + 32);
                same++;
            }
    CHECK(same == 0, "%d pairs of characters look the same", same);
    /* A few shapes that must be right: '.' sits on the baseline, '-' is one middle row, '|' one
     * column, '1' and 'l' differ, '0' is closed at top and bottom. */
    int dot_ok = 1, dash_ok = 1, bar_ok = 1;
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 5; x++) {
            if (cells['.' - 32][y][x] && y < 5) dot_ok = 0;
            if (cells['-' - 32][y][x] != (y == 3)) dash_ok = 0;
            if (cells['|' - 32][y][x] != (x == 2)) bar_ok = 0;
        }
    CHECK(dot_ok && dash_ok && bar_ok, "'.', '-' or '|' drawn wrongly");
    CHECK(cells['0' - 32][0][2] && cells['0' - 32][6][2] && cells['0' - 32][3][0] &&
              !cells['0' - 32][0][0],
          "'0' drawn wrongly");
    image_free(&cell);
    image_free(&big);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lorat_test_image_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_alloc();
    test_round_trips();
    test_png_kinds();
    test_jpeg_kinds();
    test_bad_files();
    test_list_dir();
    test_drawing();
    remove_tmpdir();
    return test_finish();
}
