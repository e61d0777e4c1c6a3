/* fuzz_metadata.c — a model file's configuration from its metadata (key=value lines), with every
 * limit of config_validate, then the parameter layout it asks for when it passes. */
#include "fuzz.h"
#include "model/model.h"

typedef struct kv_list {
    char *key[64], *value[64];
    int n;
} kv_list;

static const char *lookup(const void *ctx, const char *key) {
    const kv_list *l = ctx;
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->key[i], key)) return l->value[i];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    kv_list l = {.n = 0};
    for (char *line = strtok(text, "\n"); line && l.n < 64; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        l.key[l.n] = line;
        l.value[l.n++] = eq + 1;
    }
    model_config cfg;
    lorat_error err;
    if (config_from_metadata(&cfg, lookup, &l, "fuzz", &err)) fuzz_note("metadata", &err);
    else {
        model_counts k;
        model_count(&cfg, &k);
        /* only small models are made: the limits allow 4e9 parameters, far past a fuzzer's memory */
        if (k.total < 2000000) {
            lorat_model *m = NULL;
            if (!model_create(&cfg, &m, &err)) lorat_model_free(m);
        }
    }
    free(text);
    return 0;
}
