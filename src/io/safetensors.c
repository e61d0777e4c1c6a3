/*
 * safetensors.c — the safetensors reader (mmap, every offset checked) and the atomic writer;
 * see safetensors.h for the format.
 *
 * The reader trusts nothing in the file: the header length, every number in the JSON and every
 * byte range are checked before a pointer into the mapping is handed out, so a corrupt or hostile
 * file gives a status and a message, never a read outside the mapping. It does not convert data:
 * tensors are returned in their stored dtype, in place. Their data need not be aligned (the format
 * does not promise it, and files from other writers often put the data block at an odd offset), so
 * consumers memcpy or convert rather than cast the pointer.
 *
 * The mapping is private and read-only; like any mmap reader, this one cannot defend against the
 * file being truncated by another process while it is open (that raises SIGBUS on access).
 *
 * The writer emits the JSON itself rather than through cJSON, because cJSON prints large integers
 * as doubles ("1e+16"), which other readers (the Rust safetensors crate) refuse as offsets.
 */
#include "io/safetensors.h"

#include "core/fileio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The same cap as the reference implementation: a header this large is corruption, not a model. */
#define HEADER_MAX ((uint64_t)100000000)
/* Tensors (and metadata keys) in one file: g-378 with LoRA has about 1,300. */
#define ST_MAX_TENSORS (1 << 20)
/* Integers above 2^53 cannot be held exactly by the double cJSON parses numbers into. */
#define JSON_INT_MAX ((double)9007199254740992.0)
#define METADATA_KEY "__metadata__"

typedef struct name_index {
    const char *name;
    int ix;
} name_index;

struct safetensors {
    void *map;
    size_t map_size;
    tensor_info *tensors; /* file (JSON) order */
    int count;
    name_index *by_name; /* sorted by name, for safetensors_find */
    const char **meta;   /* n_meta pairs: key, value */
    int n_meta;
    char *strings; /* one block holding every name, key and value */
};

static int name_index_cmp(const void *a, const void *b) {
    return strcmp(((const name_index *)a)->name, ((const name_index *)b)->name);
}

/* ---- reader ---------------------------------------------------------------------------------- */

/* A JSON number that is an exact non-negative integer; 0 when it is anything else. */
static int json_to_u64(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d != floor(d) || d > JSON_INT_MAX) return 0;
    *out = (uint64_t)d;
    return 1;
}

/* A short description of an offending value, for messages: "-3", "\"x\"", "null", "an array of
 * 5 values". Never prints a whole array or object: a hostile header's value can be millions of
 * entries, and the message has 128 bytes. */
static const char *json_text(char *buf, size_t size, const cJSON *v) {
    if (!v) snprintf(buf, size, "(missing)");
    else if (cJSON_IsArray(v)) snprintf(buf, size, "an array of %d values", cJSON_GetArraySize(v));
    else if (cJSON_IsObject(v)) snprintf(buf, size, "an object of %d keys", cJSON_GetArraySize(v));
    else if (cJSON_IsString(v)) snprintf(buf, size, "\"%.60s%s\"", v->valuestring, strlen(v->valuestring) > 60 ? "..." : "");
    else if (cJSON_IsNumber(v)) snprintf(buf, size, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v)) snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else snprintf(buf, size, "null");
    return buf;
}

/* The header's shape before it is parsed: a safetensors header is an object of tensor entries
 * (objects) whose arrays are a shape (at most TENSOR_MAX_DIMS values) and data offsets (2), and a
 * metadata object of strings. Nesting deeper than HEADER_MAX_DEPTH or an array longer than
 * HEADER_MAX_ARRAY is refused here, in one pass over the bytes, before a parser builds a node for
 * every value (a 100 MB header of one array would take gigabytes). */
enum { HEADER_MAX_DEPTH = 8, HEADER_MAX_ARRAY = 64 };

