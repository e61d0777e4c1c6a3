/*
 * test_optim_torch.c — lorat's AdamW, parameter groups, clipping and schedule against
 * torch.optim.AdamW + clip_grad_norm_ + timm's cosine formula: tests/reference/make_optim_case.py
 * runs ten steps in PyTorch on a fixed gradient sequence and writes every intermediate; this
 * program replays the same gradients through src/train and compares after each step.
 * Needs Debian's python3 with torch (PYTHON overrides /usr/bin/python3).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "test.h"
#include "train/optim.h"
#include "train/schedule.h"

#define REFERENCE LORAT_TEST_DATA "/../reference/make_optim_case.py"

static double meta_num(const safetensors *st, const char *key) {
    const char *v = safetensors_meta(st, key);
    CHECK(v != NULL, "metadata %s missing", key);
    return v ? strtod(v, NULL) : NAN;
}

/* ‖a − b‖ / ‖b‖ (b all zero: ‖a − b‖). */
static double rel_err(const float *a, const float *b, size_t n) {
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return r > 0 ? sqrt(d / r) : sqrt(d);
}

static const float *f32(const safetensors *st, const char *fmt, const char *name, int t) {
    char key[160];
    if (t >= 0)
        snprintf(key, sizeof key, fmt, t, name);
    else
        snprintf(key, sizeof key, fmt, name);
    const tensor_info *ti = safetensors_find(st, key);
    CHECK(ti && ti->dtype == DTYPE_F32, "reference tensor %s missing", key);
    return ti ? ti->data : NULL;
}

