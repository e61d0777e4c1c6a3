/*
 * image.c — JPEG (libjpeg-turbo) and PNG (libpng) decoding and encoding, atomic image writes,
 * frame-folder listing, and the drawing of boxes and text; see image.h.
 *
 * Both libraries report fatal errors through a callback that must not return, so we longjmp back
 * to the decoder. Everything that has to be released after such a jump lives in a context struct
 * reached through a pointer that is set before setjmp and never changed, so no automatic variable
 * is modified between setjmp and longjmp.
 *
 * Decoding follows what PIL and OpenCV do with the same libraries, so that pixels match theirs:
 * libjpeg's default (islow) DCT and fancy upsampling; 16-bit PNG samples keep their high byte.
 * Not here: colour management (ICC profiles and PNG gamma are ignored) and EXIF orientation (frames
 * are used as stored, which is what benchmark annotations refer to).
 *
 * A JPEG whose data ends early is an error (PIL refuses it too), although libjpeg itself only
 * warns and pads the picture with grey: a half-grey frame would silently corrupt tracking. That
 * includes a file that lacks only its final EOI marker. Other libjpeg warnings (stray bytes
 * between markers, common in camera files) leave the pixels intact and are ignored.
 *
 * Frame folders skip hidden files ("._0001.jpg" is macOS metadata that archives carry along) and
 * sort by the last run of digits in the name (before the extension) when every name has one.
 */
#include "io/image.h"

#include "core/fileio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* jpeglib.h needs FILE and size_t from the headers above. */
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "io/font5x7.h"

/* 2^28 pixels (16384 × 16384) is 768 MiB of RGB: anything larger is not a video frame. */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 28)
/* An image file larger than this is refused before it is read: 256 MiB holds an uncompressed
 * PNG of IMAGE_MAX_PIXELS / 3 pixels. */
#define IMAGE_MAX_FILE_BYTES ((int64_t)256 << 20)
/* libjpeg's own limit on either side. */
#define JPEG_MAX_SIDE 65500

/* ---- images ---------------------------------------------------------------------------------- */

lorat_status image_alloc(image *img, int w, int h, lorat_error *err) {
    if (!img) return err_set(err, LORAT_STATUS_BAD_INPUT, "image_alloc: no image given");
    if (w <= 0 || h <= 0 || (int64_t)w * h > IMAGE_MAX_PIXELS)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "image size %dx%d is out of range: width and height must be positive and "
                       "the image at most %lld pixels",
                       w, h, (long long)IMAGE_MAX_PIXELS);
    size_t need = (size_t)w * (size_t)h * 3;
    if (!img->data || img->capacity < need) {
        uint8_t *p = malloc(need);
        if (!p)
            return err_set(err, LORAT_STATUS_NO_MEMORY,
                           "out of memory for a %dx%d image (%zu bytes)", w, h, need);
        free(img->data);
        img->data = p;
        img->capacity = need;
    }
    img->w = w;
    img->h = h;
    return LORAT_STATUS_OK;
}

void image_free(image *img) {
    if (!img) return;
    free(img->data);
    img->data = NULL;
    img->capacity = 0;
    img->w = img->h = 0;
}

static lorat_status check_size(const char *name, const char *kind, uint64_t w, uint64_t h,
                               lorat_error *err) {
    if (w == 0 || h == 0)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the %s header says the image is %llux%llu: "
                       "the file is corrupt",
                       name, kind, (unsigned long long)w, (unsigned long long)h);
    if (w > (uint64_t)INT_MAX || h > (uint64_t)INT_MAX || w * h > (uint64_t)IMAGE_MAX_PIXELS)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: the %s image is %llux%llu, larger than the %lld pixels lorat decodes: "
                       "resize it",
                       name, kind, (unsigned long long)w, (unsigned long long)h,
                       (long long)IMAGE_MAX_PIXELS);
    return LORAT_STATUS_OK;
}

