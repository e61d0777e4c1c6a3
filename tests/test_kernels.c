/*
 * test_kernels.c — each optimised kernel against its scalar reference on fresh random inputs,
 * at sizes that are not multiples of the vector width. Compares with relative error
 * ‖out − ref‖ / ‖ref‖ and a max-abs bound, and names the worst element on failure.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "test.h"

static rng R;

static float *randn(size_t n, float scale) {
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = rng_normal(&R) * scale;
    return v;
}

/* Relative error, and the index of the largest absolute difference. */
static double rel_err(const float *a, const float *b, size_t n, size_t *worst, double *maxabs) {
    double d2 = 0, r2 = 0;
    *maxabs = 0;
    *worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        d2 += d * d;
        r2 += (double)b[i] * b[i];
        if (!(fabs(d) <= *maxabs)) {
            *maxabs = fabs(d);
            *worst = i;
        }
    }
    return r2 > 0 ? sqrt(d2 / r2) : sqrt(d2);
}

/* Both bounds: the relative error of the whole, and the largest single difference against
 * 10·rtol times the largest reference magnitude (a spike the norm would average away). An
 * empty comparison fails. */
static double max_abs(const float *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(v[i]) > m ? fabs(v[i]) : m;
    return m;
}

#define CHECK_CLOSE(name, out, ref, n, rtol)                                                       \
    do {                                                                                           \
        size_t w_;                                                                                 \
        double m_, r_ = rel_err(out, ref, n, &w_, &m_), big_ = max_abs(ref, n);                    \
        CHECK((n) > 0, "%s: nothing was compared", name);                                          \
        CHECK(r_ <= (rtol), "%s: rel err %.3e > %.1e, worst element %zu: %.8g vs ref %.8g", name,   \
              r_, (double)(rtol), w_, (double)(out)[w_], (double)(ref)[w_]);                       \
        CHECK(m_ <= 10 * (rtol) * big_, "%s: max |diff| %.3e at element %zu (%.8g vs ref %.8g) > " \
              "10·%.1e·max|ref| (%.3e)", name, m_, w_, (double)(out)[w_], (double)(ref)[w_],       \
              (double)(rtol), big_);                                                               \
    } while (0)

static void test_linear(int M, int K, int N, int ldo) {
    float *x = randn((size_t)M * K, 1), *w = randn((size_t)N * K, 0.1f), *b = randn(N, 1);
    float *out = calloc((size_t)M * ldo, 4), *ref = malloc(sizeof(float) * M * N), *packed = malloc(sizeof(float) * M * N);
    linear_forward(out, ldo, x, w, b, M, K, N);
    kernels_ref_linear(ref, x, w, b, M, K, N);
    for (int m = 0; m < M; m++) memcpy(packed + (size_t)m * N, out + (size_t)m * ldo, sizeof(float) * N);
    CHECK_CLOSE("linear", packed, ref, (size_t)M * N, 1e-6);
    /* the columns beyond N in a wider output are left alone */
    int untouched = 1;
    for (int m = 0; m < M; m++)
        for (int n = N; n < ldo; n++) untouched &= out[(size_t)m * ldo + n] == 0.0f;
    CHECK(untouched, "linear wrote outside its column slice (ldo %d, N %d)", ldo, N);

    /* LoRA: out += s·(x·Aᵀ)·Bᵀ equals a linear with W = s·B·A */
    int r = 5;
    float s = 1.7f;
    float *A = randn((size_t)r * K, 0.1f), *Bm = randn((size_t)N * r, 0.1f), *tmp = malloc(sizeof(float) * M * r);
    float *W = malloc(sizeof(float) * N * K), *lo = calloc((size_t)M * N, 4);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++) {
            double acc = 0;
            for (int j = 0; j < r; j++) acc += (double)Bm[n * r + j] * A[j * K + k];
            W[(size_t)n * K + k] = (float)(s * acc);
        }
    lora_forward(lo, N, x, A, Bm, s, tmp, M, K, N, r);
    kernels_ref_linear(ref, x, W, NULL, M, K, N);
    CHECK_CLOSE("lora", lo, ref, (size_t)M * N, 1e-5);
    free(x), free(w), free(b), free(out), free(ref), free(packed), free(A), free(Bm), free(tmp), free(W), free(lo);
}

static void test_layernorm(int M, int D) {
    float *x = randn((size_t)M * D, 3), *w = randn(D, 1), *b = randn(D, 1);
    for (int i = 0; i < M * D; i++) x[i] += 5.0f; /* an offset, as real activations have */
    float *out = malloc(sizeof(float) * M * D), *ref = malloc(sizeof(float) * M * D);
    layernorm_forward(out, x, w, b, 1e-6f, M, D);
    kernels_ref_layernorm(ref, x, w, b, 1e-6f, M, D);
    CHECK_CLOSE("layernorm", out, ref, (size_t)M * D, 2e-6);
    free(x), free(w), free(b), free(out), free(ref);
}

