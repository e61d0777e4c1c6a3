/*
 * trax.c — `lorat trax`: the tracker as a TraX server, the protocol through which the VOT toolkit
 * runs native trackers (votchallenge/trax, docs/protocol.rst).
 *
 * One object, protocol version 1 messages: the client sends `initialize` (an image and a region)
 * and `frame` (an image); each is answered with `state`. An `initialize` in the middle of a
 * sequence starts the tracker afresh; `quit` ends the session. Images are file paths (`file://`
 * URLs or plain paths), regions rectangles x,y,w,h; a polygon is taken as its bounding box.
 * Not a general TraX library: no client side, no memory or data images, no masks, no
 * multi-object sessions (version 4).
 *
 * Messages travel on stdin/stdout, or on a TCP connection to 127.0.0.1:$TRAX_SOCKET when the
 * client sets it (the toolkit's `socket` option). On stdio the protocol keeps file descriptor 1
 * to itself and the process's stdout is pointed at stderr, so nothing a library prints (oneDNN's
 * DNNL_VERBOSE, say) can land inside a message. Every input line is bounded (TRAX_MAX_LINE). A
 * malformed message, an unreadable image or a failing frame ends the session: a message on
 * stderr, `quit` to the client (the protocol's termination by the server), exit status 1.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "io/image.h"
#include "kernels/kernels.h"
#include "model/model.h"

#define TRAX_PREFIX "@@TRAX:"
#define TRAX_PREFIX_LEN 7
#define TRAX_MAX_LINE 65536 /* bytes of one input line, its newline excluded */
#define TRAX_MAX_ARGS 16    /* positional arguments of one message (version 1 needs 2) */
#define TRAX_MAX_NAMED 64   /* named arguments of one message */
#define TRAX_MAX_KEY 64     /* the protocol's limit on a key's length */
#define TRAX_MAX_OUT 8192   /* bytes of one message lorat sends */

static const char *usage =
    "lorat trax --model M.safetensors [--threads N] [--precision fp32|bf16|int8]\n"
    "           [--size-update A] [--size-gate C] [--box-average R] [--window-influence W]\n"
    "  a TraX server (the VOT toolkit's protocol, version 1) on stdin/stdout, or on a connection\n"
    "  to 127.0.0.1:$TRAX_SOCKET when the client sets TRAX_SOCKET: images as file paths or\n"
    "  file:// URLs, regions as rectangles x,y,w,h (a polygon is taken as its bounding box);\n"
    "  each state after a frame carries the tracker's confidence as the property "
    "`confidence`\n" CLI_TRACKING_USAGE CLI_PRECISION_USAGE;

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

typedef struct trax_session {
    trax_stream stream;
    trax_message msg;
    lorat_tracker *tracker;
    image img;
    int initialized;
    int frame; /* frames since the last initialize, which is frame 0 */
} trax_session;

/* ---- reading ------------------------------------------------------------------------------ */

/* Reads one line into s->line (NUL-terminated, without its newline; a \r before it dropped) and
 * its length into *n. 1: a line (a last line without a newline counts), 0: the end of the input,
 * -1: an error (err says which). Never holds more than TRAX_MAX_LINE bytes. */
