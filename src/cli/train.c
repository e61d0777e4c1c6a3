/*
 * train.c — `lorat train`: LoRA fine-tuning (or full fine-tuning with --full) with the paper's
 * recipe, from a DINOv2 backbone (.pth) or a lorat model file, on one or more datasets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/datasets.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "dist/dist.h"
#include "train/trainer.h"

static const char *usage =
    "lorat train --data NAME:ROOT[:WEIGHT] [--data ...] --backbone FILE --out DIR\n"
    "            [--variant B-224 | --template-grid WxH --search-grid WxH [--heads N]]\n"
    "            [--full] [--resume] [--recompute] [--translation-jitter T] [--size-update A] [--size-gate C] [--box-average R] [--window-influence W] [--epochs N] [--stop-after N] [--samples-per-epoch N] [--batch B] [--accum K]\n"
    "            [--lr X] [--warmup-epochs N] [--rank R] [--alpha A] [--workers N] [--threads N]\n"
    "            [--seed S] [--save-every N] [--keep K] [--log-every N] [--precision fp32|bf16] [--quiet]\n"
    "            [--val NAME:ROOT [--val-split S] [--val-every N]]\n"
    "  NAME: lasot, got10k, trackingnet (their train splits), coco (train2017: each object a\n"
    "        one-frame sequence), custom (the layout of lorat synth)\n"
    "  --backbone  a DINOv2 hub .pth (with --variant, or the grids for other sizes), or a lorat\n"
    "              model file (its configuration and head are kept; LoRA is added fresh)\n"
    "  --full      train every parameter instead of LoRA + head + type embedding\n"
    "  --resume    continue from the newest complete checkpoint in --out\n"
    "  --translation-jitter  the search crop's translation jitter (the paper's: 3, i.e. up to\n"
    "              1.5·(w+h) of the jittered box); smaller for a model trained from scratch\n"
    "  --stop-after  stop after this epoch (its checkpoint written; the schedule stays that of\n"
    "              --epochs): a run in chunks, continued with --resume, possibly with other options\n"
    "  --size-update  the tracking default the model file records: the share of each new box's\n"
    "              size the tracker takes (1, the official tracker's, when not given)\n"
    "  --size-gate  the tracking default the model file records: the size is taken only on frames\n"
    "              whose confidence is at least C, else kept (0, the official tracker's: always)\n"
    "  --box-average  the tracking default the model file records: average the boxes of the cells\n"
    "              within R cells of the chosen one that score at least half as high (0, the official\n"
    "              tracker's, when not given)\n"
    "  --window-influence  the tracking default the model file records: the Hann window's weight\n"
    "              (the backbone's, 0.45 for the published variants, when not given)\n"
    "  --recompute keep fewer activations (the blocks' LayerNorm outputs and MLP activations are\n"
    "              recomputed in backward): about a third less activation memory, same gradients\n"
    "  --precision bf16: products in bf16 with fp32 accumulation; trainable tensors, gradients and\n"
    "              AdamW state in fp32 (master weights); LoRA mode holds the frozen weights in bf16\n"
    "              only; the model files written are fp32 (fp32 backbone, trained tensors merged)\n"
    "  --val       track and score this dataset every --val-every epochs (default 10) and at the end,\n"
    "              with the model as it is then (paper protocol; DIR/val.jsonl, DIR/val/epoch_N/)\n"
    "  defaults: the paper's recipe (170 epochs of 131072 samples, lr 1e-4, warmup 2 epochs,\n"
    "  cosine to 1e-6, AdamW wd 0.1, clip 1.0, r = alpha = 64), batch 8 (the paper: 128 = --batch\n"
    "  16 --accum 8), a checkpoint every 10 epochs keeping 5. Writes DIR/log.jsonl,\n"
    "  DIR/checkpoint/epoch_N/{model,state}.safetensors and, at the end, DIR/model.safetensors.";

static int is_lorat_model(const char *path) {
    safetensors *st = NULL;
    if (safetensors_open(path, &st, NULL)) return 0;
    const char *f = safetensors_meta(st, "format");
    int yes = f && !strcmp(f, "lorat");
    safetensors_close(st);
    return yes;
}

/* What makes the model to train, kept so that the trainer can make it again (bf16 LoRA training
 * holds the frozen weights in bf16 only and rebuilds the fp32 model to merge into). */
typedef struct build_args {
    const char *backbone, *variant, *tgrid, *sgrid, *heads;
    int full, rank;
    double alpha;
    uint64_t seed;
} build_args;

