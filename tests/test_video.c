/*
 * test_video.c — io/video: writes 40-frame videos of a moving coloured square with the frame
 * number drawn on it, as .mp4, .mkv and .avi, at an even (96x64) and an odd (97x63) size, and reads
 * each back: frame count, size, frame rate, and the square's colour where it was drawn. Then the
 * failures: a file that is not a video, a video cut to half its bytes (fewer frames or a clean
 * error, never a crash), an aborted writer (no file left), and bad arguments.
 *
 * Every file lives in a fresh directory under /tmp that is removed at the end.
 */
#include "io/video.h"
#include "test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FRAMES 40
#define FPS 25.0
#define SQUARE 16
#define BACKGROUND 0x404040u

static char tmpdir[64];

static const char *tmp_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static int count_files(const char *part) {
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, part)) n++;
    if (d) closedir(d);
    return n;
}

static void remove_tmpdir(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(tmpdir);
}

/* Where frame i's square is (top-left) and its colour: it crosses the frame diagonally and its
 * colour cycles through red, green, blue and yellow every ten frames. */
static void square_at(int i, int w, int h, int *x, int *y, uint32_t *rgb) {
    *x = 2 + i * (w - SQUARE - 4) / (FRAMES - 1);
    *y = 10 + i * (h - SQUARE - 12) / (FRAMES - 1);
    static const uint32_t colours[4] = {0xE02020, 0x20C020, 0x2020E0, 0xE0E020};
    *rgb = colours[(i / 10) % 4];
}

static void draw_frame(image *img, int i) {
    int x, y;
    uint32_t rgb;
    image_fill_rect(img, 0, 0, img->w, img->h, BACKGROUND);
    square_at(i, img->w, img->h, &x, &y, &rgb);
    image_fill_rect(img, x, y, SQUARE, SQUARE, rgb);
    char label[16];
    snprintf(label, sizeof label, "%d", i);
    image_draw_text(img, 1, 1, label, 1, 0xFFFFFF);
}

/* Mean over a 6x6 patch at (cx, cy) of the largest channel difference from rgb. */
static double colour_error(const image *img, int cx, int cy, uint32_t rgb) {
    double s = 0;
    int n = 0;
    for (int y = cy - 3; y < cy + 3; y++)
        for (int x = cx - 3; x < cx + 3; x++) {
            const uint8_t *p = img->data + ((size_t)y * img->w + x) * 3;
            int worst = 0;
            for (int c = 0; c < 3; c++) {
                int d = abs((int)p[c] - (int)((rgb >> (16 - 8 * c)) & 0xFF));
                if (d > worst) worst = d;
            }
            s += worst;
            n++;
        }
    return s / n;
}

static int write_video(const char *path, int w, int h) {
    lorat_error err = {0};
    video_writer *vw = NULL;
    image img = {0};
    lorat_status s = video_writer_open(path, w, h, FPS, &vw, &err);
    CHECK(s == LORAT_STATUS_OK, "%s", err.message);
    if (s) return 0;
    CHECK(image_alloc(&img, w, h, &err) == LORAT_STATUS_OK, "%s", err.message);
    for (int i = 0; i < FRAMES && !s; i++) {
        draw_frame(&img, i);
        s = video_write(vw, &img, &err);
        CHECK(s == LORAT_STATUS_OK, "frame %d: %s", i, err.message);
    }
    CHECK(count_files(".tmp.") == 1, "no temporary file while writing");
    s = video_writer_close(vw, 0, &err);
    CHECK(s == LORAT_STATUS_OK, "%s", err.message);
    CHECK(count_files(".tmp.") == 0, "temporary file left after close");
    CHECK(access(path, F_OK) == 0, "%s not created", path);
    image_free(&img);
    return s == LORAT_STATUS_OK;
}

