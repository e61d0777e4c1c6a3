/*
 * test_precision.c — the compute backends at bf16 and int8:
 *   - bf16 rounding (nearest even, ties, NaN, infinities, overflow to infinity) against a
 *     rounding written here from the definition;
 *   - each product of the oneDNN backend (linear with and without bias, LoRA, attention) against
 *     a double-precision reference computed from the operands the backend says it uses (bf16-
 *     rounded; int8: the quantised values and their scales): what is left is fp32 accumulation
 *     order, so the bar is tight (1e-5 relative); natively and with the emulation forced
 *     (LORAT_BF16_EMULATE), which is the path of CPUs without AVX512_BF16;
 *   - the backward products at bf16 against the fp32 kernels (bf16's own error: 2e-2);
 *   - a tracker made at one thread keeps working after the thread count is raised (the attention
 *     scratch was sized at creation and indexed by the thread number later: under ASan that
 *     overflow is an error);
 *   - tracking with the shipped model: from the same state on every frame (the fp32 tracker's),
 *     bf16 and int8 boxes against fp32's (mean IoU >= 0.98 and >= 0.95), and whole trajectories,
 *     which are printed, not asserted (a tiny difference can send an unsure tracker to another
 *     peak for good).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/synth.h"
#include "io/image.h"
#include "kernels/compute.h"
#include "kernels/kernels.h"
#include "kernels/kernels_backward.h"
#include "model/model.h"
#include "test.h"
#include "track/tracker.h"

static rng R;

static float *randn(size_t n, float scale) {
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = rng_normal(&R) * scale;
    return v;
}

static double rel_err(const float *a, const double *b, size_t n, size_t *worst) {
    double d2 = 0, r2 = 0, mx = -1;
    *worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        d2 += d * d;
        r2 += b[i] * b[i];
        if (!(fabs(d) <= mx)) mx = fabs(d), *worst = i;
    }
    return n == 0 ? INFINITY : (r2 > 0 ? sqrt(d2 / r2) : sqrt(d2));
}

#define CHECK_REL(name, out, ref, n, rtol)                                                         \
    do {                                                                                           \
        size_t w_;                                                                                 \
        double r_ = rel_err(out, ref, n, &w_);                                                     \
        CHECK(r_ <= (rtol), "%s: rel err %.3e > %.1e (%zu values), worst element %zu: %.8g vs ref " \
              "%.8g", name, r_, (double)(rtol), (size_t)(n), w_, (double)(out)[w_], (ref)[w_]);    \
    } while (0)

/* ---- rounding ------------------------------------------------------------------------------- */

/* bf16 by the definition: the nearest of the two bf16 neighbours, ties to the even one. */
static float bf16_by_definition(float x) {
    if (isnan(x) || isinf(x)) return x;
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
    float a, b;
    memcpy(&a, &lo, 4);
    memcpy(&b, &hi, 4);
    double da = fabs((double)x - a), db = fabs((double)x - b);
    if (isinf(b)) db = fabs((double)x - (x > 0 ? 3.3961775292304e38 : -3.3961775292304e38));
    if (da < db) return a;
    if (db < da) return b;
    return ((lo >> 16) & 1) ? b : a;
}

static void test_rounding(void) {
    const float special[] = {0.0f, -0.0f, 1.0f, 1.00390625f /* tie, even below */,
                             1.01171875f /* tie, even above */, 3.4e38f, -3.4e38f, 1e-40f,
                             INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        float got = bf16_round(special[i]), want = bf16_by_definition(special[i]);
        CHECK(memcmp(&got, &want, 4) == 0, "bf16(%.9g) = %.9g, by definition %.9g", special[i], got, want);
    }
    float nan = bf16_round(NAN);
    CHECK(isnan(nan), "bf16(NaN) = %g is not a NaN", nan);
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        float x = rng_normal(&R) * powf(2.0f, (float)(i % 60) - 30);
        float got = bf16_round(x), want = bf16_by_definition(x);
        if (memcmp(&got, &want, 4)) bad++;
    }
    CHECK(bad == 0, "%d of 100000 random values round differently from the definition", bad);
    float src[1000];
    uint16_t h[1000];
    float back[1000];
    for (int i = 0; i < 1000; i++) src[i] = rng_normal(&R);
    bf16_pack(h, src, 1000);
    bf16_unpack(back, h, 1000);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= back[i] == bf16_round(src[i]);
    CHECK(same, "bf16_pack/unpack disagree with bf16_round");
}