/* ---- JPEG ------------------------------------------------------------------------------------ */

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    int code; /* libjpeg's message code of the failure */
    int oom;  /* our own allocation failed inside a libjpeg callback */
    char msg[JMSG_LENGTH_MAX];
} jpeg_fail;

static void jpeg_fail_now(j_common_ptr cinfo) {
    jpeg_fail *f = (jpeg_fail *)cinfo->err;
    f->code = f->mgr.msg_code;
    f->mgr.format_message(cinfo, f->msg);
    longjmp(f->jmp, 1);
}

/* level -1 is a warning, higher levels are trace messages. */
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) jpeg_fail_now(cinfo);
    cinfo->err->num_warnings++;
}

static void jpeg_silent(j_common_ptr cinfo) {
    (void)cinfo;
}

static void jpeg_fail_init(jpeg_fail *f) {
    jpeg_std_error(&f->mgr);
    f->mgr.error_exit = jpeg_fail_now;
    f->mgr.emit_message = jpeg_on_message;
    f->mgr.output_message = jpeg_silent;
    f->code = 0;
    f->oom = 0;
    f->msg[0] = '\0';
}

typedef struct jpeg_dec {
    struct jpeg_decompress_struct cinfo;
    jpeg_fail fail;
    uint8_t *row; /* one CMYK scanline, for the conversion to RGB */
} jpeg_dec;

/* Adobe's CMYK JPEGs (Photoshop writes nearly all of them) store inverted inks; others store
 * plain ones. Either way the result is the naive, profile-free conversion PIL also does. */
static void cmyk_to_rgb(uint8_t *rgb, const uint8_t *cmyk, int w, int inverted) {
    for (int x = 0; x < w; x++) {
        unsigned c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        rgb[3 * x] = (uint8_t)((c * k + 127) / 255);
        rgb[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
        rgb[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
    }
}

static lorat_status jpeg_decode(jpeg_dec *d, const uint8_t *bytes, size_t n, const char *name,
                                image *img, lorat_error *err) {
    struct jpeg_decompress_struct *ci = &d->cinfo;
    jpeg_fail_init(&d->fail);
    ci->err = &d->fail.mgr;
    d->row = NULL;
    if (setjmp(d->fail.jmp)) {
        jpeg_destroy_decompress(ci);
        free(d->row);
        d->row = NULL;
        if (d->fail.code == JWRN_JPEG_EOF || d->fail.code == JWRN_HIT_MARKER)
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: the JPEG data ends early (libjpeg: %s): the file is truncated or "
                           "corrupt; re-extract or re-download it",
                           name, d->fail.msg);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not a valid JPEG image (libjpeg: %s): the file is corrupt; re-extract "
                       "or re-download it",
                       name, d->fail.msg);
    }
    jpeg_create_decompress(ci);
    jpeg_mem_src(ci, bytes, (unsigned long)n);
    jpeg_read_header(ci, TRUE);

    lorat_status s = check_size(name, "JPEG", ci->image_width, ci->image_height, err);
    if (s) {
        jpeg_destroy_decompress(ci);
        return s;
    }
    int cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
    /* libjpeg-turbo converts grey, YCbCr and RGB to RGB itself, but not CMYK. */
    ci->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(ci);

    int w = (int)ci->output_width, h = (int)ci->output_height;
    if (ci->output_components != (cmyk ? 4 : 3)) {
        jpeg_destroy_decompress(ci);
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: libjpeg decodes this JPEG into %d channels where %d were expected: "
                       "convert the file to an ordinary RGB JPEG",
                       name, ci->output_components, cmyk ? 4 : 3);
    }
    s = image_alloc(img, w, h, err);
    if (!s && cmyk && !(d->row = malloc((size_t)w * 4)))
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (s) {
        jpeg_destroy_decompress(ci);
        err_prefix(err, "%s", name);
        return s;
    }
    while (ci->output_scanline < ci->output_height) {
        int y = (int)ci->output_scanline;
        uint8_t *out = img->data + (size_t)y * (size_t)w * 3;
        JSAMPROW row = cmyk ? d->row : out;
        if (jpeg_read_scanlines(ci, &row, 1) != 1) break; /* cannot happen with a memory source */
        if (cmyk) cmyk_to_rgb(out, d->row, w, ci->saw_Adobe_marker);
    }
    int complete = ci->output_scanline == ci->output_height;
    /* Reads on to the EOI marker: a file that lacks it counts as truncated. */
    if (complete) jpeg_finish_decompress(ci);
    jpeg_destroy_decompress(ci);
    free(d->row);
    d->row = NULL;
    if (!complete)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the JPEG data ends early: the file is truncated; re-extract or "
                       "re-download it",
                       name);
    return LORAT_STATUS_OK;
}

