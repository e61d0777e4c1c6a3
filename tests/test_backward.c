/*
 * test_backward.c — every backward against finite differences.
 *
 * Layers (linear + LoRA, LayerNorm, attention, GELU, SwiGLU, LayerScale + residual): the loss is
 * L = Σ dout ⊙ f(inputs) with a random dout, f written here in double precision, and the
 * numerical gradient is a double central difference; the analytic gradient is the fp32 kernel's.
 * The loss (BCE + GIoU) the same way, through its own double arithmetic. The whole model (head,
 * token type embedding, LoRA A/B of every block through the frozen ones, SwiGLU, and in full
 * mode the frozen tensors) on a tiny random model: L = Σ ws ⊙ score + Σ wb ⊙ boxes, central
 * differences of the fp32 forward (a looser tolerance: the forward itself rounds).
 * A failure names the tensor and its worst element.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"
#include "model/backward.h"
#include "model/model.h"
#include "test.h"
#include "train/loss.h"

static rng R;

static double *dnormal(size_t n, double std) {
    double *a = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++)
        a[i] = std * rng_normal(&R);
    return a;
}

/* Rounds a double array to fp32 and back, so that the fp32 kernels and the double loss see
 * exactly the same values. */
static float *to_f(double *a, size_t n) {
    float *f = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        a[i] = f[i] = (float)a[i];
    return f;
}

static float *fzeros(size_t n) {
    return calloc(n, sizeof(float));
}

typedef double (*loss_fn)(void *ctx);

/* Central differences of f with respect to every element of param (n doubles, read by f),
 * against the analytic gradient; relative error ‖a − g‖/‖g‖ <= tol. */
static void fd_check(const char *what, const char *name, double *param, size_t n,
                     const float *analytic, loss_fn f, void *ctx, double tol) {
    double num2 = 0, diff2 = 0, worst = -1;
    size_t wi = 0;
    double wa = 0, wn = 0;
    for (size_t i = 0; i < n; i++) {
        const double keep = param[i], h = 1e-6 * fmax(1.0, fabs(keep));
        param[i] = keep + h;
        const double lp = f(ctx);
        param[i] = keep - h;
        const double lm = f(ctx);
        param[i] = keep;
        const double g = (lp - lm) / (2 * h), d = fabs(analytic[i] - g);
        num2 += g * g;
        diff2 += d * d;
        if (d > worst) worst = d, wi = i, wa = analytic[i], wn = g;
    }
    const double rel = sqrt(diff2) / fmax(sqrt(num2), 1e-30);
    CHECK(rel <= tol, "%s: d%s rel %.3e (tol %.0e), worst element %zu: analytic %.9g numeric %.9g",
          what, name, rel, tol, wi, wa, wn);
}

/* ---- linear with LoRA ------------------------------------------------------------------------ */

typedef struct lin_ctx {
    int M, K, N, r;
    double s;
    double *x, *W, *b, *A, *B, *dout;
} lin_ctx;

static double lin_loss(void *p) {
    lin_ctx *c = p;
    double L = 0;
    for (int m = 0; m < c->M; m++) {
        double u[16];
        for (int j = 0; j < c->r; j++) {
            u[j] = 0;
            for (int k = 0; k < c->K; k++)
                u[j] += c->x[m * c->K + k] * c->A[j * c->K + k];
        }
        for (int n = 0; n < c->N; n++) {
            double y = c->b[n];
            for (int k = 0; k < c->K; k++)
                y += c->x[m * c->K + k] * c->W[n * c->K + k];
            for (int j = 0; j < c->r; j++)
                y += c->s * c->B[n * c->r + j] * u[j];
            L += c->dout[m * c->N + n] * y;
        }
    }
    return L;
}

