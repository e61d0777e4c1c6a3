/* trax_proto.c — see trax_proto.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/trax_proto.h"

/* ---- reading ------------------------------------------------------------------------------ */

/* Reads one line into s->line (NUL-terminated, without its newline; a \r before it dropped) and
 * its length into *n. 1: a line (a last line without a newline counts), 0: the end of the input,
 * -1: an error (err says which). Never holds more than TRAX_MAX_LINE bytes. */
int trax_read_line(trax_stream *s, size_t *n, lorat_error *err) {
    size_t len = 0;
    int got = 0;
    for (;;) {
        if (s->pos == s->len) {
            if (s->eof) break;
            const ssize_t r = read(s->in, s->buf, sizeof s->buf);
            if (r < 0) {
                if (errno == EINTR) continue;
                err_set(err, LORAT_STATUS_IO, "cannot read from the client: %s", strerror(errno));
                return -1;
            }
            if (r == 0) {
                s->eof = 1;
                break;
            }
            s->pos = 0;
            s->len = (size_t)r;
        }
        got = 1;
        const char *start = s->buf + s->pos;
        const char *nl = memchr(start, '\n', s->len - s->pos);
        const size_t take = nl ? (size_t)(nl - start) : s->len - s->pos;
        if (take > TRAX_MAX_LINE - len) {
            memcpy(s->line + len, start, TRAX_MAX_LINE - len);
            s->line[40] = '\0';
            err_set(err, LORAT_STATUS_BAD_INPUT,
                    "a line longer than %d bytes, starting '%s': no TraX message lorat takes is "
                    "that long (images are sent as file paths)",
                    TRAX_MAX_LINE, s->line);
            return -1;
        }
        memcpy(s->line + len, start, take);
        len += take;
        s->pos += take + (nl ? 1 : 0);
        if (nl) break;
    }
    if (!got) return 0;
    if (len > 0 && s->line[len - 1] == '\r') len--;
    s->line[len] = '\0';
    if (memchr(s->line, '\0', len)) {
        err_set(err, LORAT_STATUS_BAD_INPUT, "a line with a NUL byte in it, starting '%.40s'",
                s->line);
        return -1;
    }
    *n = len;
    return 1;
}

static int is_key(const char *s, size_t n) {
    if (n == 0 || n > TRAX_MAX_KEY) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_') return 0;
    return 1;
}

/* Splits a line into the message's name, its arguments and its named arguments (key=value, the
 * key of letters, digits, '.' and '_', at most 64 of them; any other argument with '=' in it is
 * a plain one), undoing the double quotes and the escapes \" \\ \n. 1: a message, 0: a line
 * without the prefix (not a message: ignored, as the protocol lets other output pass), -1: a
 * malformed message. */
int trax_message_parse(const char *line, size_t n, trax_message *m, lorat_error *err) {
    if (n < TRAX_PREFIX_LEN || memcmp(line, TRAX_PREFIX, TRAX_PREFIX_LEN) != 0) return 0;
    const char *p = line + TRAX_PREFIX_LEN, *end = line + n;
    /* The decoded text never outgrows the line: the prefix and the spaces before each argument
     * are not copied and leave room for the NULs. */
    char *out = m->text;
    m->n_args = m->n_named = 0;
    m->name = out;
    while (p < end && isalnum((unsigned char)*p))
        *out++ = *p++;
    if (out == m->name || (p < end && *p != ' ')) {
        err_set(err, LORAT_STATUS_BAD_INPUT,
                "malformed message '%.60s': @@TRAX: must be followed by the message's name "
                "(letters and digits), then a space before any argument",
                line);
        return -1;
    }
    *out++ = '\0';
    for (;;) {
        while (p < end && *p == ' ')
            p++;
        if (p == end) break;
        char *tok = out;
        const int quoted = *p == '"';
        if (quoted) p++;
        for (;;) {
            if (p == end) {
                if (quoted) {
                    err_set(err, LORAT_STATUS_BAD_INPUT,
                            "malformed %s message: an argument opened with \" is not closed",
                            m->name);
                    return -1;
                }
                break;
            }
            char c = *p++;
            if (quoted && c == '"') {
                if (p < end && *p != ' ') {
                    err_set(err, LORAT_STATUS_BAD_INPUT,
                            "malformed %s message: '%c' right after a closing quote (arguments "
                            "are separated by spaces)",
                            m->name, *p);
                    return -1;
                }
                break;
            }
            if (!quoted && c == ' ') break;
            if (c == '\\') {
                if (p == end) {
                    err_set(err, LORAT_STATUS_BAD_INPUT,
                            "malformed %s message: it ends in the middle of an escape (\\)",
                            m->name);
                    return -1;
                }
                c = *p++;
                if (c == 'n') c = '\n';
            }
            *out++ = c;
        }
        *out++ = '\0';
        char *eq = strchr(tok, '=');
        if (eq && is_key(tok, (size_t)(eq - tok))) {
            if (m->n_named == TRAX_MAX_NAMED) {
                err_set(err, LORAT_STATUS_BAD_INPUT, "%s message with more than %d named arguments",
                        m->name, TRAX_MAX_NAMED);
                return -1;
            }
            *eq = '\0';
            m->keys[m->n_named] = tok;
            m->values[m->n_named++] = eq + 1;
        } else {
            if (m->n_args == TRAX_MAX_ARGS) {
                err_set(err, LORAT_STATUS_BAD_INPUT, "%s message with more than %d arguments",
                        m->name, TRAX_MAX_ARGS);
                return -1;
            }
            m->args[m->n_args++] = tok;
        }
    }
    return 1;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Appends s to buf (escaping '"', '\\' and newlines when escape is set); *len becomes cap when
 * the message would not fit. */
static void put(char *buf, size_t cap, size_t *len, const char *s, int escape) {
    for (; *s && *len < cap; s++) {
        const int special = escape && (*s == '"' || *s == '\\' || *s == '\n');
        if (*len + 1 + special >= cap) {
            *len = cap;
            return;
        }
        if (special) buf[(*len)++] = '\\';
        buf[(*len)++] = *s == '\n' && escape ? 'n' : *s;
    }
}

static lorat_status write_all(int fd, const char *buf, size_t n, lorat_error *err) {
    while (n > 0) {
        const ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return err_set(err, LORAT_STATUS_IO, "cannot send a message to the client: %s",
                           strerror(errno));
        }
        buf += w;
        n -= (size_t)w;
    }
    return LORAT_STATUS_OK;
}

