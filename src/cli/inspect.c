/* inspect.c — `lorat inspect FILE`: the tensors (name, dtype, shape) and metadata of a
 * safetensors or PyTorch .pth file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/pth.h"
#include "io/safetensors.h"

int cli_inspect(int argc, char **argv) {
    if (argc != 1 || !strcmp(argv[0], "--help")) {
        fprintf(argc == 1 ? stdout : stderr, "usage: lorat inspect FILE (.safetensors, .bin or .pth)\n");
        return argc == 1 ? 0 : 2;
    }
    const char *path = argv[0];
    lorat_error err = {0};
    safetensors *st = NULL;
    pth_file *pth = NULL;
    const tensor_info *t;
    int n = 0;
    size_t len = strlen(path);
    int is_pth = (len > 4 && !strcmp(path + len - 4, ".pth")) || (len > 3 && !strcmp(path + len - 3, ".pt"));
    if (is_pth) {
        if (pth_open(path, &pth, &err)) return cli_fail("inspect", &err);
        t = pth_tensors(pth, &n);
    } else {
        if (safetensors_open(path, &st, &err)) return cli_fail("inspect", &err);
        t = safetensors_tensors(st, &n);
        for (int i = 0; i < safetensors_meta_count(st); i++) {
            const char *k, *v;
            safetensors_meta_at(st, i, &k, &v);
            printf("meta %s = %s\n", k, v);
        }
    }
    long long total = 0;
    for (int i = 0; i < n; i++) {
        char shape[96];
        shape_str(shape, sizeof shape, t[i].ndim, t[i].shape);
        printf("%-50s %-5s %s\n", t[i].name, dtype_name(t[i].dtype), shape);
        total += tensor_numel(&t[i]);
    }
    printf("%d tensors, %lld elements\n", n, total);
    if (st) safetensors_close(st);
    if (pth) pth_close(pth);
    return 0;
}
