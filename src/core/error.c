/* error.c — see error.h. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef LORAT_VERSION
#define LORAT_VERSION "0.0.0"
#endif

const char *lorat_version(void) { return LORAT_VERSION; }

const char *lorat_status_name(lorat_status status) {
    switch (status) {
    case LORAT_STATUS_OK: return "ok";
    case LORAT_STATUS_BAD_INPUT: return "bad input";
    case LORAT_STATUS_IO: return "i/o error";
    case LORAT_STATUS_FORMAT: return "format error";
    case LORAT_STATUS_UNSUPPORTED: return "unsupported";
    case LORAT_STATUS_NO_MEMORY: return "out of memory";
    case LORAT_STATUS_INTERNAL: return "internal error";
    }
    return "unknown status";
}

lorat_status err_set(lorat_error *err, lorat_status status, const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void err_prefix(lorat_error *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[512], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3) n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    size_t rest = sizeof err->message - n - 3;
    size_t m = strlen(old);
    if (m > rest) m = rest;
    memcpy(err->message + n + 2, old, m);
    err->message[n + 2 + m] = '\0';
}
