/*
 * pickle.c — the restricted unpickler; see pickle.h. Opcodes and their arguments are those of
 * Python's pickletools documentation.
 *
 * Supported: everything of protocol 2 (what torch.save writes) except the extension registry,
 * and the harmless additions of protocols 3-5 (FRAME, MEMOIZE, STACK_GLOBAL, the 8-byte string
 * and bytes forms, sets). Refused: the protocol-0 text opcodes, INST/OBJ, NEWOBJ_EX, extension
 * codes and out-of-band buffers, none of which torch.save writes.
 *
 * Hostile input: every argument read is bounds-checked, every stack, mark and memo access is
 * checked, and memory is capped (the stack, the open MARKs, the memo index and the arena that
 * holds the values all have limits far above what a state dict needs). The machine has no
 * recursion, so deep nesting cannot exhaust the C stack.
 */
#include "io/pickle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ViT-g's state dict builds ~20k values and a stack of ~2k: these limits are far above that and
 * low enough that a hostile pickle cannot exhaust memory. */
enum {
    STACK_MAX = 1 << 20,
    MARKS_MAX = 1 << 12,
    MEMO_MAX = 1 << 22,
    GLOBAL_NAME_MAX = 256,
};
#define ARENA_MAX ((size_t)512 << 20)
#define ARENA_CHUNK ((size_t)1 << 20)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

struct pickle {
    const pickle_hooks *hooks;
    const char *where;
    const uint8_t *p;
    size_t n, pos, op_pos;
    uint8_t op;
    pickle_value **stack;
    size_t sp, stack_cap;
    size_t *marks; /* stack heights at each open MARK */
    size_t nmarks, marks_cap;
    pickle_value **memo;
    size_t memo_cap, memo_len;
    chunk *chunks;
    size_t arena_bytes;
    lorat_status status;
    lorat_error *err;
};

#define TRY(x)                                                                                     \
    do {                                                                                           \
        lorat_status s_ = (x);                                                                     \
        if (s_ != LORAT_STATUS_OK) return s_;                                                      \
    } while (0)

const char *pickle_kind_name(pickle_kind kind) {
    static const char *const names[] = {"None",  "bool", "int", "float", "str",   "bytes",
                                        "tuple", "list", "set", "dict",  "object"};
    return (unsigned)kind <= PICKLE_OBJECT ? names[kind] : "?";
}

lorat_status pickle_status(const pickle *pk) {
    return pk->status;
}

int pickle_str_is(const pickle_value *v, const char *lit) {
    return v->kind == PICKLE_STR && strlen(lit) == v->s.n && memcmp(v->s.p, lit, v->s.n) == 0;
}

