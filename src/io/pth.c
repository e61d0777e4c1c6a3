/*
 * pth.c — PyTorch checkpoints as torch.save writes them (its zip format); see pth.h.
 *
 * The zip (io/zip.c) gives data.pkl and the storage members; the restricted unpickler
 * (io/pickle.c) runs data.pkl and asks this file's hooks about every global, call and persistent
 * id. The hooks know what torch.save writes and nothing else:
 *   - globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter
 *     (_with_state), and torch.<Type>Storage for the element types lorat has; every other name
 *     stops the load with a message naming it;
 *   - persistent ids ('storage', torch.<Type>Storage, key, location, numel): the bytes of member
 *     <prefix>/data/<key>;
 *   - calls: OrderedDict() gives an empty dict, _rebuild_tensor_v2 a tensor (a storage, an
 *     offset, sizes and strides), _rebuild_parameter its tensor.
 * "Calling" a global only ever builds one of these values: nothing in the file is executed.
 *
 * The tensors are then the top-level dict's str → tensor entries (or those of its "state_dict"
 * or "model" entry when the top level holds no tensor, as training checkpoints are wrapped).
 * Each is checked against its storage only then, so that the message can name it.
 */
#include "io/pth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/pickle.h"
#include "io/zip.h"

enum {
    STORAGE_KEY_MAX = 256,
    PREFIX_MAX = 200, /* the directory that holds data.pkl */
    NAME_SHOWN = 256, /* a name from the file, as printed in a message */
};
/* Copies of non-contiguous tensors may total the file's size plus this. */
#define COPY_SLACK ((uint64_t)256 << 20)

struct pth_file {
    void *map;
    size_t map_size;
    tensor_info *tensors;
    int count, capacity;
    uint64_t copied;            /* bytes in copies */
    const tensor_info **sorted; /* by name, for pth_find */
    char *names;
    void **copies; /* per tensor: the owned contiguous copy, or NULL */
};

#define TRY(x)                                                                                     \
    do {                                                                                           \
        lorat_status s_ = (x);                                                                     \
        if (s_ != LORAT_STATUS_OK) return s_;                                                      \
    } while (0)

/* ---- the objects the hooks make ------------------------------------------------------------- */

typedef enum obj_type { OBJ_GLOBAL = 1, OBJ_STORAGE, OBJ_TENSOR } obj_type;

typedef enum gkind { G_ORDERED_DICT, G_REBUILD_TENSOR, G_REBUILD_PARAMETER, G_STORAGE } gkind;

typedef struct global_ref {
    gkind kind;
    dtype dt; /* G_STORAGE */
} global_ref;

typedef struct storage_ref {
    const uint8_t *data;
    uint64_t nbytes; /* numel × element size, checked to lie inside the member */
    dtype dt;
    const ziparc_member *member;
} storage_ref;

typedef struct tensor_val {
    const storage_ref *storage;
    int64_t offset; /* in elements */
    int ndim;
    int64_t size[TENSOR_MAX_DIMS], stride[TENSOR_MAX_DIMS];
} tensor_val;

typedef struct torch_ctx {
    const char *path;
    const ziparc_archive *zip;
    const char *prefix; /* the members' common directory, e.g. "archive/" */
    size_t prefix_len;
    lorat_error *err;
} torch_ctx;

static void *as(const pickle_value *v, obj_type type) {
    return v->kind == PICKLE_OBJECT && v->obj.type == (int)type ? v->obj.ptr : NULL;
}

static const char *kind_name(const pickle_value *v) {
    if (v->kind != PICKLE_OBJECT) return pickle_kind_name(v->kind);
    switch (v->obj.type) {
    case OBJ_GLOBAL:
        return "global";
    case OBJ_STORAGE:
        return "storage";
    case OBJ_TENSOR:
        return "tensor";
    }
    return "object";
}

static lorat_status make_object(pickle *pk, obj_type type, void *ptr, pickle_value **out) {
    pickle_value *v = ptr ? pickle_new(pk, PICKLE_OBJECT) : NULL;
    if (!v) return pickle_status(pk); /* pickle_alloc has filled the message */
    v->obj.type = (int)type;
    v->obj.ptr = ptr;
    *out = v;
    return LORAT_STATUS_OK;
}

