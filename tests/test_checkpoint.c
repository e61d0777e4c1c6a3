/*
 * test_checkpoint.c — the checkpoint files and the run directory: the official-layout model file
 * (names, dtypes, scalars; read back through model_load_official as `lorat convert --checkpoint`
 * does), LoRA and full-mode round trips, the training state round trip, keep-last-K, and crash
 * safety: hand-made torn directories and a writer killed with SIGKILL at random moments must
 * leave the newest complete checkpoint findable and loadable.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/rng.h"
#include "io/safetensors.h"
#include "test.h"
#include "train/checkpoint.h"

#define TINY LORAT_TEST_DATA "/official/model/tiny-mlp"

static char tmp[64];

static lorat_model *load_tiny(const char *checkpoint, int merge) {
    model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.variant, sizeof cfg.variant, "custom");
    cfg.template_area_factor = 2.0f;
    cfg.search_area_factor = 4.0f;
    cfg.window_influence = 0.45f;
    cfg.min_box_size = 10.0f;
    cfg.layernorm_eps = 1e-6f;
    cfg.template_w = cfg.template_h = 4;
    cfg.search_w = cfg.search_h = 8;
    lorat_error err = {0};
    lorat_model *m = NULL;
    if (model_infer_backbone(TINY "/dinov2.pth", &cfg, &err) ||
        model_load_official(TINY "/dinov2.pth", checkpoint, &cfg, merge, 0, &m, &err)) {
        CHECK(0, "loading tiny-mlp with %s: %s", checkpoint, err.message);
        return NULL;
    }
    return m;
}

static int same_block(const float *a, const float *b, size_t n) {
    return !memcmp(a, b, n * sizeof(float));
}

static int same_params(const lorat_model *a, const lorat_model *b, int frozen_too) {
    if (a->n_params != b->n_params) return 0;
    for (int i = 0; i < a->n_params; i++) {
        const param_desc *p = &a->params[i];
        if (p->role == PARAM_FROZEN && !frozen_too) continue;
        const param_desc *q = model_find_param(b, p->name);
        if (!q || q->numel != p->numel || !same_block(*p->slot, *q->slot, p->numel)) return 0;
    }
    return 1;
}

static void perturb(lorat_model *m, int frozen_too, uint64_t seed) {
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < m->n_trainable; i++)
        m->trainable[i] += 0.01f * rng_normal(&r);
    if (frozen_too)
        for (size_t i = 0; i < m->n_frozen; i++)
            m->frozen[i] += 0.01f * rng_normal(&r);
}

static void test_official_layout(void) {
    lorat_model *m = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (!m) return;
    CHECK(m->cfg.lora_rank == 8 && m->cfg.lora_has_alpha && m->cfg.lora_alpha == 16,
          "tiny-mlp: rank %d alpha %g", m->cfg.lora_rank, (double)m->cfg.lora_alpha);
    perturb(m, 0, 1); /* as after some training */
    char path[128];
    snprintf(path, sizeof path, "%s/official.safetensors", tmp);
    lorat_error err = {0};
    CHECK(checkpoint_write_model(path, m, 0, &err) == 0, "%s", err.message);

    /* exactly the trainable tensors, F32, under their names, plus the two scalars */
    safetensors *st = NULL;
    if (safetensors_open(path, &st, &err)) {
        CHECK(0, "%s", err.message);
    } else {
        int n = 0, n_trainable = 0, ok = 1;
        safetensors_tensors(st, &n);
        for (int i = 0; i < m->n_params; i++) {
            const param_desc *p = &m->params[i];
            if (p->role != PARAM_TRAINABLE) continue;
            n_trainable++;
            const tensor_info *ti = safetensors_find(st, p->name);
            ok &= ti && ti->dtype == DTYPE_F32 && ti->ndim == p->ndim &&
                  !memcmp(ti->shape, p->shape, sizeof(int64_t) * p->ndim) &&
                  same_block(ti->data, *p->slot, p->numel);
        }
        CHECK(ok, "trainable tensors missing or different in the checkpoint");
        CHECK(n == n_trainable + 2, "%d tensors, expected %d trainable + lora_alpha + use_rslora",
              n, n_trainable);
        const tensor_info *a = safetensors_find(st, "lora_alpha"),
                          *r = safetensors_find(st, "use_rslora");
        int64_t alpha = 0;
        if (a && a->nbytes == 8) memcpy(&alpha, a->data, 8); /* the file need not align it */
        CHECK(a && a->dtype == DTYPE_I64 && a->ndim == 0 && alpha == 16,
              "lora_alpha must be I64 0-d = 16");
        CHECK(r && r->dtype == DTYPE_BOOL && r->ndim == 0 && *(const uint8_t *)r->data == 0,
              "use_rslora must be BOOL 0-d = false");
        CHECK(!safetensors_find(st, "pos_embed") &&
                  !safetensors_find(st, "blocks.0.attn.qkv.weight"),
              "a LoRA-mode checkpoint must not hold frozen tensors");
        safetensors_close(st);
    }

    /* read back as `lorat convert --checkpoint` does: same trainables, same scaling */
    lorat_model *back = load_tiny(path, 0);
    if (back) {
        CHECK(same_params(m, back, 1),
              "model_load_official(our checkpoint) differs from what was saved");
        CHECK(back->cfg.lora_has_alpha && back->cfg.lora_alpha == 16 && !back->cfg.lora_rslora,
              "scaling lost: alpha %g", (double)back->cfg.lora_alpha);
    }
    lorat_model *merged_a = load_tiny(path, 1);
    /* merging our model in memory gives what loading the file merged gives */
    lorat_error e2 = {0};
    CHECK(model_merge_lora(m, &e2) == 0, "%s", e2.message);
    if (merged_a) CHECK(same_params(m, merged_a, 1), "merged weights differ after the round trip");
    lorat_model_free(merged_a);

    /* resume path: checkpoint_read_model into a model made from the official checkpoint */
    lorat_model *fresh = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (fresh && back) {
        CHECK(checkpoint_read_model(path, fresh, 0, &err) == 0, "%s", err.message);
        CHECK(same_params(fresh, back, 1),
              "checkpoint_read_model differs from model_load_official");
        /* full mode needs the frozen tensors, which a LoRA checkpoint does not have */
        CHECK(checkpoint_read_model(path, fresh, 1, &err) == LORAT_STATUS_FORMAT &&
                  strstr(err.message, "missing"),
              "a LoRA checkpoint must not resume full fine-tuning: %s", err.message);
    }
    lorat_model_free(fresh);
    lorat_model_free(back);
    lorat_model_free(m);
}