typedef struct jpeg_enc {
    struct jpeg_compress_struct cinfo;
    jpeg_fail fail;
    struct jpeg_destination_mgr dest;
    uint8_t *buf; /* the whole file, grown by doubling */
    size_t size, cap;
} jpeg_enc;

static void jpeg_dest_init(j_compress_ptr ci) {
    jpeg_enc *e = ci->client_data;
    e->dest.next_output_byte = e->buf;
    e->dest.free_in_buffer = e->cap;
}

/* Called when the buffer is full: the whole buffer counts as written. */
static boolean jpeg_dest_grow(j_compress_ptr ci) {
    jpeg_enc *e = ci->client_data;
    size_t cap = e->cap * 2;
    uint8_t *p = realloc(e->buf, cap);
    if (!p) {
        e->fail.oom = 1;
        ERREXIT(ci, JERR_OUT_OF_MEMORY);
    }
    e->buf = p;
    e->dest.next_output_byte = p + e->cap;
    e->dest.free_in_buffer = cap - e->cap;
    e->cap = cap;
    return TRUE;
}

static void jpeg_dest_term(j_compress_ptr ci) {
    jpeg_enc *e = ci->client_data;
    e->size = e->cap - e->dest.free_in_buffer;
}

static lorat_status jpeg_encode(jpeg_enc *e, const char *path, const image *img, int quality,
                                lorat_error *err) {
    struct jpeg_compress_struct *ci = &e->cinfo;
    e->size = 0;
    e->cap = (size_t)img->w * (size_t)img->h / 2 + 4096;
    e->buf = malloc(e->cap);
    if (!e->buf) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    jpeg_fail_init(&e->fail);
    ci->err = &e->fail.mgr;
    if (setjmp(e->fail.jmp)) {
        jpeg_destroy_compress(ci);
        free(e->buf);
        e->buf = NULL;
        if (e->fail.oom) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        return err_set(err, LORAT_STATUS_INTERNAL, "%s: JPEG encoding failed (libjpeg: %s)", path,
                       e->fail.msg);
    }
    jpeg_create_compress(ci);
    ci->client_data = e;
    e->dest.init_destination = jpeg_dest_init;
    e->dest.empty_output_buffer = jpeg_dest_grow;
    e->dest.term_destination = jpeg_dest_term;
    ci->dest = &e->dest;
    ci->image_width = (JDIMENSION)img->w;
    ci->image_height = (JDIMENSION)img->h;
    ci->input_components = 3;
    ci->in_color_space = JCS_RGB;
    jpeg_set_defaults(ci);
    jpeg_set_quality(ci, quality, TRUE);
    if (quality >= 95) {
        /* At high quality 4:2:0's halved chroma is the largest error left: keep full chroma. */
        ci->comp_info[0].h_samp_factor = 1;
        ci->comp_info[0].v_samp_factor = 1;
    }
    ci->optimize_coding = TRUE;
    jpeg_start_compress(ci, TRUE);
    while (ci->next_scanline < ci->image_height) {
        /* libjpeg does not write to its input rows; JSAMPROW is merely not const. */
        JSAMPROW row = (JSAMPROW)(img->data + (size_t)ci->next_scanline * (size_t)img->w * 3);
        jpeg_write_scanlines(ci, &row, 1);
    }
    jpeg_finish_compress(ci);
    jpeg_destroy_compress(ci);
    return LORAT_STATUS_OK;
}