/* ---- products against references ------------------------------------------------------------ */

static void round_all(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bf16_round(src[i]);
}

/* out (M,N) = inp (M,K) · W (N,K)ᵀ in double. */
static void ref_product(double *out, const float *inp, const float *W, const float *bias, int M, int K,
                        int N) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double acc = bias ? bias[n] : 0;
            for (int k = 0; k < K; k++) acc += (double)inp[(size_t)m * K + k] * W[(size_t)n * K + k];
            out[(size_t)m * N + n] = acc;
        }
}

/* What the int8 backend computes: per-row symmetric weights and per-token activations. */
static void quantised(float *q, const float *x, int rows, int cols, int qmax) {
    for (int r = 0; r < rows; r++) {
        float amax = 0;
        for (int c = 0; c < cols; c++) amax = fmaxf(amax, fabsf(x[(size_t)r * cols + c]));
        float s = amax > 0 ? amax / qmax : 1.0f;
        for (int c = 0; c < cols; c++) q[(size_t)r * cols + c] = nearbyintf(x[(size_t)r * cols + c] / s) * s;
    }
}

static void test_products(lorat_precision prec, int emulate) {
    char what[64];
    snprintf(what, sizeof what, "%s%s", compute_precision_name(prec), emulate ? " (emulated)" : "");
    if (emulate) setenv("LORAT_BF16_EMULATE", "1", 1);
    const compute_backend *be = NULL;
    lorat_error err = {0};
    lorat_status st = compute_backend_create(prec, &be, &err);
    unsetenv("LORAT_BF16_EMULATE");
    CHECK(st == LORAT_STATUS_OK, "%s backend: %s", what, err.message);
    if (st) return;
    printf("%s: %s (native %d)\n", what, be->isa, be->native);
    if (emulate) CHECK(!be->native, "%s: the forced emulation says it is native", what);
    const int qmax = strstr(be->isa, "7-bit") ? 63 : 127;

    const int M = 37, K = 77, N = 51, r = 5, ldo = 60;
    const int B = 2, T = 23, heads = 3, hd = 16, D = heads * hd;
    compute_plan plan = {.threads = 2, .B = B, .N = T, .heads = heads, .head_dim = hd,
                         .max_width = 3 * D > K + N ? 3 * D : K + N, .use = COMPUTE_INFERENCE};
    if (plan.B * plan.N < M) plan.B = (M + T - 1) / T;
    compute_ctx *ctx = NULL;
    CHECK(compute_ctx_create(be, &plan, &ctx, &err) == LORAT_STATUS_OK, "%s context: %s", what, err.message);
    float *x = randn((size_t)M * K, 1), *W = randn((size_t)N * K, 0.1f), *bias = randn(N, 1);
    float *A = randn((size_t)r * K, 0.1f), *Bm = randn((size_t)N * r, 0.1f);
    float *xr = malloc(sizeof(float) * M * K), *Wr = malloc(sizeof(float) * N * K);
    float *out = calloc((size_t)M * ldo, 4), *u = calloc((size_t)M * r, 4), *packed = malloc(sizeof(float) * M * N);
    double *ref = malloc(sizeof(double) * M * N);
    compute_weight w = {.f32 = W, .N = N, .K = K}, wa = {.f32 = A, .N = r, .K = K}, wb = {.f32 = Bm, .N = N, .K = r};
    const int q = prec == LORAT_PRECISION_INT8;
    CHECK(be->ops->weight_pack(be, &w, COMPUTE_INFERENCE, q, &err) == 0 &&
              be->ops->weight_pack(be, &wa, COMPUTE_INFERENCE, 0, &err) == 0 &&
              be->ops->weight_pack(be, &wb, COMPUTE_INFERENCE, 0, &err) == 0,
          "%s: packing: %s", what, err.message);
    /* native bf16 and int8 hold fewer bytes than fp32; emulated bf16 (forced, or a CPU without
     * bf16 instructions) holds bf16-rounded fp32 values: fp32's size, no more */
    const int rounded_f32 = prec == LORAT_PRECISION_BF16 && !be->native;
    CHECK(w.packed_bytes > 0 && (rounded_f32 ? w.packed_bytes <= sizeof(float) * N * K
                                             : w.packed_bytes < sizeof(float) * N * K),
          "%s: a packed weight takes %zu bytes (fp32 %zu)", what, w.packed_bytes, sizeof(float) * N * K);

    /* linear, bias fused, into a column slice */
    if (q) {
        quantised(xr, x, M, K, 127);
        quantised(Wr, W, N, K, qmax);
    } else {
        round_all(xr, x, (size_t)M * K);
        round_all(Wr, W, (size_t)N * K);
    }
    be->ops->linear(ctx, out, ldo, x, &w, bias, M);
    for (int m = 0; m < M; m++) memcpy(packed + (size_t)m * N, out + (size_t)m * ldo, sizeof(float) * N);
    ref_product(ref, xr, Wr, bias, M, K, N);
    snprintf(what + strlen(what), 8, " lin");
    CHECK_REL(what, packed, ref, (size_t)M * N, 1e-5);
    what[strlen(what) - 4] = 0;
    int untouched = 1;
    for (int m = 0; m < M; m++)
        for (int n = N; n < ldo; n++) untouched &= out[(size_t)m * ldo + n] == 0.0f;
    CHECK(untouched, "%s: linear wrote outside its column slice", what);

    /* LoRA: out += s·(x·Aᵀ)·Bᵀ, u kept; both products bf16 (LoRA is never int8) */
    const float s = 0.75f;
    float *Ar = malloc(sizeof(float) * r * K), *Br = malloc(sizeof(float) * N * r), *ur = malloc(sizeof(float) * M * r);
    double *uref = malloc(sizeof(double) * M * r);
    round_all(xr, x, (size_t)M * K);
    round_all(Ar, A, (size_t)r * K);
    round_all(Br, Bm, (size_t)N * r);
    ref_product(uref, xr, Ar, NULL, M, K, r);
    float *before = malloc(sizeof(float) * M * ldo);
    memcpy(before, out, sizeof(float) * M * ldo);
    be->ops->lora(ctx, out, ldo, x, &wa, &wb, s, u, M);
    CHECK_REL("lora u", u, uref, (size_t)M * r, 1e-5);
    for (size_t i = 0; i < (size_t)M * r; i++) ur[i] = bf16_round(u[i]);
    ref_product(ref, ur, Br, NULL, M, r, N);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            ref[(size_t)m * N + n] = before[(size_t)m * ldo + n] + s * ref[(size_t)m * N + n];
            packed[(size_t)m * N + n] = out[(size_t)m * ldo + n];
        }
    CHECK_REL("lora out", packed, ref, (size_t)M * N, 1e-5);

    /* attention: S = q·kᵀ/√hd on rounded q, k; P rounded after the fp32 softmax; O = P·v */
    float *qkv = randn((size_t)B * T * 3 * D, 1), *att = malloc(sizeof(float) * B * T * D);
    double *aref = malloc(sizeof(double) * B * T * D);
    float *qr = malloc(sizeof(float) * B * T * 3 * D);
    round_all(qr, qkv, (size_t)B * T * 3 * D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < T; i++) {
                double sc[64], mx = -INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    double d = 0;
                    for (int c = 0; c < hd; c++)
                        d += (double)qr[((size_t)b * T + i) * 3 * D + h * hd + c] *
                             qr[((size_t)b * T + j) * 3 * D + D + h * hd + c];
                    sc[j] = (float)(d * (1.0f / sqrtf((float)hd)));
                    mx = fmax(mx, sc[j]);
                }
                for (int j = 0; j < T; j++) sum += (sc[j] = exp(sc[j] - mx));
                for (int j = 0; j < T; j++) sc[j] = bf16_round((float)(sc[j] / sum));
                for (int c = 0; c < hd; c++) {
                    double o = 0;
                    for (int j = 0; j < T; j++) o += sc[j] * qr[((size_t)b * T + j) * 3 * D + 2 * D + h * hd + c];
                    aref[((size_t)b * T + i) * D + h * hd + c] = o;
                }
            }
    be->ops->attention(ctx, att, qkv, B, T, heads, hd);
    /* the softmax's own exp (2 ulp) moves P by an ulp of bf16 now and then: 1e-4 */
    CHECK_REL("attention", att, aref, (size_t)B * T * D, 1e-4);
    CHECK(be->ops->failure(ctx) == NULL, "%s: the backend reports %s", what, be->ops->failure(ctx));

    be->ops->weight_free(be, &w);
    be->ops->weight_free(be, &wa);
    be->ops->weight_free(be, &wb);
    compute_ctx_free(ctx);
    compute_backend_free(be);
    free(x), free(W), free(bias), free(A), free(Bm), free(xr), free(Wr), free(out), free(u), free(packed);
    free(ref), free(Ar), free(Br), free(ur), free(uref), free(before), free(qkv), free(att), free(aref), free(qr);
}