/* ---- globals: the only names a pickle may use ------------------------------------------------ */

static const struct {
    const char *module, *name;
    gkind kind;
    dtype dt;
} allowed_globals[] = {
    {"collections", "OrderedDict", G_ORDERED_DICT, DTYPE_F32},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR, DTYPE_F32},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER, DTYPE_F32},
    {"torch._utils", "_rebuild_parameter_with_state", G_REBUILD_PARAMETER, DTYPE_F32},
    {"torch", "FloatStorage", G_STORAGE, DTYPE_F32},
    {"torch", "HalfStorage", G_STORAGE, DTYPE_F16},
    {"torch", "BFloat16Storage", G_STORAGE, DTYPE_BF16},
    {"torch", "DoubleStorage", G_STORAGE, DTYPE_F64},
    {"torch", "LongStorage", G_STORAGE, DTYPE_I64},
    {"torch", "IntStorage", G_STORAGE, DTYPE_I32},
    {"torch", "ShortStorage", G_STORAGE, DTYPE_I16},
    {"torch", "CharStorage", G_STORAGE, DTYPE_I8},
    {"torch", "ByteStorage", G_STORAGE, DTYPE_U8},
    {"torch", "BoolStorage", G_STORAGE, DTYPE_BOOL},
};

static int str_is(const char *s, size_t n, const char *lit) {
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static lorat_status hook_global(pickle *pk, void *ctx, const char *mod, size_t mod_len,
                                const char *name, size_t name_len, pickle_value **out) {
    (void)ctx;
    for (size_t i = 0; i < sizeof allowed_globals / sizeof *allowed_globals; i++) {
        if (str_is(mod, mod_len, allowed_globals[i].module) &&
            str_is(name, name_len, allowed_globals[i].name)) {
            global_ref *g = pickle_alloc(pk, sizeof *g);
            if (g) g->kind = allowed_globals[i].kind, g->dt = allowed_globals[i].dt;
            return make_object(pk, OBJ_GLOBAL, g, out);
        }
    }
    char m[NAME_SHOWN], g[NAME_SHOWN];
    ziparc_printable(m, sizeof m, mod, mod_len);
    ziparc_printable(g, sizeof g, name, name_len);
    if (str_is(mod, mod_len, "torch") && name_len > 7 &&
        memcmp(name + name_len - 7, "Storage", 7) == 0)
        return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                           "the file holds a torch.%s, an element type lorat does not read (it "
                           "reads float, half, bfloat16, double, long, int, short, char, byte "
                           "and bool tensors): convert those tensors before saving",
                           g);
    return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                       "pickle names the global %s.%s, which lorat does not allow (a .pth can "
                       "run code; lorat only rebuilds tensors): if the file should hold only "
                       "weights, re-save them with torch.save(model.state_dict()) where you "
                       "trust the file",
                       m, g);
}

/* ---- calling the allowed globals ------------------------------------------------------------ */

static int is_int(const pickle_value *v) {
    return v->kind == PICKLE_INT || v->kind == PICKLE_BOOL;
}

/* A tuple of non-negative ints: a size or a stride. */
static lorat_status read_dims(pickle *pk, const pickle_value *t, const char *what, int64_t *out,
                              int *n) {
    if (t->kind != PICKLE_TUPLE)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "_rebuild_tensor_v2's %s is a %s, not a tuple: the pickle is corrupt",
                           what, kind_name(t));
    if (t->seq.n > TENSOR_MAX_DIMS)
        return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                           "a tensor has %zu dimensions; lorat handles at most %d", t->seq.n,
                           TENSOR_MAX_DIMS);
    for (size_t i = 0; i < t->seq.n; i++) {
        const pickle_value *d = t->seq.items[i];
        if (!is_int(d) || d->i < 0)
            return pickle_fail(pk, LORAT_STATUS_FORMAT,
                               "_rebuild_tensor_v2's %s has a negative or non-integer entry at "
                               "index %zu: the pickle is corrupt",
                               what, i);
        out[i] = d->i;
    }
    *n = (int)t->seq.n;
    return LORAT_STATUS_OK;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
 * [, metadata]): sizes and strides are checked here, the extent once the tensor has a name. */
