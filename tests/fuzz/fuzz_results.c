/* fuzz_results.c — a tracker's result files as `lorat eval --results` reads them; the first byte
 * picks the layout (a <seq>.txt, or GOT-10k's <seq>/<seq>_00N.txt with two runs) and the base. */
#include "fuzz.h"
#include "eval/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *dir = fuzz_scratch();
    char res[128];
    snprintf(res, sizeof res, "%s/res", dir);
    fuzz_rmtree(res);
    const uint8_t *part[2];
    size_t len[2];
    const int n = fuzz_split(data + 1, size - 1, part, len, 2);
    if (data[0] & 1) {
        fuzz_put(res, "s/s_001.txt", part[0], len[0]);
        if (n > 1) fuzz_put(res, "s/s_002.txt", part[1], len[1]);
    } else {
        fuzz_put(res, "s.txt", part[0], len[0]);
    }
    results_sequence r;
    lorat_error err;
    if (results_read_sequence(res, "s", (data[0] & 2) ? "alias" : NULL, (data[0] >> 2) & 1, &r, &err))
        fuzz_note("results", &err);
    else
        results_sequence_free(&r);
    return 0;
}
