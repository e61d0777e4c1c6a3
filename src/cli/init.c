/*
 * init.c — `lorat init`: a randomly initialised model file (DINOv2's init for the backbone, the
 * official init for head and token type embedding) to train from scratch with `lorat train
 * --backbone M --full`. Sizes: a preset (T), a published variant's, or any other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/init.h"
#include "model/model.h"

static const char *usage =
    "lorat init [--variant T|S-224|B-224|...] [--dim D --depth L --heads H --mlp M --patch P\n"
    "           --template-grid WxH --search-grid WxH --search-area-factor F] [--seed S]\n"
    "           [--layerscale G] [--pos-embed normal|sincos] -o M.safetensors\n"
    "  Writes a randomly initialised model (merged, no LoRA, init=random) for training from\n"
    "  scratch: trunc_normal(0.02) linear, patch, pos_embed, head and type-embedding weights,\n"
    "  zero biases, LayerNorm 1/0, LayerScale G (default 1e-5, DINOv2's). pos_embed is drawn on the\n"
    "  search grid; --pos-embed sincos starts it from MAE's 2-D sine-cosine code instead.\n"
    "  --variant  a preset or a published variant (default T); the other options override its sizes\n"
    "             (--mlp: MLP hidden size, default 4·dim when --dim is given; --heads: default dim/64)\n"
    "  presets:";

static void print_usage(FILE *f) {
    fprintf(f, "usage: %s\n", usage);
    for (int i = 0; i < init_n_presets; i++) fprintf(f, "    %-4s %s\n", init_presets[i].name, init_presets[i].note);
}

int cli_init(int argc, char **argv) {
    const char *variant = "T", *output = NULL, *tgrid = NULL, *sgrid = NULL, *saf = NULL, *seed_s = NULL, *ls_s = NULL,
               *pos_s = NULL;
    const char *dim_s = NULL, *depth_s = NULL, *heads_s = NULL, *mlp_s = NULL, *patch_s = NULL;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--variant", &variant) || cli_opt(argc, argv, &i, "-o", &output) ||
            cli_opt(argc, argv, &i, "--out", &output) || cli_opt(argc, argv, &i, "--template-grid", &tgrid) ||
            cli_opt(argc, argv, &i, "--search-grid", &sgrid) || cli_opt(argc, argv, &i, "--search-area-factor", &saf) ||
            cli_opt(argc, argv, &i, "--seed", &seed_s) || cli_opt(argc, argv, &i, "--layerscale", &ls_s) || cli_opt(argc, argv, &i, "--dim", &dim_s) ||
            cli_opt(argc, argv, &i, "--depth", &depth_s) || cli_opt(argc, argv, &i, "--heads", &heads_s) ||
            cli_opt(argc, argv, &i, "--mlp", &mlp_s) || cli_opt(argc, argv, &i, "--patch", &patch_s) ||
            cli_opt(argc, argv, &i, "--pos-embed", &pos_s))
            continue;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            print_usage(stdout);
            return 0;
        }
        print_usage(stderr);
        fprintf(stderr, "lorat init: unknown argument '%s'\n", argv[i]);
        return 2;
    }
    if (!output) {
        print_usage(stderr);
        fprintf(stderr, "lorat init: -o is required\n");
        return 2;
    }
    lorat_error err = {0};
    model_config cfg;
    const init_preset *preset = init_preset_find(variant);
    if (preset) {
        init_config_from_preset(preset, &cfg);
    } else if (config_from_variant(variant, &cfg, &err)) {
        fprintf(stderr, "lorat init: unknown variant '%s': a preset (", variant);
        for (int i = 0; i < init_n_presets; i++) fprintf(stderr, "%s%s", i ? ", " : "", init_presets[i].name);
        fprintf(stderr, ") or a published variant (");
        for (int i = 0; config_variant_names[i]; i++) fprintf(stderr, "%s%s", i ? ", " : "", config_variant_names[i]);
        fprintf(stderr, ")\n");
        return 2;
    }
    int any_custom = dim_s || depth_s || heads_s || mlp_s || patch_s || tgrid || sgrid || saf;
    if (dim_s) {
        if (!cli_parse_int(dim_s, &cfg.dim) || cfg.dim <= 0)
            return cli_usage_error("init", usage, "--dim '%s' is not a positive number", dim_s);
        if (!heads_s) cfg.heads = cfg.dim % 64 ? 1 : cfg.dim / 64;
        if (!mlp_s) cfg.ffn_hidden = 4 * cfg.dim;
    }
    if ((depth_s && (!cli_parse_int(depth_s, &cfg.depth) || cfg.depth <= 0)) ||
        (heads_s && (!cli_parse_int(heads_s, &cfg.heads) || cfg.heads <= 0)) ||
        (mlp_s && (!cli_parse_int(mlp_s, &cfg.ffn_hidden) || cfg.ffn_hidden <= 0)) ||
        (patch_s && (!cli_parse_int(patch_s, &cfg.patch) || cfg.patch <= 0)))
        return cli_usage_error("init", usage, "--depth, --heads, --mlp and --patch take positive numbers");
    if (tgrid && !cli_parse_grid(tgrid, &cfg.template_w, &cfg.template_h))
        return cli_usage_error("init", usage, "--template-grid '%s' is not WxH", tgrid);
    if (sgrid && !cli_parse_grid(sgrid, &cfg.search_w, &cfg.search_h))
        return cli_usage_error("init", usage, "--search-grid '%s' is not WxH", sgrid);
    if (saf) {
        double v;
        if (!cli_parse_double(saf, &v) || !(v > 0 && v <= 100))
            return cli_usage_error("init", usage, "--search-area-factor '%s' is not a number in (0, 100]", saf);
        cfg.search_area_factor = (float)v;
    }
    if (any_custom) snprintf(cfg.variant, sizeof cfg.variant, "custom");
    cfg.pos_grid = cfg.search_w > cfg.search_h ? cfg.search_w : cfg.search_h;
    unsigned long long seed = 0;
    if (seed_s && !cli_parse_u64(seed_s, &seed))
        return cli_usage_error("init", usage, "--seed '%s' is not a whole number in 0..2^64-1", seed_s);

    float layerscale = 1e-5f;
    if (ls_s) {
        double v;
        if (!cli_parse_double(ls_s, &v) || !(v > 0) || v > 10)
            return cli_usage_error("init", usage, "--layerscale '%s' is not a number in (0, 10]", ls_s);
        layerscale = (float)v;
    }
    int pos_sincos = 0;
    if (pos_s) {
        if (!strcmp(pos_s, "sincos")) pos_sincos = 1;
        else if (strcmp(pos_s, "normal"))
            return cli_usage_error("init", usage, "--pos-embed '%s' is neither normal nor sincos", pos_s);
    }
    lorat_model *m = NULL;
    if (model_init_random(&cfg, seed, layerscale, pos_sincos, &m, &err)) return cli_fail("init", &err);
    if (model_save(m, output, &err)) {
        lorat_model_free(m);
        return cli_fail("init", &err);
    }
    const model_config *c = &m->cfg;
    model_counts k;
    model_count(c, &k);
    fprintf(stderr,
            "lorat init: wrote %s (%s: dim %d, depth %d, heads %d, MLP %d, patch %d; template %dx%d (%d px), "
            "search %dx%d tokens (%d px), factor %g; %.2f M parameters, %.3f GMACs/frame; seed %llu)\n",
            output, c->variant, c->dim, c->depth, c->heads, c->ffn_hidden, c->patch, c->template_w,
            c->template_h, c->template_w * c->patch, c->search_w, c->search_h, c->search_w * c->patch,
            c->search_area_factor, k.inference / 1e6, k.macs_total / 1e9, (unsigned long long)seed);
    lorat_model_free(m);
    return 0;
}