static lorat_status rebuild_tensor(pickle *pk, const pickle_value *args, pickle_value **out) {
    if (args->seq.n < 6 || args->seq.n > 7)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "_rebuild_tensor_v2 gets %zu arguments instead of 6 or 7: the pickle "
                           "is corrupt",
                           args->seq.n);
    pickle_value *const *a = args->seq.items;
    const storage_ref *st = as(a[0], OBJ_STORAGE);
    if (!st)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "_rebuild_tensor_v2's first argument is a %s, not a storage: the "
                           "pickle is corrupt",
                           kind_name(a[0]));
    if (!is_int(a[1]) || a[1]->i < 0)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "_rebuild_tensor_v2's storage offset is negative or not an integer: "
                           "the pickle is corrupt");
    tensor_val *t = pickle_alloc(pk, sizeof *t);
    if (!t) return pickle_status(pk);
    memset(t, 0, sizeof *t);
    t->storage = st;
    t->offset = a[1]->i;
    int nstride = 0;
    TRY(read_dims(pk, a[2], "size", t->size, &t->ndim));
    TRY(read_dims(pk, a[3], "stride", t->stride, &nstride));
    if (nstride != t->ndim)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "a tensor has %d sizes but %d strides: the pickle is corrupt", t->ndim,
                           nstride);
    return make_object(pk, OBJ_TENSOR, t, out);
}

/* REDUCE and NEWOBJ: fn(*args), where fn can only be an allowed global. */
static lorat_status hook_call(pickle *pk, void *ctx, const pickle_value *fn,
                              const pickle_value *args, pickle_value **out) {
    (void)ctx;
    const global_ref *g = as(fn, OBJ_GLOBAL);
    if (!g)
        return pickle_fail(pk, LORAT_STATUS_FORMAT, "the pickle calls a %s, which is not callable",
                           kind_name(fn));
    switch (g->kind) {
    case G_ORDERED_DICT:
        /* OrderedDict's reduction passes no arguments; its items follow through SETITEMS. */
        if (args->seq.n != 0)
            return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                               "OrderedDict is called with %zu arguments; torch.save passes none",
                               args->seq.n);
        *out = pickle_new(pk, PICKLE_DICT);
        return *out ? LORAT_STATUS_OK : pickle_status(pk);
    case G_REBUILD_TENSOR:
        return rebuild_tensor(pk, args, out);
    case G_REBUILD_PARAMETER:
        /* _rebuild_parameter(data, requires_grad, backward_hooks[, state]): a Parameter is its
         * data as far as lorat is concerned. */
        if (args->seq.n < 3 || !as(args->seq.items[0], OBJ_TENSOR))
            return pickle_fail(pk, LORAT_STATUS_FORMAT,
                               "_rebuild_parameter is not given a tensor: the pickle is corrupt");
        *out = args->seq.items[0];
        return LORAT_STATUS_OK;
    case G_STORAGE:
        break;
    }
    return pickle_fail(pk, LORAT_STATUS_FORMAT,
                       "the pickle calls a storage type, which torch.save never does: the file "
                       "is corrupt or hostile");
}

/* BINPERSID with ('storage', storage_type, key, location, numel): the bytes of member
 * <prefix>/data/<key>. location (cpu, cuda:0) does not matter: the bytes are in the file. */
