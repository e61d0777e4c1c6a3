/*
 * test_safetensors.c — the safetensors reader and writer: a round trip of every kind of tensor a
 * model file holds, and one hand-made corrupt file per check the reader makes, each of which must
 * fail with a status and a message naming the file (and the tensor), never crash.
 *
 * Every file lives in a fresh directory under /tmp that is removed at the end.
 */
#include "io/safetensors.h"
#include "test.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A safetensors file by hand: header length (hlen, or the JSON's length when hlen < 0), the
 * JSON, then ndata bytes of data (a counting pattern). */
static void write_st(const char *path, const char *json, long long hlen, size_t ndata) {
    size_t jl = strlen(json);
    uint64_t n = hlen < 0 ? jl : (uint64_t)hlen;
    unsigned char *buf = malloc(8 + jl + ndata + 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, json, jl);
    for (size_t i = 0; i < ndata; i++)
        buf[8 + jl + i] = (unsigned char)i;
    write_bytes(path, buf, 8 + jl + ndata);
    free(buf);
}

/* Count of entries in tmpdir whose name contains part. */
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
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        if (unlink(p) != 0) rmdir(p);
    }
    if (d) closedir(d);
    rmdir(tmpdir);
}

/* Opens a file that must be refused: status, no object, and a message holding the file's path
 * and each of the given parts (NULL-terminated). */
static void expect_fail_(int line, const char *path, lorat_status want, const char *const *parts) {
    safetensors *st = (safetensors *)1;
    lorat_error err = {0};
    lorat_status s = safetensors_open(path, &st, &err);
    CHECK(s == want, "line %d: %s: status %s, want %s (%s)", line, path, lorat_status_name(s),
          lorat_status_name(want), err.message);
    CHECK(st == NULL, "line %d: %s: out not cleared on failure", line, path);
    CHECK(err.status == s, "line %d: err.status %d != returned %d", line, err.status, s);
    CHECK(strstr(err.message, path) != NULL, "line %d: message does not name the file: %s", line,
          err.message);
    for (; *parts; parts++)
        CHECK(strstr(err.message, *parts) != NULL, "line %d: message lacks \"%s\": %s", line,
              *parts, err.message);
    if (s == LORAT_STATUS_OK) safetensors_close(st);
    /* The same call without an error struct must also fail cleanly. */
    st = (safetensors *)1;
    CHECK(safetensors_open(path, &st, NULL) == want && st == NULL, "line %d: NULL err", line);
}
#define EXPECT_FAIL(path, want, ...)                                                               \
    expect_fail_(__LINE__, path, want, (const char *const[]){__VA_ARGS__, NULL})

/* One corrupt header, written and refused. */
#define BAD_JSON(file, json, ndata, want, ...)                                                     \
    do {                                                                                           \
        char p_[256];                                                                              \
        write_st(tmp_path(p_, sizeof p_, file), json, -1, ndata);                                  \
        EXPECT_FAIL(p_, want, __VA_ARGS__);                                                        \
    } while (0)

