/*
 * convert.c — `lorat convert`: the official files (DINOv2 hub .pth + LoRAT checkpoint) to lorat's
 * canonical model file, with the whole configuration in its metadata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/model.h"

static const char *usage =
    "lorat convert --dinov2 X.pth [--checkpoint Y.bin] --variant B-224 -o M.safetensors\n"
    "              [--no-merge] [--seed N] [--dtype f32|bf16]\n"
    "lorat convert --model M.safetensors --dtype f32|bf16 -o OUT.safetensors\n"
    "  or, for other sizes: --template-grid WxH --search-grid WxH [--heads N]\n"
    "              [--search-area-factor F]   (dims are read from the backbone)\n"
    "  --checkpoint  LoRAT checkpoint (trainable tensors only: .bin/.safetensors). Without it the\n"
    "                head and type embedding get a seeded init and the file says init=seeded.\n"
    "  --no-merge    keep LoRA tensors separate (default: fold them into the weights)\n"
    "  --dtype       the tensors' type in the file: f32 (default) or bf16 (half the size; every\n"
    "                file loads at every --precision). --model rewrites a lorat model file.";

int cli_convert(int argc, char **argv) {
    const char *dinov2 = NULL, *checkpoint = NULL, *variant = NULL, *output = NULL;
    const char *tgrid = NULL, *sgrid = NULL, *heads = NULL, *saf = NULL, *seed_s = NULL;
    const char *dtype_s = NULL, *model_in = NULL;
    int merge = 1;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--dinov2", &dinov2) || cli_opt(argc, argv, &i, "--checkpoint", &checkpoint) ||
            cli_opt(argc, argv, &i, "--variant", &variant) || cli_opt(argc, argv, &i, "-o", &output) ||
            cli_opt(argc, argv, &i, "--out", &output) || cli_opt(argc, argv, &i, "--template-grid", &tgrid) ||
            cli_opt(argc, argv, &i, "--search-grid", &sgrid) || cli_opt(argc, argv, &i, "--heads", &heads) ||
            cli_opt(argc, argv, &i, "--search-area-factor", &saf) || cli_opt(argc, argv, &i, "--seed", &seed_s) ||
            cli_opt(argc, argv, &i, "--dtype", &dtype_s) || cli_opt(argc, argv, &i, "--model", &model_in))
            continue;
        if (cli_flag(argv, i, "--no-merge")) {
            merge = 0;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("convert", usage, "unknown argument '%s'", argv[i]);
        }
    }
    dtype dt = DTYPE_F32;
    if (dtype_s && !strcmp(dtype_s, "bf16")) dt = DTYPE_BF16;
    else if (dtype_s && strcmp(dtype_s, "f32") && strcmp(dtype_s, "fp32"))
        return cli_usage_error("convert", usage, "--dtype '%s' is not f32 or bf16", dtype_s);
    lorat_error err = {0};
    if (model_in) { /* rewrite a lorat model file in another dtype */
        if (dinov2 || checkpoint || !output)
            return cli_usage_error("convert", usage, "--model takes only --dtype and -o");
        lorat_model *m = NULL;
        if (lorat_model_load(model_in, &m, &err) || model_save_as(m, output, dt, &err)) {
            lorat_model_free(m);
            return cli_fail("convert", &err);
        }
        fprintf(stderr, "lorat convert: wrote %s (%s, %s)\n", output, m->cfg.variant, dtype_name(dt));
        lorat_model_free(m);
        return 0;
    }
    if (!dinov2 || !output) return cli_usage_error("convert", usage, "--dinov2 and -o are required");
    model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (variant) {
        if (config_from_variant(variant, &cfg, &err)) return cli_fail("convert", &err);
    } else {
        if (!tgrid || !sgrid)
            return cli_usage_error("convert", usage,
                                   "give --variant, or --template-grid and --search-grid for other sizes");
        snprintf(cfg.variant, sizeof cfg.variant, "custom");
        cfg.template_area_factor = 2.0f;
        cfg.search_area_factor = 4.0f;
        cfg.window_influence = 0.45f;
        cfg.min_box_size = 10.0f;
        cfg.layernorm_eps = 1e-6f;
    }
    if (tgrid && !cli_parse_grid(tgrid, &cfg.template_w, &cfg.template_h))
        return cli_usage_error("convert", usage, "--template-grid '%s' is not WxH", tgrid);
    if (sgrid && !cli_parse_grid(sgrid, &cfg.search_w, &cfg.search_h))
        return cli_usage_error("convert", usage, "--search-grid '%s' is not WxH", sgrid);
    if (heads && !cli_parse_int(heads, &cfg.heads))
        return cli_usage_error("convert", usage, "--heads '%s' is not a number", heads);
    double saf_v = 0;
    if (saf && (!cli_parse_double(saf, &saf_v) || !(saf_v > 0 && saf_v <= 100)))
        return cli_usage_error("convert", usage, "--search-area-factor '%s' is not a number in (0, 100]", saf);
    if (saf) cfg.search_area_factor = (float)saf_v;
    if (!variant && model_infer_backbone(dinov2, &cfg, &err)) return cli_fail("convert", &err);
    unsigned long long seed = 0;
    if (seed_s && !cli_parse_u64(seed_s, &seed))
        return cli_usage_error("convert", usage, "--seed '%s' is not a whole number in 0..2^64-1", seed_s);
    if (!checkpoint) cfg.lora_rank = 0; /* nothing to merge: head and type embedding are seeded */

    lorat_model *m = NULL;
    if (model_load_official(dinov2, checkpoint, &cfg, merge, seed, &m, &err))
        return cli_fail("convert", &err);
    if (model_save_as(m, output, dt, &err)) {
        lorat_model_free(m);
        return cli_fail("convert", &err);
    }
    const model_config *c = &m->cfg;
    fprintf(stderr,
            "lorat convert: wrote %s (%s: dim %d, depth %d, heads %d, %s %d; template %dx%d, search "
            "%dx%d tokens; LoRA rank %d, scaling %g, %s; head from %s; %s)\n",
            output, c->variant, c->dim, c->depth, c->heads, c->swiglu ? "SwiGLU" : "MLP", c->ffn_hidden,
            c->template_w, c->template_h, c->search_w, c->search_h, c->lora_rank,
            config_lora_scaling(c), c->lora_merged ? "merged" : (c->lora_rank ? "unmerged" : "none"),
            c->init, dtype_name(dt));
    lorat_model_free(m);
    return 0;
}
