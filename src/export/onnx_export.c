/*
 * onnx_export.c — the forward pass of src/model/forward.c written as ONNX nodes, step for step
 * and in the same order of operations, so that a runtime gives lorat's numbers to float rounding:
 *
 *   tokens_z = Conv(z) → (B,Nz,D) + pos[top-left hz×wz of the search grid] + type[mask ? 1 : 0]
 *   tokens_x = Conv(x) → (B,Nx,D) + pos + type[2];  t = Concat(tokens_z, tokens_x)
 *   per block: t += ls1·(proj(attn(LN1 t)) + b);  t += ls2·(fc2(act(fc1(LN2 t) + b)) + b)
 *   LN(t), its last Nx rows → cls MLP → score_map;  reg MLP → sigmoid → (cx−l, cy−t, cx+r, cy+b)
 *
 * Initializers carry the official tensor names; a linear's matrix is stored transposed, (in,out),
 * as MatMul wants it, under "<name>.T". Weights the model holds as they are (norms, biases,
 * LayerScale, the patch kernel, pos_embed) are written from the model's memory.
 * Not here: LoRA unmerged (merge first), other precisions (the graph is fp32; a runtime may
 * quantise it itself), the tracker's crop and post-processing (tracker_info.c describes them).
 */
#include "export/onnx_export.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define I64S(...)                                                                                  \
    (const int64_t[]) {                                                                            \
        __VA_ARGS__                                                                                \
    }
#define NI64(...) (int)(sizeof(I64S(__VA_ARGS__)) / sizeof(int64_t)), I64S(__VA_ARGS__)

/* The constants every block shares, made once. */
typedef struct ex_consts {
    const char *sqrt2, *one, *half;      /* GELU */
    const char *eps;                     /* the LayerNorm decomposition (opset < 17) */
    const char *attn_scale;              /* 1/√head_dim */
    const char *qkv_shape, *merge_shape; /* (0,N,3,heads,hd), (0,N,D) */
    const char *idx[3];                  /* 0-d 0, 1, 2 */
    const char *ffn_lo, *ffn_mid, *ffn_hi, *last_axis; /* SwiGLU halves: [0,H), [H,2H) on -1 */
} ex_consts;

typedef struct ex {
    onnx_graph *g;
    const model_config *c;
    ex_consts k;
} ex;

/* (out,in) row-major → (in,out), as a new initializer named "<name>.T". */
static const char *weight_t(ex *e, const char *name, const float *w, int out, int in) {
    const char *wn;
    float *t = onnx_weight_new(e->g, onnx_name(e->g, "%s.T", name), 2, I64S(in, out), &wn);
    if (!t) return wn;
    enum { TILE = 32 }; /* tiles keep both sides in cache (a g-224 export moves 4.5 GB) */
    for (int o0 = 0; o0 < out; o0 += TILE)
        for (int i0 = 0; i0 < in; i0 += TILE)
            for (int o = o0; o < out && o < o0 + TILE; o++)
                for (int i = i0; i < in && i < i0 + TILE; i++)
                    t[(size_t)i * out + o] = w[(size_t)o * in + i];
    return wn;
}

static const char *vec(ex *e, const char *name, const float *v, int n) {
    return onnx_weight(e->g, name, ONNX_FLOAT, 1, I64S(n), v);
}

/* y = in·Wᵀ + b for W (out,in) named `param`.weight and b `param`.bias. */
static const char *linear(ex *e, const char *in, const char *param, const float *w, const float *b,
                          int out, int in_dim, const char *hint) {
    const char *wt = weight_t(e, onnx_name(e->g, "%s.weight", param), w, out, in_dim);
    const char *y = onnx_op(e->g, "MatMul", hint, 2, in, wt);
    if (!b) return y;
    return onnx_op(e->g, "Add", onnx_name(e->g, "%s_bias", hint), 2, y,
                   vec(e, onnx_name(e->g, "%s.bias", param), b, out));
}

/* GELU with erf: x · (1 + erf(x/√2)) · 0.5, the form runtimes recognise and fuse. */
static const char *gelu(ex *e, const char *x, const char *hint) {
    onnx_graph *g = e->g;
    const char *d = onnx_op(g, "Div", onnx_name(g, "%s_div", hint), 2, x, e->k.sqrt2);
    const char *f = onnx_op(g, "Erf", onnx_name(g, "%s_erf", hint), 1, d);
    const char *a = onnx_op(g, "Add", onnx_name(g, "%s_add", hint), 2, f, e->k.one);
    const char *m = onnx_op(g, "Mul", onnx_name(g, "%s_mul", hint), 2, x, a);
    return onnx_op(g, "Mul", hint, 2, m, e->k.half);
}

