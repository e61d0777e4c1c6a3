/*
 * test_optim.c — AdamW, the parameter groups, clipping, gradient accumulation, the schedule and
 * the JSONL log, without PyTorch (test_optim_torch compares against torch itself): the update
 * against a double-precision scalar reference, the same bits for any thread count, the segments
 * of a model in LoRA and full mode, and the schedule's shape with the official numbers.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rng.h"
#include "test.h"
#include "train/log.h"
#include "train/optim.h"
#include "train/schedule.h"

static void test_groups(void) {
    static const struct {
        const char *name;
        int ndim, decays;
    } cases[] = {
        {"blocks.3.attn.qkv.q.lora.A", 2, 1},
        {"blocks.3.mlp.fc2.lora.B", 2, 1},
        {"blocks.0.mlp.w12.lora.A", 2, 1},
        {"head.cls_mlp.layers.0.weight", 2, 1},
        {"head.reg_mlp.layers.2.bias", 1, 0},
        {"token_type_embed", 2, 0},
        {"pos_embed", 3, 0},
        {"patch_embed.proj.weight", 4, 0},
        {"patch_embed.proj.bias", 1, 0},
        {"blocks.1.norm1.weight", 1, 0},
        {"norm.bias", 1, 0},
        {"blocks.1.ls2.gamma", 1, 0},
        {"blocks.1.attn.qkv.weight", 2, 1},
        {"blocks.1.attn.proj.bias", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(optim_param_decays(cases[i].name, cases[i].ndim) == cases[i].decays,
              "%s (ndim %d): decay %d expected", cases[i].name, cases[i].ndim, cases[i].decays);
}

static model_config tiny_config(void) {
    model_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.variant, sizeof c.variant, "custom");
    c.dim = 32;
    c.depth = 2;
    c.heads = 1;
    c.ffn_hidden = 64;
    c.patch = 14;
    c.pos_grid = 4;
    c.template_w = c.template_h = 2;
    c.search_w = c.search_h = 4;
    c.lora_rank = 4;
    c.lora_alpha = 8;
    c.lora_has_alpha = 1;
    return c;
}

static void test_segments(void) {
    model_config c = tiny_config();
    lorat_model *m = NULL;
    lorat_error err = {0};
    if (model_create(&c, &m, &err)) {
        CHECK(0, "%s", err.message);
        return;
    }
    float *gt = calloc(m->n_trainable, sizeof(float)), *gf = calloc(m->n_frozen, sizeof(float));
    optim_segment *s = NULL;
    int n = 0, n_trainable = 0;
    for (int i = 0; i < m->n_params; i++)
        n_trainable += m->params[i].role == PARAM_TRAINABLE;
    CHECK(optim_segments_for_model(m, gt, NULL, &s, &n, &err) == 0, "%s", err.message);
    CHECK(n == n_trainable, "LoRA mode: %d segments for %d trainable tensors", n, n_trainable);
    size_t total = 0;
    int ok = 1;
    for (int k = 0; k < n; k++) {
        const param_desc *p = model_find_param(m, s[k].name);
        ok &= p && p->role == PARAM_TRAINABLE && s[k].param == *p->slot &&
              s[k].grad == gt + p->offset && s[k].numel == p->numel;
        total += s[k].numel;
        if (!strcmp(s[k].name, "token_type_embed")) ok &= !s[k].decay;
        if (strstr(s[k].name, ".lora.")) ok &= s[k].decay;
    }
    CHECK(ok, "LoRA-mode segments do not match the parameter table");
    CHECK(total <= m->n_trainable, "segments cover %zu floats, the block has %zu", total,
          m->n_trainable);
    free(s);
    CHECK(optim_segments_for_model(m, gt, gf, &s, &n, &err) == 0, "%s", err.message);
    CHECK(n == m->n_params, "full mode: %d segments for %d tensors", n, m->n_params);
    ok = 1;
    for (int k = 0; k < n; k++) {
        const param_desc *p = model_find_param(m, s[k].name);
        ok &= p && s[k].param == *p->slot &&
              s[k].grad == (p->role == PARAM_TRAINABLE ? gt : gf) + p->offset;
    }
    CHECK(ok, "full-mode segments do not match the parameter table");
    adamw *opt = NULL;
    adamw_config cfg;
    adamw_config_default(&cfg);
    CHECK(adamw_create(s, n, &cfg, &opt, &err) == 0, "%s", err.message);
    CHECK(opt && opt->n_moments >= m->n_frozen + m->n_trainable - 16 * (size_t)m->n_params,
          "moments for %zu floats", opt ? opt->n_moments : 0);
    adamw_free(opt);
    free(s);
    CHECK(optim_segments_for_model(m, NULL, NULL, &s, &n, &err) == LORAT_STATUS_BAD_INPUT,
          "no gradients at all must be refused");
    free(gt);
    free(gf);
    lorat_model_free(m);
}

/* The update in double, from the formulas (not the code). */
static void adamw_ref(double *p, const double *g, double *m, double *v, size_t n, double lr,
                      double wd, int t) {
    for (size_t i = 0; i < n; i++) {
        p[i] *= 1 - lr * wd;
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
        p[i] -= lr * mh / (sqrt(vh) + 1e-8);
    }
}

