/*
 * info.c — `lorat info`: parameters and MACs of a variant or a model file, per part.
 * "total" counts the training model (LoRA unmerged), "inference" the merged one; MACs are per
 * frame of the merged model (one template + one search region).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "model/model.h"

static const char *usage = "lorat info (--variant B-224 | --model M.safetensors) [--json]\n"
                           "  with neither: a table of all eight published variants";

static void print_text(const model_config *c, const model_counts *k) {
    printf("%s: dim %d, depth %d, heads %d, %s %d, template %dx%d + search %dx%d tokens, LoRA r=%d\n",
           c->variant, c->dim, c->depth, c->heads, c->swiglu ? "SwiGLU" : "MLP", c->ffn_hidden,
           c->template_w, c->template_h, c->search_w, c->search_h, c->lora_rank);
    printf("  parameters  total %.2f M (training, LoRA unmerged); inference %.2f M (merged)\n",
           k->total / 1e6, k->inference / 1e6);
    printf("              frozen backbone %.2f M, LoRA %.2f M, head %.2f M, type embedding %.4f M\n",
           k->frozen / 1e6, k->lora / 1e6, k->head / 1e6, k->type_embed / 1e6);
    printf("  MACs/frame  total %.2f G: patch embedding %.3f G, block linears %.2f G, attention "
           "%.2f G, head %.3f G\n",
           k->macs_total / 1e9, k->macs_patch / 1e9, k->macs_blocks / 1e9, k->macs_attention / 1e9,
           k->macs_head / 1e9);
    printf("  tracking    template factor %g, search factor %g, window influence %g, size update %g, "
           "size gate %g, box average %d, minimum size %g px\n",
           c->template_area_factor, c->search_area_factor, c->window_influence,
           c->size_update > 0 ? c->size_update : 1.0, c->size_gate, c->box_average, c->min_box_size);
}

static void print_json(const model_config *c, const model_counts *k) {
    printf("{\"variant\": \"%s\", \"dim\": %d, \"depth\": %d, \"heads\": %d, \"lora_rank\": %d, "
           "\"params\": {\"total\": %lld, \"frozen\": %lld, \"lora\": %lld, \"head\": %lld, "
           "\"type_embed\": %lld, \"inference\": %lld}, \"macs\": {\"total\": %lld, \"patch_embed\": "
           "%lld, \"block_linears\": %lld, \"attention\": %lld, \"head\": %lld}, \"tracking\": "
           "{\"template_area_factor\": %g, \"search_area_factor\": %g, \"window_influence\": %g, "
           "\"size_update\": %g, \"size_gate\": %g, \"box_average\": %d, \"min_box_size\": %g}}\n",
           c->variant, c->dim, c->depth, c->heads, c->lora_rank, (long long)k->total,
           (long long)k->frozen, (long long)k->lora, (long long)k->head, (long long)k->type_embed,
           (long long)k->inference, (long long)k->macs_total, (long long)k->macs_patch,
           (long long)k->macs_blocks, (long long)k->macs_attention, (long long)k->macs_head,
           c->template_area_factor, c->search_area_factor, c->window_influence,
           c->size_update > 0 ? c->size_update : 1.0, c->size_gate, c->box_average, c->min_box_size);
}

int cli_info(int argc, char **argv) {
    const char *variant = NULL, *model_path = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--variant", &variant) || cli_opt(argc, argv, &i, "--model", &model_path))
            continue;
        if (cli_flag(argv, i, "--json")) {
            json = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("info", usage, "unknown argument '%s'", argv[i]);
        }
    }
    lorat_error err = {0};
    model_config cfg;
    model_counts k;
    if (model_path) {
        lorat_model *m = NULL;
        if (lorat_model_load(model_path, &m, &err)) return cli_fail("info", &err);
        cfg = m->cfg;
        lorat_model_free(m);
    } else if (variant) {
        if (config_from_variant(variant, &cfg, &err)) return cli_fail("info", &err);
    } else {
        if (json) return cli_usage_error("info", usage, "--json needs --variant or --model");
        printf("%-6s %10s %10s %9s %8s %10s\n", "var", "total M", "infer M", "LoRA M", "head M",
               "GMACs");
        for (int i = 0; config_variant_names[i]; i++) {
            config_from_variant(config_variant_names[i], &cfg, NULL);
            model_count(&cfg, &k);
            printf("%-6s %10.2f %10.2f %9.2f %8.2f %10.2f\n", cfg.variant, k.total / 1e6,
                   k.inference / 1e6, k.lora / 1e6, k.head / 1e6, k.macs_total / 1e9);
        }
        return 0;
    }
    model_count(&cfg, &k);
    if (json)
        print_json(&cfg, &k);
    else
        print_text(&cfg, &k);
    return 0;
}