/* The backward products at bf16 against the fp32 kernels: bf16's own error. */
static void test_backward(int emulate) {
    if (emulate) setenv("LORAT_BF16_EMULATE", "1", 1);
    const compute_backend *be = NULL, *fp = compute_fp32();
    lorat_error err = {0};
    lorat_status st = compute_backend_create(LORAT_PRECISION_BF16, &be, &err);
    unsetenv("LORAT_BF16_EMULATE");
    CHECK(st == 0, "bf16 backend: %s", err.message);
    if (st) return;
    const int M = 41, K = 64, N = 48, r = 6, B = 2, T = 20, heads = 2, hd = 16, D = heads * hd;
    compute_plan plan = {.threads = 2, .B = 3, .N = T, .heads = heads, .head_dim = hd, .max_width = 3 * D > N ? 3 * D : N,
                         .use = COMPUTE_TRAINING};
    compute_ctx *c16 = NULL, *c32 = NULL;
    CHECK(compute_ctx_create(be, &plan, &c16, &err) == 0 && compute_ctx_create(fp, &plan, &c32, &err) == 0,
          "contexts: %s", err.message);
    float *x = randn((size_t)M * K, 1), *W = randn((size_t)N * K, 0.1f), *dout = randn((size_t)M * N, 1);
    float *A = randn((size_t)r * K, 0.1f), *Bm = randn((size_t)N * r, 0.1f), *u = randn((size_t)M * r, 1);
    compute_weight w16 = {.f32 = W, .N = N, .K = K}, a16 = {.f32 = A, .N = r, .K = K}, b16 = {.f32 = Bm, .N = N, .K = r};
    compute_weight w32 = w16, a32 = a16, b32 = b16;
    be->ops->weight_pack(be, &w16, COMPUTE_TRAINING, 0, &err);
    be->ops->weight_pack(be, &a16, COMPUTE_TRAINING, 0, &err);
    be->ops->weight_pack(be, &b16, COMPUTE_TRAINING, 0, &err);
    float *g[2][6];
    for (int p = 0; p < 2; p++) {
        compute_ctx *c = p ? c32 : c16;
        g[p][0] = calloc((size_t)M * K, 4), g[p][1] = calloc((size_t)N * K, 4), g[p][2] = calloc(N, 4);
        g[p][3] = calloc((size_t)r * K, 4), g[p][4] = calloc((size_t)N * r, 4), g[p][5] = calloc((size_t)M * r, 4);
        c->ops->linear_backward(c, g[p][0], g[p][1], g[p][2], dout, N, x, p ? &w32 : &w16, M, 0);
        c->ops->lora_backward(c, g[p][0], g[p][3], g[p][4], dout, N, x, u, p ? &a32 : &a16, p ? &b32 : &b16, 0.5f,
                              g[p][5], M);
    }
    const char *names[6] = {"dinp", "dW", "dbias", "dA", "dB", "lora tmp"};
    const size_t sizes[6] = {(size_t)M * K, (size_t)N * K, (size_t)N, (size_t)r * K, (size_t)N * r, (size_t)M * r};
    for (int i = 0; i < 6; i++) {
        double *ref = malloc(sizeof(double) * sizes[i]);
        for (size_t k = 0; k < sizes[i]; k++) ref[k] = g[1][i][k];
        char name[64];
        snprintf(name, sizeof name, "bf16%s backward %s", emulate ? " (emulated)" : "", names[i]);
        CHECK_REL(name, g[0][i], ref, sizes[i], 2e-2);
        double d = 0;
        for (size_t k = 0; k < sizes[i]; k++) d += fabs((double)g[0][i][k] - g[1][i][k]);
        if (i != 2) CHECK(d > 0, "%s: bf16 gave fp32's numbers exactly: was it run at bf16?", name);
        free(ref);
        free(g[0][i]);
        free(g[1][i]);
    }
    float *qkv = randn((size_t)B * T * 3 * D, 1), *dO = randn((size_t)B * T * D, 1);
    float *d16 = calloc((size_t)B * T * 3 * D, 4), *d32 = calloc((size_t)B * T * 3 * D, 4);
    c16->ops->attention_backward(c16, d16, dO, qkv, B, T, heads, hd);
    c32->ops->attention_backward(c32, d32, dO, qkv, B, T, heads, hd);
    double *ref = malloc(sizeof(double) * B * T * 3 * D);
    for (size_t k = 0; k < (size_t)B * T * 3 * D; k++) ref[k] = d32[k];
    CHECK_REL(emulate ? "bf16 (emulated) attention backward" : "bf16 attention backward", d16, ref,
              (size_t)B * T * 3 * D, 2e-2);
    CHECK(be->ops->failure(c16) == NULL, "the backend reports %s", be->ops->failure(c16));
    be->ops->weight_free(be, &w16), be->ops->weight_free(be, &a16), be->ops->weight_free(be, &b16);
    compute_ctx_free(c16);
    compute_ctx_free(c32);
    compute_backend_free(be);
    free(x), free(W), free(dout), free(A), free(Bm), free(u), free(qkv), free(dO), free(d16), free(d32), free(ref);
}