static lorat_status header_shape(const char *json, size_t n, const char *path, lorat_error *err) {
    int depth = 0, in_string = 0, escape = 0;
    char open[HEADER_MAX_DEPTH + 1];
    long count[HEADER_MAX_DEPTH + 1];
    for (size_t i = 0; i < n; i++) {
        const char ch = json[i];
        if (in_string) {
            if (escape) escape = 0;
            else if (ch == '\\') escape = 1;
            else if (ch == '"') in_string = 0;
            continue;
        }
        if (ch == '"') {
            in_string = 1;
        } else if (ch == '[' || ch == '{') {
            if (depth == HEADER_MAX_DEPTH)
                return err_set(err, LORAT_STATUS_FORMAT,
                               "%s: header nests deeper than %d levels at byte %zu: not a safetensors "
                               "header", path, HEADER_MAX_DEPTH, i);
            open[++depth] = ch;
            count[depth] = 1;
        } else if (ch == ']' || ch == '}') {
            if (depth > 0) depth--;
        } else if (ch == ',' && depth > 0 && open[depth] == '[' && ++count[depth] > HEADER_MAX_ARRAY) {
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: header has an array of more than %d values at byte %zu: a "
                           "safetensors header holds only shapes (at most %d values) and data "
                           "offsets (2)", path, HEADER_MAX_ARRAY, i, TENSOR_MAX_DIMS);
        }
    }
    return LORAT_STATUS_OK;
}

/* Parses one tensor entry into t (name and data filled by the caller); data_offsets into *begin,
 * *end. Checks everything that does not need the other tensors. */
static lorat_status parse_entry(const char *path, const cJSON *entry, uint64_t data_size,
                                tensor_info *t, uint64_t *begin, uint64_t *end, lorat_error *err) {
    const char *name = entry->string;
    char buf[128];
    if (!cJSON_IsObject(entry))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s: entry is %s, not an object", path,
                       name, json_text(buf, sizeof buf, entry));

    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    if (!cJSON_IsString(dt))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s: dtype is %s, not a string", path,
                       name, json_text(buf, sizeof buf, dt));
    int d = dtype_from_name(dt->valuestring);
    if (d < 0)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: tensor %s: dtype %s is not supported (lorat reads F32 F16 BF16 F64 "
                       "I64 I32 I16 I8 U8 BOOL); convert the tensor to one of these",
                       path, name, dt->valuestring);
    t->dtype = (dtype)d;

    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!cJSON_IsArray(shape))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s: shape is %s, not an array", path,
                       name, json_text(buf, sizeof buf, shape));
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > TENSOR_MAX_DIMS)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: tensor %s: has %d dimensions, lorat handles at most %d", path, name,
                       ndim, TENSOR_MAX_DIMS);
    t->ndim = ndim;
    /* numel is 0 as soon as one dimension is 0, even when the product of the others would
     * overflow; so overflow is only an error for tensors with no zero dimension. */
    uint64_t numel = 1;
    int overflow = 0, i = 0;
    const cJSON *dim;
    cJSON_ArrayForEach(dim, shape) {
        uint64_t n;
        if (!json_to_u64(dim, &n))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: tensor %s: shape[%d] is %s, must be a non-negative integer", path,
                           name, i, json_text(buf, sizeof buf, dim));
        t->shape[i++] = (int64_t)n;
        if (n == 0)
            numel = 0, overflow = 0;
        else if (numel != 0 && numel > UINT64_MAX / n)
            overflow = 1;
        else
            numel *= n;
    }
    char sbuf[160];
    shape_str(sbuf, sizeof sbuf, t->ndim, t->shape);
    size_t esize = dtype_size(t->dtype);
    if (overflow || numel > UINT64_MAX / esize)
        return err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s: %s %s is too large to address",
                       path, name, dt->valuestring, sbuf);
    uint64_t need = numel * esize;

    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        !json_to_u64(cJSON_GetArrayItem(offs, 0), begin) ||
        !json_to_u64(cJSON_GetArrayItem(offs, 1), end))
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s: data_offsets is %s, must be [begin,end] of non-negative "
                       "integers",
                       path, name, json_text(buf, sizeof buf, offs));
    if (*begin > *end)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s: data_offsets [%llu,%llu] end before they begin", path, name,
                       (unsigned long long)*begin, (unsigned long long)*end);
    if (*end > data_size)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s: data_offsets [%llu,%llu] reach past the data block of %llu "
                       "bytes (is the file truncated?)",
                       path, name, (unsigned long long)*begin, (unsigned long long)*end,
                       (unsigned long long)data_size);
    if (*end - *begin != need)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: tensor %s: data_offsets [%llu,%llu] hold %llu bytes but %s %s needs "
                       "%llu",
                       path, name, (unsigned long long)*begin, (unsigned long long)*end,
                       (unsigned long long)(*end - *begin), dt->valuestring, sbuf,
                       (unsigned long long)need);
    t->nbytes = (size_t)need;
    return LORAT_STATUS_OK;
}