static void test_linear_lora(void) {
    lin_ctx c = {.M = 7, .K = 6, .N = 5, .r = 3, .s = 2.0};
    const int ldd = c.N + 3; /* dout is a column slice of a wider matrix, as q/k/v of qkv are */
    c.x = dnormal(c.M * c.K, 1);
    c.W = dnormal(c.N * c.K, 0.5);
    c.b = dnormal(c.N, 0.5);
    c.A = dnormal(c.r * c.K, 0.5);
    c.B = dnormal(c.N * c.r, 0.5);
    c.dout = dnormal(c.M * c.N, 1);
    float *x = to_f(c.x, c.M * c.K), *W = to_f(c.W, c.N * c.K), *A = to_f(c.A, c.r * c.K);
    float *B = to_f(c.B, c.N * c.r);
    float *fb = to_f(c.b, c.N);
    float *dout = malloc(sizeof(float) * c.M * ldd);
    for (int m = 0; m < c.M; m++)
        for (int n = 0; n < ldd; n++)
            dout[m * ldd + n] =
                n < c.N ? (float)(c.dout[m * c.N + n] = (float)c.dout[m * c.N + n]) : 1e6f;
    float *u = fzeros(c.M * c.r), *tmp = fzeros(c.M * c.r);
    for (int m = 0; m < c.M; m++)
        for (int j = 0; j < c.r; j++) {
            double a = 0;
            for (int k = 0; k < c.K; k++)
                a += (double)x[m * c.K + k] * A[j * c.K + k];
            u[m * c.r + j] = (float)a;
        }
    float *dx = fzeros(c.M * c.K), *dW = fzeros(c.N * c.K), *db = fzeros(c.N);
    float *dA = fzeros(c.r * c.K), *dB = fzeros(c.N * c.r);
    linear_backward(dx, dW, db, dout, ldd, x, W, c.M, c.K, c.N, 0);
    lora_backward(dx, dA, dB, dout, ldd, x, u, A, B, (float)c.s, tmp, c.M, c.K, c.N, c.r);
    fd_check("linear+lora", "x", c.x, c.M * c.K, dx, lin_loss, &c, 1e-5);
    fd_check("linear+lora", "W", c.W, c.N * c.K, dW, lin_loss, &c, 1e-5);
    fd_check("linear+lora", "b", c.b, c.N, db, lin_loss, &c, 1e-5);
    fd_check("linear+lora", "lora.A", c.A, c.r * c.K, dA, lin_loss, &c, 1e-5);
    fd_check("linear+lora", "lora.B", c.B, c.N * c.r, dB, lin_loss, &c, 1e-5);
    /* Frozen base (LoRA mode): no weight gradient, the same input gradient. */
    float *dx2 = fzeros(c.M * c.K), *dA2 = fzeros(c.r * c.K), *dB2 = fzeros(c.N * c.r);
    linear_backward(dx2, NULL, NULL, dout, ldd, x, W, c.M, c.K, c.N, 0);
    lora_backward(dx2, dA2, dB2, dout, ldd, x, u, A, B, (float)c.s, tmp, c.M, c.K, c.N, c.r);
    CHECK(!memcmp(dx, dx2, sizeof(float) * c.M * c.K) &&
              !memcmp(dA, dA2, sizeof(float) * c.r * c.K),
          "linear+lora: frozen-base gradients differ from the full ones");
    free(c.x), free(c.W), free(c.b), free(c.A), free(c.B), free(c.dout);
    free(x), free(W), free(A), free(B), free(fb), free(dout), free(u), free(tmp);
    free(dx), free(dW), free(db), free(dA), free(dB), free(dx2), free(dA2), free(dB2);
}

/* ---- LayerNorm ------------------------------------------------------------------------------- */

typedef struct ln_ctx {
    int M, D;
    double eps, *x, *w, *b, *dout;
} ln_ctx;

static double ln_loss(void *p) {
    ln_ctx *c = p;
    double L = 0;
    for (int m = 0; m < c->M; m++) {
        const double *x = c->x + m * c->D;
        double mu = 0, var = 0;
        for (int i = 0; i < c->D; i++)
            mu += x[i];
        mu /= c->D;
        for (int i = 0; i < c->D; i++)
            var += (x[i] - mu) * (x[i] - mu);
        const double rs = 1 / sqrt(var / c->D + c->eps);
        for (int i = 0; i < c->D; i++)
            L += c->dout[m * c->D + i] * ((x[i] - mu) * rs * c->w[i] + c->b[i]);
    }
    return L;
}