static const char *op_name(uint8_t op) {
    switch (op) {
    case 0x80:
        return "PROTO";
    case 0x95:
        return "FRAME";
    case '.':
        return "STOP";
    case '(':
        return "MARK";
    case '0':
        return "POP";
    case '1':
        return "POP_MARK";
    case '2':
        return "DUP";
    case '}':
        return "EMPTY_DICT";
    case ']':
        return "EMPTY_LIST";
    case ')':
        return "EMPTY_TUPLE";
    case 0x8f:
        return "EMPTY_SET";
    case 'd':
        return "DICT";
    case 'l':
        return "LIST";
    case 't':
        return "TUPLE";
    case 0x85:
        return "TUPLE1";
    case 0x86:
        return "TUPLE2";
    case 0x87:
        return "TUPLE3";
    case 0x91:
        return "FROZENSET";
    case 0x90:
        return "ADDITEMS";
    case 'q':
        return "BINPUT";
    case 'r':
        return "LONG_BINPUT";
    case 0x94:
        return "MEMOIZE";
    case 'h':
        return "BINGET";
    case 'j':
        return "LONG_BINGET";
    case 'J':
        return "BININT";
    case 'K':
        return "BININT1";
    case 'M':
        return "BININT2";
    case 0x8a:
        return "LONG1";
    case 0x8b:
        return "LONG4";
    case 'N':
        return "NONE";
    case 0x88:
        return "NEWTRUE";
    case 0x89:
        return "NEWFALSE";
    case 'G':
        return "BINFLOAT";
    case 'X':
        return "BINUNICODE";
    case 0x8c:
        return "SHORT_BINUNICODE";
    case 0x8d:
        return "BINUNICODE8";
    case 'T':
        return "BINSTRING";
    case 'U':
        return "SHORT_BINSTRING";
    case 'B':
        return "BINBYTES";
    case 'C':
        return "SHORT_BINBYTES";
    case 0x8e:
        return "BINBYTES8";
    case 'c':
        return "GLOBAL";
    case 0x93:
        return "STACK_GLOBAL";
    case 'R':
        return "REDUCE";
    case 0x81:
        return "NEWOBJ";
    case 'b':
        return "BUILD";
    case 's':
        return "SETITEM";
    case 'u':
        return "SETITEMS";
    case 'a':
        return "APPEND";
    case 'e':
        return "APPENDS";
    case 'Q':
        return "BINPERSID";
    case 'P':
        return "PERSID";
    case 'i':
        return "INST";
    case 'o':
        return "OBJ";
    case 0x92:
        return "NEWOBJ_EX";
    case 0x82:
    case 0x83:
    case 0x84:
        return "EXT";
    case 0x96:
        return "BYTEARRAY8";
    case 0x97:
        return "NEXT_BUFFER";
    case 0x98:
        return "READONLY_BUFFER";
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'p':
    case 'g':
        return "a protocol-0 text opcode";
    default:
        return "an unknown opcode";
    }
}

lorat_status pickle_fail(pickle *pk, lorat_status status, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pk->status = status;
    if (pk->op_pos >= pk->n)
        return err_set(pk->err, status, "%s, at its end (byte %zu): %s", pk->where, pk->op_pos,
                       msg);
    return err_set(pk->err, status, "%s, byte %zu (opcode 0x%02x, %s): %s", pk->where, pk->op_pos,
                   pk->op, op_name(pk->op), msg);
}

void *pickle_alloc(pickle *pk, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    chunk *c = pk->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        if (cap > ARENA_MAX - pk->arena_bytes) {
            pickle_fail(
                pk, LORAT_STATUS_UNSUPPORTED,
                "the pickle needs more than %zu MiB of values; a state dict needs a tiny fraction "
                "of that: the file is not a plain state dict, or is hostile",
                ARENA_MAX >> 20);
            return NULL;
        }
        c = malloc(sizeof *c + cap);
        if (!c) {
            pickle_fail(pk, LORAT_STATUS_NO_MEMORY, "no memory for %zu bytes of values", cap);
            return NULL;
        }
        c->next = pk->chunks;
        c->used = 0;
        c->cap = cap;
        pk->chunks = c;
        pk->arena_bytes += cap;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

pickle_value *pickle_new(pickle *pk, pickle_kind kind) {
    pickle_value *v = pickle_alloc(pk, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->kind = kind;
    }
    return v;
}

static lorat_status seq_push(pickle *pk, pickle_value *c, pickle_value *item) {
    if (c->seq.n == c->seq.cap) {
        size_t cap = c->seq.cap ? c->seq.cap * 2 : 8;
        pickle_value **items = pickle_alloc(pk, cap * sizeof *items);
        if (!items) return pk->status;
        if (c->seq.n) memcpy(items, c->seq.items, c->seq.n * sizeof *items);
        c->seq.items = items;
        c->seq.cap = cap;
    }
    c->seq.items[c->seq.n++] = item;
    return LORAT_STATUS_OK;
}

/* ---- the stack, marks and memo -------------------------------------------------------------- */

/* Items at or above this height belong to the innermost open MARK. */
static size_t floor_height(const pickle *pk) {
    return pk->nmarks ? pk->marks[pk->nmarks - 1] : 0;
}

static lorat_status push(pickle *pk, pickle_value *v) {
    if (!v) return pk->status;
    if (pk->sp == pk->stack_cap) {
        if (pk->stack_cap >= STACK_MAX)
            return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                               "the pickle's stack grows past %d values; a state dict needs a few "
                               "thousand at most: "
                               "the file is not a plain state dict, or is hostile",
                               STACK_MAX);
        size_t cap = pk->stack_cap ? pk->stack_cap * 2 : 256;
        pickle_value **s = realloc(pk->stack, cap * sizeof *s);
        if (!s) return pickle_fail(pk, LORAT_STATUS_NO_MEMORY, "no memory for the pickle's stack");
        pk->stack = s;
        pk->stack_cap = cap;
    }
    pk->stack[pk->sp++] = v;
    return LORAT_STATUS_OK;
}

