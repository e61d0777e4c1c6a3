/*
 * test_pth.c — the .pth reader against files torch.save wrote and against hostile or broken
 * files. tests/reference/make_pth_cases.py writes the cases into a temporary directory, with
 * expected.json holding what torch.load sees in each (names, dtypes, shapes, values) and what
 * each bad file's error must say. Values must match exactly (floats after conversion to f32).
 */
#include <cjson/cJSON.h>
#include <ftw.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io/pth.h"
#include "test.h"

#define SCRIPT LORAT_TEST_DATA "/../reference/make_pth_cases.py"
#define TINY_DINOV2 LORAT_TEST_DATA "/official/model/tiny-mlp/dinov2.pth"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static void join(char *buf, size_t size, const char *dir, const char *file) {
    if (file[0] == '/')
        snprintf(buf, size, "%s", file);
    else
        snprintf(buf, size, "%s/%s", dir, file);
}

/* Element i of a tensor: as f32 for float types, as int64 for the others. */
static float elem_f32(const tensor_info *t, int64_t i) {
    float f;
    dtype_to_f32(&f, (const uint8_t *)t->data + (size_t)i * dtype_size(t->dtype), t->dtype, 1);
    return f;
}

static int64_t elem_i64(const tensor_info *t, int64_t i) {
    const uint8_t *p = (const uint8_t *)t->data + (size_t)i * dtype_size(t->dtype);
    int64_t v64;
    int32_t v32;
    int16_t v16;
    switch (t->dtype) {
    case DTYPE_I64:
        memcpy(&v64, p, 8);
        return v64;
    case DTYPE_I32:
        memcpy(&v32, p, 4);
        return v32;
    case DTYPE_I16:
        memcpy(&v16, p, 2);
        return v16;
    case DTYPE_I8:
        return (int8_t)p[0];
    default:
        return p[0]; /* U8, BOOL */
    }
}

static void check_values(const char *file, const tensor_info *t, const cJSON *values,
                         int64_t step) {
    int n = cJSON_GetArraySize(values), bad = 0;
    int64_t first_bad = -1;
    double want_bad = 0, got_bad = 0;
    for (int k = 0; k < n; k++) {
        int64_t i = (int64_t)k * step;
        double want = cJSON_GetArrayItem(values, k)->valuedouble, got;
        int ok;
        if (dtype_is_float(t->dtype)) {
            got = elem_f32(t, i);
            ok = (float)got == (float)want;
        } else {
            got = (double)elem_i64(t, i);
            ok = elem_i64(t, i) == (int64_t)want;
        }
        if (!ok && bad++ == 0) first_bad = i, want_bad = want, got_bad = got;
    }
    CHECK(bad == 0, "%s: tensor %s: %d of %d values differ, first at element %lld: %.9g, want %.9g",
          file, t->name, bad, n, (long long)first_bad, got_bad, want_bad);
}