/* The bf16 backend's vectorised GELU backward against libm's (the fp32 backend's). */
static void test_gelu_backward_fast(void) {
    const int M = 7, N = 1001;
    float *x = randn((size_t)M * N, 3), *d = randn((size_t)M * N, 1), *a = malloc(sizeof(float) * M * N),
          *b = malloc(sizeof(float) * M * N);
    double *ref = malloc(sizeof(double) * M * N);
    gelu_backward_fast(a, d, x, M, N);
    gelu_backward(b, d, x, M, N);
    for (size_t i = 0; i < (size_t)M * N; i++) ref[i] = b[i];
    CHECK_REL("gelu_backward_fast", a, ref, (size_t)M * N, 1e-6);
    free(x), free(d), free(a), free(b), free(ref);
}

/* ---- tracking ------------------------------------------------------------------------------- */

#define SHIPPED LORAT_TEST_DATA "/../../models/lorat-t.safetensors"

static double iou(lorat_box a, lorat_box b) {
    double x1 = fmax(a.x, b.x), y1 = fmax(a.y, b.y);
    double x2 = fmin(a.x + a.w, b.x + b.w), y2 = fmin(a.y + a.h, b.y + b.h);
    double i = fmax(0, x2 - x1) * fmax(0, y2 - y1), u = (double)a.w * a.h + (double)b.w * b.h - i;
    return u > 0 ? i / u : 0;
}