/* LayerNorm over the last axis, eps from the configuration. */
static const char *layernorm(ex *e, const char *x, const char *param, const float *w,
                             const float *b, const char *hint) {
    onnx_graph *g = e->g;
    const int D = e->c->dim;
    const char *wn = vec(e, onnx_name(g, "%s.weight", param), w, D);
    const char *bn = vec(e, onnx_name(g, "%s.bias", param), b, D);
    if (onnx_graph_opset(g) >= 17) {
        const char *y = onnx_op(g, "LayerNormalization", hint, 3, x, wn, bn);
        onnx_attr_int(g, "axis", -1);
        onnx_attr_float(g, "epsilon", e->c->layernorm_eps);
        return y;
    }
    /* (x − mean) / √(var + eps) · w + b, with the biased variance (what LayerNorm uses). */
    const char *mean = onnx_op(g, "ReduceMean", onnx_name(g, "%s_mean", hint), 1, x);
    onnx_attr_ints(g, "axes", NI64(-1));
    onnx_attr_int(g, "keepdims", 1);
    const char *d = onnx_op(g, "Sub", onnx_name(g, "%s_centred", hint), 2, x, mean);
    const char *sq = onnx_op(g, "Mul", onnx_name(g, "%s_sq", hint), 2, d, d);
    const char *var = onnx_op(g, "ReduceMean", onnx_name(g, "%s_var", hint), 1, sq);
    onnx_attr_ints(g, "axes", NI64(-1));
    onnx_attr_int(g, "keepdims", 1);
    const char *ve = onnx_op(g, "Add", onnx_name(g, "%s_var_eps", hint), 2, var, e->k.eps);
    const char *sd = onnx_op(g, "Sqrt", onnx_name(g, "%s_std", hint), 1, ve);
    const char *n = onnx_op(g, "Div", onnx_name(g, "%s_normed", hint), 2, d, sd);
    const char *s = onnx_op(g, "Mul", onnx_name(g, "%s_scaled", hint), 2, n, wn);
    return onnx_op(g, "Add", hint, 2, s, bn);
}

static const char *transpose(onnx_graph *g, const char *x, const char *hint, int n,
                             const int64_t *perm) {
    const char *y = onnx_op(g, "Transpose", hint, 1, x);
    onnx_attr_ints(g, "perm", n, perm);
    return y;
}

/* softmax(q·kᵀ/√hd)·v over all N tokens (no mask), heads split from the fused qkv rows
 * [q;k;v], each head's 64 columns contiguous. qkv (B,N,3D) → (B,N,D). */
static const char *attention(ex *e, const char *qkv) {
    onnx_graph *g = e->g;
    const char *q5 = onnx_op(g, "Reshape", "qkv_heads", 2, qkv, e->k.qkv_shape);
    const char *t5 = transpose(g, q5, "qkv_split", NI64(2, 0, 3, 1, 4)); /* (3,B,h,N,hd) */
    const char *qkv3[3];
    static const char *const names[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
        qkv3[i] = onnx_op(g, "Gather", names[i], 2, t5, e->k.idx[i]);
        onnx_attr_int(g, "axis", 0);
    }
    const char *kt = transpose(g, qkv3[1], "k_t", NI64(0, 1, 3, 2));
    const char *s = onnx_op(g, "MatMul", "scores", 2, qkv3[0], kt);
    const char *ss = onnx_op(g, "Mul", "scores_scaled", 2, s, e->k.attn_scale);
    const char *p = onnx_op(g, "Softmax", "probs", 1, ss);
    onnx_attr_int(g, "axis", -1);
    const char *o = onnx_op(g, "MatMul", "heads", 2, p, qkv3[2]);
    const char *ot = transpose(g, o, "heads_t", NI64(0, 2, 1, 3)); /* (B,N,h,hd) */
    return onnx_op(g, "Reshape", "attn", 2, ot, e->k.merge_shape);
}

