/*
 * pickle.h — a restricted unpickler. A pickle is a program for a small stack machine, and
 * Python's unpickler runs whatever callables it names. This one runs the opcodes that build
 * plain values (None, bools, ints, floats, strings, bytes, tuples, lists, sets, dicts) and hands
 * everything else — each global the pickle names, each call, each persistent id — to the
 * caller's hooks, which decide what may be built. It executes nothing itself.
 *
 * Values live in an arena owned by the pickle and die with pickle_free. Strings and bytes point
 * into the pickle's own bytes (not NUL-terminated), which must outlive the values.
 */
#ifndef LORAT_IO_PICKLE_H
#define LORAT_IO_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum pickle_kind {
    PICKLE_NONE,
    PICKLE_BOOL,
    PICKLE_INT,
    PICKLE_FLOAT,
    PICKLE_STR,
    PICKLE_BYTES,
    PICKLE_TUPLE,
    PICKLE_LIST,
    PICKLE_SET,
    PICKLE_DICT,
    PICKLE_OBJECT, /* made by a hook */
} pickle_kind;

typedef struct pickle_value pickle_value;
struct pickle_value {
    pickle_kind kind;
    union {
        int64_t i; /* BOOL, INT (ints past 64 bits are refused) */
        double f;  /* FLOAT */
        struct {
            const char *p;
            size_t n;
        } s; /* STR (UTF-8), BYTES */
        struct {
            pickle_value **items;
            size_t n, cap;
        } seq; /* TUPLE, LIST, SET; DICT: key, value, key, value, ... in insertion order */
        struct {
            int type; /* the hook's own tag */
            void *ptr;
        } obj; /* OBJECT */
    };
};

typedef struct pickle pickle;

/* Each hook returns a new value in *out, or fails through pickle_fail. */
typedef struct pickle_hooks {
    void *ctx;
    /* GLOBAL / STACK_GLOBAL: module.name (not NUL-terminated). */
    lorat_status (*global)(pickle *pk, void *ctx, const char *module, size_t module_len,
                           const char *name, size_t name_len, pickle_value **out);
    /* REDUCE / NEWOBJ: fn(*args); fn is whatever the pickle put there, args a tuple. */
    lorat_status (*call)(pickle *pk, void *ctx, const pickle_value *fn, const pickle_value *args,
                         pickle_value **out);
    /* BINPERSID: the object a persistent id stands for. */
    lorat_status (*persistent_load)(pickle *pk, void *ctx, const pickle_value *pid,
                                    pickle_value **out);
} pickle_hooks;

/* Runs the pickle data[0, size) to its STOP and returns the value it leaves in *result. where
 * opens every message ("model.pth: archive/data.pkl"). On failure *out is NULL. BUILD (setting
 * an object's state) is accepted on dicts and hook-made objects and ignored: lorat needs no
 * attribute that a state would set. */
lorat_status pickle_load(const uint8_t *data, size_t size, const pickle_hooks *hooks,
                         const char *where, pickle **out, pickle_value **result, lorat_error *err);
void pickle_free(pickle *pk);

/* For hooks: memory that lives as long as pk, a new zeroed value (both NULL after failing pk:
 * out of memory, or past the cap on a pickle's memory), a failure message placed at the current
 * opcode, and the status of pk's last failure. */
void *pickle_alloc(pickle *pk, size_t n);
pickle_value *pickle_new(pickle *pk, pickle_kind kind);
lorat_status pickle_fail(pickle *pk, lorat_status status, const char *fmt, ...) LORAT_PRINTF(3, 4);

lorat_status pickle_status(const pickle *pk);

/* "None", "int", "dict", ..., "object" */
const char *pickle_kind_name(pickle_kind kind);
/* 1 when v is a str equal to lit. */
int pickle_str_is(const pickle_value *v, const char *lit);

#endif
