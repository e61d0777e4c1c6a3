/*
 * forward.c — `lorat forward`: the network on raw tensors, for parity checks against PyTorch.
 * Inputs z (B,3,Hz,Wz), x (B,3,Hx,Wx) normalised F32 and z_feat_mask (B,hz,wz) integer;
 * outputs score_map (B,h,w) raw logits and boxes (B,h,w,4) normalised xyxy, F32.
 * With --grad (an unmerged model), also gt_boxes (B,4) normalised xyxy in the search crop, and
 * the training loss and the gradient of every trainable tensor (--full: of every parameter);
 * with --steps N, then N optimiser steps on that batch (src/train/steps.h), writing the losses of
 * each step and the final parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/backward.h"
#include "model/model.h"
#include "train/loss.h"
#include "train/steps.h"

static const char *usage =
    "lorat forward --model M.safetensors --inputs in.safetensors --out out.safetensors\n"
    "              [--intermediates] [--grad [--full] [--steps N [--lr X] [--weight-decay W]\n"
    "              [--clip C]]] [--precision P] [--threads N]\n"
    "  --intermediates  also write tokens_embed, tokens_block<i>, tokens_norm (B,N,D)\n"
    "  --grad           also read gt_boxes (B,4) (normalised xyxy in the search crop) and write\n"
    "                   loss, loss_cls, loss_reg, cls_target and grad.<name> of every trainable\n"
    "                   tensor; needs an unmerged model (lorat convert ... --no-merge)\n"
    "  --full           with --grad: gradients of all parameters (full fine-tuning)\n"
    "  --steps N        with --grad: then N AdamW steps on the same batch (official parameter\n"
    "                   groups, constant lr X (1e-4), weight decay W (0.1), gradient norm clipped\n"
    "                   at C (1.0)); also writes losses, losses_cls, losses_reg (N) before each\n"
    "                   step's update, and param.<name> of every trained tensor after the last\n"
    CLI_PRECISION_USAGE
    "                   (with --grad: fp32 or bf16; bf16 keeps fp32 master weights)";

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

/* What --grad adds to the output: losses, the soft classification target and the gradients. */
typedef struct grad_run {
    tensor_info *t;
    char (*names)[80];
    int n;
    float losses[3];
    float *cls_target;
    float *gt;          /* (B,4) */
    float *step_losses; /* (3,steps): total, cls, reg */
    model_grads *g;
} grad_run;

static void grad_run_free(grad_run *gr) {
    free(gr->t);
    free(gr->names);
    free(gr->cls_target);
    free(gr->gt);
    free(gr->step_losses);
    model_grads_free(gr->g);
}

/* Runs the training forward, the loss and backward; score and boxes are overwritten with the
 * training forward's outputs (the same numbers as the plain forward's). */
static lorat_status grad_compute(grad_run *gr, const lorat_model *m, const safetensors *in,
                                 const char *inputs, const float *z, const float *x,
                                 const uint8_t *mask, int B, int full, float *score, float *boxes,
                                 lorat_error *err) {
    const model_config *c = &m->cfg;
    if (c->lora_rank <= 0 || c->lora_merged)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "--grad needs the model with LoRA unmerged (its LoRA tensors are what is "
                       "trained), but this file is %s: convert it again with `lorat convert ... "
                       "--no-merge`", c->lora_merged ? "merged" : "without LoRA");
    const tensor_info *tg = get_input(in, inputs, "gt_boxes", 2, (int64_t[]){B, 4}, err);
    if (!tg) return err->status;
    if (!dtype_is_float(tg->dtype))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: gt_boxes must be a float tensor", inputs);
    train_workspace *ws = NULL;
    lorat_status st = train_workspace_create(m, B, full, 0, &ws, err);
    if (st) return st;
    float *gtb = gr->gt = malloc(sizeof(float) * 4 * (size_t)B);
    const size_t Mx = (size_t)B * c->search_w * c->search_h;
    float *dscore = malloc(Mx * sizeof(float)), *dboxes = malloc(Mx * 4 * sizeof(float));
    gr->cls_target = malloc(Mx * sizeof(float));
    /* room for the gradients, the parameters after --steps and the loss tensors */
    gr->t = calloc(2 * (size_t)m->n_params + 8, sizeof *gr->t);
    gr->names = calloc(2 * (size_t)m->n_params + 8, sizeof *gr->names);
    if (!gtb || !dscore || !dboxes || !gr->cls_target || !gr->t || !gr->names) {
        st = err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the gradient buffers");
        goto done;
    }
    if ((st = model_grads_create(m, full, &gr->g, err))) goto done;
    dtype_to_f32(gtb, tg->data, tg->dtype, (size_t)B * 4);
    model_train_forward(m, ws, z, x, mask);
    loss_value lv;
    loss_forward_backward(&lv, dscore, dboxes, gr->cls_target, ws->score, ws->boxes, gtb, B,
                          c->search_h, c->search_w);
    model_backward(m, ws, gr->g, dscore, dboxes, mask);
    memcpy(score, ws->score, Mx * sizeof(float));
    memcpy(boxes, ws->boxes, Mx * 4 * sizeof(float));

    gr->losses[0] = (float)lv.total;
    gr->losses[1] = (float)lv.cls;
    gr->losses[2] = (float)lv.reg;
    static const char *const loss_names[3] = {"loss", "loss_cls", "loss_reg"};
    for (int i = 0; i < 3; i++)
        gr->t[gr->n++] = (tensor_info){.name = loss_names[i], .dtype = DTYPE_F32, .ndim = 1,
                                       .shape = {1}, .data = &gr->losses[i], .nbytes = 4};
    gr->t[gr->n++] = (tensor_info){.name = "cls_target", .dtype = DTYPE_F32, .ndim = 3,
                                   .shape = {B, c->search_h, c->search_w}, .data = gr->cls_target,
                                   .nbytes = Mx * 4};
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        const float *gp = model_grad_of(m, gr->g, *p->slot);
        if (!gp) continue;
        snprintf(gr->names[gr->n], sizeof gr->names[0], "grad.%s", p->name);
        tensor_info *t = &gr->t[gr->n];
        *t = (tensor_info){.name = gr->names[gr->n], .dtype = DTYPE_F32, .ndim = p->ndim,
                           .data = gp, .nbytes = p->numel * 4};
        for (int d = 0; d < p->ndim; d++) t->shape[d] = p->shape[d];
        gr->n++;
    }