typedef struct byte_range {
    uint64_t begin, end;
    int ix;
} byte_range;

static int byte_range_cmp(const void *a, const void *b) {
    const byte_range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

/* Checks the "__metadata__" object and counts its pairs and their string bytes. */
static lorat_status check_metadata(const char *path, const cJSON *meta, int *n, size_t *bytes,
                                   lorat_error *err) {
    char buf[128];
    if (!cJSON_IsObject(meta))
        return err_set(err, LORAT_STATUS_FORMAT, "%s: __metadata__ is %s, not an object", path,
                       json_text(buf, sizeof buf, meta));
    const cJSON *kv;
    cJSON_ArrayForEach(kv, meta) {
        if (!cJSON_IsString(kv))
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: __metadata__ key %s has value %s; safetensors metadata values "
                           "must be strings",
                           path, kv->string, json_text(buf, sizeof buf, kv));
        (*n)++;
        *bytes += strlen(kv->string) + 1 + strlen(kv->valuestring) + 1;
    }
    return LORAT_STATUS_OK;
}

static char *pool_put(char **pool, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = *pool;
    memcpy(p, s, n);
    *pool += n;
    return p;
}

/* Fills st from the parsed header; data is the start of the data block in the mapping. */
static lorat_status load_header(safetensors *st, const char *path, const cJSON *root,
                                const uint8_t *data, uint64_t data_size, lorat_error *err) {
    int n_entries = 0, n_meta = 0;
    size_t bytes = 0;
    const cJSON *meta = NULL, *item;
    cJSON_ArrayForEach(item, root) {
        if (strcmp(item->string, METADATA_KEY) == 0) {
            if (meta)
                return err_set(err, LORAT_STATUS_FORMAT, "%s: __metadata__ appears twice", path);
            meta = item;
            lorat_status s = check_metadata(path, meta, &n_meta, &bytes, err);
            if (s) return s;
        } else {
            n_entries++;
            bytes += strlen(item->string) + 1;
        }
    }

    if (n_entries > ST_MAX_TENSORS || n_meta > ST_MAX_TENSORS)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "%s: the header lists %d tensors and %d metadata keys, more than lorat reads "
                       "(%d each)", path, n_entries, n_meta, ST_MAX_TENSORS);
    st->tensors = calloc((size_t)n_entries + 1, sizeof *st->tensors);
    st->by_name = calloc((size_t)n_entries + 1, sizeof *st->by_name);
    st->meta = calloc(2 * (size_t)n_meta + 1, sizeof *st->meta);
    st->strings = malloc(bytes + 1);
    byte_range *ranges = calloc((size_t)n_entries + 1, sizeof *ranges);
    if (!st->tensors || !st->by_name || !st->meta || !st->strings || !ranges) {
        free(ranges);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for %d tensors", path,
                       n_entries);
    }

    char *pool = st->strings;
    if (meta) {
        const cJSON *kv;
        cJSON_ArrayForEach(kv, meta) {
            st->meta[2 * st->n_meta] = pool_put(&pool, kv->string);
            st->meta[2 * st->n_meta + 1] = pool_put(&pool, kv->valuestring);
            st->n_meta++;
        }
    }

    lorat_status s = LORAT_STATUS_OK;
    cJSON_ArrayForEach(item, root) {
        if (item == meta) continue;
        tensor_info *t = &st->tensors[st->count];
        byte_range *r = &ranges[st->count];
        s = parse_entry(path, item, data_size, t, &r->begin, &r->end, err);
        if (s) break;
        t->name = pool_put(&pool, item->string);
        t->data = data + r->begin;
        r->ix = st->count;
        st->by_name[st->count] = (name_index){t->name, st->count};
        st->count++;
    }

    /* JSON allows a key twice (cJSON keeps both); a tensor name must not, or find would be
     * ambiguous. */
    if (!s) {
        qsort(st->by_name, (size_t)st->count, sizeof *st->by_name, name_index_cmp);
        for (int i = 1; i < st->count; i++)
            if (strcmp(st->by_name[i - 1].name, st->by_name[i].name) == 0) {
                s = err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s appears twice in the header",
                            path, st->by_name[i].name);
                break;
            }
    }

    /* Empty tensors occupy no bytes, so they cannot overlap anything and are skipped. Gaps
     * between tensors are allowed: they waste space but do no harm. */
    if (!s) {
        qsort(ranges, (size_t)st->count, sizeof *ranges, byte_range_cmp);
        const byte_range *prev = NULL;
        for (int i = 0; i < st->count; i++) {
            const byte_range *r = &ranges[i];
            if (r->begin == r->end) continue;
            if (prev && r->begin < prev->end) {
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s: tensor %s: data_offsets [%llu,%llu] overlap those of tensor %s "
                            "[%llu,%llu]",
                            path, st->tensors[r->ix].name, (unsigned long long)r->begin,
                            (unsigned long long)r->end, st->tensors[prev->ix].name,
                            (unsigned long long)prev->begin, (unsigned long long)prev->end);
                break;
            }
            prev = r;
        }
    }
    free(ranges);
    return s;
}

