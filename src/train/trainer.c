/*
 * trainer.c — see trainer.h. One optimiser step:
 *   grads = 0; for each of `accum` micro-batches: forward (activations kept), loss and its
 *   gradient scaled by 1/accum, backward (accumulating); clip the global norm at `clip`;
 *   AdamW with lr = schedule(t).
 * Everything that decides a step — the batch (loader: seed, epoch, step), the parameters and
 * moments (checkpoint) and the schedule position — is restored on --resume, so a resumed run
 * gives the same losses as one that was never stopped (at the same thread count).
 */
#include "train/trainer.h"

#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "data/loader.h"
#include "eval/runner.h"
#include "eval/score.h"
#include "model/backward.h"
#include "train/checkpoint.h"
#include "train/log.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/schedule.h"
#include "train/step.h"

void trainer_config_default(trainer_config *c) {
    memset(c, 0, sizeof *c);
    c->batch = 8;
    c->accum = 1;
    c->workers = 2;
    c->samples_per_epoch = 131072;
    c->epochs = 170;
    c->warmup_epochs = 2;
    c->lr = 1e-4;
    c->min_lr = 1e-6;
    c->warmup_lr = 1e-7;
    c->weight_decay = 0.1;
    c->clip = 1.0;
    c->seed = 42;
    c->keep = 5;
    c->save_every = 10;
    c->log_every = 10;
    c->val_every = 10;
}

/* A merged fp32 copy of the model being trained: a clone, or, when its frozen weights are held
 * in bf16 only, the rebuilt fp32 model with the trained tensors copied in. */
static lorat_status merged_copy(const lorat_model *m, const trainer_config *c, lorat_model **out,
                                lorat_error *err) {
    *out = NULL;
    lorat_status st;
    if (!m->f32_released) {
        st = model_clone(m, out, err);
    } else {
        st = c->rebuild(c->rebuild_ctx, out, err);
        if (!st && (*out)->n_trainable != m->n_trainable) {
            st = err_set(err, LORAT_STATUS_INTERNAL, "the rebuilt model's layout differs from the trained one");
        }
        if (!st) {
            memcpy((*out)->trainable, m->trainable, sizeof(float) * m->n_trainable);
            (*out)->cfg = m->cfg;
        }
    }
    if (!st) st = model_merge_lora(*out, err);
    if (st) {
        lorat_model_free(*out);
        *out = NULL;
    }
    return st;
}

/* Tracks the validation set with a merged copy of the model (the training model keeps its LoRA
 * tensors) and scores it with the paper's protocol; one line on stderr and in val.jsonl. */
static lorat_status validate(const lorat_model *m, const trainer_config *c, int64_t epoch, lorat_error *err) {
    lorat_model *copy = NULL;
    lorat_status st = merged_copy(m, c, &copy, err);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/val/epoch_%lld", c->out_dir, (long long)epoch);
    runner_options ro = {.jobs = 1, .threads = omp_get_max_threads(), .runs = 1, .out_dir = dir, .quiet = 1};
    runner_stats rs;
    if (!st) st = runner_run(c->val, copy, &ro, &rs, err);
    lorat_model_free(copy);
    eval_scores sc;
    if (!st) st = eval_score_dir(c->val, dir, METRICS_PROTOCOL_PAPER, &sc, err);
    if (st) {
        err_prefix(err, "validation after epoch %lld", (long long)epoch);
        return st;
    }
    if (!c->quiet)
        fprintf(stderr, "\nlorat train: validation after epoch %lld on %d sequences: SUC %.2f  P_norm %.2f  P %.2f\n",
                (long long)epoch, sc.count, 100 * sc.overall.success_auc, 100 * sc.overall.norm_precision,
                100 * sc.overall.precision);
    char path[4200];
    snprintf(path, sizeof path, "%s/val.jsonl", c->out_dir);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "{\"epoch\": %lld, \"sequences\": %d, \"success_auc\": %.9g, \"norm_precision\": %.9g, \"precision\": %.9g}\n",
                (long long)epoch, sc.count, sc.overall.success_auc, sc.overall.norm_precision, sc.overall.precision);
        fclose(f);
    }
    eval_scores_free(&sc);
    return LORAT_STATUS_OK;
}

