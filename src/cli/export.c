/*
 * export.c — `lorat export`: a model file's network as an ONNX file (src/export/onnx_export.h),
 * with the tracker's pre- and post-processing as JSON beside it (src/export/tracker_info.h).
 * LoRA is merged on export; F16/BF16 files are widened to fp32 (exactly) and written as fp32.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "export/onnx_export.h"
#include "export/tracker_info.h"
#include "io/safetensors.h"
#include "model/model.h"

static const char *usage =
    "lorat export --model M.safetensors --onnx OUT.onnx [--batch N|dynamic] [--opset K]\n"
    "             [--tracker-info OUT.json] [--external-data]\n"
    "  The network with LoRA merged, fp32, inputs z (B,3,Hz,Wz), x (B,3,Hx,Wx) normalised float32\n"
    "  and z_feat_mask (B,hz,wz) int64, outputs score_map (B,h,w) raw logits and boxes (B,h,w,4)\n"
    "  normalised xyxy: what `lorat forward` reads and writes.\n"
    "  --batch N|dynamic  a fixed batch size (default 1) or a free one (the dimension 'batch')\n"
    "  --opset K          ONNX opset 13..21 (default 17, the first with LayerNormalization;\n"
    "                     13..16 get its decomposition)\n"
    "  --tracker-info F   where the tracker's crop, normalisation, mask, window and "
    "post-processing\n"
    "                     go as JSON (default: OUT without .onnx, plus .tracker.json)\n"
    "  --external-data    the weights in OUT.onnx.data beside the file (ONNX's external data);\n"
    "                     automatic for networks over protobuf's 2 GB";

/* "m.onnx" -> "m.tracker.json"; other names get ".tracker.json" added. */
static char *default_info_path(const char *onnx) {
    const size_t n = strlen(onnx);
    const size_t stem = n > 5 && !strcmp(onnx + n - 5, ".onnx") ? n - 5 : n;
    char *p = malloc(stem + sizeof ".tracker.json");
    if (p) {
        memcpy(p, onnx, stem);
        strcpy(p + stem, ".tracker.json");
    }
    return p;
}

/* The element type of the file's matrices, for the message (widened on load). */
static const char *file_dtype(const char *path) {
    safetensors *st = NULL;
    lorat_error ignored = {0};
    if (safetensors_open(path, &st, &ignored)) return NULL;
    const tensor_info *t = safetensors_find(st, "blocks.0.attn.qkv.weight");
    const char *name = t ? dtype_name(t->dtype) : NULL;
    safetensors_close(st);
    return name;
}

int cli_export(int argc, char **argv) {
    const char *model_path = NULL, *onnx_path = NULL, *batch_s = NULL, *opset_s = NULL,
               *info_s = NULL;
    int external = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--model", &model_path) ||
            cli_opt(argc, argv, &i, "--onnx", &onnx_path) ||
            cli_opt(argc, argv, &i, "--batch", &batch_s) ||
            cli_opt(argc, argv, &i, "--opset", &opset_s) ||
            cli_opt(argc, argv, &i, "--tracker-info", &info_s))
            continue;
        if (cli_flag(argv, i, "--external-data")) {
            external = 1;
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else {
            return cli_usage_error("export", usage, "unknown argument '%s'", argv[i]);
        }
    }
    if (!model_path || !onnx_path)
        return cli_usage_error("export", usage, "--model and --onnx are required");
    onnx_export_options o = {.opset = ONNX_EXPORT_OPSET_DEFAULT,
                             .batch = 1,
                             .external = external ? ONNX_EXTERNAL_ALWAYS : ONNX_EXTERNAL_AUTO,
                             .source = model_path};
    if (batch_s && !strcmp(batch_s, "dynamic")) {
        o.batch = 0;
    } else if (batch_s && (!cli_parse_int(batch_s, &o.batch) || o.batch < 1 || o.batch > 4096)) {
        return cli_usage_error("export", usage,
                               "--batch '%s' is not a number in 1..4096 or 'dynamic'", batch_s);
    }
    if (opset_s && !cli_parse_int(opset_s, &o.opset))
        return cli_usage_error("export", usage, "--opset '%s' is not a number", opset_s);
    if (o.opset < ONNX_EXPORT_OPSET_MIN || o.opset > ONNX_EXPORT_OPSET_MAX)
        return cli_usage_error(
            "export", usage, "--opset %d is not supported: lorat writes opsets %d..%d (default %d)",
            o.opset, ONNX_EXPORT_OPSET_MIN, ONNX_EXPORT_OPSET_MAX, ONNX_EXPORT_OPSET_DEFAULT);

    lorat_error err = {0};
    lorat_model *m = NULL;
    char *info_path = info_s ? NULL : default_info_path(onnx_path);
    char *info = NULL;
    int rc = 1;
    if (!info_s && !info_path) {
        err_set(&err, LORAT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    if (lorat_model_load(model_path, &m, &err)) goto done;
    const model_config *c = &m->cfg;
    const char *dt = file_dtype(model_path);
    if (dt && strcmp(dt, "F32"))
        fprintf(stderr, "lorat export: %s holds %s weights: written as fp32 (exact widening)\n",
                model_path, dt);
    if (c->lora_rank > 0 && !c->lora_merged) {
        const float s = config_lora_scaling(c);
        if (model_merge_lora(m, &err)) {
            err_prefix(&err, "%s: merging LoRA", model_path);
            goto done;
        }
        fprintf(stderr, "lorat export: merged LoRA (rank %d, scaling %g) into the weights\n",
                c->lora_rank, s);
    }
    const char *slash = strrchr(onnx_path, '/');
    if (tracker_info_json(m, slash ? slash + 1 : onnx_path, o.batch, &info, &err)) goto done;
    o.tracker_info = info;
    onnx_write_result res;
    if (onnx_export_network(m, onnx_path, &o, &res, &err)) goto done;
    const char *ipath = info_s ? info_s : info_path;
    {
        const size_t len = strlen(info);
        char nl = '\n';
        const void *parts[2] = {info, &nl};
        const size_t sizes[2] = {len, 1};
        if (file_write_atomic(ipath, parts, sizes, 2, &err)) goto done;
    }
    char batch_str[16] = "dynamic";
    if (o.batch) snprintf(batch_str, sizeof batch_str, "%d", o.batch);
    fprintf(stderr,
            "lorat export: wrote %s (%s, opset %d, batch %s, %d nodes, %d initializers, %.1f MB)\n",
            onnx_path, c->variant, o.opset, batch_str, res.nodes, res.initializers,
            res.onnx_bytes / 1e6);
    if (res.external)
        fprintf(stderr, "lorat export: weights in %s (%.1f MB)\n", res.data_path,
                res.data_bytes / 1e6);
    fprintf(stderr, "lorat export: tracker info in %s\n", ipath);
    rc = 0;
done:
    if (rc) cli_fail("export", &err);
    free(info);
    free(info_path);
    lorat_model_free(m);
    return rc;
}