static void check_case(const char *dir, const cJSON *c) {
    const char *file = cJSON_GetObjectItem(c, "file")->valuestring;
    char path[4096];
    join(path, sizeof path, dir, file);
    pth_file *f = NULL;
    lorat_error err = {0};
    lorat_status st = pth_open(path, &f, &err);
    CHECK(st == LORAT_STATUS_OK, "%s: %s", file, err.message);
    if (st != LORAT_STATUS_OK) return;
    const cJSON *want = cJSON_GetObjectItem(c, "tensors");
    int count = 0;
    const tensor_info *ts = pth_tensors(f, &count);
    CHECK(count == cJSON_GetArraySize(want), "%s: %d tensors, want %d", file, count,
          cJSON_GetArraySize(want));
    for (int i = 0; i < count && i < cJSON_GetArraySize(want); i++) {
        const cJSON *w = cJSON_GetArrayItem(want, i);
        const char *name = cJSON_GetObjectItem(w, "name")->valuestring;
        const tensor_info *t = &ts[i];
        CHECK(strcmp(t->name, name) == 0, "%s: tensor %d is %s, want %s (file order)", file, i,
              t->name, name);
        CHECK(pth_find(f, name) == t, "%s: pth_find(%s) does not find tensor %d", file, name, i);
        const char *dt = cJSON_GetObjectItem(w, "dtype")->valuestring;
        CHECK(strcmp(dtype_name(t->dtype), dt) == 0, "%s: %s has dtype %s, want %s", file, name,
              dtype_name(t->dtype), dt);
        const cJSON *shape = cJSON_GetObjectItem(w, "shape");
        int same = t->ndim == cJSON_GetArraySize(shape);
        for (int d = 0; same && d < t->ndim; d++)
            same = t->shape[d] == (int64_t)cJSON_GetArrayItem(shape, d)->valuedouble;
        char got[128];
        CHECK(same, "%s: %s has shape %s, want %d dims", file, name,
              shape_str(got, sizeof got, t->ndim, t->shape), cJSON_GetArraySize(shape));
        if (!same) continue;
        CHECK(t->nbytes == (size_t)tensor_numel(t) * dtype_size(t->dtype),
              "%s: %s has %zu bytes, want numel × element size", file, name, t->nbytes);
        CHECK(t->nbytes == 0 || (uintptr_t)t->data % dtype_size(t->dtype) == 0,
              "%s: %s's data is not aligned for its type", file, name);
        const cJSON *values = cJSON_GetObjectItem(w, "values");
        if (values) {
            CHECK(cJSON_GetArraySize(values) == tensor_numel(t), "%s: %s: %d values, numel %lld",
                  file, name, cJSON_GetArraySize(values), (long long)tensor_numel(t));
            check_values(file, t, values, 1);
        } else {
            int64_t step = (int64_t)cJSON_GetObjectItem(w, "step")->valuedouble;
            check_values(file, t, cJSON_GetObjectItem(w, "samples"), step);
        }
    }
    CHECK(pth_find(f, "no.such.tensor") == NULL, "%s: pth_find invents a tensor", file);
    pth_close(f);
}

static void check_error(const char *dir, const cJSON *c) {
    const char *file = cJSON_GetObjectItem(c, "file")->valuestring;
    const char *status = cJSON_GetObjectItem(c, "status")->valuestring;
    char path[4096];
    join(path, sizeof path, dir, file);
    pth_file *f = (pth_file *)&f; /* must be reset to NULL */
    lorat_error err = {0};
    lorat_status st = pth_open(path, &f, &err);
    CHECK(st != LORAT_STATUS_OK && f == NULL, "%s: opened, but should fail", file);
    if (st == LORAT_STATUS_OK) {
        pth_close(f);
        return;
    }
    CHECK(strcmp(lorat_status_name(st), status) == 0, "%s: status %s, want %s (%s)", file,
          lorat_status_name(st), status, err.message);
    if (getenv("LORAT_TEST_VERBOSE")) printf("%s: %s\n", file, err.message);
    CHECK(err.status == st, "%s: err.status differs from the returned status", file);
    CHECK(strstr(err.message, file) != NULL, "%s: the message does not name the file: %s", file,
          err.message);
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "contains")) {
        CHECK(strstr(err.message, s->valuestring) != NULL, "%s: message lacks \"%s\": %s", file,
              s->valuestring, err.message);
    }
    /* The same failure without an error struct must not crash. */
    CHECK(pth_open(path, &f, NULL) == st, "%s: another status without an error struct", file);
}

/* A mutated file may open or not, but must never crash or hand out bad tensors. */
static void check_fuzz(const char *dir, const cJSON *fuzz, int *opened) {
    const cJSON *c;
    cJSON_ArrayForEach(c, fuzz) {
        char path[4096];
        join(path, sizeof path, dir, c->valuestring);
        pth_file *f = NULL;
        lorat_error err = {0};
        lorat_status st = pth_open(path, &f, &err);
        if (st != LORAT_STATUS_OK) {
            CHECK(f == NULL && err.message[0] && strstr(err.message, path),
                  "%s: failure without a message naming the file", c->valuestring);
            continue;
        }
        (*opened)++;
        int count = 0, good = 1;
        const tensor_info *ts = pth_tensors(f, &count);
        volatile unsigned sum = 0;
        for (int i = 0; i < count; i++) {
            good &= ts[i].nbytes == (size_t)tensor_numel(&ts[i]) * dtype_size(ts[i].dtype);
            good &= pth_find(f, ts[i].name) != NULL;
            for (size_t b = 0; b < ts[i].nbytes; b++)
                sum += ((const uint8_t *)ts[i].data)[b];
        }
        CHECK(good, "%s: opened with inconsistent tensors", c->valuestring);
        pth_close(f);
    }
}