static void test_full_mode(void) {
    lorat_model *m = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    lorat_model *other = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (!m || !other) return;
    perturb(m, 1, 2);
    char path[128];
    snprintf(path, sizeof path, "%s/full.safetensors", tmp);
    lorat_error err = {0};
    CHECK(checkpoint_write_model(path, m, 1, &err) == 0, "%s", err.message);
    CHECK(checkpoint_read_model(path, other, 1, &err) == 0, "%s", err.message);
    CHECK(same_params(m, other, 1), "full-mode round trip differs");
    CHECK(checkpoint_read_model(path, other, 0, &err) == LORAT_STATUS_BAD_INPUT &&
              strstr(err.message, "--full"),
          "a full checkpoint read in LoRA mode must say so: %s", err.message);
    /* the official loader takes it too (frozen tensors override the backbone's) */
    lorat_model *back = load_tiny(path, 0);
    if (back) CHECK(same_params(m, back, 1), "model_load_official(full checkpoint) differs");
    lorat_model_free(back);
    lorat_model_free(other);
    lorat_model_free(m);
}

static adamw *make_opt(lorat_model *m, float **grads, int full, uint64_t seed) {
    *grads = calloc(m->n_trainable + (full ? m->n_frozen : 0) + 1, sizeof(float));
    optim_segment *s = NULL;
    int n = 0;
    adamw *o = NULL;
    adamw_config cfg;
    adamw_config_default(&cfg);
    lorat_error err = {0};
    if (optim_segments_for_model(m, *grads, full ? *grads + m->n_trainable : NULL, &s, &n, &err) ||
        adamw_create(s, n, &cfg, &o, &err))
        CHECK(0, "%s", err.message);
    free(s);
    if (o && seed) {
        rng r;
        rng_seed(&r, seed);
        for (size_t i = 0; i < o->n_moments; i++) {
            o->exp_avg[i] = rng_normal(&r);
            o->exp_avg_sq[i] = rng_uniform(&r);
        }
        o->step = 1000 + (int64_t)seed;
    }
    return o;
}

