/*
 * forward.c — `lorat forward`: the network on raw tensors, for parity checks against PyTorch.
 * Inputs z (B,3,Hz,Wz), x (B,3,Hx,Wx) normalised F32 and z_feat_mask (B,hz,wz) integer;
 * outputs score_map (B,h,w) raw logits and boxes (B,h,w,4) normalised xyxy, F32.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/model.h"

static const char *usage =
    "lorat forward --model M.safetensors --inputs in.safetensors --out out.safetensors\n"
    "              [--intermediates] [--threads N]\n"
    "  --intermediates  also write tokens_embed, tokens_block<i>, tokens_norm (B,N,D)";

typedef struct captured {
    tensor_info t[128];
    char names[128][32];
    int n;
} captured;

static void capture(void *ctx, const char *name, const float *tokens, int B, int N, int D) {
    captured *c = ctx;
    if (c->n >= 128) return;
    tensor_info *t = &c->t[c->n];
    snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
    t->name = c->names[c->n];
    t->dtype = DTYPE_F32;
    t->ndim = 3;
    t->shape[0] = B;
    t->shape[1] = N;
    t->shape[2] = D;
    t->nbytes = sizeof(float) * (size_t)B * N * D;
    float *copy = malloc(t->nbytes);
    if (copy) memcpy(copy, tokens, t->nbytes);
    t->data = copy;
    c->n++;
}

/* Checks that tensor `name` exists with the expected shape (-1: any) and returns it as F32 or
 * (for masks) as bytes. */
static const tensor_info *get_input(const safetensors *st, const char *path, const char *name,
                                    int ndim, const int64_t *shape, lorat_error *err) {
    const tensor_info *t = safetensors_find(st, name);
    if (!t) {
        err_set(err, LORAT_STATUS_BAD_INPUT, "%s: tensor %s is missing", path, name);
        return NULL;
    }
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = shape[i] < 0 || t->shape[i] == shape[i];
    if (!ok) {
        char got[96], want[96];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        err_set(err, LORAT_STATUS_BAD_INPUT,
                "%s: tensor %s has shape %s but the model expects %s (-1: any batch size)", path,
                name, got, want);
        return NULL;
    }
    return t;
}

int cli_forward(int argc, char **argv) {
    const char *model_path = NULL, *inputs = NULL, *output = NULL, *threads_s = NULL;
    int want_intermediates = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--model", &model_path) || cli_opt(argc, argv, &i, "--inputs", &inputs) ||
            cli_opt(argc, argv, &i, "--out", &output) || cli_opt(argc, argv, &i, "--threads", &threads_s))
            continue;
        if (cli_flag(argv, i, "--intermediates")) {
            want_intermediates = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("forward", usage, "unknown argument '%s'", argv[i]);
        }
    }
    if (!model_path || !inputs || !output)
        return cli_usage_error("forward", usage, "--model, --inputs and --out are required");
    int threads = 0;
    if (threads_s && !cli_parse_int(threads_s, &threads))
        return cli_usage_error("forward", usage, "--threads '%s' is not a number", threads_s);
    kernels_set_threads(threads);

    lorat_error err = {0};
    lorat_model *m = NULL;
    safetensors *in = NULL;
    model_workspace *ws = NULL;
    float *z = NULL, *x = NULL, *score = NULL, *boxes = NULL;
    uint8_t *mask = NULL;
    captured cap = {.n = 0};
    int rc = 1;
    if (lorat_model_load(model_path, &m, &err) || safetensors_open(inputs, &in, &err)) goto fail;
    const model_config *c = &m->cfg;
    const int p = c->patch;
    const tensor_info *tz = get_input(in, inputs, "z", 4,
                                      (int64_t[]){-1, 3, c->template_h * p, c->template_w * p}, &err);
    if (!tz) goto fail;
    const int64_t B = tz->shape[0];
    const tensor_info *tx = get_input(in, inputs, "x", 4, (int64_t[]){B, 3, c->search_h * p, c->search_w * p}, &err);
    if (!tx) goto fail;
    const tensor_info *tm = get_input(in, inputs, "z_feat_mask", 3, (int64_t[]){B, c->template_h, c->template_w}, &err);
    if (!tm) goto fail;
    if (!dtype_is_float(tz->dtype) || !dtype_is_float(tx->dtype)) {
        err_set(&err, LORAT_STATUS_BAD_INPUT, "%s: z and x must be float tensors", inputs);
        goto fail;
    }
    const size_t nz = (size_t)tensor_numel(tz), nx = (size_t)tensor_numel(tx), nm = (size_t)tensor_numel(tm);
    const size_t Nx = (size_t)c->search_w * c->search_h;
    z = malloc(nz * 4);
    x = malloc(nx * 4);
    mask = malloc(nm);
    score = malloc(B * Nx * 4);
    boxes = malloc(B * Nx * 16);
    if (!z || !x || !mask || !score || !boxes) {
        err_set(&err, LORAT_STATUS_NO_MEMORY, "cannot allocate the inputs");
        goto fail;
    }
    dtype_to_f32(z, tz->data, tz->dtype, nz);
    dtype_to_f32(x, tx->data, tx->dtype, nx);
    const size_t esz = dtype_size(tm->dtype);
    for (size_t i = 0; i < nm; i++) {
        const unsigned char *e = (const unsigned char *)tm->data + i * esz;
        int nonzero = 0;
        for (size_t k = 0; k < esz; k++) nonzero |= e[k] != 0;
        mask[i] = (uint8_t)nonzero;
    }
    if (model_workspace_create(m, (int)B, &ws, &err)) goto fail;
    forward_probe probe = {.on_tokens = want_intermediates ? capture : NULL, .ctx = &cap};
    model_forward(m, ws, z, x, mask, (int)B, score, boxes, &probe);

    tensor_info outs[130];
    int n_out = 0;
    outs[n_out++] = (tensor_info){.name = "score_map", .dtype = DTYPE_F32, .ndim = 3,
                                  .shape = {B, c->search_h, c->search_w}, .data = score, .nbytes = B * Nx * 4};
    outs[n_out++] = (tensor_info){.name = "boxes", .dtype = DTYPE_F32, .ndim = 4,
                                  .shape = {B, c->search_h, c->search_w, 4}, .data = boxes, .nbytes = B * Nx * 16};
    for (int i = 0; i < cap.n; i++) outs[n_out++] = cap.t[i];
    if (safetensors_write(output, outs, n_out, NULL, 0, &err)) goto fail;
    rc = 0;
fail:
    if (rc) cli_fail("forward", &err);
    for (int i = 0; i < cap.n; i++) free((void *)cap.t[i].data);
    model_workspace_free(ws);
    safetensors_close(in);
    lorat_model_free(m);
    free(z);
    free(x);
    free(mask);
    free(score);
    free(boxes);
    return rc;
}