static void test_attention(int B, int N, int heads, int hd) {
    int D = heads * hd;
    float *qkv = randn((size_t)B * N * 3 * D, 1);
    float *out = malloc(sizeof(float) * B * N * D), *ref = malloc(sizeof(float) * B * N * D);
    float *scratch = malloc(sizeof(float) * attention_scratch_floats(N, kernels_get_threads()));
    attention_forward(out, qkv, scratch, kernels_get_threads(), B, N, heads, hd);
    kernels_ref_attention(ref, qkv, B, N, heads, hd);
    CHECK_CLOSE("attention", out, ref, (size_t)B * N * D, 2e-6);
    free(qkv), free(out), free(ref), free(scratch);
}

static void test_elementwise(void) {
    /* exp over the whole useful range, relative to libm */
    int n = 20011;
    float *x = malloc(sizeof(float) * n), *ref = malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++) x[i] = -80.0f + 160.0f * i / (n - 1);
    for (int i = 0; i < n; i++) ref[i] = expf(x[i]);
    vexp(x, n);
    double worst = 0;
    for (int i = 0; i < n; i++) worst = fmax(worst, fabs((double)x[i] - ref[i]) / ref[i]);
    CHECK(worst < 1e-6, "vexp: max relative error %.3e", worst);

    /* GELU with a bias, against erf from libm in double */
    int M = 7, N = 203;
    float *g = malloc(sizeof(float) * M * N), *gr = malloc(sizeof(float) * M * N), *bias = randn(N, 0.5f);
    for (int i = 0; i < M * N; i++) g[i] = -9.0f + 18.0f * i / (M * N - 1);
    for (int i = 0; i < M * N; i++) gr[i] = kernels_ref_gelu(g[i] + bias[i % N]);
    gelu_forward(g, bias, M, N);
    double gmax = 0;
    for (int i = 0; i < M * N; i++) gmax = fmax(gmax, fabs((double)g[i] - gr[i]));
    CHECK(gmax < 2e-6, "gelu: max abs error %.3e", gmax);

    /* SwiGLU and sigmoid */
    int H = 37;
    float *in = randn((size_t)M * 2 * H, 2), *sb = randn(2 * H, 0.3f);
    float *so = malloc(sizeof(float) * M * H), *sr = malloc(sizeof(float) * M * H);
    swiglu_forward(so, in, sb, M, H);
    for (int m = 0; m < M; m++)
        for (int i = 0; i < H; i++) {
            double a = in[m * 2 * H + i] + sb[i], v = in[m * 2 * H + H + i] + sb[H + i];
            sr[m * H + i] = (float)(a / (1.0 + exp(-a)) * v);
        }
    CHECK_CLOSE("swiglu", so, sr, (size_t)M * H, 1e-6);
    float *sg = randn(1001, 4), *sgr = malloc(sizeof(float) * 1001);
    for (int i = 0; i < 1001; i++) sgr[i] = (float)(1.0 / (1.0 + exp(-(double)sg[i])));
    sigmoid_forward(sg, 1001);
    CHECK_CLOSE("sigmoid", sg, sgr, 1001, 1e-6);

    /* residual with bias and LayerScale */
    float *rx = randn((size_t)M * N, 1), *ry = randn((size_t)M * N, 1), *rg = randn(N, 1);
    float *rr = malloc(sizeof(float) * M * N);
    for (int i = 0; i < M * N; i++) rr[i] = rx[i] + rg[i % N] * (ry[i] + bias[i % N]);
    residual_forward(rx, ry, bias, rg, M, N);
    CHECK_CLOSE("residual", rx, rr, (size_t)M * N, 1e-7);
    free(x), free(ref), free(g), free(gr), free(bias), free(in), free(sb), free(so), free(sr);
    free(sg), free(sgr), free(rx), free(ry), free(rg), free(rr);
}

static void test_posembed(void) {
    /* Same size: every output point falls on an input point (t = 0), so the resize is the identity. */
    int G = 9, D = 5;
    float *in = randn((size_t)G * G * D, 1), *out = malloc(sizeof(float) * G * G * D);
    posembed_resize(out, in, G, G, D, G, G);
    CHECK(memcmp(in, out, sizeof(float) * G * G * D) == 0, "bicubic resize to the same size is not the identity");
    /* A constant grid stays constant (the four weights sum to one). */
    for (int i = 0; i < G * G * D; i++) in[i] = 0.25f;
    float *o2 = malloc(sizeof(float) * 4 * 7 * D);
    posembed_resize(o2, in, G, G, D, 4, 7);
    double dev = 0;
    for (int i = 0; i < 4 * 7 * D; i++) dev = fmax(dev, fabs(o2[i] - 0.25));
    CHECK(dev < 1e-6, "bicubic resize of a constant grid deviates by %.3e", dev);
    free(in), free(out), free(o2);
}

int main(void) {
    rng_seed(&R, 42);
    kernels_set_threads(2);
    test_linear(37, 29, 41, 41);
    test_linear(64, 128, 96, 100);
    test_linear(1, 7, 3, 5);
    test_layernorm(13, 77);
    test_layernorm(5, 768);
    test_attention(2, 37, 3, 16);
    test_attention(1, 80, 1, 64);
    test_elementwise();
    test_posembed();
    return test_finish();
}