/* ---- PNG ------------------------------------------------------------------------------------- */

typedef struct png_ctx {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    const uint8_t *in; /* reading: the file */
    size_t in_size, in_pos;
    uint8_t *out; /* writing: the file, grown by doubling */
    size_t out_size, out_cap;
    int oom;
    char msg[256];
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, png_size_t len) {
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->in_size - c->in_pos) png_error(png, "the data ends early (truncated file)");
    memcpy(out, c->in + c->in_pos, len);
    c->in_pos += len;
}

static void png_write_mem(png_structp png, png_bytep data, png_size_t len) {
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->out_cap - c->out_size) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap - c->out_size < len)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p) {
            c->oom = 1;
            png_error(png, "out of memory");
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_size, data, len);
    c->out_size += len;
}

static void png_flush_mem(png_structp png) {
    (void)png;
}

static void png_ctx_free_read(png_ctx *c) {
    png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->rows);
    c->rows = NULL;
}

static lorat_status png_decode(png_ctx *c, const uint8_t *bytes, size_t n, const char *name,
                               image *img, lorat_error *err) {
    c->in = bytes;
    c->in_size = n;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    if (!c->png) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", name);
    c->info = png_create_info_struct(c->png);
    if (!c->info) {
        png_ctx_free_read(c);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", name);
    }
    if (setjmp(png_jmpbuf(c->png))) {
        png_ctx_free_read(c);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not a valid PNG image (libpng: %s): the file is truncated or corrupt; "
                       "re-extract or re-download it",
                       name, c->msg);
    }
    png_set_read_fn(c->png, c, png_read_mem);
    png_read_info(c->png, c->info);
    png_uint_32 w = png_get_image_width(c->png, c->info);
    png_uint_32 h = png_get_image_height(c->png, c->info);
    lorat_status s = check_size(name, "PNG", w, h, err);
    if (s) {
        png_ctx_free_read(c);
        return s;
    }
    int type = png_get_color_type(c->png, c->info);
    png_set_expand(c->png); /* palette → RGB, grey below 8 bits → 8 bits, tRNS → alpha */
    png_set_strip_16(c->png);
    png_set_strip_alpha(c->png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(c->png);
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    if (png_get_channels(c->png, c->info) != 3 || png_get_bit_depth(c->png, c->info) != 8 ||
        png_get_rowbytes(c->png, c->info) != (size_t)w * 3) {
        png_ctx_free_read(c);
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: libpng cannot turn this PNG (colour type %d) into 8-bit RGB: convert "
                       "it to an ordinary RGB PNG",
                       name, type);
    }
    s = image_alloc(img, (int)w, (int)h, err);
    if (!s && !(c->rows = malloc((size_t)h * sizeof *c->rows)))
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (s) {
        png_ctx_free_read(c);
        err_prefix(err, "%s", name);
        return s;
    }
    for (png_uint_32 y = 0; y < h; y++)
        c->rows[y] = img->data + (size_t)y * w * 3;
    png_read_image(c->png, c->rows);
    png_read_end(c->png, NULL); /* checks the chunks after the pixels, and that IEND is there */
    png_ctx_free_read(c);
    return LORAT_STATUS_OK;
}