static void mkdirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0777);
            *p = '/';
        }
    mkdir(buf, 0777);
}

static void print_memory_plan(const lorat_model *m, const model_grads *g, const adamw *opt,
                              const train_workspace *ws, const loader_config *lc, int full) {
    const double MB = 1024.0 * 1024.0;
    const model_config *c = &m->cfg;
    double params = model_weight_bytes(m) / MB;
    double grads = (g->n_trainable + g->n_frozen) * 4.0 / MB;
    double moments = 2.0 * opt->n_moments * 4.0 / MB;
    double acts = ws->floats * 4.0 / MB;
    size_t zp = (size_t)3 * c->template_w * c->patch * c->template_h * c->patch;
    size_t xp = (size_t)3 * c->search_w * c->patch * c->search_h * c->patch;
    int ring = lc->prefetch > 0 ? lc->prefetch : (lc->workers + 1 > 2 ? lc->workers + 1 : 2);
    double batches = (double)ring * lc->batch * (zp + xp) * 4.0 / MB;
    fprintf(stderr,
            "lorat train: memory plan (%s, %s): parameters %.1f MB (trainable %.1f MB), gradients %.1f MB, "
            "AdamW moments %.1f MB, activations %.1f MB (batch %d%s), loader %.1f MB; total %.1f MB\n",
            full ? "full fine-tuning" : "LoRA", compute_precision_name(m->be->precision), params, (full ? m->n_frozen + m->n_trainable : m->n_trainable) * 4.0 / MB,
            grads, moments, acts, lc->batch, ws->recompute ? ", recomputed in part" : "", batches,
            params + grads + moments + acts + batches);
}

/* Micro-batches from the loader, for train_step. */
static lorat_status next_from_loader(void *ctx, int k, train_micro *mb, lorat_error *err) {
    (void)k;
    const loader_batch *b = NULL;
    lorat_status st = loader_next(ctx, &b, err);
    if (st) return st;
    *mb = (train_micro){b->z, b->x, b->z_mask, b->gt_box};
    return LORAT_STATUS_OK;
}

/* What stale temporary files killed runs left in the output folder and its checkpoints. */
static void remove_stale_temps(const char *out) {
    file_remove_stale_temps(out);
    char ckdir[4200];
    snprintf(ckdir, sizeof ckdir, "%s/checkpoint", out);
    file_remove_stale_temps(ckdir);
    DIR *d = opendir(ckdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "epoch_", 6)) {
            char sub[4500];
            snprintf(sub, sizeof sub, "%s/%s", ckdir, e->d_name);
            file_remove_stale_temps(sub);
        }
    if (d) closedir(d);
}

static lorat_status comm_barrier(const train_comm *comm, lorat_error *err) {
    return comm && comm->size > 1 && comm->barrier ? comm->barrier(comm->ctx, err) : LORAT_STATUS_OK;
}