done:
    free(dscore);
    free(dboxes);
    train_workspace_free(ws);
    return st;
}

/* --steps: N optimiser steps on the batch grad_compute used (the model is updated in place),
 * then the per-step losses and the trained parameters are added to the output list. */
static lorat_status grad_steps(grad_run *gr, lorat_model *m, const fixed_steps_config *sc,
                               const float *z, const float *x, const uint8_t *mask, int B,
                               lorat_error *err) {
    const int N = sc->steps;
    gr->step_losses = malloc(sizeof(float) * 3 * (size_t)N);
    if (!gr->step_losses) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the losses");
    lorat_status st = fixed_steps_run(m, sc, z, x, mask, gr->gt, B, gr->step_losses, err);
    if (st) return st;
    static const char *const names[3] = {"losses", "losses_cls", "losses_reg"};
    for (int i = 0; i < 3; i++)
        gr->t[gr->n++] = (tensor_info){.name = names[i], .dtype = DTYPE_F32, .ndim = 1, .shape = {N},
                                       .data = gr->step_losses + (size_t)i * N, .nbytes = 4 * (size_t)N};
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (p->role != PARAM_TRAINABLE && !sc->full) continue;
        snprintf(gr->names[gr->n], sizeof gr->names[0], "param.%s", p->name);
        tensor_info *t = &gr->t[gr->n];
        *t = (tensor_info){.name = gr->names[gr->n], .dtype = DTYPE_F32, .ndim = p->ndim,
                           .data = *p->slot, .nbytes = p->numel * 4};
        for (int d = 0; d < p->ndim; d++) t->shape[d] = p->shape[d];
        gr->n++;
    }
    return LORAT_STATUS_OK;
}