/* 0 and *out, or 1 with err set, or 2 after a usage message. */
static int build_model(const build_args *a, lorat_model **out, lorat_error *err) {
    *out = NULL;
    lorat_model *base = NULL, *m = NULL;
    int rc = 1;
    if (is_lorat_model(a->backbone)) {
        if (lorat_model_load(a->backbone, &base, err)) goto done;
        if (base->cfg.lora_rank > 0 && !base->cfg.lora_merged && model_merge_lora(base, err)) goto done;
        if (a->full) {
            m = base;
            base = NULL;
        } else if (model_add_lora(base, a->rank, (float)a->alpha, 0, a->seed, &m, err)) {
            goto done;
        }
    } else {
        model_config cfg;
        memset(&cfg, 0, sizeof cfg);
        if (a->variant) {
            if (config_from_variant(a->variant, &cfg, err)) goto done;
        } else {
            if (!a->tgrid || !a->sgrid) {
                rc = cli_usage_error("train", usage, "a .pth backbone needs --variant, or --template-grid and --search-grid");
                goto done;
            }
            snprintf(cfg.variant, sizeof cfg.variant, "custom");
            cfg.template_area_factor = 2, cfg.search_area_factor = 4, cfg.window_influence = 0.45f;
            cfg.min_box_size = 10, cfg.layernorm_eps = 1e-6f;
            if (a->heads && (!cli_parse_int(a->heads, &cfg.heads) || cfg.heads < 1 || cfg.heads > 256)) {
                rc = cli_usage_error("train", usage, "--heads '%s' is not a number in 1..256", a->heads);
                goto done;
            }
            if (model_infer_backbone(a->backbone, &cfg, err)) goto done;
        }
        if (a->tgrid && !cli_parse_grid(a->tgrid, &cfg.template_w, &cfg.template_h)) {
            rc = cli_usage_error("train", usage, "--template-grid '%s' is not WxH", a->tgrid);
            goto done;
        }
        if (a->sgrid && !cli_parse_grid(a->sgrid, &cfg.search_w, &cfg.search_h)) {
            rc = cli_usage_error("train", usage, "--search-grid '%s' is not WxH", a->sgrid);
            goto done;
        }
        cfg.lora_rank = a->full ? 0 : a->rank;
        cfg.lora_alpha = (float)a->alpha;
        cfg.lora_has_alpha = 1;
        if (model_load_official(a->backbone, NULL, &cfg, 0, a->seed, &m, err)) goto done;
    }
    rc = 0;
done:
    lorat_model_free(base);
    if (rc) {
        lorat_model_free(m);
        m = NULL;
    }
    *out = m;
    return rc;
}

static lorat_status rebuild(void *ctx, lorat_model **out, lorat_error *err) {
    if (build_model(ctx, out, err))
        return err->message[0] ? err->status
                               : err_set(err, LORAT_STATUS_INTERNAL, "the model could not be made again");
    return LORAT_STATUS_OK;
}

/* An option's number: the whole string, in [lo, hi] (REAL_OPT: in (lo, hi]), or a usage error
 * that names the option, its value and the range. */
#define INT_OPT(name, lo, hi, dst)                                                                 \
    do {                                                                                           \
        int n_;                                                                                    \
        if (!cli_parse_int(v, &n_) || n_ < (lo) || n_ > (hi))                                      \
            return cli_usage_error("train", usage, "%s '%s' is not a number in %d..%d", name, v, \
                                   (lo), (hi));                                                    \
        (dst) = n_;                                                                                \
    } while (0)
#define REAL_OPT(name, lo, hi, dst)                                                                \
    do {                                                                                           \
        double x_;                                                                                 \
        if (!cli_parse_double(v, &x_) || !(x_ > (lo) && x_ <= (hi)))                               \
            return cli_usage_error("train", usage, "%s '%s' is not a number in (%g, %g]", name, v, \
                                   (double)(lo), (double)(hi));                                    \
        (dst) = x_;                                                                                \
    } while (0)