static const char *run_block(ex *e, const lorat_model *m, const char *t, int l) {
    onnx_graph *g = e->g;
    const model_config *c = e->c;
    const block_weights *bw = &m->w.blocks[l];
    const int D = c->dim, H = c->ffn_hidden, fc1_out = c->swiglu ? 2 * H : H;
    const char *fc1 = c->swiglu ? "w12" : "fc1", *fc2 = c->swiglu ? "w3" : "fc2";
    char p[64];
    onnx_scope(g, "blocks.%d", l);

    snprintf(p, sizeof p, "blocks.%d.norm1", l);
    const char *ln1 = layernorm(e, t, p, bw->norm1_w, bw->norm1_b, "norm1");
    snprintf(p, sizeof p, "blocks.%d.attn.qkv", l);
    const char *qkv = linear(e, ln1, p, bw->qkv_w, bw->qkv_b, 3 * D, D, "qkv");
    const char *att = attention(e, qkv);
    snprintf(p, sizeof p, "blocks.%d.attn.proj", l);
    const char *y1 = linear(e, att, p, bw->proj_w, bw->proj_b, D, D, "proj");
    const char *g1 =
        onnx_op(g, "Mul", "ls1", 2, y1, vec(e, onnx_name(g, "blocks.%d.ls1.gamma", l), bw->ls1, D));
    const char *r1 = onnx_op(g, "Add", "res1", 2, t, g1);

    snprintf(p, sizeof p, "blocks.%d.norm2", l);
    const char *ln2 = layernorm(e, r1, p, bw->norm2_w, bw->norm2_b, "norm2");
    snprintf(p, sizeof p, "blocks.%d.mlp.%s", l, fc1);
    const char *h = linear(e, ln2, p, bw->fc1_w, bw->fc1_b, fc1_out, D, fc1);
    const char *act;
    if (c->swiglu) { /* x1 = h[..., :H] the gate, x2 = h[..., H:]; silu(x1)·x2 */
        const char *x1 =
            onnx_op(g, "Slice", "gate", 4, h, e->k.ffn_lo, e->k.ffn_mid, e->k.last_axis);
        const char *x2 =
            onnx_op(g, "Slice", "value", 4, h, e->k.ffn_mid, e->k.ffn_hi, e->k.last_axis);
        const char *sg = onnx_op(g, "Sigmoid", "gate_sigmoid", 1, x1);
        const char *si = onnx_op(g, "Mul", "gate_silu", 2, x1, sg);
        act = onnx_op(g, "Mul", "swiglu", 2, si, x2);
    } else {
        act = gelu(e, h, "gelu");
    }
    snprintf(p, sizeof p, "blocks.%d.mlp.%s", l, fc2);
    const char *y2 = linear(e, act, p, bw->fc2_w, bw->fc2_b, D, H, fc2);
    const char *g2 =
        onnx_op(g, "Mul", "ls2", 2, y2, vec(e, onnx_name(g, "blocks.%d.ls2.gamma", l), bw->ls2, D));
    return onnx_op(g, "Add", "res2", 2, r1, g2);
}

/* Patch embedding of one image input: Conv (kernel = stride = patch) → (B,n,D). */
static const char *patch_embed(ex *e, const char *img, const char *kernel, const char *bias, int n,
                               const char *hint) {
    onnx_graph *g = e->g;
    const int p = e->c->patch, D = e->c->dim;
    const char *cv = onnx_op(g, "Conv", onnx_name(g, "%s_conv", hint), 3, img, kernel, bias);
    onnx_attr_ints(g, "kernel_shape", NI64(p, p));
    onnx_attr_ints(g, "strides", NI64(p, p));
    const char *r = onnx_op(g, "Reshape", onnx_name(g, "%s_flat", hint), 2, cv,
                            onnx_const_i64s(g, onnx_name(g, "%s_flat_shape", hint), NI64(0, D, n)));
    return transpose(g, r, hint, NI64(0, 2, 1));
}

static void make_consts(ex *e) {
    onnx_graph *g = e->g;
    const model_config *c = e->c;
    const int N = c->template_w * c->template_h + c->search_w * c->search_h;
    ex_consts *k = &e->k;
    k->sqrt2 = onnx_const_f32(g, "const.sqrt2", (float)M_SQRT2);
    k->one = onnx_const_f32(g, "const.one", 1.0f);
    k->half = onnx_const_f32(g, "const.half", 0.5f);
    if (onnx_graph_opset(g) < 17)
        k->eps = onnx_const_f32(g, "const.layernorm_eps", c->layernorm_eps);
    k->attn_scale = onnx_const_f32(g, "const.attention_scale", 1.0f / sqrtf((float)c->head_dim));
    k->qkv_shape =
        onnx_const_i64s(g, "const.qkv_heads_shape", NI64(0, N, 3, c->heads, c->head_dim));
    k->merge_shape = onnx_const_i64s(g, "const.tokens_shape", NI64(0, N, c->dim));
    for (int i = 0; i < 3; i++)
        k->idx[i] = onnx_const_i64(g, onnx_name(g, "const.index%d", i), i);
    if (c->swiglu) {
        k->ffn_lo = onnx_const_i64s(g, "const.ffn_gate_start", NI64(0));
        k->ffn_mid = onnx_const_i64s(g, "const.ffn_half", NI64(c->ffn_hidden));
        k->ffn_hi = onnx_const_i64s(g, "const.ffn_end", NI64(2 * (int64_t)c->ffn_hidden));
        k->last_axis = onnx_const_i64s(g, "const.last_axis", NI64(-1));
    }
}