/* The tiny DINOv2 of the official fixtures: the names and shapes the model loader relies on. */
static void check_tiny_dinov2(void) {
    pth_file *f = NULL;
    lorat_error err = {0};
    lorat_status st = pth_open(TINY_DINOV2, &f, &err);
    CHECK(st == LORAT_STATUS_OK, "%s", err.message);
    if (st) return;
    static const struct {
        const char *name;
        int ndim;
        int64_t shape[4];
    } want[] = {
        {"cls_token", 3, {1, 1, 64}},
        {"pos_embed", 3, {1, 1370, 64}},
        {"mask_token", 2, {1, 64}},
        {"patch_embed.proj.weight", 4, {64, 3, 14, 14}},
        {"patch_embed.proj.bias", 1, {64}},
        {"blocks.0.attn.qkv.weight", 2, {192, 64}},
        {"blocks.0.attn.qkv.bias", 1, {192}},
        {"blocks.0.mlp.fc1.weight", 2, {256, 64}},
        {"blocks.1.mlp.fc2.weight", 2, {64, 256}},
        {"blocks.1.ls2.gamma", 1, {64}},
        {"norm.weight", 1, {64}},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const tensor_info *t = pth_find(f, want[i].name);
        CHECK(t != NULL, "tiny dinov2 lacks %s", want[i].name);
        if (!t) continue;
        char got[128], exp[128];
        CHECK(t->dtype == DTYPE_F32, "%s is %s", t->name, dtype_name(t->dtype));
        CHECK(t->ndim == want[i].ndim &&
                  memcmp(t->shape, want[i].shape, sizeof(int64_t) * (size_t)t->ndim) == 0,
              "%s has shape %s, want %s", t->name, shape_str(got, sizeof got, t->ndim, t->shape),
              shape_str(exp, sizeof exp, want[i].ndim, want[i].shape));
        int finite = 1;
        for (int64_t k = 0; k < tensor_numel(t); k++)
            finite &= isfinite(elem_f32(t, k));
        CHECK(finite, "%s has non-finite values", t->name);
    }
    int count = 0;
    pth_tensors(f, &count);
    CHECK(count == 35, "tiny dinov2 has %d tensors, want 35", count);
    pth_close(f);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int main(void) {
    /* Things that need no generated files. */
    pth_file *f = (pth_file *)&f;
    lorat_error err = {0};
    lorat_status st = pth_open("/nonexistent/dir/x.pth", &f, &err);
    CHECK(st == LORAT_STATUS_IO && f == NULL, "missing file: status %s", lorat_status_name(st));
    CHECK(strstr(err.message, "/nonexistent/dir/x.pth") != NULL, "message: %s", err.message);
    CHECK(pth_open("/tmp", &f, &err) != LORAT_STATUS_OK, "a directory opens");
    pth_close(NULL);
    check_tiny_dinov2();

    char dir[] = "/tmp/lorat_test_pth_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return test_finish();
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", SCRIPT, dir, TINY_DINOV2);
    int rc = system(cmd);
    CHECK(rc == 0, "%s failed (status %d): does /usr/bin/python3 have torch?", cmd, rc);
    char path[4096];
    join(path, sizeof path, dir, "expected.json");
    char *text = rc == 0 ? read_file(path) : NULL;
    cJSON *exp = text ? cJSON_Parse(text) : NULL;
    CHECK(exp != NULL, "cannot read %s", path);
    if (exp) {
        const cJSON *c;
        int ncases = 0, nerrors = 0, opened = 0;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(exp, "cases")) check_case(dir, c), ncases++;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(exp, "errors")) check_error(dir, c), nerrors++;
        const cJSON *fuzz = cJSON_GetObjectItem(exp, "fuzz");
        check_fuzz(dir, fuzz, &opened);
        const char *canary = cJSON_GetObjectItem(exp, "canary")->valuestring;
        CHECK(access(canary, F_OK) != 0, "%s exists: a pickle ran code", canary);
        printf("%d good files, %d bad files, %d mutated files (%d of them opened)\n", ncases,
               nerrors, cJSON_GetArraySize(fuzz), opened);
        cJSON_Delete(exp);
    }
    free(text);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    CHECK(access(dir, F_OK) != 0, "could not remove %s", dir);
    return test_finish();
}