static void run_case(const char *path, int official) {
    safetensors *st = NULL;
    lorat_error err = {0};
    if (safetensors_open(path, &st, &err)) {
        CHECK(0, "%s", err.message);
        return;
    }
    int n_t = 0, n = 0;
    const tensor_info *t = safetensors_tensors(st, &n_t);
    optim_segment seg[64];
    float *init[64];
    int ndim[64];
    for (int i = 0; i < n_t && n < 64; i++) {
        if (strncmp(t[i].name, "init.", 5)) continue;
        const size_t numel = (size_t)tensor_numel(&t[i]);
        seg[n].name = t[i].name + 5;
        seg[n].numel = numel;
        seg[n].param = malloc(sizeof(float) * numel);
        seg[n].grad = malloc(sizeof(float) * numel);
        init[n] = malloc(sizeof(float) * numel);
        memcpy(seg[n].param, t[i].data, sizeof(float) * numel);
        memcpy(init[n], t[i].data, sizeof(float) * numel);
        ndim[n] = t[i].ndim;
        seg[n].decay = optim_param_decays(seg[n].name, t[i].ndim);
        n++;
    }
    CHECK(n == 16, "%s: %d parameters", path, n);
    /* the groups, spelled out: LoRA, head weights and the fused qkv decay; the rest does not */
    int n_decay = 0;
    for (int i = 0; i < n; i++)
        n_decay += seg[i].decay;
    CHECK(n_decay == 7, "%d tensors decay, expected 7 (4 LoRA, 2 head weights, qkv)", n_decay);
    (void)ndim;

    lr_schedule s = {.base_lr = meta_num(st, "base_lr"),
                     .warmup_lr = meta_num(st, "warmup_lr"),
                     .min_lr = meta_num(st, "min_lr"),
                     .warmup_t = (int64_t)meta_num(st, "warmup_t"),
                     .t_initial = (int64_t)meta_num(st, "t_initial"),
                     .warmup_prefix = 1};
    adamw_config cfg;
    adamw_config_default(&cfg);
    cfg.lr = s.base_lr;
    cfg.weight_decay = meta_num(st, "weight_decay");
    adamw *opt = NULL;
    if (adamw_create(seg, n, &cfg, &opt, &err)) {
        CHECK(0, "%s", err.message);
        return;
    }
    const int steps = (int)meta_num(st, "steps");
    double worst_param = 0, worst_update = 0, worst_lr = 0, worst_norm = 0;
    for (int step = 0; step < steps; step++) {
        char key[32];
        snprintf(key, sizeof key, "lr_%d", step);
        const double lr = lr_schedule_at(&s, step), lr_ref = meta_num(st, key);
        worst_lr = fmax(worst_lr, fabs(lr - lr_ref) / lr_ref);
        CHECK(lr == lr_ref, "%s step %d: lr %.17g, timm %.17g", path, step, lr, lr_ref);
        for (int i = 0; i < n; i++) {
            const float *g = f32(st, "grad.%d.%s", seg[i].name, step);
            if (g) memcpy(seg[i].grad, g, sizeof(float) * seg[i].numel);
        }
        snprintf(key, sizeof key, "norm_%d", step);
        const double norm = grads_clip(seg, n, 1.0), norm_ref = meta_num(st, key);
        worst_norm = fmax(worst_norm, fabs(norm - norm_ref) / norm_ref);
        CHECK(fabs(norm - norm_ref) <= 1e-6 * norm_ref,
              "%s step %d: gradient norm %.9g, torch %.9g", path, step, norm, norm_ref);
        adamw_step(opt, lr);
        for (int i = 0; i < n; i++) {
            const float *ref = f32(st, "after.%d.%s", seg[i].name, step);
            if (!ref) continue;
            const double e = rel_err(seg[i].param, ref, seg[i].numel);
            worst_param = fmax(worst_param, e);
            CHECK(e <= 1e-6, "%s step %d: %s differs from torch by %.3g (relative)", path, step,
                  seg[i].name, e);
            /* the accumulated update alone, so that a small lr cannot hide a wrong formula */
            double d = 0, r = 0;
            for (size_t k = 0; k < seg[i].numel; k++) {
                const double u = (double)seg[i].param[k] - init[i][k],
                             ur = (double)ref[k] - init[i][k];
                d += (u - ur) * (u - ur);
                r += ur * ur;
            }
            const double eu = r > 0 ? sqrt(d / r) : sqrt(d);
            worst_update = fmax(worst_update, eu);
            CHECK(eu <= 1e-4,
                  "%s step %d: the update of %s differs from torch's by %.3g (relative)", path,
                  step, seg[i].name, eu);
        }
    }
    double worst_m = 0, worst_v = 0;
    for (int i = 0; i < n; i++) {
        const float *m = f32(st, "exp_avg.%s", seg[i].name, -1),
                    *v = f32(st, "exp_avg_sq.%s", seg[i].name, -1);
        if (!m || !v) continue;
        worst_m = fmax(worst_m, rel_err(opt->exp_avg + opt->moment_offset[i], m, seg[i].numel));
        worst_v = fmax(worst_v, rel_err(opt->exp_avg_sq + opt->moment_offset[i], v, seg[i].numel));
    }
    CHECK(worst_m <= 1e-6 && worst_v <= 1e-6, "%s: moments differ: exp_avg %.3g, exp_avg_sq %.3g",
          path, worst_m, worst_v);
    CHECK(opt->step == steps, "step count %lld", (long long)opt->step);
    printf(
        "%s: %d steps; worst relative error: params %.3g, accumulated update %.3g, exp_avg %.3g, "
        "exp_avg_sq %.3g, grad norm %.3g, lr %.3g\n",
        strrchr(path, '/') + 1, steps, worst_param, worst_update, worst_m, worst_v, worst_norm,
        worst_lr);

    if (official) {
        cJSON *ts = cJSON_Parse(safetensors_meta(st, "official_t"));
        cJSON *lrs = cJSON_Parse(safetensors_meta(st, "official_lr"));
        lr_schedule o;
        lr_schedule_official(&o, 1024, 170);
        int k = 0, same = 0;
        for (const cJSON *a = ts ? ts->child : NULL, *b = lrs ? lrs->child : NULL; a && b;
             a = a->next, b = b->next, k++) {
            const int64_t it = (int64_t)a->valuedouble;
            const double lr = lr_schedule_at(&o, it), ref = strtod(b->valuestring, NULL);
            same += lr == ref;
            CHECK(lr == ref, "official schedule at t=%lld: %.17g, timm %.17g", (long long)it, lr,
                  ref);
        }
        CHECK(k == 17, "%d official schedule points", k);
        printf("official schedule: %d/%d iterations equal to timm's bit for bit; last iteration "
               "(t=174079) lr %.6g\n",
               same, k, lr_schedule_at(&o, 174079));
        cJSON_Delete(ts);
        cJSON_Delete(lrs);
    }
    adamw_free(opt);
    for (int i = 0; i < n; i++) {
        free(seg[i].param);
        free(seg[i].grad);
        free(init[i]);
    }
    safetensors_close(st);
}

int main(void) {
    char dir[] = "/tmp/lorat-optim-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "cannot make a scratch directory");
        return test_finish();
    }
    const char *python = getenv("PYTHON");
    if (!python || !*python) python = "/usr/bin/python3";
    char cmd[1024], path[256];
    snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 '%s' '%s' --out '%s' > '%s/ref.log' 2>&1", python,
             REFERENCE, dir, dir);
    const int rc = system(cmd);
    CHECK(rc == 0, "the PyTorch reference failed (%s); see below", cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "cat '%s/ref.log' >&2", dir);
        if (system(cmd)) {
        }
    } else {
        snprintf(path, sizeof path, "%s/official.safetensors", dir);
        run_case(path, 1);
        snprintf(path, sizeof path, "%s/large.safetensors", dir);
        run_case(path, 0);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {
    }
    return test_finish();
}