lorat_status safetensors_open(const char *path, safetensors **out, lorat_error *err) {
    if (!out) return err_set(err, LORAT_STATUS_BAD_INPUT, "safetensors_open: out is NULL");
    *out = NULL;
    if (!path) return err_set(err, LORAT_STATUS_BAD_INPUT, "safetensors_open: path is NULL");

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, LORAT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, LORAT_STATUS_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return err_set(err, LORAT_STATUS_IO, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < 8) {
        close(fd);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: file is %llu bytes, too short for a safetensors header (8 bytes of "
                       "length, then JSON)",
                       path, (unsigned long long)size);
    }
#if SIZE_MAX < UINT64_MAX
    if (size > SIZE_MAX) {
        close(fd);
        return err_set(err, LORAT_STATUS_UNSUPPORTED, "%s: file too large to map", path);
    }
#endif
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd); /* the mapping keeps the file alive */
    if (map == MAP_FAILED)
        return err_set(err, LORAT_STATUS_IO, "%s: cannot map %llu bytes: %s", path,
                       (unsigned long long)size, strerror(map_errno));

    safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        munmap(map, (size_t)size);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    st->map = map;
    st->map_size = (size_t)size;

    const uint8_t *bytes = map;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | bytes[i]; /* little-endian on any host */
    lorat_status s = LORAT_STATUS_OK;
    if (n > HEADER_MAX || 8 + n > size) {
        s = err_set(err, LORAT_STATUS_FORMAT,
                    "%s: header length %llu does not fit in a file of %llu bytes (limit %llu): "
                    "not a safetensors file, or truncated",
                    path, (unsigned long long)n, (unsigned long long)size,
                    (unsigned long long)HEADER_MAX);
        goto fail;
    }

    /* A NUL-terminated copy, so that the JSON parser can never run past the header, whatever
     * its own bounds checks do. */
    char *json = malloc((size_t)n + 1);
    if (!json) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for a %llu-byte header", path,
                    (unsigned long long)n);
        goto fail;
    }
    memcpy(json, bytes + 8, (size_t)n);
    json[n] = '\0';
    if ((s = header_shape(json, (size_t)n, path, err))) {
        free(json);
        goto fail;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)n, &end, 0);
    if (!root) {
        s = err_set(err, LORAT_STATUS_FORMAT, "%s: header is not valid JSON (error at byte %lld)",
                    path, end ? (long long)(end - json) : -1LL);
    } else {
        /* Writers pad the header with spaces to align the data block; anything else after the
         * JSON (a second object, NULs) means a corrupt header. */
        for (const char *p = end; p < json + n; p++)
            if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s: header has stray bytes after the JSON at byte %lld", path,
                            (long long)(p - json));
                break;
            }
        if (!s && !cJSON_IsObject(root))
            s = err_set(err, LORAT_STATUS_FORMAT, "%s: header JSON is not an object", path);
        if (!s) s = load_header(st, path, root, bytes + 8 + n, size - 8 - n, err);
    }
    cJSON_Delete(root);
    free(json);
    if (s) goto fail;
    *out = st;
    return LORAT_STATUS_OK;

fail:
    safetensors_close(st);
    return s;
}

void safetensors_close(safetensors *st) {
    if (!st) return;
    if (st->map) munmap(st->map, st->map_size);
    free(st->tensors);
    free(st->by_name);
    free(st->meta);
    free(st->strings);
    free(st);
}