static lorat_status hook_persistent_load(pickle *pk, void *ctx, const pickle_value *pid,
                                         pickle_value **out) {
    const torch_ctx *c = ctx;
    pickle_value *const *a = pid->kind == PICKLE_TUPLE ? pid->seq.items : NULL;
    const global_ref *type = a && pid->seq.n == 5 ? as(a[1], OBJ_GLOBAL) : NULL;
    if (!type || type->kind != G_STORAGE || !pickle_str_is(a[0], "storage") ||
        a[2]->kind != PICKLE_STR || !is_int(a[4]) || a[4]->i < 0)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "a persistent id is not ('storage', torch.<Type>Storage, key, "
                           "location, numel) as torch.save writes it: the pickle is corrupt");
    const pickle_value *key = a[2];
    if (key->s.n > STORAGE_KEY_MAX)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "a storage key is %zu bytes long (torch.save writes a few digits; the limit is "
                           "%d): the pickle is corrupt", key->s.n, (int)STORAGE_KEY_MAX);
    char name[PREFIX_MAX + 5 + STORAGE_KEY_MAX];
    memcpy(name, c->prefix, c->prefix_len);
    memcpy(name + c->prefix_len, "data/", 5);
    memcpy(name + c->prefix_len + 5, key->s.p, key->s.n);
    size_t len = c->prefix_len + 5 + key->s.n;
    char shown[NAME_SHOWN];
    ziparc_printable(shown, sizeof shown, name, len);
    const ziparc_member *m = ziparc_find(c->zip, name, len);
    if (!m)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "the pickle refers to storage member %s, which the archive lacks: the "
                           "file is incomplete or corrupt",
                           shown);
    const uint8_t *data;
    TRY(ziparc_member_data(c->zip, m, &data, c->path, c->err));
    dtype dt = type->dt;
    uint64_t numel = (uint64_t)a[4]->i, elem = dtype_size(dt);
    if (numel > m->size / elem)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "storage member %s holds %llu bytes, but the pickle says it holds "
                           "%llu elements of %s (%llu bytes each): the file is truncated or "
                           "corrupt",
                           shown, (unsigned long long)m->size, (unsigned long long)numel,
                           dtype_name(dt), (unsigned long long)elem);
    storage_ref *s = pickle_alloc(pk, sizeof *s);
    if (s) {
        s->data = data;
        s->nbytes = numel * elem;
        s->dt = dt;
        s->member = m;
    }
    return make_object(pk, OBJ_STORAGE, s, out);
}

/* ---- from the top-level dict to tensors ----------------------------------------------------- */

static const pickle_value *dict_get(const pickle_value *d, const char *key) {
    for (size_t i = 0; i + 1 < d->seq.n; i += 2) {
        const pickle_value *k = d->seq.items[i];
        if (k->kind == PICKLE_STR && str_is(k->s.p, k->s.n, key)) return d->seq.items[i + 1];
    }
    return NULL;
}

static size_t count_tensors(const pickle_value *d) {
    size_t n = 0;
    for (size_t i = 0; i + 1 < d->seq.n; i += 2)
        n += d->seq.items[i]->kind == PICKLE_STR && as(d->seq.items[i + 1], OBJ_TENSOR);
    return n;
}

/* Copies a strided tensor into dst, contiguous. Extents were checked by the caller. */
static void gather(uint8_t *dst, const uint8_t *src, const tensor_val *t, size_t elem) {
    int nd = t->ndim;
    int64_t idx[TENSOR_MAX_DIMS] = {0};
    int64_t inner = nd ? t->size[nd - 1] : 1, inner_stride = nd ? t->stride[nd - 1] : 1;
    int64_t rows = 1;
    for (int d = 0; d + 1 < nd; d++)
        rows *= t->size[d];
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int d = 0; d + 1 < nd; d++)
            off += idx[d] * t->stride[d];
        const uint8_t *s = src + (size_t)off * elem;
        if (inner_stride == 1) {
            memcpy(dst, s, (size_t)inner * elem);
        } else {
            for (int64_t i = 0; i < inner; i++)
                memcpy(dst + (size_t)i * elem, s + (size_t)(i * inner_stride) * elem, elem);
        }
        dst += (size_t)inner * elem;
        for (int d = nd - 2; d >= 0; d--) { /* next row index, odometer style */
            if (++idx[d] < t->size[d]) break;
            idx[d] = 0;
        }
    }
}

