/*
 * onnx_graph.c — see onnx_graph.h. The builder keeps plain arrays of what the graph holds; the
 * protobuf structs are made only at write time, from those arrays, in one arena.
 *
 * The writer hands protobuf-c a sink instead of a buffer: small pieces (tags, lengths, names,
 * attributes) are gathered into blocks, and each large initializer's bytes, when protobuf-c
 * passes them on from where they are, become a part of their own, so the file is written from the
 * model's memory and a 350 MB network never needs a second 350 MB in memory. Anything large that
 * is not a known initializer is copied, so the sink relies on nothing in protobuf-c's internals.
 */
#include "export/onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "onnx_subset.pb-c.h"

#define MAX_IO 8
#define MAX_DIMS 8
/* Initializers of at least this many bytes go to the data file in external mode (as ONNX's own
 * tools do), and are written by pointer inline. */
#define LARGE_BYTES 1024
/* Offsets in the data file are multiples of this, so that a runtime can map each tensor. */
#define DATA_ALIGN 4096
/* Protobuf refuses messages of 2 GiB and more; leave room for everything but the weights. */
#define PROTOBUF_LIMIT ((uint64_t)2147483647)
#define PROTOBUF_MARGIN ((uint64_t)64 << 20)

/* ---- arena ---------------------------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_block;

typedef struct arena {
    arena_block *head;
} arena;

static void *arena_alloc(arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        const size_t cap = n > ((size_t)64 << 10) ? n : ((size_t)64 << 10);
        arena_block *b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        if (a->head && n > ((size_t)64 << 10)) { /* a big one goes behind the open block */
            b->next = a->head->next;
            a->head->next = b;
            b->used = n;
            return b->data;
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void arena_free(arena *a) {
    for (arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
}

/* ---- the builder ------------------------------------------------------------------------------
 */

typedef struct og_io {
    const char *name;
    int elem, ndim;
    int64_t dims[MAX_DIMS];
} og_io;

typedef struct og_init {
    const char *name;
    int elem, ndim;
    int64_t dims[MAX_DIMS];
    const void *data;
    size_t nbytes;
} og_init;

typedef struct og_attr {
    const char *name;
    int type; /* ONNX AttributeType: 1 float, 2 int, 7 ints */
    float f;
    int64_t i;
    int n;
    int64_t *ints;
} og_attr;

typedef struct og_node {
    const char *op, *out;
    const char **in;
    int n_in;
    og_attr attrs[4];
    int n_attrs;
} og_node;

struct onnx_graph {
    arena mem;
    const char *name;
    int opset;
    int failed;
    const char *fail_what;
    char scope[160];
    og_io inputs[MAX_IO], outputs[MAX_IO];
    int n_inputs, n_outputs;
    og_init *inits;
    int n_inits, cap_inits;
    og_node *nodes;
    int n_nodes, cap_nodes;
    const char **names; /* every value name so far, for uniqueness */
    int n_names, cap_names;
};

static void fail(onnx_graph *g, const char *what) {
    if (!g->failed) g->fail_what = what;
    g->failed = 1;
}

static char *arena_strdup(onnx_graph *g, const char *s) {
    const size_t n = strlen(s) + 1;
    char *p = arena_alloc(&g->mem, n);
    if (!p) {
        fail(g, "a name");
        return NULL;
    }
    memcpy(p, s, n);
    return p;
}

static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 1;
    int cap2 = *cap ? 2 * *cap : 64;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*arr, (size_t)cap2 * elem);
    if (!p) return 0;
    *arr = p;
    *cap = cap2;
    return 1;
}

static int name_used(const onnx_graph *g, const char *s) {
    for (int i = g->n_names - 1; i >= 0; i--)
        if (!strcmp(g->names[i], s)) return 1;
    return 0;
}

/* A fresh value name from base: base itself, else base_2, base_3, ... */
static const char *unique_name(onnx_graph *g, const char *base) {
    if (g->failed) return "failed";
    char buf[512];
    snprintf(buf, sizeof buf, "%s", base);
    for (int k = 2; name_used(g, buf); k++)
        snprintf(buf, sizeof buf, "%s_%d", base, k);
    const char *s = arena_strdup(g, buf);
    if (!s || !grow((void **)&g->names, &g->cap_names, g->n_names + 1, sizeof *g->names)) {
        fail(g, "the name table");
        return "failed";
    }
    g->names[g->n_names++] = s;
    return s;
}

