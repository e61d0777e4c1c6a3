/*
 * checkpoint.c — the model file in the official layout, the training-state file, and the run
 * directory of epoch checkpoints (see checkpoint.h for the layout and the crash guarantees).
 * It is not the trainer: what goes into train_state is the caller's business.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/safetensors.h"
#include "train/checkpoint.h"

static const char MODEL_FILE[] = "model.safetensors", STATE_FILE[] = "state.safetensors";

static int has_lora(const lorat_model *m) {
    return m->cfg.lora_rank > 0 && !m->cfg.lora_merged;
}

static int wanted(const param_desc *p, int full) {
    return full || p->role == PARAM_TRAINABLE;
}

lorat_status checkpoint_write_model(const char *path, const lorat_model *m, int full,
                                    lorat_error *err) {
    tensor_info *t = calloc((size_t)m->n_params + 2, sizeof *t);
    if (!t) return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the tensor list");
    int n = 0;
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        if (!wanted(p, full)) continue;
        t[n].name = p->name;
        t[n].dtype = DTYPE_F32;
        t[n].ndim = p->ndim;
        memcpy(t[n].shape, p->shape, sizeof p->shape);
        t[n].data = *p->slot;
        t[n].nbytes = p->numel * sizeof(float);
        n++;
    }
    /* The scalars of the old releases: with them the loader uses alpha/r, not the default 1. */
    int64_t alpha = 0;
    uint8_t rslora = 0;
    if (has_lora(m)) {
        const float a = m->cfg.lora_has_alpha ? m->cfg.lora_alpha : (float)m->cfg.lora_rank;
        alpha = (int64_t)lrintf(a);
        if ((float)alpha != a) {
            free(t);
            return err_set(err, LORAT_STATUS_UNSUPPORTED,
                           "%s: LoRA alpha %g is not an integer, but the official checkpoint "
                           "holds it as int64",
                           path, (double)a);
        }
        rslora = m->cfg.lora_rslora != 0;
        t[n++] = (tensor_info){.name = "lora_alpha",
                               .dtype = DTYPE_I64,
                               .ndim = 0,
                               .data = &alpha,
                               .nbytes = sizeof alpha};
        t[n++] = (tensor_info){
            .name = "use_rslora", .dtype = DTYPE_BOOL, .ndim = 0, .data = &rslora, .nbytes = 1};
    }
    static const char *const meta[] = {"format", "pt"};
    lorat_status st = safetensors_write(path, t, n, meta, 1, err);
    free(t);
    return st;
}

static int64_t scalar_i64(const tensor_info *t) {
    if (t->dtype == DTYPE_I64 && t->nbytes == 8) {
        int64_t v;
        memcpy(&v, t->data, 8);
        return v;
    }
    if ((t->dtype == DTYPE_BOOL || t->dtype == DTYPE_U8) && t->nbytes == 1)
        return *(const uint8_t *)t->data;
    return INT64_MIN;
}

lorat_status checkpoint_read_model(const char *path, lorat_model *m, int full, lorat_error *err) {
    safetensors *f = NULL;
    lorat_status st = safetensors_open(path, &f, err);
    if (st) return st;
    int n = 0;
    const tensor_info *t = safetensors_tensors(f, &n);
    for (int i = 0; i < n && !st; i++) {
        if (!strcmp(t[i].name, "lora_alpha") || !strcmp(t[i].name, "use_rslora")) {
            const int64_t v = scalar_i64(&t[i]);
            const int is_alpha = t[i].name[5] == 'a';
            const int64_t want =
                is_alpha ? (int64_t)lrintf(m->cfg.lora_has_alpha ? m->cfg.lora_alpha
                                                                 : (float)m->cfg.lora_rank)
                         : (m->cfg.lora_rslora != 0);
            if (has_lora(m) && v != want)
                st = err_set(err, LORAT_STATUS_FORMAT,
                             "%s: %s is %" PRId64 " but the model being resumed has %" PRId64
                             ": the checkpoint belongs to another run",
                             path, t[i].name, v, want);
            continue;
        }
        const param_desc *p = model_find_param(m, t[i].name);
        if (!p)
            st =
                err_set(err, LORAT_STATUS_FORMAT,
                        "%s: unexpected tensor %s: not a parameter of variant %s with LoRA rank %d",
                        path, t[i].name, m->cfg.variant, has_lora(m) ? m->cfg.lora_rank : 0);
        else if (!wanted(p, full))
            st = err_set(err, LORAT_STATUS_BAD_INPUT,
                         "%s: holds the frozen tensor %s: it is a full fine-tuning checkpoint; "
                         "resume it in full mode (--full)",
                         path, t[i].name);
        else
            st = model_set_param(m, p, &t[i], path, err);
    }
    for (int i = 0; i < m->n_params && !st; i++) {
        const param_desc *p = &m->params[i];
        if (wanted(p, full) && !safetensors_find(f, p->name))
            st = err_set(err, LORAT_STATUS_FORMAT, "%s: tensor %s is missing%s", path, p->name,
                         full && p->role == PARAM_FROZEN
                             ? ": a LoRA-mode checkpoint cannot resume a full fine-tuning run"
                             : "");
    }
    safetensors_close(f);
    return st;
}