/* Pushes what a hook made: a hook that succeeds must have made something. */
static lorat_status push_made(pickle *pk, pickle_value *v) {
    if (!v)
        return pickle_fail(pk, LORAT_STATUS_INTERNAL, "a hook returned no value (a bug in lorat)");
    return push(pk, v);
}

static lorat_status pop(pickle *pk, pickle_value **out) {
    if (pk->sp <= floor_height(pk))
        return pickle_fail(
            pk, LORAT_STATUS_FORMAT,
            "the opcode needs a value but the stack is empty: the pickle is corrupt");
    *out = pk->stack[--pk->sp];
    return LORAT_STATUS_OK;
}

static lorat_status top(pickle *pk, pickle_value **out) {
    if (pk->sp <= floor_height(pk))
        return pickle_fail(
            pk, LORAT_STATUS_FORMAT,
            "the opcode needs a value but the stack is empty: the pickle is corrupt");
    *out = pk->stack[pk->sp - 1];
    return LORAT_STATUS_OK;
}

/* Closes the innermost MARK: its items are stack[*base, sp). */
static lorat_status pop_mark(pickle *pk, size_t *base) {
    if (pk->nmarks == 0)
        return pickle_fail(pk, LORAT_STATUS_FORMAT, "no MARK is open: the pickle is corrupt");
    *base = pk->marks[--pk->nmarks];
    return LORAT_STATUS_OK;
}

static lorat_status memo_put(pickle *pk, uint64_t idx) {
    pickle_value *v = NULL;
    TRY(top(pk, &v));
    if (idx >= MEMO_MAX)
        return pickle_fail(
            pk, LORAT_STATUS_UNSUPPORTED,
            "memo index %llu is beyond lorat's limit of %d: the file is not a plain state "
            "dict, or is hostile",
            (unsigned long long)idx, MEMO_MAX);
    if (idx >= pk->memo_cap) {
        size_t cap = pk->memo_cap ? pk->memo_cap : 256;
        while (cap <= idx)
            cap *= 2;
        pickle_value **m = realloc(pk->memo, cap * sizeof *m);
        if (!m) return pickle_fail(pk, LORAT_STATUS_NO_MEMORY, "no memory for the pickle's memo");
        memset(m + pk->memo_cap, 0, (cap - pk->memo_cap) * sizeof *m);
        pk->memo = m;
        pk->memo_cap = cap;
    }
    if (!pk->memo[idx]) pk->memo_len++;
    pk->memo[idx] = v;
    return LORAT_STATUS_OK;
}

static lorat_status memo_get(pickle *pk, uint64_t idx) {
    if (idx >= pk->memo_cap || !pk->memo[idx])
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "memo entry %llu is read before it was written: the pickle is corrupt",
                           (unsigned long long)idx);
    return push(pk, pk->memo[idx]);
}

/* ---- reading arguments ---------------------------------------------------------------------- */

static lorat_status take(pickle *pk, uint64_t k, const uint8_t **out) {
    if (k > pk->n - pk->pos)
        return pickle_fail(
            pk, LORAT_STATUS_FORMAT,
            "the pickle ends inside this opcode's argument (%llu bytes needed, %zu left): "
            "the file is truncated",
            (unsigned long long)k, pk->n - pk->pos);
    *out = pk->p + pk->pos;
    pk->pos += (size_t)k;
    return LORAT_STATUS_OK;
}