lorat_status onnx_graph_create(const char *name, int opset, onnx_graph **out, lorat_error *err) {
    *out = NULL;
    if (opset < ONNX_OPSET_MIN || opset > ONNX_OPSET_MAX)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "ONNX opset %d: the writer knows opsets %d..%d", opset, ONNX_OPSET_MIN,
                       ONNX_OPSET_MAX);
    onnx_graph *g = calloc(1, sizeof *g);
    if (!g) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the ONNX graph");
    g->opset = opset;
    g->name = arena_strdup(g, name);
    if (!g->name) {
        onnx_graph_free(g);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the ONNX graph");
    }
    *out = g;
    return LORAT_STATUS_OK;
}

void onnx_graph_free(onnx_graph *g) {
    if (!g) return;
    arena_free(&g->mem);
    free(g->inits);
    free(g->nodes);
    free(g->names);
    free(g);
}

int onnx_graph_opset(const onnx_graph *g) {
    return g->opset;
}

int onnx_ir_version(int opset) {
    /* The IR version that came with each opset (ONNX's versioning table). */
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

static void add_io(onnx_graph *g, og_io *list, int *n, const char *name, int elem, int ndim,
                   const int64_t *dims) {
    if (g->failed) return;
    if (*n >= MAX_IO || ndim > MAX_DIMS) {
        fail(g, "the graph's inputs and outputs");
        return;
    }
    og_io *io = &list[(*n)++];
    /* An input's name is claimed; an output names a node's output made later (not claimed). */
    io->name = list == g->inputs ? unique_name(g, name) : arena_strdup(g, name);
    io->elem = elem;
    io->ndim = ndim;
    memcpy(io->dims, dims, sizeof(int64_t) * (size_t)ndim);
}

void onnx_graph_input(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims) {
    add_io(g, g->inputs, &g->n_inputs, name, elem, ndim, dims);
}

void onnx_graph_output(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims) {
    add_io(g, g->outputs, &g->n_outputs, name, elem, ndim, dims);
}

static size_t elem_size(int elem) {
    return elem == ONNX_INT64 ? 8 : elem == ONNX_BOOL ? 1 : 4;
}

const char *onnx_weight(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims,
                        const void *data) {
    if (g->failed) return "failed";
    if (ndim > MAX_DIMS ||
        !grow((void **)&g->inits, &g->cap_inits, g->n_inits + 1, sizeof *g->inits)) {
        fail(g, "the initializer list");
        return "failed";
    }
    og_init *t = &g->inits[g->n_inits];
    memset(t, 0, sizeof *t);
    t->name = unique_name(g, name);
    t->elem = elem;
    t->ndim = ndim;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->data = data;
    t->nbytes = n * elem_size(elem);
    if (g->failed) return "failed";
    g->n_inits++;
    return t->name;
}

float *onnx_weight_new(onnx_graph *g, const char *name, int ndim, const int64_t *dims,
                       const char **name_out) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    float *buf = g->failed ? NULL : arena_alloc(&g->mem, n * sizeof(float));
    if (!buf) {
        fail(g, "a weight's values");
        *name_out = "failed";
        return NULL;
    }
    *name_out = onnx_weight(g, name, ONNX_FLOAT, ndim, dims, buf);
    return g->failed ? NULL : buf;
}

static const char *copy_const(onnx_graph *g, const char *name, int elem, int ndim,
                              const int64_t *dims, const void *values, size_t nbytes) {
    void *p = g->failed ? NULL : arena_alloc(&g->mem, nbytes ? nbytes : 1);
    if (!p) {
        fail(g, "a constant");
        return "failed";
    }
    memcpy(p, values, nbytes);
    return onnx_weight(g, name, elem, ndim, dims, p);
}

const char *onnx_const_i64s(onnx_graph *g, const char *name, int n, const int64_t *values) {
    return copy_const(g, name, ONNX_INT64, 1, (const int64_t[]){n}, values,
                      sizeof(int64_t) * (size_t)n);
}

const char *onnx_const_i64(onnx_graph *g, const char *name, int64_t value) {
    return copy_const(g, name, ONNX_INT64, 0, NULL, &value, sizeof value);
}

const char *onnx_const_f32(onnx_graph *g, const char *name, float value) {
    return copy_const(g, name, ONNX_FLOAT, 0, NULL, &value, sizeof value);
}