static lorat_status png_encode(png_ctx *c, const char *path, const image *img, lorat_error *err) {
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    if (!c->png) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    c->info = png_create_info_struct(c->png);
    c->rows = c->info ? malloc((size_t)img->h * sizeof *c->rows) : NULL;
    if (!c->rows) {
        png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    if (setjmp(png_jmpbuf(c->png))) {
        png_destroy_write_struct(&c->png, &c->info);
        free(c->rows);
        free(c->out);
        c->rows = NULL;
        c->out = NULL;
        if (c->oom) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        return err_set(err, LORAT_STATUS_INTERNAL, "%s: PNG encoding failed (libpng: %s)", path,
                       c->msg);
    }
    png_set_write_fn(c->png, c, png_write_mem, png_flush_mem);
    png_set_IHDR(c->png, c->info, (png_uint_32)img->w, (png_uint_32)img->h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(c->png, c->info);
    /* libpng does not write to the rows; png_bytep is merely not const. */
    for (int y = 0; y < img->h; y++)
        c->rows[y] = (png_bytep)(img->data + (size_t)y * img->w * 3);
    png_write_image(c->png, c->rows);
    png_write_end(c->png, NULL);
    png_destroy_write_struct(&c->png, &c->info);
    free(c->rows);
    c->rows = NULL;
    return LORAT_STATUS_OK;
}

/* ---- reading --------------------------------------------------------------------------------- */

lorat_status image_decode(const uint8_t *bytes, size_t n, const char *name, image *img,
                          lorat_error *err) {
    if (!name) name = "(image in memory)";
    if (!img || (!bytes && n))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: image_decode needs bytes and an image",
                       name);
    static const uint8_t jpeg_magic[3] = {0xFF, 0xD8, 0xFF};
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n >= sizeof jpeg_magic && memcmp(bytes, jpeg_magic, sizeof jpeg_magic) == 0) {
        jpeg_dec d;
        return jpeg_decode(&d, bytes, n, name, img, err);
    }
    if (n >= 4 && memcmp(bytes, png_magic, 4) == 0) {
        png_ctx c;
        memset(&c, 0, sizeof c);
        return png_decode(&c, bytes, n, name, img, err);
    }
    if (n == 0)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the file is empty, not a JPEG or PNG image: re-extract or "
                       "re-download it",
                       name);
    return err_set(err, LORAT_STATUS_FORMAT,
                   "%s is not a JPEG or PNG image (its first bytes are neither JPEG's FF D8 FF nor "
                   "PNG's 89 50 4E 47): check the path, or convert the file",
                   name);
}

/* The whole file into *out (malloc'd). */
static lorat_status read_file(const char *path, uint8_t **out, size_t *size, lorat_error *err) {
    *out = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, LORAT_STATUS_IO, "cannot open image %s: %s: check the path", path,
                       strerror(errno));
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        return err_set(err, LORAT_STATUS_IO, "cannot read image %s: %s: check the path", path,
                       strerror(e));
    }
    if (S_ISREG(st.st_mode) && st.st_size > IMAGE_MAX_FILE_BYTES) {
        close(fd);
        return err_set(err, LORAT_STATUS_FORMAT, "%s: %lld bytes, more than an image file may be (%lld)",
                       path, (long long)st.st_size, (long long)IMAGE_MAX_FILE_BYTES);
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for %zu bytes", path, cap);
    }
    for (;;) {
        if (n == cap) {
            if ((int64_t)cap > IMAGE_MAX_FILE_BYTES) {
                free(buf);
                close(fd);
                return err_set(err, LORAT_STATUS_FORMAT, "%s: more than %lld bytes, more than an image file may be",
                               path, (long long)IMAGE_MAX_FILE_BYTES);
            }
            uint8_t *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                close(fd);
                return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
            }
            buf = p;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            e = errno;
            free(buf);
            close(fd);
            return err_set(err, LORAT_STATUS_IO, "cannot read image %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    *out = buf;
    *size = n;
    return LORAT_STATUS_OK;
}

lorat_status image_read(const char *path, image *img, lorat_error *err) {
    if (!path || !img)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "image_read needs a path and an image");
    uint8_t *bytes;
    size_t n;
    lorat_status s = read_file(path, &bytes, &n, err);
    if (s) return s;
    s = image_decode(bytes, n, path, img, err);
    free(bytes);
    return s;
}