int cli_train(int argc, char **argv) {
    trainer_config tc;
    trainer_config_default(&tc);
    const char *data[16], *backbone = NULL, *variant = NULL, *tgrid = NULL, *sgrid = NULL, *heads_s = NULL;
    const char *v = NULL, *val_spec = NULL, *val_split = NULL;
    int n_data = 0, threads = 0, rank = 64;
    double alpha = 64;
    cli_tracking tracking = {0};
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--data", &v)) {
            if (n_data == 16) return cli_usage_error("train", usage, "at most 16 --data");
            data[n_data++] = v;
        } else if (cli_opt(argc, argv, &i, "--backbone", &backbone) || cli_opt(argc, argv, &i, "--variant", &variant) ||
                   cli_opt(argc, argv, &i, "--template-grid", &tgrid) || cli_opt(argc, argv, &i, "--search-grid", &sgrid) ||
                   cli_opt(argc, argv, &i, "--heads", &heads_s) || cli_opt(argc, argv, &i, "--out", &tc.out_dir)) {
        } else if (cli_opt(argc, argv, &i, "--val", &val_spec) || cli_opt(argc, argv, &i, "--val-split", &val_split)) {
        } else if (cli_opt(argc, argv, &i, "--val-every", &v)) { INT_OPT("--val-every", 1, 100000, tc.val_every);
        } else if (cli_opt(argc, argv, &i, "--epochs", &v)) { INT_OPT("--epochs", 1, 100000, tc.epochs);
        } else if (cli_opt(argc, argv, &i, "--stop-after", &v)) { INT_OPT("--stop-after", 1, 100000, tc.stop_after);
        } else if (cli_opt(argc, argv, &i, "--samples-per-epoch", &v)) {
            long long n;
            if (!cli_parse_int64(v, &n) || n < 1 || n > (1LL << 40))
                return cli_usage_error("train", usage, "--samples-per-epoch '%s' is not a number in 1..2^40", v);
            tc.samples_per_epoch = n;
        } else if (cli_opt(argc, argv, &i, "--batch", &v)) { INT_OPT("--batch", 1, 65536, tc.batch);
        } else if (cli_opt(argc, argv, &i, "--accum", &v)) { INT_OPT("--accum", 1, 65536, tc.accum);
        } else if (cli_opt(argc, argv, &i, "--lr", &v)) { REAL_OPT("--lr", 0, 10, tc.lr);
        } else if (cli_tracking_opt(argc, argv, &i, &tracking)) {
        } else if (cli_opt(argc, argv, &i, "--translation-jitter", &v)) {
            REAL_OPT("--translation-jitter", 0, 100, tc.translation_jitter);
        } else if (cli_opt(argc, argv, &i, "--warmup-epochs", &v)) {
            int w;
            if (!cli_parse_int(v, &w) || w < 0 || w > 100000)
                return cli_usage_error("train", usage, "--warmup-epochs '%s' is not a number in 0..100000", v);
            tc.warmup_epochs = w;
        } else if (cli_opt(argc, argv, &i, "--rank", &v)) { INT_OPT("--rank", 1, 4096, rank);
        } else if (cli_opt(argc, argv, &i, "--alpha", &v)) { REAL_OPT("--alpha", 0, 1e6, alpha);
        } else if (cli_opt(argc, argv, &i, "--workers", &v)) { INT_OPT("--workers", 1, 256, tc.workers);
        } else if (cli_opt(argc, argv, &i, "--threads", &v)) {
            if (!cli_parse_threads(v, &threads))
                return cli_usage_error("train", usage, "--threads '%s' is not a number in 1..%d", v, CLI_MAX_THREADS);
        } else if (cli_opt(argc, argv, &i, "--precision", &v)) {
            if (!cli_parse_precision(v, &tc.precision) || tc.precision == LORAT_PRECISION_INT8)
                return cli_usage_error("train", usage, "--precision '%s' is not fp32 or bf16", v);
        } else if (cli_opt(argc, argv, &i, "--seed", &v)) {
            unsigned long long seed;
            if (!cli_parse_u64(v, &seed))
                return cli_usage_error("train", usage, "--seed '%s' is not a whole number in 0..2^64-1", v);
            tc.seed = seed;
        } else if (cli_opt(argc, argv, &i, "--save-every", &v)) { INT_OPT("--save-every", 1, 100000, tc.save_every);
        } else if (cli_opt(argc, argv, &i, "--keep", &v)) { INT_OPT("--keep", 1, 100000, tc.keep);
        } else if (cli_opt(argc, argv, &i, "--log-every", &v)) { INT_OPT("--log-every", 1, 1000000000, tc.log_every);
        } else if (cli_flag(argv, i, "--full")) { tc.full = 1;
        } else if (cli_flag(argv, i, "--resume")) { tc.resume = 1;
        } else if (cli_flag(argv, i, "--recompute")) { tc.recompute = 1;
        } else if (cli_flag(argv, i, "--quiet")) { tc.quiet = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) { printf("usage: %s\n", usage); return 0;
        } else { return cli_usage_error("train", usage, "unknown argument '%s'", argv[i]); }
    }
    if (!n_data || !backbone || !tc.out_dir) return cli_usage_error("train", usage, "--data, --backbone and --out are required");
    if (tc.stop_after > tc.epochs)
        return cli_usage_error("train", usage, "--stop-after %d is past --epochs %d", tc.stop_after, tc.epochs);
    model_config probe = {0}; /* the tracking options' values, checked now; written into the model below */
    int urc = cli_tracking_apply(&tracking, &probe, "train", usage);
    if (urc) return urc;
    if (threads > 0) kernels_set_threads(threads);

    lorat_error err = {0};
    dataset ds[16], val_ds;
    int val_open = 0;
    const dataset *dsp[16];
    double weights[16];
    int opened = 0, rc = 1;
    lorat_model *m = NULL;
    for (int i = 0; i < n_data; i++) {
        /* NAME:ROOT[:WEIGHT] */
        char spec[4096];
        snprintf(spec, sizeof spec, "%s", data[i]);
        char *colon = strchr(spec, ':');
        if (!colon) {
            rc = cli_usage_error("train", usage, "--data '%s' is not NAME:ROOT[:WEIGHT]", data[i]);
            goto done;
        }
        *colon = 0;
        char *root = colon + 1, *last = strrchr(root, ':');
        weights[i] = 1.0;
        if (last) {
            char *end;
            double w = strtod(last + 1, &end);
            if (*end == 0 && end != last + 1) {
                weights[i] = w;
                *last = 0;
            }
        }
        dataset_kind kind;
        dataset_options opt = {0};
        if (dataset_kind_parse(spec, &kind, &err)) goto fail;
        opt.split = dataset_train_split(kind);
        if (dataset_open(&ds[i], kind, root, &opt, &err)) goto fail;
        dsp[i] = &ds[i];
        opened++;
    }
    if (val_spec) {
        char spec[4096];
        snprintf(spec, sizeof spec, "%s", val_spec);
        char *colon = strchr(spec, ':');
        if (!colon) {
            rc = cli_usage_error("train", usage, "--val '%s' is not NAME:ROOT", val_spec);
            goto done;
        }
        *colon = 0;
        dataset_kind kind;
        dataset_options opt = {0};
        if (dataset_kind_parse(spec, &kind, &err) || (val_split && dataset_split_parse(val_split, &opt.split, &err)))
            goto fail;
        if (!val_split && kind == DATASET_GOT10K) opt.split = DATASET_SPLIT_VAL;
        if (dataset_open(&val_ds, kind, colon + 1, &opt, &err)) goto fail;
        val_open = 1;
        tc.val = &val_ds;
    }
    tc.datasets = dsp;
    tc.weights = weights;
    tc.sources = n_data;

    build_args ba = {.backbone = backbone, .variant = variant, .tgrid = tgrid, .sgrid = sgrid,
                     .heads = heads_s, .full = tc.full, .rank = rank, .alpha = alpha, .seed = tc.seed};
    int brc = build_model(&ba, &m, &err);
    if (brc == 2) {
        rc = 2;
        goto done;
    }
    if (brc) goto fail;
    tc.rebuild = rebuild;
    tc.rebuild_ctx = &ba;
    cli_tracking_apply(&tracking, &m->cfg, "train", usage); /* checked before anything was opened */
    /* Under mpirun: data-parallel over the processes of the job (dist/), else one process. */
    dist d;
    if (dist_start(&d, "train", &err)) goto fail;
    if (d.size > 1) {
        tc.comm = &d.comm;
        if (d.rank > 0) tc.quiet = 1;
    }
    if (trainer_run(m, &tc, &err)) {
        if (d.size > 1) {
            /* the other processes wait for this one in a reduction: end them all */
            fprintf(stderr, "lorat train: rank %d of %d: %s\n", d.rank, d.size, err.message);
            dist_abort(&d, 1);
        }
        dist_stop(&d);
        goto fail;
    }
    dist_stop(&d);
    rc = 0;
    goto done;
fail:
    rc = cli_fail("train", &err);
done:
    for (int i = 0; i < opened; i++) dataset_free(&ds[i]);
    if (val_open) dataset_free(&val_ds);
    lorat_model_free(m);
    return rc;
}