/* Reads path back; ew, eh: the size expected in the file (odd sides may be padded). */
static void check_video(const char *path, int w, int h, int ew, int eh, int exact_count) {
    lorat_error err = {0};
    video_reader *vr = NULL;
    lorat_status s = video_open(path, &vr, &err);
    CHECK(s == LORAT_STATUS_OK, "%s", err.message);
    if (s) return;
    CHECK(video_width(vr) == ew && video_height(vr) == eh, "%s: size %dx%d, expected %dx%d", path,
          video_width(vr), video_height(vr), ew, eh);
    CHECK(fabs(video_fps(vr) - FPS) < 0.01, "%s: fps %g", path, video_fps(vr));
    int64_t count = video_frame_count(vr);
    CHECK(count == FRAMES || (!exact_count && count == -1), "%s: frame count %lld", path,
          (long long)count);
    image img = {0};
    int n = 0, eof = 0, bad_square = 0, bad_background = 0;
    double worst = 0;
    while (n <= FRAMES) {
        s = video_read(vr, &img, &eof, &err);
        CHECK(s == LORAT_STATUS_OK, "%s: %s", path, err.message);
        if (s || eof) break;
        CHECK(img.w == ew && img.h == eh, "%s frame %d: %dx%d", path, n, img.w, img.h);
        if (img.w != ew || img.h != eh) break;
        int x, y;
        uint32_t rgb;
        square_at(n, w, h, &x, &y, &rgb);
        double e = colour_error(&img, x + SQUARE / 2, y + SQUARE / 2, rgb);
        if (e > worst) worst = e;
        if (e > 24) bad_square++;
        /* Bottom-right corner: background, unless the square is there. */
        if (x + SQUARE < w - 4 && colour_error(&img, w - 4, h - 4, BACKGROUND) > 24)
            bad_background++;
        n++;
    }
    CHECK(n == FRAMES, "%s: %d frames read, expected %d", path, n, FRAMES);
    CHECK(eof, "%s: no end of file after %d frames", path, n);
    CHECK(bad_square == 0, "%s: the square's colour is wrong in %d frames (worst error %.1f)", path,
          bad_square, worst);
    CHECK(bad_background == 0, "%s: background wrong in %d frames", path, bad_background);
    /* Reading on after the end keeps saying end of file. */
    s = video_read(vr, &img, &eof, &err);
    CHECK(s == LORAT_STATUS_OK && eof, "%s: read after the end", path);
    printf("%s: %dx%d, %d frames, fps %g, count %lld, worst square error %.1f\n", path, ew, eh, n,
           video_fps(vr), (long long)count, worst);
    video_close(vr);
    image_free(&img);
}

/* A copy of path cut to half its bytes must give fewer frames or a clean error. */
static void check_truncated(const char *path) {
    char cut[512];
    snprintf(cut, sizeof cut, "%s.half.%s", path, strrchr(path, '.') + 1);
    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    if (!in || !out) exit(2);
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *buf = malloc((size_t)n);
    if (fread(buf, 1, (size_t)n, in) != (size_t)n) exit(2);
    fwrite(buf, 1, (size_t)n / 2, out);
    fclose(in);
    fclose(out);
    free(buf);

    lorat_error err = {0};
    video_reader *vr = NULL;
    lorat_status s = video_open(cut, &vr, &err);
    int frames = 0;
    if (s == LORAT_STATUS_OK) {
        image img = {0};
        int eof = 0;
        while (frames <= FRAMES) {
            s = video_read(vr, &img, &eof, &err);
            if (s || eof) break;
            frames++;
        }
        video_close(vr);
        image_free(&img);
    }
    if (s) {
        CHECK(strstr(err.message, cut) != NULL, "message does not name %s: %s", cut, err.message);
        printf("%s: %d frames, then: %s\n", cut, frames, err.message);
    } else {
        CHECK(frames < FRAMES, "%s: %d frames from half a file", cut, frames);
        printf("%s: %d frames, then end of file\n", cut, frames);
    }
    unlink(cut);
}

static void test_round_trips(void) {
    char path[256];
    const char *exts[] = {"mp4", "mkv", "avi"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/even.%s", tmpdir, exts[k]);
        if (write_video(path, 96, 64)) {
            check_video(path, 96, 64, 96, 64, k != 1);
            check_truncated(path);
        }
        /* H.264 and MPEG-4 pad odd sides to even; MJPEG keeps them. */
        int pad = strcmp(exts[k], "avi") != 0;
        snprintf(path, sizeof path, "%s/odd.%s", tmpdir, exts[k]);
        if (write_video(path, 97, 63))
            check_video(path, 97, 63, pad ? 98 : 97, pad ? 64 : 63, k != 1);
    }
}

