/*
 * log.c — the JSONL training log (see log.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "train/log.h"

lorat_status train_log_open(train_log *log, const char *path, lorat_error *err) {
    memset(log, 0, sizeof *log);
    snprintf(log->path, sizeof log->path, "%s", path);
    log->f = fopen(path, "a");
    if (!log->f) return err_set(err, LORAT_STATUS_IO, "%s: cannot open the training log: %m", path);
    return LORAT_STATUS_OK;
}

lorat_status train_log_open_resumed(train_log *log, const char *path, int64_t step,
                                    lorat_error *err) {
    FILE *f = fopen(path, "rb");
    if (f) {
        char *kept = NULL, *line = NULL;
        size_t len = 0, cap = 0, line_cap = 0;
        ssize_t n;
        lorat_status st = LORAT_STATUS_OK;
        while (!st && (n = getline(&line, &line_cap, f)) > 0) {
            long long s;
            /* a line cut short by a kill has no newline: it goes */
            if (line[n - 1] != '\n' || sscanf(line, "{\"step\": %lld", &s) != 1 || s > step) continue;
            if (len + (size_t)n > cap) {
                size_t grown_cap = (len + (size_t)n) * 2 + 4096;
                char *grown = realloc(kept, grown_cap);
                if (!grown) {
                    st = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: out of memory", path);
                    break;
                }
                kept = grown;
                cap = grown_cap;
            }
            memcpy(kept + len, line, (size_t)n);
            len += (size_t)n;
        }
        fclose(f);
        free(line);
        if (!st) {
            const void *parts[1] = {kept ? kept : ""};
            st = file_write_atomic(path, parts, &len, 1, err);
        }
        free(kept);
        if (st) return st;
    }
    return train_log_open(log, path, err);
}

/* %.9g keeps a float's every digit and a double's useful ones; null for NaN and infinities. */
static void num(FILE *f, const char *key, double v) {
    if (isfinite(v))
        fprintf(f, ", \"%s\": %.9g", key, v);
    else
        fprintf(f, ", \"%s\": null", key);
}

lorat_status train_log_write(train_log *log, const train_log_entry *e, lorat_error *err) {
    FILE *f = log->f;
    fprintf(f, "{\"step\": %" PRId64 ", \"epoch\": %" PRId64, e->step, e->epoch);
    num(f, "loss", e->loss);
    num(f, "loss_cls", e->loss_cls);
    num(f, "loss_reg", e->loss_reg);
    num(f, "lr", e->lr);
    num(f, "grad_norm", e->grad_norm);
    num(f, "samples_per_s", e->samples_per_s);
    num(f, "elapsed", e->elapsed);
    fputs("}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return err_set(err, LORAT_STATUS_IO, "%s: cannot write the training log: %m", log->path);
    return LORAT_STATUS_OK;
}

void train_log_close(train_log *log) {
    if (log->f) fclose(log->f);
    log->f = NULL;
}
