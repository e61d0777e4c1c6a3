/*
 * onnx_export.h — the LoRAT network (the one forward pass of src/model/forward.c, LoRA merged)
 * as an ONNX graph, and what a deployment needs around it (tracker_info.h).
 *
 * The graph has the inputs and outputs of `lorat forward`:
 *   z            (B,3,Hz,Wz) float32, ImageNet-normalised template crop, NCHW RGB
 *   x            (B,3,Hx,Wx) float32, the search crop likewise
 *   z_feat_mask  (B,hz,wz)   int64, 1 on template tokens covered by the target box, else 0
 *                            (any non-zero value counts as 1, as in lorat)
 *   score_map    (B,h,w)     float32 raw logits (no sigmoid)
 *   boxes        (B,h,w,4)   float32 normalised xyxy in search-crop units (0..1 spans the crop)
 * B is fixed (--batch N) or the free dimension "batch". Standard operators only (the default
 * ONNX domain): Conv for the patch embedding, MatMul against the transposed weights for every
 * linear, LayerNormalization (opset >= 17; below, its ReduceMean/Sqrt decomposition), GELU as
 * x·(1 + erf(x/√2))·0.5, SwiGLU as x1·sigmoid(x1)·x2, attention as MatMul/Softmax/MatMul.
 */
#ifndef LORAT_EXPORT_ONNX_EXPORT_H
#define LORAT_EXPORT_ONNX_EXPORT_H

#include "export/onnx_graph.h"
#include "model/model.h"

/* The opsets the exporter writes: 13 (the first whose Softmax normalises over one axis, as
 * attention needs) through 21; 17 by default, the first with LayerNormalization. */
#define ONNX_EXPORT_OPSET_MIN 13
#define ONNX_EXPORT_OPSET_MAX 21
#define ONNX_EXPORT_OPSET_DEFAULT 17

typedef struct onnx_export_options {
    int opset;
    int batch;                /* > 0: that fixed batch size; 0: the free dimension "batch" */
    onnx_external external;   /* weights inside the .onnx (unless over 2 GB) or beside it */
    const char *tracker_info; /* JSON text kept in the model's metadata ("lorat.tracker_info"),
                                 or NULL */
    const char *source;       /* the model file's name, for the metadata and messages */
} onnx_export_options;

/* Writes m's network to path. The model must hold fp32 weights with LoRA merged (load the file
 * and call model_merge_lora first); a message names the model file and the output file. */
lorat_status onnx_export_network(const lorat_model *m, const char *path,
                                 const onnx_export_options *o, onnx_write_result *res,
                                 lorat_error *err);

#endif
