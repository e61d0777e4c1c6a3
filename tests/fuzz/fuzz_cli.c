/* fuzz_cli.c — the command line's value parsers (numbers, thread counts, grids, sizes, boxes,
 * precisions): the first byte picks the parser, the rest (up to a NUL) is the argument. */
#include <math.h>

#include "fuzz.h"
#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    char arg[4097];
    memcpy(arg, data + 1, size - 1);
    arg[size - 1] = '\0';
    int i, w, h;
    long long ll;
    unsigned long long u;
    double d;
    lorat_box box;
    lorat_precision p;
    switch (data[0] % 9) {
    case 0: (void)cli_parse_int(arg, &i); break;
    case 1: (void)cli_parse_int64(arg, &ll); break;
    case 2: (void)cli_parse_u64(arg, &u); break;
    case 3: (void)cli_parse_double(arg, &d); break;
    case 4: (void)cli_parse_grid(arg, &w, &h); break;
    case 5: (void)cli_parse_size(arg, &w, &h); break;
    case 6: (void)cli_parse_threads(arg, &i); break;
    case 7: (void)cli_parse_precision(arg, &p); break;
    case 8:
        if (cli_parse_box(arg, &box) && !(isfinite(box.x) && isfinite(box.y) && isfinite(box.w) &&
                                          isfinite(box.h)))
            abort(); /* a box the parser took must hold finite floats */
        break;
    }
    return 0;
}