/* A little-endian unsigned argument of k <= 8 bytes. */
static lorat_status take_uint(pickle *pk, int k, uint64_t *out) {
    const uint8_t *b = NULL;
    TRY(take(pk, (uint64_t)k, &b));
    uint64_t x = 0;
    for (int i = k - 1; i >= 0; i--)
        x = x << 8 | b[i];
    *out = x;
    return LORAT_STATUS_OK;
}

/* LONG1/LONG4: a two's-complement little-endian integer of n bytes; lorat keeps int64. */
static lorat_status take_long(pickle *pk, uint64_t n) {
    if (n > 8)
        return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                           "an integer of %llu bytes does not fit in 64 bits: no tensor needs one",
                           (unsigned long long)n);
    uint64_t x;
    TRY(take_uint(pk, (int)n, &x));
    if (n > 0 && n < 8 && (x >> (8 * n - 1)) & 1) x |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    pickle_value *v = pickle_new(pk, PICKLE_INT);
    if (v) memcpy(&v->i, &x, sizeof x); /* reinterpret as two's complement without UB */
    return push(pk, v);
}

static lorat_status take_str(pickle *pk, pickle_kind kind, uint64_t n) {
    const uint8_t *b = NULL;
    TRY(take(pk, n, &b));
    pickle_value *v = pickle_new(pk, kind);
    if (v) v->s.p = (const char *)b, v->s.n = (size_t)n;
    return push(pk, v);
}

/* GLOBAL's argument: "module\nname\n". */
static lorat_status take_line(pickle *pk, const char **s, size_t *len) {
    size_t left = pk->n - pk->pos;
    size_t max = left < GLOBAL_NAME_MAX ? left : GLOBAL_NAME_MAX;
    const char *start = (const char *)pk->p + pk->pos;
    const char *nl = memchr(start, '\n', max);
    if (!nl)
        return pickle_fail(
            pk, LORAT_STATUS_FORMAT,
            "GLOBAL's argument has no newline within %zu bytes: the pickle is corrupt or "
            "truncated",
            max);
    *s = start;
    *len = (size_t)(nl - start);
    pk->pos += *len + 1;
    return LORAT_STATUS_OK;
}

/* ---- the machine ---------------------------------------------------------------------------- */

/* Builds a tuple, list, set or dict from the items above the innermost MARK. */
static lorat_status collect(pickle *pk, pickle_kind kind) {
    size_t base = 0;
    TRY(pop_mark(pk, &base));
    size_t n = pk->sp - base;
    if (kind == PICKLE_DICT && n % 2)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "a dict is built from an odd number of items (%zu)", n);
    pickle_value *v = pickle_new(pk, kind);
    if (!v) return pk->status;
    if (n) {
        v->seq.items = pickle_alloc(pk, n * sizeof *v->seq.items);
        if (!v->seq.items) return pk->status;
        memcpy(v->seq.items, pk->stack + base, n * sizeof *v->seq.items);
        v->seq.n = v->seq.cap = n;
    }
    pk->sp = base;
    return push(pk, v);
}

/* TUPLE1/2/3 */
static lorat_status small_tuple(pickle *pk, size_t n) {
    if (pk->sp - floor_height(pk) < n)
        return pickle_fail(pk, LORAT_STATUS_FORMAT,
                           "the opcode needs %zu values but the stack has fewer", n);
    pickle_value *v = pickle_new(pk, PICKLE_TUPLE);
    if (!v) return pk->status;
    v->seq.items = pickle_alloc(pk, n * sizeof *v->seq.items);
    if (!v->seq.items) return pk->status;
    memcpy(v->seq.items, pk->stack + pk->sp - n, n * sizeof *v->seq.items);
    v->seq.n = v->seq.cap = n;
    pk->sp -= n;
    return push(pk, v);
}

/* SETITEMS, APPENDS, ADDITEMS: adds the items above the innermost MARK to the container below
 * it. */
