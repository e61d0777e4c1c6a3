/* fuzz_table.c — the numeric table reader of every ground-truth, label and result file; the first
 * byte picks the column rule and the flags. */
#include "fuzz.h"
#include "data/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    static const int cols[] = {TABLE_ANY_COLS, TABLE_FLAT, 1, 4, 8};
    num_table t;
    lorat_error err;
    if (table_parse((const char *)data + 1, size - 1, "fuzz.txt", cols[data[0] % 5], (data[0] >> 3) & 3, &t,
                    &err))
        fuzz_note("table", &err);
    else
        table_free(&t);
    return 0;
}