const tensor_info *safetensors_tensors(const safetensors *st, int *count) {
    if (count) *count = st ? st->count : 0;
    return st ? st->tensors : NULL;
}

const tensor_info *safetensors_find(const safetensors *st, const char *name) {
    if (!st || !name || st->count == 0) return NULL;
    name_index key = {name, 0};
    const name_index *hit =
        bsearch(&key, st->by_name, (size_t)st->count, sizeof key, name_index_cmp);
    return hit ? &st->tensors[hit->ix] : NULL;
}

const char *safetensors_meta(const safetensors *st, const char *key) {
    if (!st || !key) return NULL;
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[2 * i], key) == 0) return st->meta[2 * i + 1];
    return NULL;
}

int safetensors_meta_count(const safetensors *st) {
    return st ? st->n_meta : 0;
}

void safetensors_meta_at(const safetensors *st, int i, const char **key, const char **value) {
    int ok = st && i >= 0 && i < st->n_meta;
    if (key) *key = ok ? st->meta[2 * i] : NULL;
    if (value) *value = ok ? st->meta[2 * i + 1] : NULL;
}

/* ---- writer ---------------------------------------------------------------------------------- */

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed; /* an allocation failed; checked once at the end */
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s) {
    sb_add(b, s, strlen(s));
}

static void sb_printf(strbuf *b, const char *fmt, ...) LORAT_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = 1;
        return;
    }
    sb_add(b, tmp, (size_t)n);
}

/* A JSON string literal. Bytes >= 0x80 pass through: names are UTF-8 and JSON carries UTF-8. */
static void sb_json_string(strbuf *b, const char *s) {
    sb_str(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"')
            sb_str(b, "\\\"");
        else if (*p == '\\')
            sb_str(b, "\\\\");
        else if (*p < 0x20)
            sb_printf(b, "\\u%04x", *p);
        else
            sb_add(b, (const char *)p, 1);
    }
    sb_str(b, "\"");
}

static lorat_status check_write_args(const char *path, const tensor_info *tensors, int count,
                                     const char *const *meta_kv, int n_meta, lorat_error *err) {
    if (!path || !*path)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "safetensors_write: path is empty");
    if (count < 0 || (count > 0 && !tensors))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: bad tensor list (%d tensors)", path,
                       count);
    if (n_meta < 0 || (n_meta > 0 && !meta_kv))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: bad metadata list (%d pairs)", path,
                       n_meta);
    for (int i = 0; i < 2 * n_meta; i++)
        if (!meta_kv[i])
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: metadata %s %d is NULL", path,
                           i % 2 ? "value" : "key", i / 2);
    for (int i = 0; i < n_meta; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(meta_kv[2 * i], meta_kv[2 * j]) == 0)
                return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: metadata key %s given twice", path,
                               meta_kv[2 * i]);

    uint64_t total = 0; /* offsets must not wrap */
    for (int i = 0; i < count; i++) {
        const tensor_info *t = &tensors[i];
        const char *name = t->name;
        if (!name)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensor %d has no name", path, i);
        if (strcmp(name, METADATA_KEY) == 0)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s: tensor %s: the name is reserved for metadata", path, name);
        if ((unsigned)t->dtype >= DTYPE_COUNT)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensor %s: dtype %d is not valid",
                           path, name, (int)t->dtype);
        if (t->ndim < 0 || t->ndim > TENSOR_MAX_DIMS)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensor %s: ndim %d out of [0,%d]",
                           path, name, t->ndim, TENSOR_MAX_DIMS);
        uint64_t numel = 1;
        int overflow = 0;
        for (int k = 0; k < t->ndim; k++) {
            if (t->shape[k] < 0)
                return err_set(err, LORAT_STATUS_BAD_INPUT,
                               "%s: tensor %s: shape[%d] is %lld, must be non-negative", path, name,
                               k, (long long)t->shape[k]);
            uint64_t n = (uint64_t)t->shape[k];
            if (n == 0)
                numel = 0, overflow = 0;
            else if (numel != 0 && numel > UINT64_MAX / n)
                overflow = 1;
            else
                numel *= n;
        }
        char sbuf[160];
        shape_str(sbuf, sizeof sbuf, t->ndim, t->shape);
        size_t esize = dtype_size(t->dtype);
        if (overflow || numel > UINT64_MAX / esize || numel * esize != (uint64_t)t->nbytes)
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "%s: tensor %s: nbytes is %zu but %s %s needs %llu", path, name,
                           t->nbytes, dtype_name(t->dtype), sbuf,
                           overflow ? 0ULL : (unsigned long long)(numel * esize));
        if (t->nbytes > 0 && !t->data)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensor %s: data is NULL", path, name);
        if (total > UINT64_MAX - t->nbytes)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensors too large in total", path);
        total += t->nbytes;
    }

    /* Names must be unique, or the file would have a duplicate key. */
    if (count > 1) {
        name_index *ix = malloc((size_t)count * sizeof *ix);
        if (!ix) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
        for (int i = 0; i < count; i++)
            ix[i] = (name_index){tensors[i].name, i};
        qsort(ix, (size_t)count, sizeof *ix, name_index_cmp);
        for (int i = 1; i < count; i++)
            if (strcmp(ix[i - 1].name, ix[i].name) == 0) {
                lorat_status s = err_set(err, LORAT_STATUS_BAD_INPUT,
                                         "%s: tensor %s given twice (tensors %d and %d)", path,
                                         ix[i].name, ix[i - 1].ix, ix[i].ix);
                free(ix);
                return s;
            }
        free(ix);
    }
    return LORAT_STATUS_OK;
}