static int tensors_equal(const tensor_info *a, const tensor_info *b) {
    if (strcmp(a->name, b->name) || a->dtype != b->dtype || a->ndim != b->ndim ||
        a->nbytes != b->nbytes)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

static uint64_t header_len(const char *path) {
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        if (fread(b, 1, 8, f) != 8) memset(b, 0, 8);
        fclose(f);
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    return n;
}

static void test_round_trip(void) {
    float f32[6] = {1.5f, -2.25f, 3.0f, 1e-7f, -0.0f, 65504.0f};
    uint16_t f16[4], bf16[4];
    float src[4] = {0.5f, -1.0f, 1024.0f, 3.14159f};
    for (int i = 0; i < 4; i++)
        f16[i] = f32_to_f16(src[i]), bf16[i] = f32_to_bf16(src[i]);
    int64_t i64[3] = {INT64_MIN, -1, INT64_MAX};
    uint8_t mask[5] = {1, 0, 0, 1, 1};
    uint8_t odd[3] = {7, 8, 9}; /* 3 bytes: every tensor after it sits at an odd offset */
    float scalar = 42.0f;

    tensor_info t[] = {
        {.name = "odd.u8", .dtype = DTYPE_U8, .ndim = 1, .shape = {3}, .data = odd, .nbytes = 3},
        {.name = "blocks.0.attn.qkv.weight",
         .dtype = DTYPE_F32,
         .ndim = 2,
         .shape = {2, 3},
         .data = f32,
         .nbytes = sizeof f32},
        {.name = "w.f16", .dtype = DTYPE_F16, .ndim = 1, .shape = {4}, .data = f16, .nbytes = 8},
        {.name = "w.bf16",
         .dtype = DTYPE_BF16,
         .ndim = 2,
         .shape = {2, 2},
         .data = bf16,
         .nbytes = 8},
        {.name = "idx", .dtype = DTYPE_I64, .ndim = 1, .shape = {3}, .data = i64, .nbytes = 24},
        {.name = "mask", .dtype = DTYPE_BOOL, .ndim = 1, .shape = {5}, .data = mask, .nbytes = 5},
        {.name = "scalar", .dtype = DTYPE_F32, .ndim = 0, .data = &scalar, .nbytes = 4},
        {.name = "empty",
         .dtype = DTYPE_F32,
         .ndim = 2,
         .shape = {0, 7},
         .data = NULL,
         .nbytes = 0},
        {.name = "we\"ird\\name\t",
         .dtype = DTYPE_U8,
         .ndim = 1,
         .shape = {1},
         .data = odd,
         .nbytes = 1},
    };
    int n = (int)(sizeof t / sizeof t[0]);
    const char *meta[] = {"variant", "B-224", "quoted", "a \"b\" \\ c\nd\x01", "empty", ""};

    char path[256];
    tmp_path(path, sizeof path, "round.safetensors");
    lorat_error err = {0};
    lorat_status s = safetensors_write(path, t, n, meta, 3, &err);
    CHECK(s == LORAT_STATUS_OK, "write: %s", err.message);
    CHECK(count_files(".tmp.") == 0, "temporary file left behind");
    CHECK((8 + header_len(path)) % 8 == 0, "data block at %llu, not a multiple of 8",
          (unsigned long long)(8 + header_len(path)));

    safetensors *st = NULL;
    s = safetensors_open(path, &st, &err);
    CHECK(s == LORAT_STATUS_OK && st, "open: %s", err.message);
    if (!st) return;
    int count = -1;
    const tensor_info *got = safetensors_tensors(st, &count);
    CHECK(count == n, "count %d, want %d", count, n);
    for (int i = 0; i < n && i < count; i++) {
        CHECK(tensors_equal(&got[i], &t[i]), "tensor %d (%s) differs from what was written (%s)", i,
              t[i].name, got[i].name);
        CHECK(safetensors_find(st, t[i].name) == &got[i], "find %s", t[i].name);
    }
    CHECK(got[n - 3].ndim == 0 && got[n - 3].nbytes == 4, "0-d scalar");
    float sc;
    memcpy(&sc, got[n - 3].data, 4); /* data may be unaligned: copy, never cast */
    CHECK(sc == 42.0f, "scalar %g", sc);
    CHECK(got[n - 2].nbytes == 0 && got[n - 2].shape[0] == 0 && got[n - 2].shape[1] == 7,
          "empty tensor");
    float back[4];
    dtype_to_f32(back, got[2].data, DTYPE_F16, 4);
    CHECK(back[0] == 0.5f && back[2] == 1024.0f, "f16 values %g %g", back[0], back[2]);
    dtype_to_f32(back, got[3].data, DTYPE_BF16, 4);
    CHECK(back[1] == -1.0f, "bf16 value %g", back[1]);
    int64_t i64b[3];
    memcpy(i64b, got[4].data, 24);
    CHECK(i64b[0] == INT64_MIN && i64b[2] == INT64_MAX, "i64 extremes");

    CHECK(safetensors_find(st, "nope") == NULL, "find of an absent name");
    CHECK(safetensors_find(st, "") == NULL, "find of the empty name");
    CHECK(safetensors_find(st, "__metadata__") == NULL, "metadata is not a tensor");
    CHECK(safetensors_meta_count(st) == 3, "meta count %d", safetensors_meta_count(st));
    CHECK(safetensors_meta(st, "variant") && strcmp(safetensors_meta(st, "variant"), "B-224") == 0,
          "meta variant");
    CHECK(safetensors_meta(st, "quoted") && strcmp(safetensors_meta(st, "quoted"), meta[3]) == 0,
          "meta with escapes: %s", safetensors_meta(st, "quoted"));
    CHECK(safetensors_meta(st, "empty") && safetensors_meta(st, "empty")[0] == '\0', "empty meta");
    CHECK(safetensors_meta(st, "missing") == NULL, "absent meta key");
    for (int i = 0; i < 3; i++) {
        const char *k = NULL, *v = NULL;
        safetensors_meta_at(st, i, &k, &v);
        CHECK(k && v && strcmp(k, meta[2 * i]) == 0 && strcmp(v, meta[2 * i + 1]) == 0,
              "meta_at %d", i);
    }
    const char *k = "x", *v = "x";
    safetensors_meta_at(st, 3, &k, &v);
    CHECK(k == NULL && v == NULL, "meta_at out of range");
    safetensors_meta_at(st, -1, &k, &v);
    CHECK(k == NULL && v == NULL, "meta_at negative");
    safetensors_close(st);

    /* Without metadata the header has no "__metadata__" at all; with no tensors it is "{}". */
    tmp_path(path, sizeof path, "nometa.safetensors");
    CHECK(safetensors_write(path, t, 2, NULL, 0, &err) == LORAT_STATUS_OK, "%s", err.message);
    FILE *f = fopen(path, "rb");
    char head[512] = {0};
    size_t got_n = f ? fread(head, 1, sizeof head - 1, f) : 0;
    if (f) fclose(f);
    CHECK(got_n > 8 && strstr(head + 8, "__metadata__") == NULL, "no __metadata__ when n_meta 0");
    CHECK(safetensors_open(path, &st, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(safetensors_meta_count(st) == 0 && safetensors_meta(st, "variant") == NULL, "no meta");
    safetensors_close(st);

    tmp_path(path, sizeof path, "nothing.safetensors");
    CHECK(safetensors_write(path, NULL, 0, NULL, 0, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(header_len(path) == 8 && (8 + header_len(path)) % 8 == 0, "empty header length %llu",
          (unsigned long long)header_len(path));
    CHECK(safetensors_open(path, &st, &err) == LORAT_STATUS_OK, "%s", err.message);
    safetensors_tensors(st, &count);
    CHECK(count == 0 && safetensors_find(st, "x") == NULL, "empty file");
    safetensors_close(st);
    safetensors_close(NULL);
}

/* Files from other writers: an unpadded header (data block at an odd offset), extra keys, gaps,
 * and an empty tensor whose offset sits inside another tensor (it owns no bytes). */
static void test_foreign_files(void) {
    char path[256];
    lorat_error err = {0};
    safetensors *st = NULL;
    tmp_path(path, sizeof path, "foreign.safetensors");
    write_st(path,
             "{\"b\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[12,16],\"extra\":1},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
             "\"z\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[4,4]}}",
             -1, 16);
    CHECK(safetensors_open(path, &st, &err) == LORAT_STATUS_OK, "%s", err.message);
    if (!st) return;
    int count;
    const tensor_info *t = safetensors_tensors(st, &count);
    CHECK(count == 3 && strcmp(t[0].name, "b") == 0 && strcmp(t[1].name, "a") == 0 &&
              strcmp(t[2].name, "z") == 0,
          "file order kept");
    const tensor_info *b = safetensors_find(st, "b");
    CHECK(b && b->dtype == DTYPE_I16 && b->nbytes == 4 && b->shape[0] == 2, "b");
    int16_t v[2];
    memcpy(v, b->data, 4);
    CHECK(v[0] == (12 | 13 << 8) && v[1] == (14 | 15 << 8), "b data %d %d", v[0], v[1]);
    safetensors_close(st);

    /* Trailing spaces and newlines after the JSON are padding, not corruption. */
    write_st(path, "{\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}  \n ", -1, 1);
    CHECK(safetensors_open(path, &st, &err) == LORAT_STATUS_OK, "%s", err.message);
    safetensors_close(st);
}

static void test_bad_files(void) {
    char path[256];

    /* Too short for the length field, including empty. */
    tmp_path(path, sizeof path, "short.safetensors");
    write_bytes(path, "\x05\0\0\0\0", 5);
    EXPECT_FAIL(path, LORAT_STATUS_FORMAT, "5 bytes");
    tmp_path(path, sizeof path, "zero.safetensors");
    write_bytes(path, "", 0);
    EXPECT_FAIL(path, LORAT_STATUS_FORMAT, "0 bytes");

    /* Header length beyond the file, and absurdly large. */
    tmp_path(path, sizeof path, "hlen.safetensors");
    write_st(path, "{}", 1000, 0);
    EXPECT_FAIL(path, LORAT_STATUS_FORMAT, "1000");
    write_st(path, "{}", 0x7fffffffffffffffLL, 0);
    EXPECT_FAIL(path, LORAT_STATUS_FORMAT, "header length");
    write_st(path, "{}", 0, 0); /* zero-length header: "" is not JSON */
    EXPECT_FAIL(path, LORAT_STATUS_FORMAT, "JSON");

    BAD_JSON("json.safetensors", "{\"a\": {\"dtype\": ", 0, LORAT_STATUS_FORMAT, "JSON");
    BAD_JSON("array.safetensors", "[1,2,3]", 0, LORAT_STATUS_FORMAT, "not an object");
    BAD_JSON("trail.safetensors", "{}{}", 0, LORAT_STATUS_FORMAT, "after the JSON");
    {
        char p[256];
        tmp_path(p, sizeof p, "nul.safetensors");
        write_bytes(p, "\x04\0\0\0\0\0\0\0{}\0\0", 12);
        EXPECT_FAIL(p, LORAT_STATUS_FORMAT, "after the JSON");
    }

    /* Offsets past the end of the data block: a truncated file. */
    BAD_JSON("trunc.safetensors",
             "{\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],"
             "\"data_offsets\":[0,48]}}",
             20, LORAT_STATUS_FORMAT, "tensor blocks.0.attn.qkv.weight", "[0,48]", "20 bytes");
    BAD_JSON("trunc2.safetensors",
             "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[18446744073709551615,"
             "18446744073709551616]}}",
             4, LORAT_STATUS_FORMAT, "tensor t");

    /* Byte count that does not match dtype × shape: the message of the design notes. */
    BAD_JSON("size.safetensors",
             "{\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],"
             "\"data_offsets\":[0,100]}}",
             100, LORAT_STATUS_FORMAT,
             "tensor blocks.0.attn.qkv.weight: data_offsets [0,100] hold 100 bytes but F32 (3,4) "
             "needs 48");
    BAD_JSON("begin.safetensors", "{\"t\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}",
             16, LORAT_STATUS_FORMAT, "tensor t", "[8,4]");
    BAD_JSON("offs.safetensors", "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}",
             16, LORAT_STATUS_FORMAT, "tensor t", "data_offsets");
    BAD_JSON("offs2.safetensors",
             "{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0.5,1.5]}}", 16,
             LORAT_STATUS_FORMAT, "tensor t", "data_offsets");
    BAD_JSON("nooffs.safetensors", "{\"t\":{\"dtype\":\"U8\",\"shape\":[1]}}", 16,
             LORAT_STATUS_FORMAT, "tensor t", "data_offsets");
    /* numel overflows 64 bits: must be refused, not wrapped to a small size. */
    BAD_JSON("overflow.safetensors",
             "{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
             "\"data_offsets\":[0,0]}}",
             0, LORAT_STATUS_FORMAT, "tensor t", "too large");
    BAD_JSON("overflow2.safetensors",
             "{\"t\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}",
             0, LORAT_STATUS_FORMAT, "tensor t");

    /* Two tensors sharing bytes, in either order in the header. */
    BAD_JSON("overlap.safetensors",
             "{\"first\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
             "\"second\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
             24, LORAT_STATUS_FORMAT, "tensor second", "overlap", "first");
    BAD_JSON("overlap2.safetensors",
             "{\"late\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,32]},"
             "\"mid\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[28,32]},"
             "\"early\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
             32, LORAT_STATUS_FORMAT, "overlap", "mid", "late");
    BAD_JSON("same.safetensors",
             "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
             "\"y\":{\"dtype\":\"I32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
             16, LORAT_STATUS_FORMAT, "overlap");

    BAD_JSON("dtype.safetensors",
             "{\"head.w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
             LORAT_STATUS_UNSUPPORTED, "tensor head.w", "F8_E4M3");
    BAD_JSON("dtype2.safetensors",
             "{\"head.w\":{\"dtype\":7,\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
             LORAT_STATUS_FORMAT, "tensor head.w", "dtype");
    BAD_JSON("negshape.safetensors",
             "{\"pos_embed\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,16]}}", 16,
             LORAT_STATUS_FORMAT, "tensor pos_embed", "-1");
    BAD_JSON("fracshape.safetensors",
             "{\"pos_embed\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}", 16,
             LORAT_STATUS_FORMAT, "tensor pos_embed", "shape[0]");
    BAD_JSON("strshape.safetensors",
             "{\"pos_embed\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,16]}}", 16,
             LORAT_STATUS_FORMAT, "tensor pos_embed", "shape");
    BAD_JSON("ndim.safetensors",
             "{\"deep\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
             1, LORAT_STATUS_UNSUPPORTED, "tensor deep", "9 dimensions");
    BAD_JSON("entry.safetensors", "{\"cls_token\":[1,2]}", 0, LORAT_STATUS_FORMAT,
             "tensor cls_token", "not an object");
    BAD_JSON("dup.safetensors",
             "{\"twice\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
             "\"twice\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
             2, LORAT_STATUS_FORMAT, "tensor twice", "twice in");

    BAD_JSON("meta.safetensors", "{\"__metadata__\":{\"variant\":\"B-224\",\"depth\":12}}", 0,
             LORAT_STATUS_FORMAT, "__metadata__", "depth", "strings");
    BAD_JSON("meta2.safetensors", "{\"__metadata__\":[\"a\"]}", 0, LORAT_STATUS_FORMAT,
             "__metadata__", "not an object");
    BAD_JSON("meta3.safetensors", "{\"__metadata__\":{\"k\":null}}", 0, LORAT_STATUS_FORMAT,
             "__metadata__", "k");

    tmp_path(path, sizeof path, "does-not-exist.safetensors");
    EXPECT_FAIL(path, LORAT_STATUS_IO, "No such file");
    EXPECT_FAIL(tmpdir, LORAT_STATUS_IO, "not a regular file");

    safetensors *st = (safetensors *)1;
    CHECK(safetensors_open(NULL, &st, NULL) == LORAT_STATUS_BAD_INPUT && st == NULL, "NULL path");
    CHECK(safetensors_open(path, NULL, NULL) == LORAT_STATUS_BAD_INPUT, "NULL out");
}

/* A data file whose first byte is marker, as one tensor "x". */
static lorat_status write_marker(const char *path, uint8_t marker, int n, lorat_error *err) {
    uint8_t data[64];
    memset(data, marker, sizeof data);
    tensor_info t = {
        .name = "x", .dtype = DTYPE_U8, .ndim = 1, .shape = {n}, .data = data, .nbytes = (size_t)n};
    return safetensors_write(path, &t, 1, NULL, 0, err);
}

static int marker_of(const char *path, int *n) {
    safetensors *st = NULL;
    if (safetensors_open(path, &st, NULL) != LORAT_STATUS_OK) return -1;
    const tensor_info *x = safetensors_find(st, "x");
    int m = x && x->nbytes ? ((const uint8_t *)x->data)[0] : -1;
    if (n) *n = x ? (int)x->nbytes : -1;
    safetensors_close(st);
    return m;
}

static void test_write_failures(void) {
    char path[256], tmp[320];
    lorat_error err = {0};

    /* Into a directory that does not exist: IO, naming the path, nothing created. */
    tmp_path(path, sizeof path, "no/such/dir/m.safetensors");
    lorat_status s = write_marker(path, 1, 4, &err);
    CHECK(s == LORAT_STATUS_IO, "status %s", lorat_status_name(s));
    CHECK(strstr(err.message, path) && strstr(err.message, "No such file"), "message: %s",
          err.message);

    /* Replacing an existing file: old content until the rename, new after, no temporary left.
     * A reader holding the old file keeps seeing the old bytes (rename, not overwrite). */
    tmp_path(path, sizeof path, "replace.safetensors");
    CHECK(write_marker(path, 0xaa, 8, &err) == LORAT_STATUS_OK, "%s", err.message);
    int n = 0;
    CHECK(marker_of(path, &n) == 0xaa && n == 8, "old content");
    safetensors *old = NULL;
    CHECK(safetensors_open(path, &old, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(write_marker(path, 0xbb, 16, &err) == LORAT_STATUS_OK, "%s", err.message);
    CHECK(marker_of(path, &n) == 0xbb && n == 16, "new content");
    const tensor_info *ox = old ? safetensors_find(old, "x") : NULL;
    CHECK(ox && ox->nbytes == 8 && ((const uint8_t *)ox->data)[7] == 0xaa,
          "an open reader still sees the old file");
    safetensors_close(old);
    CHECK(count_files(".tmp.") == 0, "temporary file left after replace");

    /* A write that fails must leave the previous file intact: block the temporary's name with a
     * directory so that it cannot be created. */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK(mkdir(tmp, 0700) == 0, "mkdir %s", tmp);
    s = write_marker(path, 0xcc, 4, &err);
    CHECK(s == LORAT_STATUS_IO && strstr(err.message, path), "blocked temp: %s %s",
          lorat_status_name(s), err.message);
    CHECK(marker_of(path, &n) == 0xbb && n == 16, "old file untouched after a failed write");
    rmdir(tmp);

    /* A rename that fails (the target is a non-empty directory): temporary removed. */
    tmp_path(path, sizeof path, "adir");
    CHECK(mkdir(path, 0700) == 0, "mkdir");
    char inner[320];
    snprintf(inner, sizeof inner, "%s/keep", path);
    write_bytes(inner, "k", 1);
    s = write_marker(path, 0xdd, 4, &err);
    CHECK(s == LORAT_STATUS_IO && strstr(err.message, "rename"), "rename onto dir: %s",
          err.message);
    CHECK(count_files(".tmp.") == 0, "temporary file left after failed rename");
    unlink(inner);
    rmdir(path);

    /* Bad arguments: BAD_INPUT naming the tensor; nothing written. */
    uint8_t d[8] = {0};
    tensor_info two[2] = {
        {.name = "same", .dtype = DTYPE_U8, .ndim = 1, .shape = {4}, .data = d, .nbytes = 4},
        {.name = "same", .dtype = DTYPE_U8, .ndim = 1, .shape = {4}, .data = d, .nbytes = 4},
    };
    tmp_path(path, sizeof path, "args.safetensors");
    s = safetensors_write(path, two, 2, NULL, 0, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT && strstr(err.message, "same"), "duplicate: %s", err.message);
    tensor_info wrong = {.name = "blocks.1.mlp.fc1.weight",
                         .dtype = DTYPE_F32,
                         .ndim = 2,
                         .shape = {1, 2},
                         .data = d,
                         .nbytes = 4};
    s = safetensors_write(path, &wrong, 1, NULL, 0, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT && strstr(err.message, "blocks.1.mlp.fc1.weight") &&
              strstr(err.message, "needs 8"),
          "nbytes mismatch: %s", err.message);
    tensor_info huge = {.name = "huge",
                        .dtype = DTYPE_F32,
                        .ndim = 3,
                        .shape = {1LL << 40, 1LL << 40, 1LL << 40},
                        .data = d,
                        .nbytes = 4};
    s = safetensors_write(path, &huge, 1, NULL, 0, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT && strstr(err.message, "huge"), "overflow: %s", err.message);
    tensor_info neg = {.name = "neg", .dtype = DTYPE_U8, .ndim = 1, .shape = {-4}, .data = d};
    s = safetensors_write(path, &neg, 1, NULL, 0, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT && strstr(err.message, "neg"), "negative: %s", err.message);
    tensor_info reserved = {
        .name = "__metadata__", .dtype = DTYPE_U8, .ndim = 1, .shape = {1}, .data = d, .nbytes = 1};
    s = safetensors_write(path, &reserved, 1, NULL, 0, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT, "reserved name: %s", err.message);
    const char *dupmeta[] = {"k", "1", "k", "2"};
    s = safetensors_write(path, two, 1, dupmeta, 2, &err);
    CHECK(s == LORAT_STATUS_BAD_INPUT && strstr(err.message, "k"), "duplicate meta key: %s",
          err.message);
    CHECK(access(path, F_OK) != 0, "nothing written on bad input");
    CHECK(count_files(".tmp.") == 0, "no temporary after bad input");
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lorat-st-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_round_trip();
    test_foreign_files();
    test_bad_files();
    test_write_failures();
    remove_tmpdir();
    CHECK(access(tmpdir, F_OK) != 0, "temporary directory %s not removed", tmpdir);
    return test_finish();
}