/* Fills out from t after checking that every element it reaches lies inside its storage. */
static lorat_status make_tensor(pth_file *f, int i, const char *name, const tensor_val *t,
                                const char *path, lorat_error *err) {
    tensor_info *out = &f->tensors[i];
    const storage_ref *st = t->storage;
    size_t elem = dtype_size(st->dt);
    char shape[200], stride[200], member[NAME_SHOWN], shown[NAME_SHOWN];
    shape_str(shape, sizeof shape, t->ndim, t->size);
    shape_str(stride, sizeof stride, t->ndim, t->stride);
    ziparc_printable(member, sizeof member, st->member->name, st->member->name_len);
    ziparc_printable(shown, sizeof shown, name, strlen(name));

    /* numel and the last element index reached, without overflow: every partial result stays
     * below INT64_MAX / 16, so that times the element size (at most 8) it still fits. */
    const uint64_t limit = (uint64_t)INT64_MAX / 16;
    uint64_t numel = 1, last = (uint64_t)t->offset;
    int overflow = last > limit;
    for (int d = 0; d < t->ndim && !overflow; d++) {
        uint64_t s = (uint64_t)t->size[d], k = (uint64_t)t->stride[d];
        if (s == 0) {
            numel = 0;
            continue;
        }
        if (numel > limit / s || (k && (s - 1) > (limit - last) / k))
            overflow = 1;
        else
            numel *= s, last += (s - 1) * k;
    }
    if (!overflow && numel > 0 && (last + 1) > st->nbytes / elem) overflow = 1;
    if (overflow)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s (shape %s, stride %s, storage offset %lld) reaches past the "
                       "end of its storage %s (%llu elements of %s): the file is truncated or "
                       "corrupt",
                       path, shown, shape, stride, (long long)t->offset, member,
                       (unsigned long long)(st->nbytes / elem), dtype_name(st->dt));

    out->name = name;
    out->dtype = st->dt;
    out->ndim = t->ndim;
    memcpy(out->shape, t->size, sizeof t->size);
    out->nbytes = (size_t)numel * elem;
    if (numel == 0) {
        out->data = st->data;
        return LORAT_STATUS_OK;
    }
    const uint8_t *src = st->data + (size_t)t->offset * elem;
    int contiguous = 1;
    int64_t expect = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->size[d] != 1 && t->stride[d] != expect) contiguous = 0;
        expect *= t->size[d];
    }
    /* Data in place when it is already contiguous and aligned for its type (torch aligns storages
     * to 64 bytes; other zip writers may not, and a misaligned float is undefined behaviour). */
    if (contiguous && (uintptr_t)src % elem == 0) {
        out->data = src;
        return LORAT_STATUS_OK;
    }
    /* A view with zero strides (expand) can describe far more bytes than the file holds: cap
     * the copies so that a small hostile file cannot make lorat allocate without bound. */
    uint64_t cap = (uint64_t)f->map_size + COPY_SLACK;
    if (out->nbytes > cap - f->copied)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: tensor %s (shape %s, stride %s) is a non-contiguous view of %zu "
                       "bytes; copying it would take lorat's copies past %llu MiB, more than a "
                       "state dict of this file's size can need: save the tensor contiguous "
                       "(.contiguous()) or check where the file came from",
                       path, shown, shape, stride, out->nbytes, (unsigned long long)(cap >> 20));
    void *copy = malloc(out->nbytes);
    if (!copy)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: no memory to copy tensor %s (%zu bytes)",
                       path, shown, out->nbytes);
    f->copied += out->nbytes;
    f->copies[i] = copy;
    if (contiguous)
        memcpy(copy, src, out->nbytes);
    else
        gather(copy, src, t, elem);
    out->data = copy;
    return LORAT_STATUS_OK;
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const tensor_info *const *)a)->name, (*(const tensor_info *const *)b)->name);
}