static void test_errors(void) {
    char path[256];
    lorat_error err = {0};
    video_reader *vr = NULL;
    video_writer *vw = NULL;

    const char *text = "frame 1: nothing to see here\nframe 2: still nothing\n";
    const char *names[] = {"notes.mp4", "notes.txt", "notes"};
    for (int i = 0; i < 3; i++) {
        tmp_path(path, sizeof path, names[i]);
        FILE *f = fopen(path, "wb");
        fwrite(text, 1, strlen(text), f);
        fclose(f);
        lorat_status s = video_open(path, &vr, &err);
        CHECK(s != LORAT_STATUS_OK, "%s opened as a video", path);
        CHECK(vr == NULL, "reader set on failure");
        CHECK(strstr(err.message, path) != NULL, "message does not name the file: %s", err.message);
        if (s == LORAT_STATUS_OK) video_close(vr);
        if (i == 0) printf("text file: %s\n", err.message);
    }

    tmp_path(path, sizeof path, "missing.mp4");
    CHECK(video_open(path, &vr, &err) == LORAT_STATUS_IO, "missing file: status %d", err.status);
    CHECK(strstr(err.message, path) != NULL, "message: %s", err.message);
    printf("missing file: %s\n", err.message);

    /* An aborted writer leaves nothing behind. */
    image img = {0};
    CHECK(image_alloc(&img, 64, 48, &err) == LORAT_STATUS_OK, "%s", err.message);
    const char *exts[] = {"mp4", "mkv", "avi"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/aborted.%s", tmpdir, exts[k]);
        lorat_status s = video_writer_open(path, 64, 48, 30, &vw, &err);
        CHECK(s == LORAT_STATUS_OK, "%s", err.message);
        for (int i = 0; i < 5 && !s; i++) {
            draw_frame(&img, i);
            s = video_write(vw, &img, &err);
            CHECK(s == LORAT_STATUS_OK, "%s", err.message);
        }
        if (vw) CHECK(video_writer_close(vw, 1, &err) == LORAT_STATUS_OK, "%s", err.message);
        vw = NULL;
        CHECK(count_files("aborted") == 0, "an aborted .%s writer left a file", exts[k]);
    }

    /* A frame of the wrong size is refused, and does not spoil the video. A video of no frames
     * is not written. */
    tmp_path(path, sizeof path, "resized.mp4");
    CHECK(video_writer_open(path, 32, 32, 10, &vw, &err) == LORAT_STATUS_OK, "%s", err.message);
    if (vw) {
        CHECK(video_write(vw, &img, &err) == LORAT_STATUS_BAD_INPUT, "64x48 frame in 32x32 video");
        CHECK(strstr(err.message, path) != NULL, "message: %s", err.message);
        CHECK(video_writer_close(vw, 0, &err) == LORAT_STATUS_BAD_INPUT, "a video of no frames");
        CHECK(access(path, F_OK) != 0 && count_files("resized") == 0, "no frames, yet a file");
        vw = NULL;
    }
    CHECK(video_writer_open(path, 32, 32, 10, &vw, &err) == LORAT_STATUS_OK, "%s", err.message);
    if (vw) {
        image small = {0};
        CHECK(image_alloc(&small, 32, 32, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(video_write(vw, &img, &err) == LORAT_STATUS_BAD_INPUT, "64x48 frame in 32x32 video");
        image_fill_rect(&small, 0, 0, 32, 32, 0x102030);
        CHECK(video_write(vw, &small, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(video_writer_close(vw, 0, &err) == LORAT_STATUS_OK, "%s", err.message);
        vw = NULL;
        image_free(&small);
        int eof = 0;
        CHECK(video_open(path, &vr, &err) == LORAT_STATUS_OK, "%s", err.message);
        CHECK(vr && video_read(vr, &img, &eof, &err) == LORAT_STATUS_OK && !eof && img.w == 32,
              "the one good frame was not written");
        CHECK(vr && video_read(vr, &img, &eof, &err) == LORAT_STATUS_OK && eof, "more than one");
        video_close(vr);
        vr = NULL;
    }

    /* Bad arguments. */
    CHECK(video_writer_open(tmp_path(path, sizeof path, "x.mov"), 64, 48, 30, &vw, &err) ==
              LORAT_STATUS_BAD_INPUT,
          ".mov accepted");
    CHECK(strstr(err.message, path) != NULL, "message: %s", err.message);
    CHECK(video_writer_open(tmp_path(path, sizeof path, "x.mp4"), 0, 48, 30, &vw, &err) ==
              LORAT_STATUS_BAD_INPUT,
          "width 0 accepted");
    CHECK(video_writer_open(path, 64, 48, 0, &vw, &err) == LORAT_STATUS_BAD_INPUT, "fps 0");
    CHECK(video_writer_open(path, 64, 48, NAN, &vw, &err) == LORAT_STATUS_BAD_INPUT, "fps NaN");
    CHECK(video_writer_open(tmp_path(path, sizeof path, "no/such/dir/x.mp4"), 64, 48, 30, &vw,
                            &err) == LORAT_STATUS_IO,
          "missing directory: status %d: %s", err.status, err.message);
    CHECK(vw == NULL, "writer set on failure");
    CHECK(count_files("x.") == 0, "a failed open left a file");
    CHECK(video_writer_close(NULL, 0, &err) == LORAT_STATUS_OK, "close(NULL)");
    video_close(NULL);
    image_free(&img);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lorat_test_video_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_round_trips();
    test_errors();
    remove_tmpdir();
    return test_finish();
}
