/*
 * trax_proto.h — the text layer of the TraX protocol as `lorat trax` speaks it (votchallenge/trax,
 * docs/protocol.rst, version 1): reading bounded lines, splitting a message into its name,
 * arguments and named arguments, writing one, and reading the arguments lorat takes (a region,
 * an image path). Apart from the session (cli/trax.c) so that a fuzz harness can drive it.
 */
#ifndef LORAT_CLI_TRAX_PROTO_H
#define LORAT_CLI_TRAX_PROTO_H

#include <stddef.h>

#include "core/error.h"
#include "lorat.h"

#define TRAX_PREFIX "@@TRAX:"
#define TRAX_PREFIX_LEN 7
#define TRAX_MAX_LINE 65536 /* bytes of one input line, its newline excluded */
#define TRAX_MAX_ARGS 16    /* positional arguments of one message (version 1 needs 2) */
#define TRAX_MAX_NAMED 64   /* named arguments of one message */
#define TRAX_MAX_KEY 64     /* the protocol's limit on a key's length */
#define TRAX_MAX_OUT 8192   /* bytes of one message lorat sends */

/* The connection: where messages come from and go to, a read buffer and the current line. */
typedef struct trax_stream {
    int in, out;
    int eof;
    size_t pos, len;
    char buf[16384];
    char line[TRAX_MAX_LINE + 1];
} trax_stream;

/* One parsed message. Names, arguments, keys and values point into text, each NUL-terminated. */
typedef struct trax_message {
    const char *name;
    int n_args, n_named;
    const char *args[TRAX_MAX_ARGS];
    const char *keys[TRAX_MAX_NAMED], *values[TRAX_MAX_NAMED];
    char text[TRAX_MAX_LINE + 2];
} trax_message;

/* Reads one line into s->line (NUL-terminated, without its newline; a \r before it dropped) and
 * its length into *n. 1: a line (a last line without a newline counts), 0: the end of the input,
 * -1: an error (err says which). Never holds more than TRAX_MAX_LINE bytes. */
int trax_read_line(trax_stream *s, size_t *n, lorat_error *err);

/* Splits a line into m: 1: a message, 0: a line without the @@TRAX: prefix (not a message),
 * -1: a malformed message (err says why). */
int trax_message_parse(const char *line, size_t n, trax_message *m, lorat_error *err);

/* Sends one message on s->out in one write, every argument quoted and escaped. */
lorat_status trax_message_send(trax_stream *s, const char *name, const char *const *args,
                               int n_args, const char *const *keys, const char *const *values,
                               int n_named, lorat_error *err);

/* A region argument: x,y,w,h, or a polygon x1,y1,... taken as its bounding box. */
lorat_status trax_region_parse(const char *s, lorat_box *box, lorat_error *err);

/* The file an image argument names (a file:// URL or a plain path), pointing into arg. */
lorat_status trax_image_path(const char *arg, const char **path, lorat_error *err);

#endif