static lorat_status collect_tensors(pth_file *f, const pickle_value *root, const char *path,
                                    lorat_error *err) {
    if (root->kind != PICKLE_DICT)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: the pickle holds a %s, not a dict of tensors: save a state dict "
                       "(torch.save(model.state_dict(), path))",
                       path, kind_name(root));
    /* A training checkpoint wraps the state dict: {"model": {...}, "epoch": 3, ...}. */
    if (count_tensors(root) == 0) {
        static const char *const wrappers[] = {"state_dict", "model"};
        for (int w = 0; w < 2; w++) {
            const pickle_value *inner = dict_get(root, wrappers[w]);
            if (inner && inner->kind == PICKLE_DICT) {
                root = inner;
                break;
            }
        }
    }
    size_t n = count_tensors(root), name_bytes = 0;
    if (n > (size_t)1 << 20)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: holds %zu tensors, more than lorat reads (%d; a DINOv2 backbone has a few "
                       "hundred)", path, n, 1 << 20);
    for (size_t i = 0; i + 1 < root->seq.n; i += 2)
        if (root->seq.items[i]->kind == PICKLE_STR && as(root->seq.items[i + 1], OBJ_TENSOR))
            name_bytes += root->seq.items[i]->s.n + 1;
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    f->sorted = calloc(n ? n : 1, sizeof *f->sorted);
    f->copies = calloc(n ? n : 1, sizeof *f->copies);
    f->names = malloc(name_bytes ? name_bytes : 1);
    if (!f->tensors || !f->sorted || !f->copies || !f->names)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: no memory for %zu tensors", path, n);
    f->capacity = (int)n;

    char *name = f->names;
    for (size_t i = 0; i + 1 < root->seq.n; i += 2) {
        const pickle_value *k = root->seq.items[i], *v = root->seq.items[i + 1];
        const tensor_val *t = as(v, OBJ_TENSOR);
        if (k->kind != PICKLE_STR || !t) continue; /* e.g. a version number */
        if (memchr(k->s.p, 0, k->s.n))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: a tensor name contains a NUL byte: the file is corrupt", path);
        memcpy(name, k->s.p, k->s.n);
        name[k->s.n] = 0;
        TRY(make_tensor(f, f->count, name, t, path, err));
        f->sorted[f->count] = &f->tensors[f->count];
        f->count++;
        name += k->s.n + 1;
    }
    qsort(f->sorted, (size_t)f->count, sizeof *f->sorted, by_name);
    for (int i = 1; i < f->count; i++)
        if (strcmp(f->sorted[i - 1]->name, f->sorted[i]->name) == 0) {
            char shown[300];
            return err_set(
                err, LORAT_STATUS_FORMAT,
                "%s: tensor %s appears twice in the state dict: the file is corrupt "
                "or was tampered with",
                path,
                ziparc_printable(shown, sizeof shown, f->sorted[i]->name, strlen(f->sorted[i]->name)));
        }
    return LORAT_STATUS_OK;
}

/* ---- opening -------------------------------------------------------------------------------- */

/* data.pkl's member: the one ending in "/data.pkl" (or named "data.pkl") nearest the root. */
static const ziparc_member *find_pickle(const ziparc_archive *z) {
    const ziparc_member *best = NULL;
    for (size_t i = 0; i < z->count; i++) {
        const ziparc_member *m = &z->members[i];
        size_t n = m->name_len;
        if (n < 8 || memcmp(m->name + n - 8, "data.pkl", 8) != 0) continue;
        if (n > 8 && m->name[n - 9] != '/') continue;
        if (!best || n < best->name_len) best = m;
    }
    return best;
}