static void test_layernorm(void) {
    ln_ctx c = {.M = 6, .D = 19, .eps = 1e-6};
    c.x = dnormal(c.M * c.D, 1);
    for (int i = 0; i < c.M * c.D; i++)
        c.x[i] += 0.5 * (i % c.D == 0);
    c.w = dnormal(c.D, 1);
    c.b = dnormal(c.D, 1);
    c.dout = dnormal(c.M * c.D, 1);
    float *x = to_f(c.x, c.M * c.D), *w = to_f(c.w, c.D), *b = to_f(c.b, c.D),
          *dout = to_f(c.dout, c.M * c.D);
    float *y = fzeros(c.M * c.D), *mean = fzeros(c.M), *rstd = fzeros(c.M);
    layernorm_forward_stats(y, mean, rstd, x, w, b, (float)c.eps, c.M, c.D);
    float *y0 = fzeros(c.M * c.D);
    layernorm_forward(y0, x, w, b, (float)c.eps, c.M, c.D);
    CHECK(!memcmp(y, y0, sizeof(float) * c.M * c.D),
          "layernorm_forward_stats differs from layernorm_forward");
    float *dx = fzeros(c.M * c.D), *dw = fzeros(c.D), *db = fzeros(c.D);
    layernorm_backward(dx, dw, db, dout, x, w, mean, rstd, c.M, c.D);
    fd_check("layernorm", "x", c.x, c.M * c.D, dx, ln_loss, &c, 1e-5);
    fd_check("layernorm", "weight", c.w, c.D, dw, ln_loss, &c, 1e-5);
    fd_check("layernorm", "bias", c.b, c.D, db, ln_loss, &c, 1e-5);
    float *rx = fzeros(c.M * c.D), *rw = fzeros(c.D), *rb = fzeros(c.D);
    kernels_ref_layernorm_backward(rx, rw, rb, dout, x, w, (float)c.eps, c.M, c.D);
    double e = 0, n = 0;
    for (int i = 0; i < c.M * c.D; i++)
        e += (rx[i] - dx[i]) * (rx[i] - dx[i]), n += rx[i] * rx[i];
    CHECK(sqrt(e / n) < 1e-5, "layernorm backward vs scalar reference: rel %.3e", sqrt(e / n));
    free(c.x), free(c.w), free(c.b), free(c.dout), free(x), free(w), free(b), free(dout), free(y);
    free(y0), free(mean), free(rstd), free(dx), free(dw), free(db), free(rx), free(rw), free(rb);
}

/* ---- attention ------------------------------------------------------------------------------- */

typedef struct att_ctx {
    int B, N, heads, hd;
    double *qkv, *dout;
} att_ctx;

static double att_loss(void *p) {
    att_ctx *c = p;
    const int D = c->heads * c->hd, N = c->N;
    double L = 0, s[16];
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->heads; h++)
            for (int i = 0; i < N; i++) {
                const double *q = c->qkv + ((size_t)b * N + i) * 3 * D + h * c->hd;
                double mx = -1e300, sum = 0;
                for (int j = 0; j < N; j++) {
                    const double *k = c->qkv + ((size_t)b * N + j) * 3 * D + D + h * c->hd;
                    s[j] = 0;
                    for (int e = 0; e < c->hd; e++)
                        s[j] += q[e] * k[e];
                    s[j] /= sqrt((double)c->hd);
                    mx = fmax(mx, s[j]);
                }
                for (int j = 0; j < N; j++)
                    sum += (s[j] = exp(s[j] - mx));
                for (int e = 0; e < c->hd; e++) {
                    double o = 0;
                    for (int j = 0; j < N; j++)
                        o += s[j] * c->qkv[((size_t)b * N + j) * 3 * D + 2 * D + h * c->hd + e];
                    L += c->dout[((size_t)b * N + i) * D + h * c->hd + e] * o / sum;
                }
            }
    return L;
}