int cli_forward(int argc, char **argv) {
    const char *model_path = NULL, *inputs = NULL, *output = NULL, *threads_s = NULL;
    const char *steps_s = NULL, *lr_s = NULL, *wd_s = NULL, *clip_s = NULL, *precision_s = NULL;
    int want_intermediates = 0, want_grad = 0, full = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--model", &model_path) || cli_opt(argc, argv, &i, "--inputs", &inputs) ||
            cli_opt(argc, argv, &i, "--out", &output) || cli_opt(argc, argv, &i, "--threads", &threads_s) ||
            cli_opt(argc, argv, &i, "--steps", &steps_s) || cli_opt(argc, argv, &i, "--lr", &lr_s) ||
            cli_opt(argc, argv, &i, "--weight-decay", &wd_s) || cli_opt(argc, argv, &i, "--clip", &clip_s) ||
            cli_opt(argc, argv, &i, "--precision", &precision_s))
            continue;
        if (cli_flag(argv, i, "--intermediates")) {
            want_intermediates = 1;
        } else if (cli_flag(argv, i, "--grad")) {
            want_grad = 1;
        } else if (cli_flag(argv, i, "--full")) {
            full = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("forward", usage, "unknown argument '%s'", argv[i]);
        }
    }
    if (!model_path || !inputs || !output)
        return cli_usage_error("forward", usage, "--model, --inputs and --out are required");
    if (full && !want_grad) return cli_usage_error("forward", usage, "--full needs --grad");
    fixed_steps_config sc = {.steps = 0, .lr = 1e-4, .clip = 1.0, .full = full};
    adamw_config_default(&sc.opt);
    if ((steps_s || lr_s || wd_s || clip_s) && !(want_grad && steps_s))
        return cli_usage_error("forward", usage, "--steps needs --grad, and --lr, --weight-decay and --clip need --steps");
    if (steps_s && (!cli_parse_int(steps_s, &sc.steps) || sc.steps < 1 || sc.steps > 100000))
        return cli_usage_error("forward", usage, "--steps '%s' is not a number in 1..100000", steps_s);
    if (lr_s && (!cli_parse_double(lr_s, &sc.lr) || !(sc.lr >= 0)))
        return cli_usage_error("forward", usage, "--lr '%s' is not a non-negative number", lr_s);
    if (wd_s && (!cli_parse_double(wd_s, &sc.opt.weight_decay) || !(sc.opt.weight_decay >= 0)))
        return cli_usage_error("forward", usage, "--weight-decay '%s' is not a non-negative number", wd_s);
    if (clip_s && (!cli_parse_double(clip_s, &sc.clip) || !(sc.clip > 0)))
        return cli_usage_error("forward", usage, "--clip '%s' is not a positive number", clip_s);
    int threads = 0;
    if (threads_s && !cli_parse_threads(threads_s, &threads))
        return cli_usage_error("forward", usage, "--threads '%s' is not a number in 1..%d", threads_s,
                               CLI_MAX_THREADS);
    lorat_precision prec;
    if (!cli_parse_precision(precision_s, &prec))
        return cli_usage_error("forward", usage, "--precision '%s' is not fp32, bf16 or int8", precision_s);
    kernels_set_threads(threads);

    lorat_error err = {0};
    lorat_model *m = NULL;
    safetensors *in = NULL;
    model_workspace *ws = NULL;
    float *z = NULL, *x = NULL, *score = NULL, *boxes = NULL;
    uint8_t *mask = NULL;
    captured cap = {.n = 0};
    grad_run gr = {0};
    tensor_info *outs = NULL;
    int rc = 1;
    if (lorat_model_load(model_path, &m, &err) || safetensors_open(inputs, &in, &err)) goto fail;
    if (want_grad && !m->cfg.lora_merged && m->cfg.lora_rank > 0 &&
        model_prepare(m, prec, COMPUTE_TRAINING, &err))
        goto fail;
    if ((!want_grad || m->cfg.lora_merged || m->cfg.lora_rank == 0) &&
        model_prepare(m, prec, COMPUTE_INFERENCE, &err))
        goto fail;
    const model_config *c = &m->cfg;
    const int p = c->patch;
    const tensor_info *tz = get_input(in, inputs, "z", 4,
                                      (int64_t[]){-1, 3, c->template_h * p, c->template_w * p}, &err);
    if (!tz) goto fail;
    const int64_t B = tz->shape[0];
    if (B < 1 || B > 4096) {
        err_set(&err, LORAT_STATUS_BAD_INPUT, "%s: z has a batch of %lld; lorat forward takes 1..4096",
                inputs, (long long)B);
        goto fail;
    }
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
    if (model_workspace_failure(ws)) {
        err_set(&err, LORAT_STATUS_INTERNAL, "%s", model_workspace_failure(ws));
        goto fail;
    }

    if (want_grad && grad_compute(&gr, m, in, inputs, z, x, mask, (int)B, full, score, boxes, &err)) goto fail;
    if (sc.steps > 0 && grad_steps(&gr, m, &sc, z, x, mask, (int)B, &err)) goto fail;
    outs = malloc(sizeof *outs * (size_t)(2 + cap.n + gr.n));
    if (!outs) {
        err_set(&err, LORAT_STATUS_NO_MEMORY, "cannot allocate the output list");
        goto fail;
    }
    int n_out = 0;
    outs[n_out++] = (tensor_info){.name = "score_map", .dtype = DTYPE_F32, .ndim = 3,
                                  .shape = {B, c->search_h, c->search_w}, .data = score, .nbytes = B * Nx * 4};
    outs[n_out++] = (tensor_info){.name = "boxes", .dtype = DTYPE_F32, .ndim = 4,
                                  .shape = {B, c->search_h, c->search_w, 4}, .data = boxes, .nbytes = B * Nx * 16};
    for (int i = 0; i < cap.n; i++) outs[n_out++] = cap.t[i];
    for (int i = 0; i < gr.n; i++) outs[n_out++] = gr.t[i];
    if (safetensors_write(output, outs, n_out, NULL, 0, &err)) goto fail;
    rc = 0;
fail:
    if (rc) cli_fail("forward", &err);
    for (int i = 0; i < cap.n; i++) free((void *)cap.t[i].data);
    grad_run_free(&gr);
    free(outs);
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