/* The header: 8-byte length, then the JSON padded with spaces so that the data block starts at a
 * multiple of 8 bytes (aligned loads for whoever maps the file). */
static lorat_status build_header(strbuf *b, const char *path, const tensor_info *tensors, int count,
                                 const char *const *meta_kv, int n_meta, lorat_error *err) {
    sb_add(b, "\0\0\0\0\0\0\0\0", 8);
    sb_str(b, "{");
    if (n_meta > 0) {
        sb_str(b, "\"" METADATA_KEY "\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i) sb_str(b, ",");
            sb_json_string(b, meta_kv[2 * i]);
            sb_str(b, ":");
            sb_json_string(b, meta_kv[2 * i + 1]);
        }
        sb_str(b, "}");
    }
    uint64_t offset = 0;
    for (int i = 0; i < count; i++) {
        const tensor_info *t = &tensors[i];
        if (i || n_meta > 0) sb_str(b, ",");
        sb_json_string(b, t->name);
        sb_str(b, ":{\"dtype\":\"");
        sb_str(b, dtype_name(t->dtype));
        sb_str(b, "\",\"shape\":[");
        for (int k = 0; k < t->ndim; k++)
            sb_printf(b, k ? ",%lld" : "%lld", (long long)t->shape[k]);
        sb_printf(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                  (unsigned long long)(offset + t->nbytes));
        offset += t->nbytes;
    }
    sb_str(b, "}");
    while (b->len % 8)
        sb_str(b, " ");
    if (b->failed)
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory for header", path);
    uint64_t n = b->len - 8;
    for (int i = 0; i < 8; i++)
        b->s[i] = (char)(n >> (8 * i) & 0xff);
    return LORAT_STATUS_OK;
}

lorat_status safetensors_write(const char *path, const tensor_info *tensors, int count,
                               const char *const *meta_kv, int n_meta, lorat_error *err) {
    lorat_status s = check_write_args(path, tensors, count, meta_kv, n_meta, err);
    if (s) return s;

    strbuf hdr = {0};
    s = build_header(&hdr, path, tensors, count, meta_kv, n_meta, err);
    if (s) {
        free(hdr.s);
        return s;
    }

    /* Header, then every tensor's bytes, atomically (core/fileio). */
    const void **parts = malloc(sizeof(void *) * (size_t)(count + 1));
    size_t *sizes = malloc(sizeof(size_t) * (size_t)(count + 1));
    if (!parts || !sizes) {
        free(parts);
        free(sizes);
        free(hdr.s);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    parts[0] = hdr.s;
    sizes[0] = hdr.len;
    for (int i = 0; i < count; i++) {
        parts[i + 1] = tensors[i].data;
        sizes[i + 1] = tensors[i].nbytes;
    }
    s = file_write_atomic(path, parts, sizes, count + 1, err);
    free(parts);
    free(sizes);
    free(hdr.s);
    return s;
}