static void test_adamw(void) {
    enum { NSEG = 3 };
    const size_t sizes[NSEG] = {1, 2053,
                                20000}; /* a scalar, vector blocks + tail, several blocks */
    const int decay[NSEG] = {0, 1, 1};
    optim_segment seg[NSEG], seg2[NSEG];
    double *p[NSEG], *m[NSEG], *v[NSEG], *g[NSEG];
    rng r;
    rng_seed(&r, 7);
    for (int s = 0; s < NSEG; s++) {
        const size_t n = sizes[s];
        seg[s] = (optim_segment){"seg", malloc(n * 4), malloc(n * 4), n, decay[s]};
        seg2[s] = (optim_segment){"seg", malloc(n * 4), malloc(n * 4), n, decay[s]};
        p[s] = malloc(n * 8), m[s] = calloc(n, 8), v[s] = calloc(n, 8), g[s] = malloc(n * 8);
        for (size_t i = 0; i < n; i++)
            seg[s].param[i] = seg2[s].param[i] = (float)(p[s][i] = rng_normal(&r));
    }
    adamw_config cfg;
    adamw_config_default(&cfg);
    adamw *a = NULL, *b = NULL;
    adamw_create(seg, NSEG, &cfg, &a, NULL);
    adamw_create(seg2, NSEG, &cfg, &b, NULL);
    const int threads = omp_get_max_threads();
    double worst = 0;
    int same_bits = 1;
    for (int t = 1; t <= 20; t++) {
        const double lr = 1e-3 * t;
        for (int s = 0; s < NSEG; s++)
            for (size_t i = 0; i < sizes[s]; i++) {
                float x = rng_normal(&r) * (t % 3 ? 1e-3f : 10.0f);
                if (i % 7 == 0) x = 0;
                seg[s].grad[i] = seg2[s].grad[i] = x;
                g[s][i] = x;
            }
        omp_set_num_threads(1);
        adamw_step(a, lr);
        omp_set_num_threads(threads > 1 ? threads : 4);
        adamw_step(b, lr);
        for (int s = 0; s < NSEG; s++) {
            adamw_ref(p[s], g[s], m[s], v[s], sizes[s], lr, decay[s] ? 0.1 : 0.0, t);
            same_bits &= !memcmp(seg[s].param, seg2[s].param, sizes[s] * 4);
            for (size_t i = 0; i < sizes[s]; i++)
                worst = fmax(worst, fabs(seg[s].param[i] - p[s][i]) / fmax(1.0, fabs(p[s][i])));
        }
    }
    omp_set_num_threads(threads);
    CHECK(a->step == 20, "step %lld", (long long)a->step);
    /* float rounding of O(1) parameters over 20 steps: a few ulps */
    CHECK(worst < 1e-6,
          "AdamW vs the double-precision formula: worst error %.3g (relative above 1)", worst);
    CHECK(same_bits, "1 thread and several threads give different parameters");
    /* no decay on a segment without the flag: a zero gradient leaves it exactly where it is */
    float keep = 3.0f, zero = 0.0f;
    optim_segment one = {"bias", &keep, &zero, 1, 0};
    adamw *c = NULL;
    adamw_create(&one, 1, &cfg, &c, NULL);
    adamw_step(c, 1e-2);
    CHECK(keep == 3.0f, "a no-decay parameter with zero gradient moved to %.9g", keep);
    one.decay = 1;
    adamw_free(c);
    adamw_create(&one, 1, &cfg, &c, NULL);
    adamw_step(c, 1e-2);
    CHECK(keep == (float)(3.0 * (1 - 1e-2 * 0.1)), "decay: %.9g", keep);
    adamw_free(c);
    adamw_free(a);
    adamw_free(b);
    for (int s = 0; s < NSEG; s++) {
        free(seg[s].param), free(seg[s].grad), free(seg2[s].param), free(seg2[s].grad);
        free(p[s]), free(m[s]), free(v[s]), free(g[s]);
    }
}