/* Runs data.pkl and collects the tensors; z stays open throughout (the hooks use it). */
static lorat_status read_pickle(pth_file *f, const ziparc_archive *z, const char *path,
                                lorat_error *err) {
    const ziparc_member *pkl = find_pickle(z);
    if (!pkl)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: a zip archive without a data.pkl member, so not a file torch.save "
                       "wrote: is it the right file?",
                       path);
    char shown[NAME_SHOWN];
    ziparc_printable(shown, sizeof shown, pkl->name, pkl->name_len);
    torch_ctx ctx = {
        .path = path, .zip = z, .prefix = pkl->name, .prefix_len = pkl->name_len - 8, .err = err};
    if (ctx.prefix_len > PREFIX_MAX)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: member %s lies in a directory more than %d bytes long: lorat does "
                       "not read such archives",
                       path, shown, PREFIX_MAX);

    /* Storages are raw bytes in the writer's byte order; torch records it in a member when it is
     * not obvious. lorat's targets are little-endian, as torch's files almost always are. */
    char bo_name[PREFIX_MAX + 9];
    memcpy(bo_name, ctx.prefix, ctx.prefix_len);
    memcpy(bo_name + ctx.prefix_len, "byteorder", 9);
    const ziparc_member *bo = ziparc_find(z, bo_name, ctx.prefix_len + 9);
    const uint8_t *bytes;
    if (bo && ziparc_member_data(z, bo, &bytes, path, NULL) == LORAT_STATUS_OK && bo->size >= 3 &&
        memcmp(bytes, "big", 3) == 0)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: the tensors are stored big-endian; lorat reads little-endian files: "
                       "save the file again on a little-endian machine",
                       path);
    const uint16_t one = 1;
    if (*(const uint8_t *)&one != 1)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: lorat reads .pth files only on little-endian machines", path);

    TRY(ziparc_member_data(z, pkl, &bytes, path, err));
    char where[PREFIX_MAX + NAME_SHOWN + 16];
    snprintf(where, sizeof where, "%s: %s", path, shown);
    const pickle_hooks hooks = {.ctx = &ctx,
                                .global = hook_global,
                                .call = hook_call,
                                .persistent_load = hook_persistent_load};
    pickle *pk = NULL;
    pickle_value *root = NULL;
    TRY(pickle_load(bytes, (size_t)pkl->size, &hooks, where, &pk, &root, err));
    lorat_status st = collect_tensors(f, root, path, err);
    pickle_free(pk);
    return st;
}

static lorat_status read_archive(pth_file *f, const char *path, lorat_error *err) {
    const uint8_t *base = f->map;
    if (f->map_size >= 2 && base[0] == 0x80 && base[1] <= 5)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: a bare pickle, torch.save's legacy format (torch < 1.6); lorat reads "
                       "the zip format: load it with torch and save it again with torch >= 1.6",
                       path);
    ziparc_archive z;
    TRY(ziparc_open(&z, base, f->map_size, path, err));
    lorat_status st = read_pickle(f, &z, path, err);
    ziparc_free(&z);
    return st;
}

lorat_status pth_open(const char *path, pth_file **out, lorat_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, LORAT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, LORAT_STATUS_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return err_set(err, S_ISREG(sb.st_mode) ? LORAT_STATUS_FORMAT : LORAT_STATUS_IO,
                       "%s: %s, not a PyTorch checkpoint", path,
                       S_ISREG(sb.st_mode) ? "an empty file" : "not a regular file");
    }
    pth_file *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: no memory", path);
    }
    f->map_size = (size_t)sb.st_size;
    f->map = mmap(NULL, f->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping keeps the file */
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        pth_close(f);
        return err_set(err, LORAT_STATUS_IO, "%s: cannot map %zu bytes: %s", path,
                       (size_t)sb.st_size, strerror(e));
    }
    lorat_status st = read_archive(f, path, err);
    if (st != LORAT_STATUS_OK) {
        pth_close(f);
        return st;
    }
    *out = f;
    return LORAT_STATUS_OK;
}

void pth_close(pth_file *f) {
    if (!f) return;
    if (f->copies)
        for (int i = 0; i < f->capacity; i++)
            free(f->copies[i]);
    free(f->copies);
    free(f->tensors);
    free(f->sorted);
    free(f->names);
    if (f->map) munmap(f->map, f->map_size);
    free(f);
}

const tensor_info *pth_tensors(const pth_file *f, int *count) {
    *count = f->count;
    return f->tensors;
}

const tensor_info *pth_find(const pth_file *f, const char *name) {
    tensor_info key = {.name = name};
    const tensor_info *k = &key;
    const tensor_info **hit = bsearch(&k, f->sorted, (size_t)f->count, sizeof *f->sorted, by_name);
    return hit ? *hit : NULL;
}