/* ---- writing --------------------------------------------------------------------------------- */

/* bytes into path atomically (core/fileio). */
static lorat_status write_file_atomic(const char *path, const uint8_t *bytes, size_t n,
                                      lorat_error *err) {
    const void *parts[1] = {bytes};
    return file_write_atomic(path, parts, &n, 1, err);
}

static lorat_status check_image_arg(const char *path, const image *img, lorat_error *err) {
    if (!path) return err_set(err, LORAT_STATUS_BAD_INPUT, "image write: no path given");
    if (!img || !img->data || img->w <= 0 || img->h <= 0 ||
        (int64_t)img->w * img->h > IMAGE_MAX_PIXELS)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: nothing to write: the image is empty or has an impossible size (%dx%d)",
                       path, img ? img->w : 0, img ? img->h : 0);
    return LORAT_STATUS_OK;
}

lorat_status image_write_jpeg(const char *path, const image *img, int quality, lorat_error *err) {
    lorat_status s = check_image_arg(path, img, err);
    if (s) return s;
    if (quality < 1 || quality > 100)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: JPEG quality %d is out of range: use 1..100", path, quality);
    if (img->w > JPEG_MAX_SIDE || img->h > JPEG_MAX_SIDE)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: a %dx%d image is too large for JPEG (at most %d pixels a side): write "
                       "a PNG instead",
                       path, img->w, img->h, JPEG_MAX_SIDE);
    jpeg_enc e;
    s = jpeg_encode(&e, path, img, quality, err);
    if (s) return s;
    s = write_file_atomic(path, e.buf, e.size, err);
    free(e.buf);
    return s;
}

lorat_status image_write_png(const char *path, const image *img, lorat_error *err) {
    lorat_status s = check_image_arg(path, img, err);
    if (s) return s;
    png_ctx c;
    memset(&c, 0, sizeof c);
    s = png_encode(&c, path, img, err);
    if (s) return s;
    s = write_file_atomic(path, c.out, c.out_size, err);
    free(c.out);
    return s;
}

/* The extension of a file name, after its last '.', or "" (a leading dot does not count). */
static const char *name_ext(const char *name) {
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

lorat_status image_write(const char *path, const image *img, lorat_error *err) {
    if (!path) return err_set(err, LORAT_STATUS_BAD_INPUT, "image_write: no path given");
    const char *ext = name_ext(path);
    if (strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0)
        return image_write_jpeg(path, img, 95, err);
    if (strcasecmp(ext, "png") == 0) return image_write_png(path, img, err);
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "%s: cannot tell the image format from the name: end it in .jpg, .jpeg or .png",
                   path);
}

/* ---- listing a folder of frames -------------------------------------------------------------- */

typedef struct dir_entry {
    char *name;
    const char *num; /* the last run of digits before the extension, leading zeros skipped */
    size_t num_len;  /* 0 for the number zero */
    int has_num;
} dir_entry;

static int is_image_name(const char *name) {
    if (name[0] == '.') return 0; /* hidden, or macOS metadata such as "._0001.jpg" */
    const char *ext = name_ext(name);
    return strcasecmp(ext, "jpg") == 0 || strcasecmp(ext, "jpeg") == 0 ||
           strcasecmp(ext, "png") == 0;
}

static void find_number(dir_entry *e) {
    const char *end = e->name + strlen(e->name);
    const char *ext = name_ext(e->name);
    if (*ext) end = ext - 1;
    const char *p = end;
    while (p > e->name && !isdigit((unsigned char)p[-1]))
        p--;
    e->has_num = p > e->name;
    if (!e->has_num) return;
    const char *last = p;
    while (p > e->name && isdigit((unsigned char)p[-1]))
        p--;
    while (p < last && *p == '0')
        p++;
    e->num = p;
    e->num_len = (size_t)(last - p);
}