/* Sends one message, every argument quoted: the arguments, then key=value pairs. One write, so
 * that a message is never split around another writer's output. */
lorat_status trax_message_send(trax_stream *s, const char *name, const char *const *args,
                                 int n_args, const char *const *keys, const char *const *values,
                                 int n_named, lorat_error *err) {
    char buf[TRAX_MAX_OUT];
    size_t len = 0;
    put(buf, sizeof buf, &len, TRAX_PREFIX, 0);
    put(buf, sizeof buf, &len, name, 0);
    for (int i = 0; i < n_args; i++) {
        put(buf, sizeof buf, &len, " \"", 0);
        put(buf, sizeof buf, &len, args[i], 1);
        put(buf, sizeof buf, &len, "\"", 0);
    }
    for (int i = 0; i < n_named; i++) {
        put(buf, sizeof buf, &len, " \"", 0);
        put(buf, sizeof buf, &len, keys[i], 0);
        put(buf, sizeof buf, &len, "=", 0);
        put(buf, sizeof buf, &len, values[i], 1);
        put(buf, sizeof buf, &len, "\"", 0);
    }
    put(buf, sizeof buf, &len, "\n", 0);
    if (len >= sizeof buf)
        return err_set(err, LORAT_STATUS_INTERNAL, "a %s message longer than %d bytes", name,
                       TRAX_MAX_OUT);
    return write_all(s->out, buf, len, err);
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* A region: a rectangle x,y,w,h, or a polygon x1,y1,x2,y2,x3,y3,... taken as its bounding box
 * (as the TraX library converts one). Values separated by commas, all finite. */
lorat_status trax_region_parse(const char *s, lorat_box *box, lorat_error *err) {
    if (!strncmp(s, "mask:", 5))
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "a mask region: lorat trax announces trax.region=rectangle (x,y,w,h); a "
                       "client converts masks to rectangles when it reads that");
    double v[4] = {0}, lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    int n = 0;
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        const double x = strtod(p, &end);
        if (end == p || !isfinite(x) || fabs(x) > 3.0e38 || (*end && *end != ',')) {
            return err_set(err, LORAT_STATUS_BAD_INPUT,
                           "region '%.80s' is not a list of numbers separated by commas "
                           "(x,y,w,h or a polygon x1,y1,x2,y2,...)",
                           s);
        }
        if (n < 4) v[n] = x;
        lo[n % 2] = fmin(lo[n % 2], x);
        hi[n % 2] = fmax(hi[n % 2], x);
        if (n == 1 << 20)
            return err_set(err, LORAT_STATUS_BAD_INPUT, "region with more than %d values", 1 << 20);
        n++;
        if (!*end) break;
        p = end + 1;
    }
    if (n == 4) {
        *box = (lorat_box){(float)v[0], (float)v[1], (float)v[2], (float)v[3]};
    } else if (n >= 6 && n % 2 == 0) {
        *box =
            (lorat_box){(float)lo[0], (float)lo[1], (float)(hi[0] - lo[0]), (float)(hi[1] - lo[1])};
    } else {
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "region '%.80s' has %d value%s: a rectangle is x,y,w,h and a polygon at "
                       "least three x,y pairs",
                       s, n, n == 1 ? "" : "s");
    }
    return LORAT_STATUS_OK;
}

/* The file an image argument names: a file:// URL (file:///abs/path, as the TraX library writes
 * one; the path is taken as it is, not percent-decoded, as the library sends it) or a plain path.
 */
lorat_status trax_image_path(const char *arg, const char **path, lorat_error *err) {
    const char *p = arg;
    if (!strncmp(arg, "file://", 7))
        p = arg + 7;
    else if (!strncmp(arg, "file:", 5))
        p = arg + 5;
    else {
        size_t i = 0;
        while (isalnum((unsigned char)arg[i]) || arg[i] == '+' || arg[i] == '-' || arg[i] == '.')
            i++;
        if (i >= 2 && arg[i] == ':' && isalpha((unsigned char)arg[0]))
            return err_set(err, LORAT_STATUS_UNSUPPORTED,
                           "image '%.60s' is a %.*s: resource: lorat trax announces "
                           "trax.image=path and reads image files (file:// URLs or paths)",
                           arg, (int)i, arg);
    }
    if (!*p) return err_set(err, LORAT_STATUS_BAD_INPUT, "image '%s' names no file", arg);
    *path = p;
    return LORAT_STATUS_OK;
}