static int same_moments(const adamw *a, const adamw *b) {
    if (a->n_seg != b->n_seg || a->step != b->step) return 0;
    for (int k = 0; k < a->n_seg; k++) {
        const size_t n = a->seg[k].numel;
        if (n != b->seg[k].numel || strcmp(a->seg[k].name, b->seg[k].name) ||
            !same_block(a->exp_avg + a->moment_offset[k], b->exp_avg + b->moment_offset[k], n) ||
            !same_block(a->exp_avg_sq + a->moment_offset[k], b->exp_avg_sq + b->moment_offset[k],
                        n))
            return 0;
    }
    return 1;
}

static void test_state(void) {
    lorat_model *m = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (!m) return;
    float *g1, *g2, *g3;
    adamw *a = make_opt(m, &g1, 0, 5), *b = make_opt(m, &g2, 0, 0), *full = make_opt(m, &g3, 1, 0);
    unsigned char blob[100];
    for (int i = 0; i < 100; i++)
        blob[i] = (unsigned char)(i * 37);
    char config[] = "{\"data\": [\"got10k:/d\\\"x\"],\n \"epochs\": 170}";
    train_state s = {
        .epoch = 7, .iteration = 7168, .rng = blob, .rng_size = sizeof blob, .config = config};
    char path[128];
    snprintf(path, sizeof path, "%s/state.safetensors", tmp);
    lorat_error err = {0};
    CHECK(checkpoint_write_state(path, a, &s, &err) == 0, "%s", err.message);
    train_state r;
    CHECK(checkpoint_read_state(path, b, &r, &err) == 0, "%s", err.message);
    CHECK(same_moments(a, b), "moments or step differ after the round trip");
    CHECK(r.epoch == 7 && r.iteration == 7168, "epoch %lld iteration %lld", (long long)r.epoch,
          (long long)r.iteration);
    CHECK(r.rng_size == sizeof blob && r.rng && !memcmp(r.rng, blob, sizeof blob),
          "RNG blob differs");
    CHECK(r.config && !strcmp(r.config, config), "config text differs: %s",
          r.config ? r.config : "(null)");
    train_state_free(&r);
    CHECK(checkpoint_read_state(path, full, &r, &err) == LORAT_STATUS_FORMAT &&
              strstr(err.message, "mode"),
          "a LoRA-mode state must not resume full fine-tuning: %s", err.message);
    CHECK(r.rng == NULL && r.config == NULL, "a failed read must leave nothing to free");
    char model_path[128];
    snprintf(model_path, sizeof model_path, "%s/official.safetensors", tmp);
    CHECK(checkpoint_read_state(model_path, b, &r, &err) == LORAT_STATUS_FORMAT,
          "a model file is not a training state");
    /* no RNG blob and no config */
    train_state bare = {.epoch = 1, .iteration = 2};
    CHECK(checkpoint_write_state(path, a, &bare, &err) == 0, "%s", err.message);
    CHECK(checkpoint_read_state(path, b, &r, &err) == 0 && r.rng == NULL && r.config == NULL &&
              r.iteration == 2,
          "bare state: %s", err.message);
    train_state_free(&r);
    adamw_free(a), adamw_free(b), adamw_free(full);
    free(g1), free(g2), free(g3);
    lorat_model_free(m);
}