static int cmp_by_number(const void *pa, const void *pb) {
    const dir_entry *a = pa, *b = pb;
    /* Compared as digit strings, so numbers of any length order correctly. */
    if (a->num_len != b->num_len) return a->num_len < b->num_len ? -1 : 1;
    int c = memcmp(a->num, b->num, a->num_len);
    return c ? c : strcmp(a->name, b->name);
}

static int cmp_by_name(const void *pa, const void *pb) {
    return strcmp(((const dir_entry *)pa)->name, ((const dir_entry *)pb)->name);
}

static int is_directory(const char *dir, const struct dirent *de) {
    if (de->d_type == DT_DIR) return 1;
    if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) return 0;
    char *full = malloc(strlen(dir) + strlen(de->d_name) + 2);
    if (!full) return 0;
    sprintf(full, "%s/%s", dir, de->d_name);
    struct stat st;
    int r = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
    free(full);
    return r;
}

static void free_entries(dir_entry *v, int n) {
    for (int i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

lorat_status image_list_dir(const char *dir, char ***paths, int *count, lorat_error *err) {
    if (!dir || !paths || !count)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "image_list_dir needs a directory and outputs");
    *paths = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, LORAT_STATUS_IO, "cannot open frame directory %s: %s: check the path",
                       dir, strerror(errno));
    dir_entry *v = NULL;
    int n = 0, cap = 0;
    size_t chars = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                int e = errno;
                closedir(d);
                free_entries(v, n);
                return err_set(err, LORAT_STATUS_IO, "cannot list frame directory %s: %s", dir,
                               strerror(e));
            }
            break;
        }
        if (!is_image_name(de->d_name) || is_directory(dir, de)) continue;
        if (n == INT_MAX) break;
        if (n == cap) {
            int ncap = cap ? (cap > INT_MAX / 2 ? INT_MAX : cap * 2) : 64;
            dir_entry *p = realloc(v, (size_t)ncap * sizeof *v);
            if (!p) goto oom;
            v = p;
            cap = ncap;
        }
        if (!(v[n].name = strdup(de->d_name))) goto oom;
        find_number(&v[n]);
        chars += strlen(de->d_name);
        n++;
    }
    closedir(d);
    if (n == 0) {
        free(v);
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "frame directory %s holds no .jpg, .jpeg or .png images: check the path",
                       dir);
    }
    int numeric = 1;
    for (int i = 0; i < n && numeric; i++)
        numeric = v[i].has_num;
    qsort(v, (size_t)n, sizeof *v, numeric ? cmp_by_number : cmp_by_name);

    size_t dlen = strlen(dir);
    int slash = dlen > 0 && dir[dlen - 1] == '/';
    size_t per = dlen + (slash ? 0 : 1) + 1; /* directory, separator, NUL */
    size_t total = (size_t)n * sizeof(char *) + (size_t)n * per + chars;
    char **out = malloc(total);
    if (!out) {
        free_entries(v, n);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "listing %s: out of memory", dir);
    }
    char *s = (char *)(out + n);
    for (int i = 0; i < n; i++) {
        out[i] = s;
        s += sprintf(s, "%s%s%s", dir, slash ? "" : "/", v[i].name) + 1;
    }
    free_entries(v, n);
    *paths = out;
    *count = n;
    return LORAT_STATUS_OK;

oom:
    closedir(d);
    free_entries(v, n);
    return err_set(err, LORAT_STATUS_NO_MEMORY, "listing %s: out of memory", dir);
}

/* ---- drawing --------------------------------------------------------------------------------- */