static void test_attention(void) {
    att_ctx c = {.B = 2, .N = 7, .heads = 2, .hd = 4};
    const int D = c.heads * c.hd, n = c.B * c.N * 3 * D;
    c.qkv = dnormal(n, 1);
    c.dout = dnormal(c.B * c.N * D, 1);
    float *qkv = to_f(c.qkv, n), *dout = to_f(c.dout, c.B * c.N * D), *dqkv = fzeros(n),
          *ref = fzeros(n);
    float *scratch = fzeros(attention_backward_scratch_floats(c.N, 64));
    attention_backward(dqkv, dout, qkv, scratch, 64, c.B, c.N, c.heads, c.hd);
    fd_check("attention", "qkv", c.qkv, n, dqkv, att_loss, &c, 1e-5);
    kernels_ref_attention_backward(ref, dout, qkv, c.B, c.N, c.heads, c.hd);
    double e = 0, nn = 0;
    for (int i = 0; i < n; i++)
        e += (ref[i] - dqkv[i]) * (ref[i] - dqkv[i]), nn += ref[i] * ref[i];
    CHECK(sqrt(e / nn) < 1e-5, "attention backward vs scalar reference: rel %.3e", sqrt(e / nn));
    free(c.qkv), free(c.dout), free(qkv), free(dout), free(dqkv), free(ref), free(scratch);
}

/* ---- GELU, SwiGLU, LayerScale + residual ----------------------------------------------------- */

typedef struct act_ctx {
    int M, H, kind; /* 0 GELU (M,H), 1 SwiGLU (M,2H) -> (M,H), 2 residual */
    double *x, *dout, *gamma, *bias;
} act_ctx;

static double act_loss(void *p) {
    act_ctx *c = p;
    double L = 0;
    for (int m = 0; m < c->M; m++)
        for (int i = 0; i < c->H; i++) {
            double y;
            if (c->kind == 0) {
                const double v = c->x[m * c->H + i];
                y = 0.5 * v * (1 + erf(v / sqrt(2.0)));
            } else if (c->kind == 1) {
                const double a = c->x[m * 2 * c->H + i], b = c->x[m * 2 * c->H + c->H + i];
                y = a / (1 + exp(-a)) * b;
            } else {
                y = c->gamma[i] * (c->x[m * c->H + i] + c->bias[i]);
            }
            L += c->dout[m * c->H + i] * y;
        }
    return L;
}

static void test_activations(void) {
    act_ctx c = {.M = 5, .H = 11, .kind = 0};
    c.x = dnormal(c.M * 2 * c.H, 1.5);
    c.dout = dnormal(c.M * c.H, 1);
    float *x = to_f(c.x, c.M * 2 * c.H), *dout = to_f(c.dout, c.M * c.H),
          *dx = fzeros(c.M * 2 * c.H);
    gelu_backward(dx, dout, x, c.M, c.H);
    fd_check("gelu", "x", c.x, c.M * c.H, dx, act_loss, &c, 1e-5);
    c.kind = 1;
    swiglu_backward(dx, dout, x, c.M, c.H);
    fd_check("swiglu", "x", c.x, c.M * 2 * c.H, dx, act_loss, &c, 1e-5);
    c.kind = 2;
    c.gamma = dnormal(c.H, 1);
    c.bias = dnormal(c.H, 1);
    float *g = to_f(c.gamma, c.H), *b = to_f(c.bias, c.H), *dg = fzeros(c.H), *db = fzeros(c.H);
    residual_backward(dx, dg, db, dout, x, b, g, c.M, c.H);
    fd_check("layerscale+residual", "y", c.x, c.M * c.H, dx, act_loss, &c, 1e-5);
    fd_check("layerscale+residual", "gamma", c.gamma, c.H, dg, act_loss, &c, 1e-5);
    fd_check("layerscale+residual", "bias", c.bias, c.H, db, act_loss, &c, 1e-5);
    float *db2 = fzeros(c.H);
    bias_backward(db2, dout, c.H, c.M, c.H);
    double e = 0;
    for (int i = 0; i < c.H; i++) {
        double s = 0;
        for (int m = 0; m < c.M; m++)
            s += dout[m * c.H + i];
        e = fmax(e, fabs(s - db2[i]));
    }
    CHECK(e < 1e-5, "bias_backward: max error %.3e", e);
    free(c.x), free(c.dout), free(c.gamma), free(c.bias), free(x), free(dout), free(dx), free(g),
        free(b);
    free(dg), free(db), free(db2);
}