/* ---- training state ------------------------------------------------------------------------ */

enum { MOMENT_NAME = 96 };

static void moment_name(char *buf, int which, const char *name) {
    snprintf(buf, MOMENT_NAME, "%s.%s", which ? "exp_avg_sq" : "exp_avg", name);
}

lorat_status checkpoint_write_state(const char *path, const adamw *opt, const train_state *s,
                                    lorat_error *err) {
    const int n_max = 2 * opt->n_seg + 2;
    tensor_info *t = calloc((size_t)n_max, sizeof *t);
    char *names = malloc((size_t)2 * opt->n_seg * MOMENT_NAME);
    if (!t || !names) {
        free(t);
        free(names);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot allocate the state tensor list");
    }
    int n = 0;
    int64_t step = opt->step;
    t[n++] =
        (tensor_info){.name = "step", .dtype = DTYPE_I64, .ndim = 0, .data = &step, .nbytes = 8};
    for (int k = 0; k < opt->n_seg; k++)
        for (int which = 0; which < 2; which++) {
            char *nm = names + (size_t)(2 * k + which) * MOMENT_NAME;
            moment_name(nm, which, opt->seg[k].name);
            const float *data = (which ? opt->exp_avg_sq : opt->exp_avg) + opt->moment_offset[k];
            t[n++] = (tensor_info){.name = nm,
                                   .dtype = DTYPE_F32,
                                   .ndim = 1,
                                   .shape = {(int64_t)opt->seg[k].numel},
                                   .data = data,
                                   .nbytes = opt->seg[k].numel * sizeof(float)};
        }
    if (s->rng && s->rng_size)
        t[n++] = (tensor_info){.name = "rng_state",
                               .dtype = DTYPE_U8,
                               .ndim = 1,
                               .shape = {(int64_t)s->rng_size},
                               .data = s->rng,
                               .nbytes = s->rng_size};
    char epoch[32], iteration[32], hyper[256];
    snprintf(epoch, sizeof epoch, "%" PRId64, s->epoch);
    snprintf(iteration, sizeof iteration, "%" PRId64, s->iteration);
    snprintf(hyper, sizeof hyper,
             "{\"lr\": %.17g, \"betas\": [%.17g, %.17g], \"eps\": %.17g, \"weight_decay\": %.17g}",
             opt->cfg.lr, opt->cfg.beta1, opt->cfg.beta2, opt->cfg.eps, opt->cfg.weight_decay);
    const char *meta[] = {
        "format",    "lorat-train-state", "version", "1",   "epoch",  epoch,
        "iteration", iteration,           "adamw",   hyper, "config", s->config ? s->config : ""};
    lorat_status st = safetensors_write(path, t, n, meta, 6, err);
    free(t);
    free(names);
    return st;
}

static lorat_status meta_i64(const safetensors *f, const char *path, const char *key, int64_t *out,
                             lorat_error *err) {
    const char *v = safetensors_meta(f, key);
    char *end = NULL;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || end == v || *end || errno)
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: metadata '%s' is %s%s%s, not an integer: not "
                       "a lorat training state",
                       path, key, v ? "'" : "missing", v ? v : "", v ? "'" : "");
    *out = x;
    return LORAT_STATUS_OK;
}

