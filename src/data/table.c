/* table.c — see table.h. */
#include "data/table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_sep(char c) {
    return c == ',' || c == ' ' || c == '\t' || c == '\r';
}

lorat_status table_slurp(const char *path, char **text, size_t *len, lorat_error *err) {
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, LORAT_STATUS_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", path);
    }
    for (;;) {
        if (n > TABLE_MAX_BYTES) {
            free(buf);
            fclose(f);
            return err_set(err, LORAT_STATUS_FORMAT,
                           "%s: more than %zu bytes: not a ground-truth, label or result file",
                           path, TABLE_MAX_BYTES);
        }
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return err_set(err, LORAT_STATUS_IO, "cannot read %s", path);
    }
    buf[n] = '\0';
    *text = buf;
    if (len) *len = n;
    return LORAT_STATUS_OK;
}

/* Appends v to t->v, growing it. */
static int push(num_table *t, size_t *cap, size_t count, double v) {
    if (count == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        double *nv = realloc(t->v, nc * sizeof *nv);
        if (!nv) return 0;
        t->v = nv;
        *cap = nc;
    }
    t->v[count] = v;
    return 1;
}

lorat_status table_parse(const char *text, size_t len, const char *name, int cols, int flags,
                         num_table *t, lorat_error *err) {
    t->rows = 0;
    t->cols = cols > 0 ? cols : 0;
    t->v = NULL;
    size_t cap = 0, count = 0;
    int line = 0, blank_line = 0; /* the first blank line not yet followed by data */
    size_t i = 0;
    lorat_status s = LORAT_STATUS_OK;
    while (i < len) {
        line++;
        size_t end = i;
        while (end < len && text[end] != '\n') end++;
        int values = 0;
        size_t p = i;
        for (;;) {
            while (p < end && is_sep(text[p])) p++;
            if (p >= end) break;
            size_t q = p;
            while (q < end && !is_sep(text[q])) q++;
            char tok[64];
            size_t tl = q - p;
            if (blank_line) {
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s:%d: empty line inside the table (every line must hold a row; "
                            "a skipped line would shift the rows after it onto the wrong frame)",
                            name, blank_line);
                goto fail;
            }
            if (tl >= sizeof tok) {
                s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: value %d ('%.20s...') is not a number",
                            name, line, values + 1, text + p);
                goto fail;
            }
            memcpy(tok, text + p, tl);
            tok[tl] = '\0';
            char *e;
            errno = 0;
            double v = strtod(tok, &e);
            if (e == tok || *e) {
                s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: value %d ('%s') is not a number",
                            name, line, values + 1, tok);
                goto fail;
            }
            if (!isfinite(v) && !(flags & TABLE_ALLOW_NAN)) {
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s:%d: value %d is %s; only finite numbers are allowed here", name,
                            line, values + 1, tok);
                goto fail;
            }
            if (cols > 0 && values >= cols) {
                /* count the rest for the message */
                int more = values;
                size_t r = p;
                while (r < end) {
                    while (r < end && is_sep(text[r])) r++;
                    if (r >= end) break;
                    more++;
                    while (r < end && !is_sep(text[r])) r++;
                }
                s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: %d values, expected %d", name, line,
                            more, cols);
                goto fail;
            }
            if (count >= TABLE_MAX_VALUES) {
                s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: more than %zu values in the file (the limit)",
                            name, line, TABLE_MAX_VALUES);
                goto fail;
            }
            if (!push(t, &cap, count, v)) {
                s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory reading %s", name);
                goto fail;
            }
            count++;
            values++;
            p = q;
        }
        if (values == 0) {
            if (!blank_line) blank_line = line;
        } else if (cols == TABLE_FLAT) {
            t->rows = 1;
            t->cols = (int)count;
        } else {
            if (t->cols == 0) t->cols = values;
            if (values != t->cols) {
                s = err_set(err, LORAT_STATUS_FORMAT, "%s:%d: %d value%s, expected %d%s", name,
                            line, values, values == 1 ? "" : "s", t->cols,
                            cols > 0 ? "" : " like the lines above");
                goto fail;
            }
            t->rows++;
        }
        i = end + 1;
    }
    if (count == 0 && !(flags & TABLE_ALLOW_EMPTY)) {
        s = err_set(err, LORAT_STATUS_FORMAT, "%s is empty (no numbers in it)", name);
        goto fail;
    }
    return LORAT_STATUS_OK;
fail:
    table_free(t);
    return s;
}

lorat_status table_read(const char *path, int cols, int flags, num_table *t, lorat_error *err) {
    char *text;
    size_t len;
    t->rows = t->cols = 0;
    t->v = NULL;
    lorat_status s = table_slurp(path, &text, &len, err);
    if (s) return s;
    s = table_parse(text, len, path, cols, flags, t, err);
    free(text);
    return s;
}

void table_free(num_table *t) {
    if (!t) return;
    free(t->v);
    t->v = NULL;
    t->rows = t->cols = 0;
}