static void test_grads(void) {
    enum { N1 = 100, N2 = 40000 };
    float *a = malloc(N1 * 4), *b = malloc(N2 * 4), *mb = malloc(N2 * 4);
    optim_segment seg[2] = {{"a", NULL, a, N1, 1}, {"b", NULL, b, N2, 0}};
    for (int i = 0; i < N1; i++)
        a[i] = 0.001f;
    for (int i = 0; i < N2; i++)
        b[i] = (i % 2 ? -1 : 1) * 0.002f;
    const double want = sqrt(N1 * (double)a[0] * a[0] + N2 * (double)b[0] * b[0]);
    double norm = grads_global_norm(seg, 2);
    CHECK(fabs(norm - want) < 1e-9 * want + 1e-12, "norm %.12g, expected %.12g", norm, want);
    /* below the threshold: untouched */
    CHECK(grads_clip(seg, 2, 1.0) == norm && a[0] == 0.001f, "a small gradient was changed");
    grads_scale(seg, 2, 1000.0f); /* norm ≈ 400 */
    norm = grads_clip(seg, 2, 1.0);
    const double after = grads_global_norm(seg, 2);
    CHECK(norm > 300 && fabs(after - 1.0) < 1e-5, "clipped from %.6g to %.9g, expected 1", norm,
          after);
    omp_set_num_threads(1);
    const double n1 = grads_global_norm(seg, 2);
    omp_set_num_threads(3);
    const double n3 = grads_global_norm(seg, 2);
    CHECK(n1 == n3, "the norm depends on the thread count: %.17g vs %.17g", n1, n3);
    /* a non-finite norm leaves the gradients alone */
    b[5] = NAN;
    const float a0 = a[0];
    CHECK(isnan(grads_clip(seg, 2, 1.0)) && a[0] == a0, "NaN gradient: the gradients were scaled");
    /* accumulation: zero, add three micro-batches, scale by 1/3 = the mean */
    grads_zero(seg, 2);
    CHECK(a[0] == 0 && b[N2 - 1] == 0 && b[5] == 0, "grads_zero left values");
    for (int k = 1; k <= 3; k++) {
        for (int i = 0; i < N2; i++)
            mb[i] = (float)(k * i % 11);
        grads_accumulate(b, mb, N2);
    }
    grads_scale(seg, 2, 1.0f / 3);
    int ok = 1;
    for (int i = 0; i < N2; i++) {
        const float mean = (float)((i % 11) + (2 * i % 11) + (3 * i % 11)) * (1.0f / 3);
        ok &= fabsf(b[i] - mean) <= 1e-6f * fabsf(mean);
    }
    CHECK(ok, "accumulated gradients are not the mean of the micro-batches");
    free(a), free(b), free(mb);
}

