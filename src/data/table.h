/*
 * table.h — numeric text tables: the box, label and flag files of tracking benchmarks
 * (groundtruth.txt, absence.label, full_occlusion.txt, a tracker's <seq>.txt).
 *
 * One row per line. Values are separated by commas, tabs or spaces, in any mix and any run
 * (OTB's groundtruth_rect.txt mixes them), so "1,2\t3 4" is four values. Trailing blank lines
 * are ignored; a blank line inside the table is an error, because skipping it would shift every
 * later row onto the wrong frame. Every error names the file and the 1-based line.
 *
 * Not a CSV reader: no quoting, no headers, no missing fields.
 */
#ifndef LORAT_DATA_TABLE_H
#define LORAT_DATA_TABLE_H

#include <stddef.h>

#include "core/error.h"

/* Limits: a text file of a benchmark is read whole only up to TABLE_MAX_BYTES, and a table holds
 * at most TABLE_MAX_VALUES numbers (LaSOT's longest sequence, 10,000 frames × 4, is far below). */
#define TABLE_MAX_BYTES ((size_t)1 << 30)
#define TABLE_MAX_VALUES ((size_t)1 << 27)

typedef struct num_table {
    int rows, cols;
    double *v; /* rows × cols, row-major */
} num_table;

enum {
    TABLE_ANY_COLS = 0, /* cols argument: the first row decides, every row must match it */
    TABLE_FLAT = -1,    /* cols argument: all values of all lines as one row */
};

enum {
    TABLE_ALLOW_NAN = 1, /* accept nan / inf (otherwise an error naming the line) */
    TABLE_ALLOW_EMPTY = 2, /* an empty file gives a 0-row table instead of an error */
};

/* Reads path. cols: the exact number of values per row (> 0), TABLE_ANY_COLS or TABLE_FLAT. */
lorat_status table_read(const char *path, int cols, int flags, num_table *t, lorat_error *err);
/* The same from memory; name stands for the file in messages. */
lorat_status table_parse(const char *text, size_t len, const char *name, int cols, int flags,
                         num_table *t, lorat_error *err);
void table_free(num_table *t);

/* Reads a whole file into a NUL-terminated buffer (free it). *len may be NULL. */
lorat_status table_slurp(const char *path, char **text, size_t *len, lorat_error *err);

#endif