lorat_status checkpoint_read_state(const char *path, adamw *opt, train_state *s, lorat_error *err) {
    memset(s, 0, sizeof *s);
    safetensors *f = NULL;
    lorat_status st = safetensors_open(path, &f, err);
    if (st) return st;
    const char *format = safetensors_meta(f, "format");
    const tensor_info *step = safetensors_find(f, "step");
    if (!format || strcmp(format, "lorat-train-state") || !step || step->dtype != DTYPE_I64 ||
        step->nbytes != 8) {
        safetensors_close(f);
        return err_set(err, LORAT_STATUS_FORMAT,
                       "%s: not a lorat training state (no format 'lorat-train-state' or no step)",
                       path);
    }
    if ((st = meta_i64(f, path, "epoch", &s->epoch, err)) ||
        (st = meta_i64(f, path, "iteration", &s->iteration, err)))
        goto done;
    int64_t step_value;
    memcpy(&step_value, step->data, 8);
    /* Bounds before anything is used: a run of a million epochs of 2^40 steps is no run */
    if (s->epoch < 0 || s->epoch > 1000000 || s->iteration < 0 || s->iteration > ((int64_t)1 << 40) ||
        step_value < 0 || step_value > ((int64_t)1 << 40)) {
        st = err_set(err, LORAT_STATUS_FORMAT,
                     "%s: epoch %lld, iteration %lld, optimiser step %lld are out of range (epoch "
                     "0..1000000, iteration and step 0..2^40): the state is corrupt",
                     path, (long long)s->epoch, (long long)s->iteration, (long long)step_value);
        goto done;
    }
    int n = 0, moments = 0;
    const tensor_info *t = safetensors_tensors(f, &n);
    for (int i = 0; i < n; i++)
        moments += !strncmp(t[i].name, "exp_avg", 7);
    if (moments != 2 * opt->n_seg) {
        st = err_set(err, LORAT_STATUS_FORMAT,
                     "%s: holds moments for %d tensors but the optimiser has %d: the state belongs "
                     "to another model or mode (LoRA vs full fine-tuning)",
                     path, moments / 2, opt->n_seg);
        goto done;
    }
    for (int k = 0; k < opt->n_seg; k++)
        for (int which = 0; which < 2; which++) {
            char nm[MOMENT_NAME];
            moment_name(nm, which, opt->seg[k].name);
            const tensor_info *m = safetensors_find(f, nm);
            if (!m || m->dtype != DTYPE_F32 || m->nbytes != opt->seg[k].numel * sizeof(float)) {
                st =
                    err_set(err, LORAT_STATUS_FORMAT,
                            "%s: tensor %s is %s, but the optimiser needs %zu F32 values: the "
                            "state belongs to another model",
                            path, nm, m ? "of another size or type" : "missing", opt->seg[k].numel);
                goto done;
            }
            memcpy((which ? opt->exp_avg_sq : opt->exp_avg) + opt->moment_offset[k], m->data,
                   m->nbytes);
        }
    memcpy(&opt->step, step->data, 8);
    const tensor_info *rng = safetensors_find(f, "rng_state");
    if (rng && rng->nbytes > 4096) {
        st = err_set(err, LORAT_STATUS_FORMAT, "%s: rng_state of %zu bytes, more than a generator's state (4096)",
                     path, rng->nbytes);
        goto done;
    }
    if (rng && rng->nbytes) {
        if (!(s->rng = malloc(rng->nbytes))) goto oom;
        memcpy(s->rng, rng->data, rng->nbytes);
        s->rng_size = rng->nbytes;
    }
    const char *config = safetensors_meta(f, "config");
    if (config && *config && !(s->config = strdup(config))) goto oom;
done:
    safetensors_close(f);
    if (st) train_state_free(s);
    return st;
oom:
    st = err_set(err, LORAT_STATUS_NO_MEMORY, "%s: cannot allocate the training state", path);
    goto done;
}

void train_state_free(train_state *s) {
    free(s->rng);
    free(s->config);
    s->rng = NULL;
    s->config = NULL;
    s->rng_size = 0;
}

/* ---- run directory ------------------------------------------------------------------------- */

int checkpoint_dir_path(char *buf, size_t cap, const char *out, int64_t epoch) {
    return snprintf(buf, cap, "%s/checkpoint/epoch_%" PRId64, out, epoch);
}

static lorat_status mkdirs(const char *path, lorat_error *err) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        const int last = *p == '\0';
        if (*p == '/' || last) {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return err_set(err, LORAT_STATUS_IO, "%s: cannot create the directory: %s", buf,
                               strerror(errno));
            if (last) break;
            *p = '/';
        }
    }
    return LORAT_STATUS_OK;
}

static int file_opens(const char *dir, const char *file, int want_state) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) return 0;
    safetensors *f = NULL;
    if (safetensors_open(path, &f, NULL)) return 0;
    int ok = !want_state || (safetensors_find(f, "step") && safetensors_meta(f, "iteration"));
    safetensors_close(f);
    return ok;
}

int checkpoint_dir_complete(const char *dir) {
    return file_opens(dir, MODEL_FILE, 0) && file_opens(dir, STATE_FILE, 1);
}

/* The epoch_<N> directories under <out>/checkpoint, epochs ascending. *count 0 when there is no
 * such directory. */