static int dir_exists(const char *out, int64_t epoch) {
    char d[256];
    checkpoint_dir_path(d, sizeof d, out, epoch);
    struct stat sb;
    return stat(d, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Copies the first `bytes` of src to dst (bytes < 0: all of it). */
static void copy_prefix(const char *src, const char *dst, long bytes) {
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char buf[4096];
    long left = bytes < 0 ? 1L << 40 : bytes;
    size_t got;
    while (in && out && left > 0 &&
           (got = fread(buf, 1, sizeof buf < (size_t)left ? sizeof buf : (size_t)left, in)) > 0) {
        fwrite(buf, 1, got, out);
        left -= (long)got;
    }
    if (in) fclose(in);
    if (out) fclose(out);
}

static long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static void test_run_dir(void) {
    lorat_model *m = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (!m) return;
    float *g;
    adamw *o = make_opt(m, &g, 0, 3);
    char out[128], dir[256], src[300], dst[300];
    snprintf(out, sizeof out, "%s/run", tmp);
    lorat_error err = {0};
    int64_t latest = 0;
    CHECK(checkpoint_find_latest(out, &latest, dir, sizeof dir, &err) == 0 && latest == -1,
          "no checkpoint yet: %lld", (long long)latest);
    train_state s = {.epoch = 0};
    for (int e = 1; e <= 5; e++) {
        s.epoch = e;
        s.iteration = 1024 * e;
        CHECK(checkpoint_save(out, e, m, 0, o, &s, 2, &err) == 0, "%s", err.message);
    }
    CHECK(!dir_exists(out, 1) && !dir_exists(out, 2) && !dir_exists(out, 3) && dir_exists(out, 4) &&
              dir_exists(out, 5),
          "keep-last-2 after 5 epochs: %d%d%d%d%d", dir_exists(out, 1), dir_exists(out, 2),
          dir_exists(out, 3), dir_exists(out, 4), dir_exists(out, 5));
    CHECK(checkpoint_find_latest(out, &latest, dir, sizeof dir, &err) == 0 && latest == 5,
          "latest %lld", (long long)latest);

    /* torn directories, as a killed writer could leave them */
    char d5[256];
    checkpoint_dir_path(d5, sizeof d5, out, 5);
    for (int e = 6; e <= 9; e++) {
        checkpoint_dir_path(dir, sizeof dir, out, e);
        mkdir(dir, 0777);
    }
    /* 6: the model written, the state still a temporary */
    snprintf(src, sizeof src, "%s/model.safetensors", d5);
    checkpoint_dir_path(dir, sizeof dir, out, 6);
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    copy_prefix(src, dst, -1);
    snprintf(src, sizeof src, "%s/state.safetensors", d5);
    snprintf(dst, sizeof dst, "%s/state.safetensors.tmp.4242", dir);
    copy_prefix(src, dst, file_size(src) / 2);
    /* 7: a truncated model (written in place by something not atomic) beside a good state */
    checkpoint_dir_path(dir, sizeof dir, out, 7);
    snprintf(src, sizeof src, "%s/model.safetensors", d5);
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    copy_prefix(src, dst, file_size(src) - 100);
    snprintf(src, sizeof src, "%s/state.safetensors", d5);
    snprintf(dst, sizeof dst, "%s/state.safetensors", dir);
    copy_prefix(src, dst, -1);
    /* 8: a good model, the state cut inside its header */
    checkpoint_dir_path(dir, sizeof dir, out, 8);
    snprintf(src, sizeof src, "%s/model.safetensors", d5);
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    copy_prefix(src, dst, -1);
    snprintf(src, sizeof src, "%s/state.safetensors", d5);
    snprintf(dst, sizeof dst, "%s/state.safetensors", dir);
    copy_prefix(src, dst, 40);
    /* 9: empty (mkdir done, nothing written) */
    CHECK(checkpoint_find_latest(out, &latest, dir, sizeof dir, &err) == 0 && latest == 5,
          "torn checkpoints must be skipped: latest %lld", (long long)latest);
    CHECK(!strcmp(dir, d5), "latest directory %s, expected %s", dir, d5);

    /* the next save (epoch 10) keeps 10 and 5, and clears 4 and the torn ones */
    s.epoch = 10;
    CHECK(checkpoint_save(out, 10, m, 0, o, &s, 2, &err) == 0, "%s", err.message);
    int left[11];
    for (int e = 1; e <= 10; e++)
        left[e] = dir_exists(out, e);
    CHECK(left[10] && left[5] && !left[4] && !left[6] && !left[7] && !left[8] && !left[9],
          "after epoch 10: 4..10 exist %d%d%d%d%d%d%d", left[4], left[5], left[6], left[7], left[8],
          left[9], left[10]);
    /* rewriting an epoch (a rerun) leaves it complete */
    CHECK(checkpoint_save(out, 10, m, 0, o, &s, 2, &err) == 0, "%s", err.message);
    CHECK(checkpoint_find_latest(out, &latest, dir, sizeof dir, &err) == 0 && latest == 10,
          "latest %lld", (long long)latest);
    adamw_free(o);
    free(g);
    lorat_model_free(m);
}

/* A writer killed with SIGKILL at random moments: after each kill the newest complete
 * checkpoint must load (model and state), and there must always be one. */
static void test_killed_writer(void) {
    lorat_model *m = load_tiny(TINY "/lorat_trainable.safetensors", 0);
    if (!m) return;
    float *g;
    adamw *o = make_opt(m, &g, 0, 4);
    char out[128], dir[256], path[300];
    snprintf(out, sizeof out, "%s/killed", tmp);
    lorat_error err = {0};
    train_state s = {.epoch = 1, .iteration = 1};
    CHECK(checkpoint_save(out, 1, m, 0, o, &s, 2, &err) == 0, "%s", err.message);
    srand((unsigned)time(NULL));
    int64_t next = 2, max_seen = 1;
    int kills = 0, ok_all = 1;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int64_t e = next;; e++) {
                train_state cs = {.epoch = e, .iteration = e};
                if (checkpoint_save(out, e, m, 0, o, &cs, 2, NULL)) _exit(3);
            }
        }
        usleep((useconds_t)(2000 + rand() % 20000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        kills += WIFSIGNALED(status);
        int64_t latest = -1;
        CHECK(checkpoint_find_latest(out, &latest, dir, sizeof dir, &err) == 0, "%s", err.message);
        ok_all &= latest >= max_seen;
        if (latest < 0) break;
        lorat_model *copy = load_tiny(TINY "/lorat_trainable.safetensors", 0);
        float *g2;
        adamw *o2 = make_opt(copy, &g2, 0, 0);
        train_state r;
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        const int model_ok =
            copy && checkpoint_read_model(path, copy, 0, &err) == 0 && same_params(m, copy, 0);
        snprintf(path, sizeof path, "%s/state.safetensors", dir);
        const int state_ok = o2 && checkpoint_read_state(path, o2, &r, &err) == 0 &&
                             r.epoch == latest && same_moments(o, o2);
        if (state_ok) train_state_free(&r);
        CHECK(model_ok && state_ok,
              "round %d: the latest checkpoint (epoch %lld) does not load: %s", round,
              (long long)latest, err.message);
        adamw_free(o2);
        free(g2);
        lorat_model_free(copy);
        max_seen = latest;
        next = latest + 1;
        /* resume as a trainer would: the torn directories above latest are rewritten */
    }
    CHECK(ok_all, "a kill lost a complete checkpoint");
    CHECK(kills == 12, "%d of 12 writers were killed (the others exited on their own)", kills);
    printf("killed writer: 12 kills, newest complete checkpoint epoch %lld, always loadable\n",
           (long long)max_seen);
    adamw_free(o);
    free(g);
    lorat_model_free(m);
}

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/lorat-ckpt-XXXXXX");
    if (!mkdtemp(tmp)) {
        CHECK(0, "cannot make a scratch directory");
        return test_finish();
    }
    test_official_layout();
    test_full_mode();
    test_state();
    test_run_dir();
    test_killed_writer();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd)) {
    }
    return test_finish();
}