static void test_schedule(void) {
    lr_schedule s;
    lr_schedule_official(&s, 1024, 170);
    CHECK(s.warmup_t == 2048 && s.t_initial == 174080, "warmup %lld, t_initial %lld",
          (long long)s.warmup_t, (long long)s.t_initial);
    CHECK(lr_schedule_at(&s, 0) == 1e-7, "lr(0) %.17g", lr_schedule_at(&s, 0));
    CHECK(fabs(lr_schedule_at(&s, 1024) - (1e-7 + 0.5 * (1e-4 - 1e-7))) < 1e-18,
          "mid-warmup lr %.17g", lr_schedule_at(&s, 1024));
    CHECK(lr_schedule_at(&s, 2048) == 1e-4, "lr at the end of warmup %.17g",
          lr_schedule_at(&s, 2048));
    int mono = 1;
    for (int64_t t = 1; t < 2048; t++)
        mono &= lr_schedule_at(&s, t) > lr_schedule_at(&s, t - 1);
    for (int64_t t = 2048 + 97; t < 174080; t += 97)
        mono &= lr_schedule_at(&s, t) < lr_schedule_at(&s, t - 97);
    CHECK(mono, "warmup must rise and the cosine fall");
    const double last = lr_schedule_at(&s, 174079);
    CHECK(last > 1.03e-6 && last < 1.04e-6, "last lr %.6g, spec: about 1.03e-6", last);
    /* half way through the cosine: the mean of base and min */
    CHECK(fabs(lr_schedule_at(&s, 2048 + 87040) - 0.5 * (1e-4 + 1e-6)) < 1e-18,
          "mid-cosine lr %.17g", lr_schedule_at(&s, 2048 + 87040));
    CHECK(lr_schedule_at(&s, 2048 + 174080) == 1e-6 && lr_schedule_at(&s, 10000000) == 1e-6,
          "after the cycle the lr is lr_min");
}

static void test_log(void) {
    char path[] = "/tmp/lorat-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return;
    close(fd);
    lorat_error err = {0};
    train_log log;
    for (int round = 0; round < 2; round++) { /* the second open appends (a resumed run) */
        CHECK(train_log_open(&log, path, &err) == 0, "%s", err.message);
        train_log_entry e = {.step = 10 + round,
                             .epoch = 1,
                             .loss = 1.5,
                             .loss_cls = 0.25,
                             .loss_reg = 1.25,
                             .lr = 6.1e-5,
                             .grad_norm = round ? NAN : 0.75,
                             .samples_per_s = 41.5,
                             .elapsed = 12.5};
        CHECK(train_log_write(&log, &e, &err) == 0, "%s", err.message);
        train_log_close(&log);
    }
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        CHECK(j != NULL, "line %d is not JSON: %s", n, line);
        if (j) {
            const cJSON *step = cJSON_GetObjectItem(j, "step"), *lr = cJSON_GetObjectItem(j, "lr");
            const cJSON *gn = cJSON_GetObjectItem(j, "grad_norm"),
                        *loss = cJSON_GetObjectItem(j, "loss_reg");
            CHECK(step && step->valuedouble == 10 + n, "step");
            CHECK(lr && lr->valuedouble == 6.1e-5, "lr %s", line);
            CHECK(loss && loss->valuedouble == 1.25, "loss_reg");
            CHECK(gn && (n ? cJSON_IsNull(gn) : gn->valuedouble == 0.75), "grad_norm: %s", line);
            const char *keys[] = {"epoch", "loss", "loss_cls", "samples_per_s", "elapsed"};
            for (int k = 0; k < 5; k++)
                CHECK(cJSON_GetObjectItem(j, keys[k]), "no %s: %s", keys[k], line);
        }
        cJSON_Delete(j);
        n++;
    }
    if (f) fclose(f);
    CHECK(n == 2, "%d lines in the log, expected 2", n);
    unlink(path);
    CHECK(train_log_open(&log, "/nonexistent-dir/x/log.jsonl", &err) == LORAT_STATUS_IO &&
              strstr(err.message, "/nonexistent-dir/x/log.jsonl"),
          "an unwritable log must fail with its path: %s", err.message);
}

int main(void) {
    test_groups();
    test_segments();
    test_adamw();
    test_grads();
    test_schedule();
    test_log();
    return test_finish();
}