lorat_status onnx_export_network(const lorat_model *m, const char *path,
                                 const onnx_export_options *o, onnx_write_result *res,
                                 lorat_error *err) {
    const model_config *c = &m->cfg;
    const char *src = o->source ? o->source : "the model";
    if (c->lora_rank > 0 && !c->lora_merged)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: LoRA is not merged; the exporter writes the merged network (merge the "
                       "model first)",
                       src);
    if (m->f32_released)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s: the model was prepared for %s inference and holds no fp32 weights; "
                       "export a freshly loaded model",
                       src, compute_precision_name(m->be->precision));
    if (o->opset < ONNX_EXPORT_OPSET_MIN || o->opset > ONNX_EXPORT_OPSET_MAX)
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "opset %d is not one the exporter writes: use %d..%d (default %d; 17 and "
                       "later have LayerNormalization, earlier ones get its decomposition)",
                       o->opset, ONNX_EXPORT_OPSET_MIN, ONNX_EXPORT_OPSET_MAX,
                       ONNX_EXPORT_OPSET_DEFAULT);
    if (o->batch < 0 || o->batch > 4096)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "batch %d: use 1..4096, or 0 for a free batch size", o->batch);

    onnx_graph *g = NULL;
    lorat_status st = onnx_graph_create("lorat", o->opset, &g, err);
    if (st) return st;
    ex e = {.g = g, .c = c};
    const int D = c->dim, p = c->patch;
    const int hz = c->template_h, wz = c->template_w, hx = c->search_h, wx = c->search_w;
    const int Nz = hz * wz, Nx = hx * wx, N = Nz + Nx;
    const int64_t B = o->batch > 0 ? o->batch : ONNX_DIM_BATCH;

    onnx_graph_input(g, "z", ONNX_FLOAT, 4, I64S(B, 3, (int64_t)hz * p, (int64_t)wz * p));
    onnx_graph_input(g, "x", ONNX_FLOAT, 4, I64S(B, 3, (int64_t)hx * p, (int64_t)wx * p));
    onnx_graph_input(g, "z_feat_mask", ONNX_INT64, 3, I64S(B, hz, wz));
    onnx_graph_output(g, "score_map", ONNX_FLOAT, 3, I64S(B, hx, wx));
    onnx_graph_output(g, "boxes", ONNX_FLOAT, 4, I64S(B, hx, wx, 4));
    make_consts(&e);

    /* 1. Embedding. */
    onnx_scope(g, "embed");
    const model_weights *w = &m->w;
    const char *kernel =
        onnx_weight(g, "patch_embed.proj.weight", ONNX_FLOAT, 4, I64S(D, 3, p, p), w->patch_w);
    const char *kbias = vec(&e, "patch_embed.proj.bias", w->patch_b, D);
    const char *pos_x = onnx_weight(g, "pos_embed", ONNX_FLOAT, 3, I64S(1, Nx, D), w->pos_embed);
    const char *pos_z;
    float *pz = onnx_weight_new(g, "pos_embed.template", 3, I64S(1, Nz, D), &pos_z);
    if (pz)
        for (int i = 0; i < Nz; i++)
            memcpy(pz + (size_t)i * D, w->pos_embed + ((size_t)(i / wz) * wx + i % wz) * D,
                   sizeof(float) * (size_t)D);
    const char *type_bg = vec(&e, "token_type_embed.0", w->type_embed, D);
    const char *type_fg = vec(&e, "token_type_embed.1", w->type_embed + D, D);
    const char *type_x = vec(&e, "token_type_embed.2", w->type_embed + 2 * (size_t)D, D);

    const char *ez = patch_embed(&e, "z", kernel, kbias, Nz, "z_patches");
    const char *m3 = onnx_op(g, "Reshape", "mask_tokens", 2, "z_feat_mask",
                             onnx_const_i64s(g, "const.mask_shape", NI64(0, Nz, 1)));
    const char *bg =
        onnx_op(g, "Equal", "mask_is_background", 2, m3, onnx_const_i64(g, "const.zero_i64", 0));
    const char *ty = onnx_op(g, "Where", "z_type", 3, bg, type_bg, type_fg);
    const char *tz = onnx_op(g, "Add", "z_tokens", 2, onnx_op(g, "Add", "z_pos", 2, ez, pos_z), ty);
    const char *exx = patch_embed(&e, "x", kernel, kbias, Nx, "x_patches");
    const char *tx =
        onnx_op(g, "Add", "x_tokens", 2, onnx_op(g, "Add", "x_pos", 2, exx, pos_x), type_x);
    const char *t = onnx_op(g, "Concat", "tokens", 2, tz, tx);
    onnx_attr_int(g, "axis", 1);

    /* 2. Blocks. */
    for (int l = 0; l < c->depth; l++)
        t = run_block(&e, m, t, l);

    /* 3. Final norm, the search tokens, the head. */
    onnx_scope(g, "head");
    const char *nt = layernorm(&e, t, "norm", w->norm_w, w->norm_b, "norm");
    const char *hin = onnx_op(g, "Slice", "search_tokens", 4, nt,
                              onnx_const_i64s(g, "const.search_start", NI64(Nz)),
                              onnx_const_i64s(g, "const.search_end", NI64(N)),
                              onnx_const_i64s(g, "const.token_axis", NI64(1)));
    static const char *const branch[2] = {"cls_mlp", "reg_mlp"};
    const char *outs[2];
    for (int h = 0; h < 2; h++) {
        const char *in = hin;
        char pn[64], hint[64];
        for (int q = 0; q < 3; q++) {
            snprintf(pn, sizeof pn, "head.%s.layers.%d", branch[h], q);
            snprintf(hint, sizeof hint, "%s.%d", branch[h], q);
            const int out = q < 2 ? D : (h == 0 ? 1 : 4);
            in = linear(&e, in, pn, w->head_w[h][q], w->head_b[h][q], out, D, hint);
            if (q < 2) in = gelu(&e, in, onnx_name(g, "%s_gelu", hint));
        }
        outs[h] = in;
    }
    /* Boxes: (cx − l, cy − t, cx + r, cy + b) = ref + sign·sigmoid(reg), cell (i,j) at
     * ((j+0.5)/w, (i+0.5)/h) computed in float as lorat does. */
    const char *ref_name;
    float *ref = onnx_weight_new(g, "head.reference_points", 2, I64S(Nx, 4), &ref_name);
    if (ref)
        for (int i = 0; i < Nx; i++) {
            const float cx = ((float)(i % wx) + 0.5f) / (float)wx,
                        cy = ((float)(i / wx) + 0.5f) / (float)hx;
            ref[4 * i] = ref[4 * i + 2] = cx;
            ref[4 * i + 1] = ref[4 * i + 3] = cy;
        }
    const char *sign =
        onnx_const_f32s(g, "head.box_signs", 1, I64S(4), (const float[]){-1, -1, 1, 1});
    const char *sg = onnx_op(g, "Sigmoid", "reg_sigmoid", 1, outs[1]);
    const char *bx =
        onnx_op(g, "Add", "box_xyxy", 2, onnx_op(g, "Mul", "box_offsets", 2, sg, sign), ref_name);
    onnx_scope(g, "%s", "");
    onnx_op(g, "Reshape", "score_map", 2, outs[0],
            onnx_const_i64s(g, "const.score_shape", NI64(0, hx, wx)));
    onnx_op(g, "Reshape", "boxes", 2, bx,
            onnx_const_i64s(g, "const.boxes_shape", NI64(0, hx, wx, 4)));

    /* Metadata: what the file is, and the tracker around it. */
    char dims[160];
    snprintf(dims, sizeof dims,
             "dim %d, depth %d, heads %d, %s %d, template %dx%d, search %dx%d tokens of %d px",
             c->dim, c->depth, c->heads, c->swiglu ? "SwiGLU" : "GELU MLP", c->ffn_hidden, wz, hz,
             wx, hx, p);
    const char *meta[] = {"lorat.variant",      c->variant,
                          "lorat.config",       dims,
                          "lorat.source",       src,
                          "lorat.tracker_info", o->tracker_info ? o->tracker_info : "{}"};
    onnx_write_options wo = {
        .external = o->external,
        .producer_name = "lorat",
        .producer_version = lorat_version(),
        .doc = "LoRAT (ECCV 2024) one-stream tracker network, LoRA merged: inputs z, x (ImageNet-"
               "normalised NCHW float32 crops), z_feat_mask (int64 template-token mask); outputs "
               "score_map (raw logits) and boxes (normalised xyxy in the search crop)",
        .metadata = meta,
        .n_metadata = o->tracker_info ? 4 : 3,
    };
    st = onnx_graph_write(g, path, &wo, res, err);
    onnx_graph_free(g);
    return st;
}