static int read_first_box(const char *path, lorat_box *b) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int ok = fscanf(f, "%f,%f,%f,%f", &b->x, &b->y, &b->w, &b->h) == 4;
    fclose(f);
    return ok;
}

static void test_tracking(const char *dir, int sequences, int frames) {
    lorat_error err = {0};
    /* fp32, bf16, int8, and fp32 on the weights rounded to bf16: how far a trajectory moves
     * when only the weights' last bits do */
    lorat_model *m[4] = {NULL, NULL, NULL, NULL};
    for (int p = 0; p < 4; p++) {
        if (lorat_model_load(SHIPPED, &m[p], &err) ||
            lorat_model_set_precision(m[p], p == 3 ? LORAT_PRECISION_FP32 : (lorat_precision)p, &err)) {
            CHECK(0, "the shipped model at %s: %s", lorat_precision_name((lorat_precision)(p % 3)), err.message);
            for (int k = 0; k <= p; k++) lorat_model_free(m[k]);
            return;
        }
    }
    bf16_round_f32(m[3]->frozen, m[3]->frozen, m[3]->n_frozen);
    bf16_round_f32(m[3]->trainable, m[3]->trainable, m[3]->n_trainable);
    if (m[1]->be->native) /* emulated bf16 holds rounded fp32 weights (README: fp32 memory) */
        CHECK(model_weight_bytes(m[1]) < 0.6 * model_weight_bytes(m[0]),
              "bf16 weights take %zu bytes, fp32 %zu: not about half", model_weight_bytes(m[1]),
              model_weight_bytes(m[0]));
    else
        CHECK(model_weight_bytes(m[1]) < 1.1 * model_weight_bytes(m[0]),
              "emulated bf16 weights take %zu bytes, fp32 %zu: more than fp32's", model_weight_bytes(m[1]),
              model_weight_bytes(m[0]));
    double forced[3] = {0}, free_run[4] = {0};
    int n = 0;
    for (int q = 0; q < sequences; q++) {
        char path[600];
        lorat_box init;
        snprintf(path, sizeof path, "%s/synth_%06d/groundtruth.txt", dir, q + 1);
        if (!read_first_box(path, &init)) {
            CHECK(0, "cannot read %s", path);
            break;
        }
        lorat_tracker *forced_t[3] = {NULL}, *free_t[4] = {NULL};
        for (int p = 0; p < 4; p++)
            if ((p < 3 && lorat_tracker_create(m[p], NULL, &forced_t[p], &err)) ||
                lorat_tracker_create(m[p], NULL, &free_t[p], &err))
                CHECK(0, "tracker: %s", err.message);
        lorat_box state = init;
        for (int f = 0; f < frames; f++) {
            snprintf(path, sizeof path, "%s/synth_%06d/%08d.jpg", dir, q + 1, f + 1);
            image img = {0};
            if (image_read(path, &img, &err)) {
                CHECK(0, "%s", err.message);
                break;
            }
            lorat_image v = {img.w, img.h, 3 * img.w, img.data};
            if (f == 0) {
                for (int p = 0; p < 4; p++)
                    CHECK((p == 3 || !lorat_tracker_init(forced_t[p], &v, init, &err)) &&
                              !lorat_tracker_init(free_t[p], &v, init, &err),
                          "init: %s", err.message);
            } else {
                lorat_box b[3], fb[4];
                for (int p = 0; p < 4; p++) {
                    if (p < 3) {
                        tracker_set_state(forced_t[p], state);
                        CHECK(!lorat_tracker_update(forced_t[p], &v, &b[p], NULL, &err), "update: %s", err.message);
                    }
                    CHECK(!lorat_tracker_update(free_t[p], &v, &fb[p], NULL, &err), "update: %s", err.message);
                }
                for (int p = 1; p < 4; p++) {
                    if (p < 3) forced[p] += iou(b[p], b[0]);
                    free_run[p] += iou(fb[p], fb[0]);
                }
                state = b[0];
                n++;
            }
            image_free(&img);
        }
        for (int p = 0; p < 4; p++) lorat_tracker_free(p < 3 ? forced_t[p] : NULL), lorat_tracker_free(free_t[p]);
    }
    if (n > 0) {
        printf("shipped model on %d frames: from fp32's state each frame, IoU with fp32: bf16 %.4f, int8 %.4f; "
               "whole trajectories: bf16 %.4f, int8 %.4f, fp32 on bf16-rounded weights %.4f\n",
               n, forced[1] / n, forced[2] / n, free_run[1] / n, free_run[2] / n, free_run[3] / n);
        CHECK(forced[1] / n >= 0.98, "bf16 boxes from fp32's states: mean IoU %.4f < 0.98", forced[1] / n);
        CHECK(forced[2] / n >= 0.95, "int8 boxes from fp32's states: mean IoU %.4f < 0.95", forced[2] / n);
    }
    CHECK(n > 0, "no frame was compared");
    for (int p = 0; p < 4; p++) lorat_model_free(m[p]);
}