/* ---- loss ------------------------------------------------------------------------------------ */

typedef struct loss_ctx {
    int B, H, W, reg_only;
    double *score, *boxes;
    float *gt;
} loss_ctx;

static double loss_total(void *p) {
    loss_ctx *c = p;
    const size_t n = (size_t)c->B * c->H * c->W;
    float *s = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n * 4);
    for (size_t i = 0; i < n; i++)
        s[i] = (float)c->score[i];
    for (size_t i = 0; i < 4 * n; i++)
        b[i] = (float)c->boxes[i];
    loss_value v;
    loss_forward_backward(&v, NULL, NULL, NULL, s, b, c->gt, c->B, c->H, c->W);
    free(s), free(b);
    /* The soft target q = IoU(pred, gt) is detached: the boxes' gradient is the GIoU term's. */
    return c->reg_only ? v.reg : v.total;
}

/* Central differences with a step that is exact in fp32 (the loss reads fp32 inputs). */
static void fd_check_f32(const char *what, const char *name, double *param, size_t n,
                         const float *analytic, loss_fn f, void *ctx, double tol) {
    double num2 = 0, diff2 = 0, worst = -1;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        const double keep = param[i], h = 1.0 / 4096;
        param[i] = keep + h;
        const double lp = f(ctx);
        param[i] = keep - h;
        const double lm = f(ctx);
        param[i] = keep;
        const double g = (lp - lm) / (2 * h), d = fabs(analytic[i] - g);
        num2 += g * g;
        diff2 += d * d;
        if (d > worst) worst = d, wi = i;
    }
    const double rel = sqrt(diff2) / fmax(sqrt(num2), 1e-30);
    CHECK(rel <= tol, "%s: d%s rel %.3e (tol %.0e), worst element %zu", what, name, rel, tol, wi);
}

static void test_loss(void) {
    loss_ctx c = {.B = 2, .H = 5, .W = 6};
    const int n = c.B * c.H * c.W;
    float gt[8] = {0.2f, 0.3f, 0.7f, 0.8f, 0.05f, 0.1f, 0.4f, 0.5f};
    c.gt = gt;
    c.score = dnormal(n, 1.5);
    c.boxes = malloc(sizeof(double) * n * 4);
    for (int i = 0; i < n; i++) {
        const int x = i % c.W, y = (i / c.W) % c.H;
        const double cx = (x + 0.5) / c.W, cy = (y + 0.5) / c.H;
        c.boxes[4 * i + 0] = cx - 0.3 * rng_uniform(&R) - 0.01;
        c.boxes[4 * i + 1] = cy - 0.3 * rng_uniform(&R) - 0.01;
        c.boxes[4 * i + 2] = cx + 0.3 * rng_uniform(&R) + 0.01;
        c.boxes[4 * i + 3] = cy + 0.3 * rng_uniform(&R) + 0.01;
    }
    /* fp32-representable values: multiples of 2^-12 */
    for (int i = 0; i < n; i++)
        c.score[i] = round(c.score[i] * 4096) / 4096;
    for (int i = 0; i < 4 * n; i++)
        c.boxes[i] = round(c.boxes[i] * 4096) / 4096;
    float *s = to_f(c.score, n), *b = to_f(c.boxes, 4 * n), *ds = fzeros(n), *db = fzeros(4 * n);
    float *q = fzeros(n);
    loss_value v;
    loss_forward_backward(&v, ds, db, q, s, b, gt, c.B, c.H, c.W);
    /* Box 0 covers x in [1.2, 4.2] -> cells 1..4, y in [1.5, 4] -> 1..3 (end-exclusive 4);
     * box 1: x [0.3, 2.4] -> 0..2, y [0.5, 2.5] -> 0..2. */
    uint8_t lm[60];
    const int np = loss_label_map(lm, gt, c.B, c.H, c.W);
    CHECK(np == 4 * 3 + 3 * 3 && v.num_pos == np, "positive cells: %d (loss says %d), expected 21",
          np, v.num_pos);
    CHECK(lm[1 * 6 + 1] && lm[3 * 6 + 4] && !lm[4 * 6 + 4] && !lm[1 * 6 + 5] &&
              lm[30 + 2 * 6 + 2] && !lm[30 + 3 * 6 + 0],
          "label map cells");
    fd_check_f32("loss", "score", c.score, n, ds, loss_total, &c, 1e-4);
    c.reg_only = 1;
    fd_check_f32("loss", "boxes", c.boxes, 4 * n, db, loss_total, &c, 1e-4);
    /* GIoU of identical boxes is 1, of disjoint ones negative. */
    const float a[4] = {0, 0, 1, 1}, d[4] = {2, 0, 3, 1};
    CHECK(fabs(loss_giou(a, a) - 1) < 1e-9 && fabs(loss_giou(a, d) - (-1.0 / 3)) < 1e-9,
          "giou: %g %g", loss_giou(a, a), loss_giou(a, d));
    free(c.score), free(c.boxes), free(s), free(b), free(ds), free(db), free(q);
}