static lorat_status list_epochs(const char *out, int64_t **epochs, int *count, lorat_error *err) {
    *epochs = NULL;
    *count = 0;
    char root[4096];
    snprintf(root, sizeof root, "%s/checkpoint", out);
    DIR *d = opendir(root);
    if (!d) {
        if (errno == ENOENT) return LORAT_STATUS_OK;
        return err_set(err, LORAT_STATUS_IO, "%s: cannot read the directory: %s", root,
                       strerror(errno));
    }
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strncmp(s, "epoch_", 6) || !s[6]) continue;
        int digits = 1;
        for (const char *c = s + 6; *c; c++)
            digits &= *c >= '0' && *c <= '9';
        if (!digits || strlen(s + 6) > 18) continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *p = realloc(*epochs, sizeof **epochs * (size_t)cap);
            if (!p) {
                closedir(d);
                free(*epochs);
                *epochs = NULL;
                *count = 0;
                return err_set(err, LORAT_STATUS_NO_MEMORY, "cannot list %s", root);
            }
            *epochs = p;
        }
        (*epochs)[(*count)++] = strtoll(s + 6, NULL, 10);
    }
    closedir(d);
    for (int i = 1; i < *count; i++) /* insertion sort: a run has few checkpoints */
        for (int j = i; j > 0 && (*epochs)[j - 1] > (*epochs)[j]; j--) {
            int64_t x = (*epochs)[j];
            (*epochs)[j] = (*epochs)[j - 1];
            (*epochs)[j - 1] = x;
        }
    return LORAT_STATUS_OK;
}

/* Removes the files of one checkpoint directory (temporaries of a killed writer included), then
 * the directory. Checkpoint directories hold no subdirectories. */
static lorat_status remove_dir(const char *dir, lorat_error *err) {
    DIR *d = opendir(dir);
    if (!d) return err_set(err, LORAT_STATUS_IO, "%s: cannot open: %s", dir, strerror(errno));
    struct dirent *e;
    char path[4096 + 260];
    int failed = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        failed |= unlink(path) != 0;
    }
    closedir(d);
    if (failed || rmdir(dir) != 0)
        return err_set(err, LORAT_STATUS_IO, "%s: cannot remove an old checkpoint: %s", dir,
                       strerror(errno));
    return LORAT_STATUS_OK;
}

lorat_status checkpoint_save(const char *out, int64_t epoch, const lorat_model *m, int full,
                             const adamw *opt, const train_state *s, int keep_last,
                             lorat_error *err) {
    char dir[4096], path[4200];
    if (checkpoint_dir_path(dir, sizeof dir, out, epoch) >= (int)sizeof dir)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%s: output path too long", out);
    lorat_status st = mkdirs(dir, err);
    if (st) return st;
    /* Rewriting an epoch: drop its state first, so that the directory is incomplete (and not
     * a new model beside an old state) until both new files are in place. */
    snprintf(path, sizeof path, "%s/%s", dir, STATE_FILE);
    if (unlink(path) != 0 && errno != ENOENT)
        return err_set(err, LORAT_STATUS_IO, "%s: cannot replace: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/%s", dir, MODEL_FILE);
    if (!(st = checkpoint_write_model(path, m, full, err))) {
        snprintf(path, sizeof path, "%s/%s", dir, STATE_FILE);
        st = checkpoint_write_state(path, opt, s, err);
    }
    if (st) { /* nothing half-written stays: the epoch's folder goes, the earlier ones are kept */
        lorat_error ignored;
        remove_dir(dir, &ignored);
        return st;
    }
    if (keep_last <= 0) return LORAT_STATUS_OK;

    int64_t *epochs = NULL;
    int n = 0;
    if ((st = list_epochs(out, &epochs, &n, err))) return st;
    int kept = 0;
    for (int i = n - 1; i >= 0 && !st; i--) {
        if (epochs[i] > epoch) continue; /* not ours to judge: left from another run */
        checkpoint_dir_path(dir, sizeof dir, out, epochs[i]);
        if (epochs[i] == epoch || (kept < keep_last && checkpoint_dir_complete(dir))) {
            kept++;
            continue;
        }
        st = remove_dir(dir, err);
    }
    free(epochs);
    return st;
}

lorat_status checkpoint_find_latest(const char *out, int64_t *epoch, char *dir, size_t cap,
                                    lorat_error *err) {
    *epoch = -1;
    if (cap) dir[0] = '\0';
    int64_t *epochs = NULL;
    int n = 0;
    lorat_status st = list_epochs(out, &epochs, &n, err);
    if (st) return st;
    char buf[4096];
    for (int i = n - 1; i >= 0; i--) {
        checkpoint_dir_path(buf, sizeof buf, out, epochs[i]);
        if (checkpoint_dir_complete(buf)) {
            *epoch = epochs[i];
            snprintf(dir, cap, "%s", buf);
            break;
        }
    }
    free(epochs);
    return LORAT_STATUS_OK;
}