static lorat_status add_marked(pickle *pk, pickle_kind kind) {
    size_t base = 0;
    TRY(pop_mark(pk, &base));
    if (base == 0 || base - 1 < floor_height(pk))
        return pickle_fail(pk, LORAT_STATUS_FORMAT, "there is no container below the MARK");
    pickle_value *c = pk->stack[base - 1];
    if (c->kind != kind)
        return pickle_fail(pk, LORAT_STATUS_FORMAT, "the opcode adds items to a %s, not a %s",
                           pickle_kind_name(c->kind), pickle_kind_name(kind));
    if (kind == PICKLE_DICT && (pk->sp - base) % 2)
        return pickle_fail(pk, LORAT_STATUS_FORMAT, "SETITEMS gets an odd number of items");
    for (size_t i = base; i < pk->sp; i++)
        TRY(seq_push(pk, c, pk->stack[i]));
    pk->sp = base;
    return LORAT_STATUS_OK;
}

static lorat_status run(pickle *pk, pickle_value **result) {
    for (;;) {
        if (pk->pos >= pk->n) {
            pk->op_pos = pk->pos;
            return pickle_fail(pk, LORAT_STATUS_FORMAT,
                               "the pickle ends without a STOP opcode: the file is truncated");
        }
        pk->op_pos = pk->pos;
        pk->op = pk->p[pk->pos++];
        uint64_t x;
        size_t base = 0;
        const uint8_t *bytes = NULL;
        pickle_value *a = NULL, *b = NULL, *c = NULL;
        switch (pk->op) {
        case 0x80: /* PROTO */
            TRY(take_uint(pk, 1, &x));
            if (x > 5)
                return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                                   "pickle protocol %llu is newer than lorat knows (up to 5)",
                                   (unsigned long long)x);
            break;
        case 0x95:
            TRY(take_uint(pk, 8, &x));
            break; /* FRAME: only a read-ahead hint */
        case '.':  /* STOP */
            TRY(pop(pk, result));
            return LORAT_STATUS_OK;
        case '(': /* MARK */
            if (pk->nmarks == pk->marks_cap) {
                if (pk->marks_cap >= MARKS_MAX)
                    return pickle_fail(pk, LORAT_STATUS_UNSUPPORTED,
                                       "more than %d MARKs are open at once: the file is hostile",
                                       MARKS_MAX);
                size_t cap = pk->marks_cap ? pk->marks_cap * 2 : 32;
                size_t *m = realloc(pk->marks, cap * sizeof *m);
                if (!m) return pickle_fail(pk, LORAT_STATUS_NO_MEMORY, "no memory for the marks");
                pk->marks = m;
                pk->marks_cap = cap;
            }
            pk->marks[pk->nmarks++] = pk->sp;
            break;
        case '0': /* POP: the top value, or the innermost MARK when none is above it */
            if (pk->sp > floor_height(pk)) {
                pk->sp--;
            } else {
                TRY(pop_mark(pk, &base));
            }
            break;
        case '1':
            TRY(pop_mark(pk, &base));
            pk->sp = base;
            break; /* POP_MARK */
        case '2':
            TRY(top(pk, &a));
            TRY(push(pk, a));
            break; /* DUP */
        case '}':
            TRY(push(pk, pickle_new(pk, PICKLE_DICT)));
            break;
        case ']':
            TRY(push(pk, pickle_new(pk, PICKLE_LIST)));
            break;
        case ')':
            TRY(push(pk, pickle_new(pk, PICKLE_TUPLE)));
            break;
        case 0x8f:
            TRY(push(pk, pickle_new(pk, PICKLE_SET)));
            break;
        case 'd':
            TRY(collect(pk, PICKLE_DICT));
            break;
        case 'l':
            TRY(collect(pk, PICKLE_LIST));
            break;
        case 't':
            TRY(collect(pk, PICKLE_TUPLE));
            break;
        case 0x91:
            TRY(collect(pk, PICKLE_SET));
            break; /* FROZENSET */
        case 0x85:
            TRY(small_tuple(pk, 1));
            break;
        case 0x86:
            TRY(small_tuple(pk, 2));
            break;
        case 0x87:
            TRY(small_tuple(pk, 3));
            break;
        case 'q':
            TRY(take_uint(pk, 1, &x));
            TRY(memo_put(pk, x));
            break;
        case 'r':
            TRY(take_uint(pk, 4, &x));
            TRY(memo_put(pk, x));
            break;
        case 0x94:
            TRY(memo_put(pk, pk->memo_len));
            break; /* MEMOIZE */
        case 'h':
            TRY(take_uint(pk, 1, &x));
            TRY(memo_get(pk, x));
            break;
        case 'j':
            TRY(take_uint(pk, 4, &x));
            TRY(memo_get(pk, x));
            break;
        case 'J': /* BININT: signed 32-bit */
            TRY(take_uint(pk, 4, &x));
            a = pickle_new(pk, PICKLE_INT);
            if (a) a->i = (int32_t)(uint32_t)x;
            TRY(push(pk, a));
            break;
        case 'K':
        case 'M': /* BININT1, BININT2: unsigned */
            TRY(take_uint(pk, pk->op == 'K' ? 1 : 2, &x));
            a = pickle_new(pk, PICKLE_INT);
            if (a) a->i = (int64_t)x;
            TRY(push(pk, a));
            break;
        case 0x8a:
            TRY(take_uint(pk, 1, &x));
            TRY(take_long(pk, x));
            break; /* LONG1 */
        case 0x8b: /* LONG4: the length is signed */
            TRY(take_uint(pk, 4, &x));
            if (x & 0x80000000u) return pickle_fail(pk, LORAT_STATUS_FORMAT, "negative length");
            TRY(take_long(pk, x));
            break;
        case 'N':
            TRY(push(pk, pickle_new(pk, PICKLE_NONE)));
            break;
        case 0x88:
        case 0x89: /* NEWTRUE, NEWFALSE */
            a = pickle_new(pk, PICKLE_BOOL);
            if (a) a->i = pk->op == 0x88;
            TRY(push(pk, a));
            break;
        case 'G': /* BINFLOAT: big-endian IEEE double */
            TRY(take(pk, 8, &bytes));
            x = 0;
            for (int i = 0; i < 8; i++)
                x = x << 8 | bytes[i];
            a = pickle_new(pk, PICKLE_FLOAT);
            if (a) memcpy(&a->f, &x, 8);
            TRY(push(pk, a));
            break;
        case 'X':
            TRY(take_uint(pk, 4, &x));
            TRY(take_str(pk, PICKLE_STR, x));
            break;
        case 0x8c:
            TRY(take_uint(pk, 1, &x));
            TRY(take_str(pk, PICKLE_STR, x));
            break;
        case 0x8d:
            TRY(take_uint(pk, 8, &x));
            TRY(take_str(pk, PICKLE_STR, x));
            break;
        case 'U':
            TRY(take_uint(pk, 1, &x));
            TRY(take_str(pk, PICKLE_STR, x));
            break;
        case 'T': /* BINSTRING: signed 32-bit length */
            TRY(take_uint(pk, 4, &x));
            if (x & 0x80000000u) return pickle_fail(pk, LORAT_STATUS_FORMAT, "negative length");
            TRY(take_str(pk, PICKLE_STR, x));
            break;
        case 'C':
            TRY(take_uint(pk, 1, &x));
            TRY(take_str(pk, PICKLE_BYTES, x));
            break;
        case 'B':
            TRY(take_uint(pk, 4, &x));
            TRY(take_str(pk, PICKLE_BYTES, x));
            break;
        case 0x8e:
            TRY(take_uint(pk, 8, &x));
            TRY(take_str(pk, PICKLE_BYTES, x));
            break;
        case 'c': { /* GLOBAL */
            const char *mod = NULL, *name = NULL;
            size_t mod_len = 0, name_len = 0;
            TRY(take_line(pk, &mod, &mod_len));
            TRY(take_line(pk, &name, &name_len));
            TRY(pk->hooks->global(pk, pk->hooks->ctx, mod, mod_len, name, name_len, &c));
            TRY(push_made(pk, c));
            break;
        }
        case 0x93: /* STACK_GLOBAL */
            TRY(pop(pk, &b));
            TRY(pop(pk, &a));
            if (a->kind != PICKLE_STR || b->kind != PICKLE_STR)
                return pickle_fail(pk, LORAT_STATUS_FORMAT,
                                   "STACK_GLOBAL's module and name are not str");
            TRY(pk->hooks->global(pk, pk->hooks->ctx, a->s.p, a->s.n, b->s.p, b->s.n, &c));
            TRY(push_made(pk, c));
            break;
        case 'R':
        case 0x81: /* REDUCE, NEWOBJ */
            TRY(pop(pk, &b));
            TRY(pop(pk, &a));
            if (b->kind != PICKLE_TUPLE)
                return pickle_fail(pk, LORAT_STATUS_FORMAT,
                                   "the arguments of a call are a %s, not a tuple: the pickle "
                                   "is corrupt",
                                   pickle_kind_name(b->kind));
            TRY(pk->hooks->call(pk, pk->hooks->ctx, a, b, &c));
            TRY(push_made(pk, c));
            break;
        case 'b': /* BUILD: sets an object's state, e.g. a state dict's _metadata: not needed */
            TRY(pop(pk, &b));
            TRY(top(pk, &a));
            if (a->kind != PICKLE_DICT && a->kind != PICKLE_OBJECT)
                return pickle_fail(pk, LORAT_STATUS_FORMAT,
                                   "BUILD sets the state of a %s, which torch.save never does",
                                   pickle_kind_name(a->kind));
            break;
        case 's': /* SETITEM */
            TRY(pop(pk, &b));
            TRY(pop(pk, &a));
            TRY(top(pk, &c));
            if (c->kind != PICKLE_DICT)
                return pickle_fail(pk, LORAT_STATUS_FORMAT,
                                   "SETITEM on a %s, not a dict: the pickle is corrupt",
                                   pickle_kind_name(c->kind));
            TRY(seq_push(pk, c, a));
            TRY(seq_push(pk, c, b));
            break;
        case 'u':
            TRY(add_marked(pk, PICKLE_DICT));
            break;
        case 'a': /* APPEND */
            TRY(pop(pk, &b));
            TRY(top(pk, &a));
            if (a->kind != PICKLE_LIST)
                return pickle_fail(pk, LORAT_STATUS_FORMAT,
                                   "APPEND to a %s, not a list: the pickle is corrupt",
                                   pickle_kind_name(a->kind));
            TRY(seq_push(pk, a, b));
            break;
        case 'e':
            TRY(add_marked(pk, PICKLE_LIST));
            break;
        case 0x90:
            TRY(add_marked(pk, PICKLE_SET));
            break; /* ADDITEMS */
        case 'Q':  /* BINPERSID */
            TRY(pop(pk, &a));
            TRY(pk->hooks->persistent_load(pk, pk->hooks->ctx, a, &c));
            TRY(push_made(pk, c));
            break;
        default:
            return pickle_fail(
                pk, LORAT_STATUS_UNSUPPORTED,
                "lorat's pickle does not run this opcode; torch.save (protocols 2-5) "
                "does not write it: the file was written by something else, or is "
                "hostile");
        }
    }
}

lorat_status pickle_load(const uint8_t *data, size_t size, const pickle_hooks *hooks,
                         const char *where, pickle **out, pickle_value **result, lorat_error *err) {
    *out = NULL;
    *result = NULL;
    pickle *pk = calloc(1, sizeof *pk);
    if (!pk) return err_set(err, LORAT_STATUS_NO_MEMORY, "%s: no memory", where);
    pk->p = data;
    pk->n = size;
    pk->hooks = hooks;
    pk->where = where;
    pk->err = err;
    lorat_status st = run(pk, result);
    /* The stack, marks and memo only hold pointers to values; the arena holds the values. */
    free(pk->stack);
    free(pk->marks);
    free(pk->memo);
    pk->stack = NULL, pk->marks = NULL, pk->memo = NULL;
    if (st != LORAT_STATUS_OK) {
        pickle_free(pk);
        *result = NULL;
        return st;
    }
    *out = pk;
    return LORAT_STATUS_OK;
}

void pickle_free(pickle *pk) {
    if (!pk) return;
    for (chunk *c = pk->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(pk);
}