/* A tracker made at 1 thread, then run at 4: its attention scratch holds one score matrix. */
static void test_threads_raised(const char *dir) {
    lorat_error err = {0};
    lorat_model *m = NULL;
    lorat_tracker *t = NULL;
    lorat_set_threads(1);
    if (lorat_model_load(SHIPPED, &m, &err) || lorat_tracker_create(m, NULL, &t, &err)) {
        CHECK(0, "%s", err.message);
        lorat_model_free(m);
        lorat_set_threads(2);
        return;
    }
    lorat_set_threads(4);
    char path[600];
    lorat_box init, box = {0};
    snprintf(path, sizeof path, "%s/synth_%06d/groundtruth.txt", dir, 1);
    CHECK(read_first_box(path, &init), "cannot read %s", path);
    for (int f = 0; f < 3; f++) {
        image img = {0};
        snprintf(path, sizeof path, "%s/synth_%06d/%08d.jpg", dir, 1, f + 1);
        if (image_read(path, &img, &err)) {
            CHECK(0, "%s", err.message);
            break;
        }
        lorat_image v = {img.w, img.h, 3 * img.w, img.data};
        if (f == 0)
            CHECK(!lorat_tracker_init(t, &v, init, &err), "%s", err.message);
        else
            CHECK(!lorat_tracker_update(t, &v, &box, NULL, &err) && isfinite(box.x) && box.w > 0,
                  "update at 4 threads of a tracker made at 1: %s", err.message);
        image_free(&img);
    }
    lorat_tracker_free(t);
    lorat_model_free(m);
    lorat_set_threads(2);
}

int main(void) {
    rng_seed(&R, 12345);
    test_rounding();
    test_products(LORAT_PRECISION_BF16, 0);
    test_products(LORAT_PRECISION_BF16, 1);
    test_products(LORAT_PRECISION_INT8, 0);
    test_backward(0);
    test_backward(1);
    test_gelu_backward_fast();

    char dir[] = "/tmp/lorat-precision-XXXXXX";
    synth_params sp;
    synth_params_default(&sp);
    sp.sequences = 4, sp.frames = 40, sp.seed = 4242;
    lorat_error err = {0};
    if (!mkdtemp(dir) || synth_write(dir, &sp, 0, &err)) {
        CHECK(0, "synthetic sequences: %s", err.message);
    } else {
        test_threads_raised(dir);
        test_tracking(dir, sp.sequences, sp.frames);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish();
}