void image_fill_rect(image *img, int x, int y, int w, int h, uint32_t rgb) {
    if (!img || !img->data || w <= 0 || h <= 0) return;
    int64_t x0 = x, y0 = y, x1 = (int64_t)x + w, y1 = (int64_t)y + h;
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > img->w) x1 = img->w;
    if (y1 > img->h) y1 = img->h;
    if (x0 >= x1 || y0 >= y1) return;
    uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
    for (int64_t yy = y0; yy < y1; yy++) {
        uint8_t *p = img->data + ((size_t)yy * (size_t)img->w + (size_t)x0) * 3;
        for (int64_t xx = x0; xx < x1; xx++, p += 3) {
            p[0] = r;
            p[1] = g;
            p[2] = b;
        }
    }
}

/* A coordinate rounded to a pixel edge, kept far enough from INT_MAX that sums cannot overflow. */
static int edge(float v) {
    const float lim = 1e8f;
    if (v < -lim) v = -lim;
    if (v > lim) v = lim;
    return (int)lroundf(v);
}

void image_draw_rect(image *img, float x, float y, float w, float h, int thickness, uint32_t rgb) {
    if (!img || !img->data || !isfinite(x) || !isfinite(y) || !isfinite(w) || !isfinite(h)) return;
    if (w < 0 || h < 0) return;
    int t = thickness < 1 ? 1 : thickness > 10000 ? 10000 : thickness;
    /* The line is centred on the box edge: t/2 pixels outside, the rest inside, so a 1-pixel line
     * covers the box's outermost pixels. */
    int o = t / 2;
    int x0 = edge(x) - o, y0 = edge(y) - o;
    int x1 = edge(x + w) + o, y1 = edge(y + h) + o;
    if (x1 <= x0 || y1 <= y0) return;
    image_fill_rect(img, x0, y0, x1 - x0, t, rgb);                 /* top */
    image_fill_rect(img, x0, y1 - t, x1 - x0, t, rgb);             /* bottom */
    image_fill_rect(img, x0, y0 + t, t, y1 - y0 - 2 * t, rgb);     /* left */
    image_fill_rect(img, x1 - t, y0 + t, t, y1 - y0 - 2 * t, rgb); /* right */
}

void image_draw_text(image *img, int x, int y, const char *text, int scale, uint32_t rgb) {
    if (!img || !img->data || !text) return;
    int s = scale < 1 ? 1 : scale > 1000 ? 1000 : scale;
    /* 64-bit pen so that long strings far off the image cannot overflow. */
    int64_t pen_x = x, pen_y = y;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            pen_x = x;
            pen_y += (int64_t)(FONT5X7_H + 1) * s;
            continue;
        }
        int c = *p >= FONT5X7_FIRST && *p <= FONT5X7_LAST ? *p : '?';
        const uint8_t *glyph = font5x7[c - FONT5X7_FIRST];
        if (pen_x < img->w && pen_y < img->h && pen_x + FONT5X7_W * s > 0 &&
            pen_y + FONT5X7_H * s > 0) {
            for (int row = 0; row < FONT5X7_H; row++)
                for (int col = 0; col < FONT5X7_W; col++)
                    if (glyph[row] & (0x10 >> col))
                        image_fill_rect(img, (int)(pen_x + col * s), (int)(pen_y + row * s), s, s,
                                        rgb);
        }
        pen_x += (int64_t)(FONT5X7_W + 1) * s;
    }
}

/* ---- the public API (lorat.h) --------------------------------------------------------------- */

lorat_status lorat_image_read(const char *path, lorat_image *out, lorat_error *err) {
    if (!out) return err_set(err, LORAT_STATUS_BAD_INPUT, "lorat_image_read needs an image to fill");
    memset(out, 0, sizeof *out);
    image img = {0};
    lorat_status st = image_read(path, &img, err);
    if (st) {
        image_free(&img);
        return st;
    }
    out->width = img.w, out->height = img.h, out->stride = 3 * img.w, out->rgb = img.data;
    return LORAT_STATUS_OK;
}

void lorat_image_free(lorat_image *im) {
    if (!im) return;
    free((void *)im->rgb);
    memset(im, 0, sizeof *im);
}