/* ---- the whole model ------------------------------------------------------------------------- */

typedef struct model_ctx {
    lorat_model *m;
    train_workspace *ws;
    float *z, *x;
    uint8_t *mask;
    double *wscore, *wbox;
} model_ctx;

static double model_objective(model_ctx *c) {
    model_train_forward(c->m, c->ws, c->z, c->x, c->mask);
    const int n = c->ws->B * c->ws->Nx;
    double L = 0;
    for (int i = 0; i < n; i++)
        L += c->wscore[i] * c->ws->score[i];
    for (int i = 0; i < 4 * n; i++)
        L += c->wbox[i] * c->ws->boxes[i];
    return L;
}

/* Central differences of the fp32 forward on up to `samples` elements of parameter p,
 * extrapolated. */
static void model_fd(model_ctx *c, const model_grads *g, const param_desc *p, int samples,
                     double tol) {
    float *v = *p->slot;
    const float *a = model_grad_of(c->m, g, v);
    CHECK(a != NULL, "model: no gradient kept for %s", p->name);
    if (!a) return;
    double num2 = 0, diff2 = 0, worst = -1, wa = 0, wn = 0;
    size_t wi = 0;
    const int n = p->numel < (size_t)samples ? (int)p->numel : samples;
    for (int s = 0; s < n; s++) {
        const size_t i =
            p->numel <= (size_t)samples ? (size_t)s : (size_t)(rng_next(&R) % p->numel);
        /* Richardson: (4·D(h/2) − D(h))/3 cancels the h² term of the central difference, which
         * at h = 1/256 is large enough, where the loss curves, to fail a correct gradient. */
        const float keep = v[i], h = 1.0f / 256;
        double dq[2];
        for (int r = 0; r < 2; r++) {
            const float hh = r ? h / 2 : h;
            v[i] = keep + hh;
            const double lp = model_objective(c);
            v[i] = keep - hh;
            const double lm = model_objective(c);
            v[i] = keep;
            dq[r] = (lp - lm) / (2.0 * (double)hh);
        }
        const double num = (4.0 * dq[1] - dq[0]) / 3.0, d = fabs(a[i] - num);
        num2 += num * num;
        diff2 += d * d;
        if (d > worst) worst = d, wi = i, wa = a[i], wn = num;
    }
    /* fp32 forward: the difference quotient carries ~1e-4 of rounding noise, hence the floor. */
    const double rel = sqrt(diff2) / fmax(sqrt(num2), 1e-12);
    CHECK(sqrt(diff2) <= tol * sqrt(num2) + 2e-4 * sqrt((double)n),
          "model: d%s rel %.3e (tol %.0e) over %d elements, worst element %zu: "
          "analytic %.7g numeric %.7g",
          p->name, rel, tol, n, wi, wa, wn);
}

