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
#include <errno.h>
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
#include "cli/trax_proto.h"
#include "core/error.h"
#include "io/image.h"
#include "kernels/kernels.h"
#include "model/model.h"

static const char *usage =
    "lorat trax --model M.safetensors [--threads N] [--precision fp32|bf16|int8]\n"
    "           [--size-update A] [--size-gate C] [--box-average R] [--window-influence W]\n"
    "  a TraX server (the VOT toolkit's protocol, version 1) on stdin/stdout, or on a connection\n"
    "  to 127.0.0.1:$TRAX_SOCKET when the client sets TRAX_SOCKET: images as file paths or\n"
    "  file:// URLs, regions as rectangles x,y,w,h (a polygon is taken as its bounding box);\n"
    "  each state after a frame carries the tracker's confidence as the property "
    "`confidence`\n" CLI_TRACKING_USAGE CLI_PRECISION_USAGE;

typedef struct trax_session {
    trax_stream stream;
    trax_message msg;
    lorat_tracker *tracker;
    image img;
    int initialized;
    int frame; /* frames since the last initialize, which is frame 0 */
} trax_session;

static lorat_status send_state(trax_stream *s, lorat_box b, const float *confidence,
                               lorat_error *err) {
    char region[256], conf[32];
    snprintf(region, sizeof region, "%.4f,%.4f,%.4f,%.4f", b.x, b.y, b.w, b.h);
    const char *args[1] = {region};
    const char *keys[1] = {"confidence"}, *values[1] = {conf};
    if (confidence) snprintf(conf, sizeof conf, "%.6f", *confidence);
    return trax_message_send(s, "state", args, 1, keys, values, confidence ? 1 : 0, err);
}

/* ---- the session -------------------------------------------------------------------------- */

static lorat_status read_frame(trax_session *s, const char *arg, const char **path,
                               lorat_error *err) {
    lorat_status st = trax_image_path(arg, path, err);
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
    lorat_status st = trax_region_parse(m->args[1], &box, err);
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
        const int r = trax_read_line(&s->stream, &n, err);
        if (r < 0) return err->status;
        if (r == 0)
            return err_set(err, LORAT_STATUS_IO,
                           "the client closed the connection without sending quit");
        const int p = trax_message_parse(s->stream.line, n, &s->msg, err);
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
    if (trax_message_send(&s->stream, "hello", NULL, 0, keys, values, 6, &err)) goto fail;
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
        trax_message_send(&s->stream, "quit", NULL, 0, qk, qv, 1, NULL);
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