static int stream_read_line(trax_stream *s, size_t *n, lorat_error *err) {
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
static int message_parse(const char *line, size_t n, trax_message *m, lorat_error *err) {
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
static lorat_status message_send(trax_stream *s, const char *name, const char *const *args,
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

static lorat_status send_state(trax_stream *s, lorat_box b, const float *confidence,
                               lorat_error *err) {
    char region[256], conf[32];
    snprintf(region, sizeof region, "%.4f,%.4f,%.4f,%.4f", b.x, b.y, b.w, b.h);
    const char *args[1] = {region};
    const char *keys[1] = {"confidence"}, *values[1] = {conf};
    if (confidence) snprintf(conf, sizeof conf, "%.6f", *confidence);
    return message_send(s, "state", args, 1, keys, values, confidence ? 1 : 0, err);
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* A region: a rectangle x,y,w,h, or a polygon x1,y1,x2,y2,x3,y3,... taken as its bounding box
 * (as the TraX library converts one). Values separated by commas, all finite. */
static lorat_status region_parse(const char *s, lorat_box *box, lorat_error *err) {
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
static lorat_status image_path(const char *arg, const char **path, lorat_error *err) {
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

/* ---- the session -------------------------------------------------------------------------- */

static lorat_status read_frame(trax_session *s, const char *arg, const char **path,
                               lorat_error *err) {
    lorat_status st = image_path(arg, path, err);
    if (st) return st;
    return image_read(*path, &s->img, err);
}

static lorat_status on_initialize(trax_session *s, lorat_error *err) {
    const trax_message *m = &s->msg;
    if (m->n_args != 2)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "initialize with %d argument%s: lorat trax (protocol version 1, one "
                       "channel) takes an image and a region",
                       m->n_args, m->n_args == 1 ? "" : "s");
    lorat_box box;
    lorat_status st = region_parse(m->args[1], &box, err);
    if (st) return st;
    const char *path;
    if ((st = read_frame(s, m->args[0], &path, err))) return st;
    const lorat_image view = {s->img.w, s->img.h, 3 * s->img.w, s->img.data};
    if ((st = lorat_tracker_init(s->tracker, &view, box, err))) {
        err_prefix(err, "initialize on %s", path);
        return st;
    }
    s->initialized = 1;
    s->frame = 0;
    return send_state(&s->stream, box, NULL, err);
}

static lorat_status on_frame(trax_session *s, lorat_error *err) {
    const trax_message *m = &s->msg;
    if (m->n_args != 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "frame with %d arguments: lorat trax (protocol version 1, one channel) "
                       "takes one image",
                       m->n_args);
    if (!s->initialized)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "frame before any initialize: the first message must be initialize (an "
                       "image and a region)");
    const char *path;
    lorat_status st = read_frame(s, m->args[0], &path, err);
    s->frame++;
    if (st) {
        err_prefix(err, "frame %d after initialize", s->frame);
        return st;
    }
    const lorat_image view = {s->img.w, s->img.h, 3 * s->img.w, s->img.data};
    lorat_box box;
    float conf;
    if ((st = lorat_tracker_update(s->tracker, &view, &box, &conf, err))) {
        err_prefix(err, "frame %d after initialize (%s)", s->frame, path);
        return st;
    }
    return send_state(&s->stream, box, &conf, err);
}

/* Answers messages until quit (LORAT_STATUS_OK) or an error. */
static lorat_status serve(trax_session *s, lorat_error *err) {
    int noted = 0;
    for (;;) {
        size_t n;
        const int r = stream_read_line(&s->stream, &n, err);
        if (r < 0) return err->status;
        if (r == 0)
            return err_set(err, LORAT_STATUS_IO,
                           "the client closed the connection without sending quit");
        const int p = message_parse(s->stream.line, n, &s->msg, err);
        if (p < 0) return err->status;
        if (p == 0) {
            if (n > 0 && !noted)
                fprintf(stderr,
                        "lorat trax: ignoring lines that are not TraX messages, such as "
                        "'%.60s'\n",
                        s->stream.line);
            noted |= n > 0;
            continue;
        }
        const char *name = s->msg.name;
        lorat_status st;
        if (!strcasecmp(name, "quit"))
            return LORAT_STATUS_OK;
        else if (!strcasecmp(name, "initialize"))
            st = on_initialize(s, err);
        else if (!strcasecmp(name, "frame"))
            st = on_frame(s, err);
        else if (!strcasecmp(name, "hello") || !strcasecmp(name, "state") ||
                 !strcasecmp(name, "status"))
            st = err_set(err, LORAT_STATUS_BAD_INPUT,
                         "the client sent '%s', a message only a server sends", name);
        else
            st =
                err_set(err, LORAT_STATUS_BAD_INPUT,
                        "unknown message '%.40s' (a client sends initialize, frame or quit)", name);
        if (st) return st;
    }
}

/* The connection TRAX_SOCKET asks for: the client listens on 127.0.0.1:port. A few tries, as
 * the client may still be setting up. */
static lorat_status socket_connect(const char *port_s, int *fd, lorat_error *err) {
    int port;
    if (!cli_parse_int(port_s, &port) || port < 1 || port > 65535)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "TRAX_SOCKET='%s' is not a port in 1..65535",
                       port_s);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int e = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
        const int sfd = socket(AF_INET, SOCK_STREAM, 0);
        if (sfd < 0) {
            e = errno;
            break;
        }
        if (connect(sfd, (const struct sockaddr *)&a, sizeof a) == 0) {
            const int one = 1;
            setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *fd = sfd;
            return LORAT_STATUS_OK;
        }
        e = errno;
        close(sfd);
        if (e != ECONNREFUSED && e != EINTR) break;
        const struct timespec wait = {0, 100 * 1000 * 1000};
        nanosleep(&wait, NULL);
    }
    return err_set(err, LORAT_STATUS_IO,
                   "TRAX_SOCKET=%d: cannot connect to 127.0.0.1:%d: %s (the client listens there "
                   "before it starts the tracker)",
                   port, port, strerror(e));
}

int cli_trax(int argc, char **argv) {
    const char *model_path = NULL, *threads_s = NULL, *precision_s = NULL;
    cli_tracking tracking = {0};
    for (int i = 0; i < argc; i++) {
        if (cli_tracking_opt(argc, argv, &i, &tracking) ||
            cli_opt(argc, argv, &i, "--model", &model_path) ||
            cli_opt(argc, argv, &i, "--threads", &threads_s) ||
            cli_opt(argc, argv, &i, "--precision", &precision_s))
            continue;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        }
        return cli_usage_error("trax", usage, "unknown argument '%s'", argv[i]);
    }
    if (!model_path) return cli_usage_error("trax", usage, "--model is required");
    int threads = 0;
    if (threads_s && !cli_parse_threads(threads_s, &threads))
        return cli_usage_error("trax", usage, "--threads '%s' is not a number in 1..%d", threads_s,
                               CLI_MAX_THREADS);
    lorat_precision prec;
    if (!cli_parse_precision(precision_s, &prec))
        return cli_usage_error("trax", usage, "--precision '%s' is not fp32, bf16 or int8",
                               precision_s);
    kernels_set_threads(threads);

    lorat_error err = {0};
    lorat_model *model = NULL;
    trax_session *s = NULL;
    int rc = 1, hello = 0, sock = -1, out = -1;
    /* On stdio the protocol gets fd 1 to itself from the start: what loading and preparing the
     * model prints (oneDNN's DNNL_VERBOSE reorders) goes to stderr with everything else. */
    const char *port = getenv("TRAX_SOCKET");
    if (!port) {
        fflush(stdout);
        out = dup(STDOUT_FILENO);
        if (out < 0) {
            err_set(&err, LORAT_STATUS_IO, "cannot duplicate stdout: %s", strerror(errno));
            goto fail;
        }
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
            err_set(&err, LORAT_STATUS_IO, "cannot point stdout at stderr: %s", strerror(errno));
            goto fail;
        }
    }
    /* The model is loaded before hello, so that a client is only greeted by a working tracker. */
    if (lorat_model_load(model_path, &model, &err)) goto fail;
    if ((rc = cli_tracking_apply(&tracking, &model->cfg, "trax", usage))) goto cleanup;
    if ((rc = cli_set_precision("trax", model, prec, 0))) goto cleanup;
    rc = 1;
    s = calloc(1, sizeof *s);
    if (!s) {
        err_set(&err, LORAT_STATUS_NO_MEMORY, "out of memory for the session");
        goto fail;
    }
    if (lorat_tracker_create(model, NULL, &s->tracker, &err)) goto fail;

    /* A client that goes away must give an error from write, not a silent SIGPIPE death. */
    signal(SIGPIPE, SIG_IGN);
    if (port) {
        if (socket_connect(port, &sock, &err)) goto fail;
        s->stream.in = s->stream.out = sock;
    } else {
        s->stream.in = STDIN_FILENO;
        s->stream.out = out;
    }
    char identifier[64];
    snprintf(identifier, sizeof identifier, "lorat-%s", lorat_version());
    const char *keys[] = {"trax.version", "trax.name",   "trax.identifier",
                          "trax.image",   "trax.region", "trax.channels"};
    const char *values[] = {"1", "lorat", identifier, "path", "rectangle", "color"};
    if (message_send(&s->stream, "hello", NULL, 0, keys, values, 6, &err)) goto fail;
    hello = 1;
    fprintf(stderr, "lorat trax: %s model %s (%s), serving TraX on %s\n", model->cfg.variant,
            model_path, lorat_precision_name(prec), port ? "the socket" : "stdin/stdout");
    if (serve(s, &err)) goto fail;
    rc = 0;
    goto cleanup;
fail:
    rc = 1;
    fprintf(stderr, "lorat trax: %s\n", err.message);
    if (hello) {
        /* The protocol's termination by the server: quit (with the reason under trax.reason, the
         * key the TraX library uses and its clients show), then exit. The client may be gone. */
        const char *qk[1] = {"trax.reason"}, *qv[1] = {err.message};
        message_send(&s->stream, "quit", NULL, 0, qk, qv, 1, NULL);
    }
cleanup:
    if (sock >= 0) close(sock);
    if (out >= 0) close(out);
    if (s) {
        lorat_tracker_free(s->tracker);
        image_free(&s->img);
        free(s);
    }
    lorat_model_free(model);
    return rc;
}