lorat_status trainer_run(lorat_model *m, const trainer_config *c, lorat_error *err) {
    lorat_status st = LORAT_STATUS_OK;
    const model_config *mc = &m->cfg;
    const train_comm *comm = c->comm && c->comm->size > 1 ? c->comm : NULL;
    const int rank = comm ? comm->rank : 0, size = comm ? comm->size : 1;
    const int lead = rank == 0; /* writes the log, checkpoints, validation and the model */
    const int quiet = c->quiet || !lead;
    if (!c->full && (mc->lora_rank <= 0 || mc->lora_merged))
        return err_set(err, LORAT_STATUS_BAD_INPUT, "LoRA training needs a model with unmerged LoRA tensors (rank > 0)");
    if (c->batch < 1 || c->accum < 1 || c->epochs < 1 || c->workers < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "batch, accum, epochs and workers must be >= 1");
    if (c->batch < size)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "a batch of %d split over %d processes leaves some without a sample: use "
                       "--batch %d or more",
                       c->batch, size, size);
    if (lead) mkdirs(c->out_dir);

    loader *ld = NULL;
    train_stepper stp;
    memset(&stp, 0, sizeof stp);
    train_log log = {0};
    char path[8192];

    /* this process's share of every global batch of c->batch samples */
    int offset = 0, local = c->batch;
    train_shard(c->batch, rank, size, &offset, &local);
    loader_config lc = {.datasets = c->datasets, .weights = c->weights, .sources = c->sources,
                        .batch = local, .workers = c->workers, .seed = c->seed,
                        .samples_per_epoch = c->samples_per_epoch, .global_batch = c->batch,
                        .shard_offset = offset};
    pair_config_from_model(&lc.pair, mc);
    if (c->translation_jitter > 0) lc.pair.translation_jitter = c->translation_jitter;
    if ((st = loader_create(&ld, &lc, err))) goto done;
    const int64_t batches_per_epoch = loader_steps_per_epoch(ld);
    const int64_t iters_per_epoch = batches_per_epoch / c->accum;
    if (iters_per_epoch < 1) {
        st = err_set(err, LORAT_STATUS_BAD_INPUT,
                     "an epoch of %lld samples holds no optimiser step of %d x %d samples: raise "
                     "--samples-per-epoch or lower --batch / --accum",
                     (long long)c->samples_per_epoch, c->batch, c->accum);
        goto done;
    }
    if ((st = model_prepare(m, c->precision, COMPUTE_TRAINING, err))) goto done;
    if (!c->full && c->precision != LORAT_PRECISION_FP32 && c->rebuild &&
        (st = model_release_frozen(m, err)))
        goto done;
    adamw_config ac;
    adamw_config_default(&ac);
    ac.lr = c->lr;
    ac.weight_decay = c->weight_decay;
    if ((st = train_stepper_create(&stp, m, local, c->full, c->recompute, &ac, comm, err))) goto done;
    lr_schedule sched;
    lr_schedule_official(&sched, iters_per_epoch, c->epochs);
    sched.base_lr = c->lr;
    sched.min_lr = c->min_lr;
    sched.warmup_lr = c->warmup_lr;
    sched.warmup_t = (int64_t)c->warmup_epochs * iters_per_epoch;

    /* Resume: parameters, moments, step and schedule position from the newest complete
     * checkpoint, read by every process (whatever their number when it was written). */
    int64_t start_epoch = 0, t = 0;
    if (c->resume) {
        int64_t e = -1;
        char dir[4096];
        if ((st = checkpoint_find_latest(c->out_dir, &e, dir, sizeof dir, err))) goto done;
        if (e >= 0) {
            train_state ts = {0};
            snprintf(path, sizeof path, "%s/model.safetensors", dir);
            if ((st = checkpoint_read_model(path, m, c->full, err))) goto done;
            snprintf(path, sizeof path, "%s/state.safetensors", dir);
            if ((st = checkpoint_read_state(path, stp.opt, &ts, err))) goto done;
            model_weights_changed(m, c->full);
            start_epoch = ts.epoch;
            t = ts.iteration;
            train_state_free(&ts);
            if (!quiet) fprintf(stderr, "lorat train: resuming from %s (epoch %lld, step %lld)\n", dir,
                                (long long)start_epoch, (long long)t);
        } else if (!quiet) {
            fprintf(stderr, "lorat train: no checkpoint in %s yet; starting from the beginning\n", c->out_dir);
        }
    }
    if ((st = loader_seek(ld, start_epoch, 0, err))) goto done;
    if (lead) {
        /* what runs killed mid-write left: temporary files of dead processes */
        remove_stale_temps(c->out_dir);
        snprintf(path, sizeof path, "%s/log.jsonl", c->out_dir);
        if ((st = c->resume ? train_log_open_resumed(&log, path, t, err) : train_log_open(&log, path, err)))
            goto done;
    }
    if ((st = comm_barrier(comm, err))) goto done;
    if (!quiet) {
        print_memory_plan(m, stp.g, stp.opt, stp.ws, &lc, c->full);
        fprintf(stderr, "lorat train: %d epochs x %lld steps of %d x %d samples, lr %g (warmup %d epochs), %d threads, %d loader workers\n",
                c->epochs, (long long)iters_per_epoch, c->batch, c->accum, c->lr, c->warmup_epochs,
                omp_get_max_threads(), c->workers);
        if (size > 1)
            fprintf(stderr, "lorat train: %d processes, %d samples each per micro-batch (rank 0: %d)\n",
                    size, c->batch / size, local);
    }

    const double t_start = omp_get_wtime();
    const int64_t t_first = t;
    double sum_loss = 0, sum_cls = 0, sum_reg = 0;
    int n_sum = 0;
    for (int64_t epoch = start_epoch; epoch < c->epochs; epoch++) {
        for (int64_t it = 0; it < iters_per_epoch; it++, t++) {
            if (comm && comm->at_step) comm->at_step(comm->ctx, epoch, t);
            const double lr = lr_schedule_at(&sched, t);
            train_step_result r;
            if ((st = train_step(&stp, next_from_loader, ld, c->accum, lr, c->clip, &r, err))) {
                err_prefix(err, "step %lld (epoch %lld)", (long long)t + 1, (long long)epoch + 1);
                goto done;
            }
            const double norm = r.grad_norm;
            if (!r.applied && !quiet)
                fprintf(stderr, "\nlorat train: step %lld: non-finite loss or gradient norm; the step is skipped\n",
                        (long long)t);
            sum_loss += r.loss.total, sum_cls += r.loss.cls, sum_reg += r.loss.reg, n_sum++;
            double el = omp_get_wtime() - t_start;
            int64_t done_steps = t + 1 - t_first;
            double sps = el > 0 ? (double)done_steps * c->batch * c->accum / el : 0;
            train_log_entry e = {.step = t + 1, .epoch = epoch, .loss = r.loss.total, .loss_cls = r.loss.cls,
                                 .loss_reg = r.loss.reg, .lr = lr, .grad_norm = norm, .samples_per_s = sps,
                                 .elapsed = el};
            if (lead && (st = train_log_write(&log, &e, err))) goto done;
            int64_t total_steps = (int64_t)c->epochs * iters_per_epoch;
            if (!quiet && ((t + 1) % c->log_every == 0 || t + 1 == total_steps)) {
                double eta = done_steps > 0 ? el / done_steps * (total_steps - t - 1) : 0;
                fprintf(stderr,
                        "\repoch %lld/%d step %lld/%lld  loss %.4f (cls %.4f reg %.4f)  lr %.2e  |g| %.3f  %.1f samples/s  ETA %dh%02dm%02ds ",
                        (long long)epoch + 1, c->epochs, (long long)t + 1, (long long)total_steps, sum_loss / n_sum,
                        sum_cls / n_sum, sum_reg / n_sum, lr, norm, sps, (int)eta / 3600, (int)eta / 60 % 60, (int)eta % 60);
                sum_loss = sum_cls = sum_reg = 0;
                n_sum = 0;
            }
        }
        const int stop = c->stop_after > 0 && epoch + 1 == c->stop_after && epoch + 1 < c->epochs;
        if ((epoch + 1) % c->save_every == 0 || epoch + 1 == c->epochs || stop) {
            train_state ts = {.epoch = epoch + 1, .iteration = t};
            if (lead && (st = checkpoint_save(c->out_dir, epoch + 1, m, c->full, stp.opt, &ts, c->keep, err)))
                goto done;
        }
        if (lead && c->val && ((epoch + 1) % c->val_every == 0 || epoch + 1 == c->epochs)) {
            if ((st = validate(m, c, epoch + 1, err))) goto done;
        }
        /* every process past the checkpoint before any goes on: a run that dies later resumes
         * from it whatever process died */
        if ((st = comm_barrier(comm, err))) goto done;
        if (stop) { /* a chunk of the run: its checkpoint is written, --resume goes on from it */
            if (!quiet)
                fprintf(stderr, "\nlorat train: stopped after epoch %d of %d (--stop-after); --resume continues\n",
                        c->stop_after, c->epochs);
            goto done;
        }
    }
    if (!quiet) fprintf(stderr, "\n");
    /* The model file track and eval load: LoRA folded in, fp32. */
    if (lead) {
        lorat_model *merged = NULL;
        if ((st = merged_copy(m, c, &merged, err))) goto done;
        snprintf(path, sizeof path, "%s/model.safetensors", c->out_dir);
        st = model_save(merged, path, err);
        lorat_model_free(merged);
        if (st) goto done;
        if (!quiet) fprintf(stderr, "lorat train: wrote %s (%.1f s)\n", path, omp_get_wtime() - t_start);
    }
    st = comm_barrier(comm, err);
done:
    train_log_close(&log);
    train_stepper_free(&stp);
    loader_free(ld);
    return st;
}