const char *onnx_const_f32s(onnx_graph *g, const char *name, int ndim, const int64_t *dims,
                            const float *values) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    return copy_const(g, name, ONNX_FLOAT, ndim, dims, values, n * sizeof(float));
}

const char *onnx_name(onnx_graph *g, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = arena_strdup(g, buf);
    return s ? s : "failed";
}

void onnx_scope(onnx_graph *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->scope, sizeof g->scope, fmt, ap);
    va_end(ap);
}

const char *onnx_op(onnx_graph *g, const char *op_type, const char *hint, int n_in, ...) {
    if (g->failed) return "failed";
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) {
        fail(g, "the node list");
        return "failed";
    }
    og_node *nd = &g->nodes[g->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op_type; /* string literals of the exporter */
    nd->in = arena_alloc(&g->mem, sizeof(char *) * (size_t)(n_in > 0 ? n_in : 1));
    if (!nd->in) {
        fail(g, "a node's inputs");
        return "failed";
    }
    va_list ap;
    va_start(ap, n_in);
    for (int i = 0; i < n_in; i++)
        nd->in[i] = va_arg(ap, const char *);
    va_end(ap);
    nd->n_in = n_in;
    char base[512];
    if (g->scope[0])
        snprintf(base, sizeof base, "%s/%s", g->scope, hint);
    else
        snprintf(base, sizeof base, "%s", hint);
    nd->out = unique_name(g, base);
    if (g->failed) return "failed";
    g->n_nodes++;
    return nd->out;
}