static void test_model(int swiglu) {
    model_config cfg;
    config_from_variant("S-224", &cfg, NULL);
    cfg.dim = 8, cfg.depth = 2, cfg.heads = 2, cfg.ffn_hidden = 12, cfg.swiglu = swiglu;
    cfg.patch = 2, cfg.template_w = 2, cfg.template_h = 2, cfg.search_w = 3, cfg.search_h = 3;
    cfg.lora_rank = 2, cfg.lora_alpha = 4, cfg.lora_has_alpha = 1, cfg.lora_merged = 0;
    lorat_model *m = NULL;
    lorat_error err = {0};
    if (model_create(&cfg, &m, &err)) {
        CHECK(0, "model_create: %s", err.message);
        return;
    }
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        float *v = *p->slot;
        const int gain = strstr(p->name, "norm") && strstr(p->name, "weight");
        const int ls = strstr(p->name, ".ls") != NULL;
        const double std = p->kind == PARAM_LORA ? 0.3
                           : p->ndim == 2        ? 1.0 / sqrt((double)p->shape[1])
                                                 : 0.3;
        for (size_t k = 0; k < p->numel; k++)
            v[k] = gain || ls ? 0.7f + 0.6f * rng_uniform(&R) : (float)(std * rng_normal(&R));
    }
    const int B = 2, p = cfg.patch;
    const size_t nz = (size_t)B * 3 * (cfg.template_h * p) * (cfg.template_w * p);
    const size_t nx = (size_t)B * 3 * (cfg.search_h * p) * (cfg.search_w * p);
    model_ctx c = {.m = m};
    c.z = malloc(sizeof(float) * nz);
    c.x = malloc(sizeof(float) * nx);
    for (size_t i = 0; i < nz; i++)
        c.z[i] = rng_normal(&R);
    for (size_t i = 0; i < nx; i++)
        c.x[i] = rng_normal(&R);
    uint8_t mask[8] = {1, 0, 0, 1, 0, 1, 1, 1};
    c.mask = mask;
    const int Mx = B * cfg.search_w * cfg.search_h;
    c.wscore = dnormal(Mx, 1);
    c.wbox = dnormal(4 * Mx, 1);
    float *ds = malloc(sizeof(float) * Mx), *db = malloc(sizeof(float) * 4 * Mx);
    for (int i = 0; i < Mx; i++)
        ds[i] = (float)c.wscore[i];
    for (int i = 0; i < 4 * Mx; i++)
        db[i] = (float)c.wbox[i];
    model_grads *g = NULL, *gf = NULL;
    if (train_workspace_create(m, B, 1, 0, &c.ws, &err) || model_grads_create(m, 0, &g, &err) ||
        model_grads_create(m, 1, &gf, &err)) {
        CHECK(0, "setup: %s", err.message);
        return;
    }
    /* The training forward gives model_forward's outputs. */
    model_workspace *fw = NULL;
    float *score = malloc(sizeof(float) * Mx), *boxes = malloc(sizeof(float) * 4 * Mx);
    model_workspace_create(m, B, &fw, &err);
    model_forward(m, fw, c.z, c.x, mask, B, score, boxes, NULL);
    model_train_forward(m, c.ws, c.z, c.x, mask);
    CHECK(!memcmp(score, c.ws->score, sizeof(float) * Mx) &&
              !memcmp(boxes, c.ws->boxes, sizeof(float) * 4 * Mx),
          "model_train_forward differs from model_forward");
    model_backward(m, c.ws, g, ds, db, mask);
    model_train_forward(m, c.ws, c.z, c.x, mask);
    model_backward(m, c.ws, gf, ds, db, mask);
    double e = 0;
    for (size_t i = 0; i < m->n_trainable; i++)
        e = fmax(e, fabs(g->trainable[i] - gf->trainable[i]));
    CHECK(e < 1e-6, "model: LoRA-mode and full-mode trainable gradients differ by %.3e", e);
    /* Recomputation (no LayerNorm outputs or MLP activations kept) gives the same gradients to
     * the bit, in both modes, with a smaller workspace. */
    for (int full = 0; full <= 1; full++) {
        train_workspace *wr = NULL;
        model_grads *gr = NULL;
        if (train_workspace_create(m, B, full, 1, &wr, &err) || model_grads_create(m, full, &gr, &err)) {
            CHECK(0, "setup (recompute): %s", err.message);
            break;
        }
        model_grads *ref = full ? gf : g;
        if (!full) { /* g was computed from a full-mode workspace: its trainable part is the reference */
            model_grads_zero(g);
            model_train_forward(m, c.ws, c.z, c.x, mask);
            model_backward(m, c.ws, g, ds, db, mask);
        }
        model_train_forward(m, wr, c.z, c.x, mask);
        CHECK(!memcmp(c.ws->score, wr->score, sizeof(float) * Mx), "recompute: other scores");
        model_backward(m, wr, gr, ds, db, mask);
        CHECK(!memcmp(ref->trainable, gr->trainable, sizeof(float) * m->n_trainable) &&
                  (!full || !memcmp(ref->frozen, gr->frozen, sizeof(float) * m->n_frozen)),
              "recompute (%s mode): gradients differ from those with every activation kept",
              full ? "full" : "LoRA");
        CHECK(wr->floats < c.ws->floats, "recompute: workspace of %zu floats, not smaller than %zu",
              wr->floats, c.ws->floats);
        model_grads_free(gr);
        train_workspace_free(wr);
    }
    /* LoRA mode: every trainable tensor. Full mode: a few frozen ones of each kind. */
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i].role == PARAM_TRAINABLE) model_fd(&c, g, &m->params[i], 12, 2e-3);
    /* Every name must exist in this configuration: a parameter that was renamed must fail the
     * test, not be skipped. */
    const char *fc1 = swiglu ? "w12" : "fc1", *fc2 = swiglu ? "w3" : "fc2";
    char names[16][64];
    int n_names = 0;
    static const char *const fixed[] = {"patch_embed.proj.weight", "patch_embed.proj.bias", "pos_embed",
                                        "blocks.0.norm1.weight",   "blocks.0.norm1.bias",
                                        "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
                                        "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias",
                                        "blocks.0.ls1.gamma",      "blocks.1.norm2.weight",
                                        "blocks.1.ls2.gamma",      "norm.weight", "norm.bias"};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) snprintf(names[n_names++], 64, "%s", fixed[k]);
    snprintf(names[n_names++], 64, "blocks.1.mlp.%s.weight", fc1);
    snprintf(names[n_names++], 64, "blocks.1.mlp.%s.bias", fc2);
    for (int k = 0; k < n_names; k++) {
        const param_desc *pd = model_find_param(m, names[k]);
        CHECK(pd != NULL, "no parameter %s in the %s model: the finite-difference check of it would be skipped",
              names[k], swiglu ? "SwiGLU" : "GELU");
        if (pd) model_fd(&c, gf, pd, 12, 2e-3);
    }
    CHECK(model_grad_of(m, g, m->w.blocks[0].qkv_w) == NULL, "LoRA mode keeps a frozen gradient");
    model_workspace_free(fw);
    train_workspace_free(c.ws);
    model_grads_free(g);
    model_grads_free(gf);
    lorat_model_free(m);
    free(c.z), free(c.x), free(c.wscore), free(c.wbox), free(ds), free(db), free(score),
        free(boxes);
}

int main(void) {
    rng_seed(&R, 12345);
    test_linear_lora();
    test_layernorm();
    test_attention();
    test_activations();
    test_loss();
    test_model(0);
    test_model(1);
    /* Informational: the cost of a training step against the forward. */
    model_config b224;
    model_counts k;
    config_from_variant("B-224", &b224, NULL);
    b224.lora_rank = 64, b224.lora_merged = 0;
    model_count(&b224, &k);
    printf("B-224 per sample: forward (merged) %.1f GFLOP, LoRA training step %.1f GFLOP, full "
           "%.1f GFLOP\n",
           2e-9 * k.macs_total, 1e-9 * model_train_flops(&b224, 1, 0),
           1e-9 * model_train_flops(&b224, 1, 1));
    return test_finish();
}