static og_attr *new_attr(onnx_graph *g, const char *name, int type) {
    if (g->failed) return NULL;
    og_node *nd = g->n_nodes ? &g->nodes[g->n_nodes - 1] : NULL;
    if (!nd || nd->n_attrs >= (int)(sizeof nd->attrs / sizeof nd->attrs[0])) {
        fail(g, "a node's attributes");
        return NULL;
    }
    og_attr *a = &nd->attrs[nd->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = type;
    return a;
}

void onnx_attr_int(onnx_graph *g, const char *name, int64_t value) {
    og_attr *a = new_attr(g, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->i = value;
}

void onnx_attr_float(onnx_graph *g, const char *name, float value) {
    og_attr *a = new_attr(g, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->f = value;
}

void onnx_attr_ints(onnx_graph *g, const char *name, int n, const int64_t *values) {
    og_attr *a = new_attr(g, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (!a) return;
    a->ints = arena_alloc(&g->mem, sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
    if (!a->ints) {
        fail(g, "a node's attributes");
        return;
    }
    memcpy(a->ints, values, sizeof(int64_t) * (size_t)n);
    a->n = n;
}

/* ---- the part sink ----------------------------------------------------------------------------
 */

typedef struct part_sink {
    ProtobufCBuffer base;
    const void **parts;
    size_t *sizes;
    int n, cap;
    unsigned char *block; /* the open block of small pieces */
    size_t block_used, block_cap, open_from;
    unsigned char **blocks;
    int n_blocks, cap_blocks;
    const og_init *const *large; /* the large initializers, sorted by data pointer */
    int n_large;
    uint64_t total;
    int failed;
} part_sink;

static void sink_part(part_sink *s, const void *p, size_t n) {
    if (!n || s->failed) return;
    if (s->n == s->cap) { /* parts and sizes grow together */
        const int cap = s->cap ? 2 * s->cap : 256;
        const void **p2 = realloc(s->parts, sizeof *p2 * (size_t)cap);
        if (p2) s->parts = p2;
        size_t *s2 = p2 ? realloc(s->sizes, sizeof *s2 * (size_t)cap) : NULL;
        if (!s2) {
            s->failed = 1;
            return;
        }
        s->sizes = s2;
        s->cap = cap;
    }
    s->parts[s->n] = p;
    s->sizes[s->n] = n;
    s->n++;
}

/* The small pieces since the last part become one part. */
static void sink_close_open(part_sink *s) {
    if (s->block && s->block_used > s->open_from) {
        sink_part(s, s->block + s->open_from, s->block_used - s->open_from);
        s->open_from = s->block_used;
    }
}

static int is_large_init(const part_sink *s, const uint8_t *data, size_t len) {
    int lo = 0, hi = s->n_large - 1;
    while (lo <= hi) {
        const int mid = (lo + hi) / 2;
        const uint8_t *p = s->large[mid]->data;
        if (p == data) return s->large[mid]->nbytes == len;
        if ((uintptr_t)p < (uintptr_t)data)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data) {
    part_sink *s = (part_sink *)b;
    if (s->failed || !len) return;
    s->total += len;
    if (len >= LARGE_BYTES && is_large_init(s, data, len)) {
        sink_close_open(s);
        sink_part(s, data, len);
        return;
    }
    if (!s->block || s->block_cap - s->block_used < len) {
        sink_close_open(s);
        const size_t cap = len > ((size_t)1 << 20) ? len : ((size_t)1 << 20);
        unsigned char *nb = malloc(cap);
        if (!nb || !grow((void **)&s->blocks, &s->cap_blocks, s->n_blocks + 1, sizeof *s->blocks)) {
            free(nb);
            s->failed = 1;
            return;
        }
        s->blocks[s->n_blocks++] = nb;
        s->block = nb;
        s->block_used = s->open_from = 0;
        s->block_cap = cap;
    }
    memcpy(s->block + s->block_used, data, len);
    s->block_used += len;
}

static void sink_free(part_sink *s) {
    for (int i = 0; i < s->n_blocks; i++)
        free(s->blocks[i]);
    free(s->blocks);
    free(s->parts);
    free(s->sizes);
}

static int cmp_init_ptr(const void *a, const void *b) {
    const uintptr_t x = (uintptr_t)(*(const og_init *const *)a)->data;
    const uintptr_t y = (uintptr_t)(*(const og_init *const *)b)->data;
    return (x > y) - (x < y);
}

/* ---- writing ----------------------------------------------------------------------------------
 */

static Onnx__ValueInfoProto *value_info(arena *a, const og_io *io) {
    Onnx__ValueInfoProto *v = arena_alloc(a, sizeof *v);
    Onnx__TypeProto *tp = arena_alloc(a, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = arena_alloc(a, sizeof *tt);
    Onnx__TensorShapeProto *sh = arena_alloc(a, sizeof *sh);
    Onnx__TensorShapeProto__Dimension *dims = arena_alloc(a, sizeof *dims * MAX_DIMS);
    Onnx__TensorShapeProto__Dimension **dimp = arena_alloc(a, sizeof *dimp * MAX_DIMS);
    if (!v || !tp || !tt || !sh || !dims || !dimp) return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int d = 0; d < io->ndim; d++) {
        onnx__tensor_shape_proto__dimension__init(&dims[d]);
        if (io->dims[d] == ONNX_DIM_BATCH) {
            dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dims[d].dim_param = "batch";
        } else {
            dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dims[d].dim_value = io->dims[d];
        }
        dimp[d] = &dims[d];
    }
    sh->n_dim = (size_t)io->ndim;
    sh->dim = dimp;
    tt->has_elem_type = 1;
    tt->elem_type = io->elem;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->name = (char *)io->name;
    v->type = tp;
    return v;
}

static Onnx__StringStringEntryProto *entry(arena *a, const char *key, const char *value) {
    Onnx__StringStringEntryProto *e = arena_alloc(a, sizeof *e);
    char *v = arena_alloc(a, strlen(value) + 1);
    if (!e || !v) return NULL;
    onnx__string_string_entry_proto__init(e);
    strcpy(v, value);
    e->key = (char *)key;
    e->value = v;
    return e;
}

/* The tensor proto of initializer t; external: its bytes are at *offset in the data file. */
static Onnx__TensorProto *tensor_proto(arena *a, const og_init *t, int external,
                                       const char *location, uint64_t offset) {
    Onnx__TensorProto *tp = arena_alloc(a, sizeof *tp);
    if (!tp) return NULL;
    onnx__tensor_proto__init(tp);
    tp->name = (char *)t->name;
    tp->n_dims = (size_t)t->ndim;
    tp->dims = (int64_t *)t->dims;
    tp->has_data_type = 1;
    tp->data_type = t->elem;
    if (!external) {
        tp->has_raw_data = 1;
        tp->raw_data.len = t->nbytes;
        tp->raw_data.data = (uint8_t *)t->data;
        return tp;
    }
    char num[2][32];
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)offset);
    snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)t->nbytes);
    Onnx__StringStringEntryProto **ex = arena_alloc(a, sizeof *ex * 3);
    if (!ex) return NULL;
    ex[0] = entry(a, "location", location);
    ex[1] = entry(a, "offset", num[0]);
    ex[2] = entry(a, "length", num[1]);
    if (!ex[0] || !ex[1] || !ex[2]) return NULL;
    tp->n_external_data = 3;
    tp->external_data = ex;
    tp->has_data_location = 1;
    tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    return tp;
}

static Onnx__NodeProto *node_proto(arena *a, const og_node *nd) {
    Onnx__NodeProto *np = arena_alloc(a, sizeof *np);
    Onnx__AttributeProto *at = arena_alloc(a, sizeof *at * 4);
    Onnx__AttributeProto **atp = arena_alloc(a, sizeof *atp * 4);
    char **out = arena_alloc(a, sizeof *out);
    if (!np || !at || !atp || !out) return NULL;
    onnx__node_proto__init(np);
    np->n_input = (size_t)nd->n_in;
    np->input = (char **)nd->in;
    out[0] = (char *)nd->out;
    np->n_output = 1;
    np->output = out;
    np->name = (char *)nd->out;
    np->op_type = (char *)nd->op;
    for (int k = 0; k < nd->n_attrs; k++) {
        const og_attr *src = &nd->attrs[k];
        Onnx__AttributeProto *d = &at[k];
        onnx__attribute_proto__init(d);
        d->name = (char *)src->name;
        d->has_type = 1;
        d->type = (Onnx__AttributeProto__AttributeType)src->type;
        if (src->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
            d->has_i = 1;
            d->i = src->i;
        } else if (src->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) {
            d->has_f = 1;
            d->f = src->f;
        } else {
            d->n_ints = (size_t)src->n;
            d->ints = src->ints;
        }
        atp[k] = d;
    }
    np->n_attribute = (size_t)nd->n_attrs;
    np->attribute = atp;
    return np;
}

/* The data file: each large initializer at an offset that is a multiple of DATA_ALIGN. */
static lorat_status write_data_file(const onnx_graph *g, const char *path, uint64_t *offsets,
                                    uint64_t *total, lorat_error *err) {
    static const unsigned char zeros[DATA_ALIGN];
    const void **parts = malloc(sizeof *parts * (size_t)(2 * g->n_inits + 1));
    size_t *sizes = malloc(sizeof *sizes * (size_t)(2 * g->n_inits + 1));
    if (!parts || !sizes) {
        free(parts);
        free(sizes);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: cannot allocate the part list", path);
    }
    int n = 0;
    uint64_t off = 0;
    for (int i = 0; i < g->n_inits; i++) {
        const og_init *t = &g->inits[i];
        if (t->nbytes < LARGE_BYTES) continue;
        const uint64_t pad = (DATA_ALIGN - off % DATA_ALIGN) % DATA_ALIGN;
        if (pad) {
            parts[n] = zeros;
            sizes[n++] = (size_t)pad;
            off += pad;
        }
        offsets[i] = off;
        parts[n] = t->data;
        sizes[n++] = t->nbytes;
        off += t->nbytes;
    }
    lorat_status st = file_write_atomic(path, parts, sizes, n, err);
    free(parts);
    free(sizes);
    if (!st) *total = off;
    return st;
}

lorat_status onnx_graph_write(onnx_graph *g, const char *path, const onnx_write_options *o,
                              onnx_write_result *res, lorat_error *err) {
    memset(res, 0, sizeof *res);
    if (g->failed)
        return err_set(err, LORAT_STATUS_NO_MEMORY,
                       "%s: out of memory while building the graph (%s)", path,
                       g->fail_what ? g->fail_what : "?");
    {
        const uint16_t one = 1;
        unsigned char lo;
        memcpy(&lo, &one, 1);
        if (lo != 1)
            return err_set(err, LORAT_STATUS_UNSUPPORTED,
                           "%s: ONNX stores tensors little-endian; this machine is big-endian",
                           path);
    }
    uint64_t weight_bytes = 0;
    for (int i = 0; i < g->n_inits; i++)
        weight_bytes += g->inits[i].nbytes;
    int external =
        o->external == ONNX_EXTERNAL_ALWAYS || weight_bytes + PROTOBUF_MARGIN > PROTOBUF_LIMIT;
    if (external) {
        const int n = snprintf(res->data_path, sizeof res->data_path, "%s.data", path);
        if (n < 0 || (size_t)n >= sizeof res->data_path)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: the path is too long", path);
    }
    /* The data file's name as the .onnx refers to it: relative to the .onnx's folder. */
    const char *slash = strrchr(res->data_path, '/');
    const char *location = slash ? slash + 1 : res->data_path;

    arena a = {0};
    lorat_status st = LORAT_STATUS_OK;
    uint64_t *offsets = calloc((size_t)g->n_inits + 1, sizeof *offsets);
    part_sink sink = {.base = {.append = sink_append}};
    const og_init **large = malloc(sizeof *large * ((size_t)g->n_inits + 1));
    Onnx__TensorProto **inits = arena_alloc(&a, sizeof *inits * ((size_t)g->n_inits + 1));
    Onnx__NodeProto **nodes = arena_alloc(&a, sizeof *nodes * ((size_t)g->n_nodes + 1));
    Onnx__ValueInfoProto **ins = arena_alloc(&a, sizeof *ins * MAX_IO);
    Onnx__ValueInfoProto **outs = arena_alloc(&a, sizeof *outs * MAX_IO);
    Onnx__StringStringEntryProto **meta =
        arena_alloc(&a, sizeof *meta * ((size_t)o->n_metadata + 1));
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    if (!offsets || !large || !inits || !nodes || !ins || !outs || !meta) {
        st = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: cannot allocate the model's messages", path);
        goto done;
    }
    if (external && (st = write_data_file(g, res->data_path, offsets, &res->data_bytes, err)))
        goto done;
    for (int i = 0; i < g->n_inits; i++) {
        const og_init *t = &g->inits[i];
        const int ext = external && t->nbytes >= LARGE_BYTES;
        if (!(inits[i] = tensor_proto(&a, t, ext, location, offsets[i]))) goto oom;
        if (!ext && t->nbytes >= LARGE_BYTES) large[sink.n_large++] = t;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (!(nodes[i] = node_proto(&a, &g->nodes[i]))) goto oom;
    for (int i = 0; i < g->n_inputs; i++)
        if (!(ins[i] = value_info(&a, &g->inputs[i]))) goto oom;
    for (int i = 0; i < g->n_outputs; i++)
        if (!(outs[i] = value_info(&a, &g->outputs[i]))) goto oom;
    for (int i = 0; i < o->n_metadata; i++)
        if (!(meta[i] = entry(&a, o->metadata[2 * i], o->metadata[2 * i + 1]))) goto oom;
    qsort(large, (size_t)sink.n_large, sizeof *large, cmp_init_ptr);
    sink.large = large;

    opset.domain = "";
    opset.has_version = 1;
    opset.version = g->opset;
    graph.name = (char *)g->name;
    graph.n_node = (size_t)g->n_nodes;
    graph.node = nodes;
    graph.n_initializer = (size_t)g->n_inits;
    graph.initializer = inits;
    graph.n_input = (size_t)g->n_inputs;
    graph.input = ins;
    graph.n_output = (size_t)g->n_outputs;
    graph.output = outs;
    model.has_ir_version = 1;
    model.ir_version = onnx_ir_version(g->opset);
    model.producer_name = (char *)o->producer_name;
    model.producer_version = (char *)o->producer_version;
    model.doc_string = (char *)o->doc;
    model.graph = &graph;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.n_metadata_props = (size_t)o->n_metadata;
    model.metadata_props = meta;

    const uint64_t packed = onnx__model_proto__get_packed_size(&model);
    if (packed > PROTOBUF_LIMIT) {
        st = err_set(err, LORAT_STATUS_INTERNAL,
                     "%s: the model would be %.2f GB, over protobuf's 2 GB limit, even with its "
                     "weights in the data file",
                     path, packed / 1e9);
        goto done;
    }
    onnx__model_proto__pack_to_buffer(&model, &sink.base);
    sink_close_open(&sink);
    if (sink.failed) goto oom;
    if (sink.total != packed) {
        st =
            err_set(err, LORAT_STATUS_INTERNAL, "%s: protobuf packed %llu bytes but announced %llu",
                    path, (unsigned long long)sink.total, (unsigned long long)packed);
        goto done;
    }
    if ((st = file_write_atomic(path, sink.parts, sink.sizes, sink.n, err))) goto done;
    res->external = external;
    res->onnx_bytes = packed;
    res->nodes = g->n_nodes;
    res->initializers = g->n_inits;
    goto done;
oom:
    st = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory while writing the model", path);
done:
    if (st && external && res->data_bytes) unlink(res->data_path); /* no data without its model */
    sink_free(&sink);
    free(large);
    free(offsets);
    arena_free(&a);
    return st;
}
