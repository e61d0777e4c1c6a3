/*
 * loader.c — see loader.h. One mutex and two condition variables:
 *   work_cv: workers wait for a task (a sample of a batch below `limit`, not paused);
 *   done_cv: loader_next waits for its batch to be complete, loader_seek for idle workers.
 * Tasks are handed out in order (task t = sample t mod B of batch base + t/B), so the first
 * sample of a batch is always taken before any other and resets its slot. A batch may be made
 * when its slot is free: batches [next − 1 + 1, next − 1 + ring) while the consumer holds
 * next − 1, i.e. limit = (held batch) + ring.
 */
#include "data/loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { LOADER_MAX_DRAWS = 100 };

typedef struct slot {
    loader_batch b;
    int64_t index; /* batch number being made or held, −1: none */
    int done;      /* samples finished */
    lorat_status status;
    lorat_error err;
} slot;

typedef struct worker {
    struct loader *l;
    pthread_t thread;
    int started;
    image img_z, img_x;
    void *scratch;
} worker;

struct loader {
    loader_config cfg;
    sampler smp;
    int64_t steps;
    int ring;
    slot *slots;
    int nworkers;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    int64_t base;      /* batch number of task 0 */
    int64_t next_task; /* next sample task */
    int64_t limit;     /* batches below it may be made */
    int64_t next_batch;
    int busy, paused, stop;
};

lorat_status loader_make_sample(const sampler *s, const pair_config *pc, int64_t epoch,
                                int64_t index, image *img_z, image *img_x, void *scratch,
                                pair_out *out, loader_sample_info *info, lorat_error *err) {
    rng r;
    sampler_sample_rng(&r, s->seed, epoch, index);
    for (int attempt = 0; attempt < LOADER_MAX_DRAWS; attempt++) {
        int ok;
        lorat_status st = sampler_draw(s, epoch, index, attempt, &r, &info->pair, &ok, err);
        if (st) return st;
        if (!ok) continue;
        if ((st = image_read(info->pair.z_path, img_z, err))) return st;
        const image *x = img_z;
        if (strcmp(info->pair.x_path, info->pair.z_path) != 0) {
            if ((st = image_read(info->pair.x_path, img_x, err))) return st;
            x = img_x;
        }
        if (pair_make(pc, img_z, info->pair.z_box, x, info->pair.x_box, &r, scratch, out,
                      &info->crop)) {
            info->redraws = attempt;
            return LORAT_STATUS_OK;
        }
    }
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "no usable training pair in %d draws for sample %lld of epoch %lld: are the "
                   "ground-truth boxes empty or far outside their frames?",
                   LOADER_MAX_DRAWS, (long long)index, (long long)epoch);
}

static void make_one(loader *l, worker *w, slot *sl, int64_t k, int b) {
    const pair_config *pc = &l->cfg.pair;
    const size_t zn = 3 * (size_t)pc->template_w * pc->template_h;
    const size_t xn = 3 * (size_t)pc->search_w * pc->search_h;
    const size_t mn = (size_t)(pc->template_w / pc->stride) * (size_t)(pc->template_h / pc->stride);
    loader_batch *lb = &sl->b;
    pair_out out = {lb->z + (size_t)b * zn, lb->x + (size_t)b * xn, lb->z_mask + (size_t)b * mn,
                    lb->gt_box + 4 * (size_t)b};
    loader_sample_info info;
    info.pair.source = info.pair.sequence = -1;
    lorat_error err;
    memset(&err, 0, sizeof err);
    int64_t epoch = k / l->steps, step = k % l->steps;
    lorat_status st = loader_make_sample(&l->smp, pc, epoch, step * l->cfg.global_batch + l->cfg.shard_offset + b, &w->img_z,
                                         &w->img_x, w->scratch, &out, &info, &err);
    lb->source[b] = info.pair.source;
    lb->sequence[b] = info.pair.sequence;
    lb->z_frame[b] = st ? -1 : info.pair.z_frame;
    lb->x_frame[b] = st ? -1 : info.pair.x_frame;
    lb->redraws[b] = st ? -1 : info.redraws;
    pthread_mutex_lock(&l->mu);
    l->busy--;
    if (st && !sl->status) {
        sl->status = st;
        sl->err = err;
    }
    if (++sl->done == l->cfg.batch || l->busy == 0) pthread_cond_broadcast(&l->done_cv);
    pthread_mutex_unlock(&l->mu);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    loader *l = w->l;
    const int B = l->cfg.batch;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && (l->paused || l->base + l->next_task / B >= l->limit))
            pthread_cond_wait(&l->work_cv, &l->mu);
        if (l->stop) break;
        int64_t t = l->next_task++;
        int64_t k = l->base + t / B;
        int b = (int)(t % B);
        slot *sl = &l->slots[k % l->ring];
        if (b == 0) {
            sl->index = k;
            sl->done = 0;
            sl->status = LORAT_STATUS_OK;
        }
        l->busy++;
        pthread_mutex_unlock(&l->mu);
        make_one(l, w, sl, k, b);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int64_t loader_steps_per_epoch(const loader *l) {
    return l->steps;
}

static lorat_status alloc_slot(slot *sl, const pair_config *pc, int B) {
    const size_t zn = 3 * (size_t)pc->template_w * pc->template_h;
    const size_t xn = 3 * (size_t)pc->search_w * pc->search_h;
    const size_t mn = (size_t)(pc->template_w / pc->stride) * (size_t)(pc->template_h / pc->stride);
    loader_batch *b = &sl->b;
    b->size = B;
    b->z = malloc(sizeof(float) * zn * (size_t)B);
    b->x = malloc(sizeof(float) * xn * (size_t)B);
    b->z_mask = malloc(mn * (size_t)B);
    b->gt_box = malloc(sizeof(float) * 4 * (size_t)B);
    b->source = malloc(sizeof(int) * 5 * (size_t)B);
    if (!b->z || !b->x || !b->z_mask || !b->gt_box || !b->source) return LORAT_STATUS_NO_MEMORY;
    b->sequence = b->source + B;
    b->z_frame = b->source + 2 * B;
    b->x_frame = b->source + 3 * B;
    b->redraws = b->source + 4 * B;
    sl->index = -1;
    return LORAT_STATUS_OK;
}

lorat_status loader_create(loader **out, const loader_config *cfg, lorat_error *err) {
    *out = NULL;
    const pair_config *pc = &cfg->pair;
    if (cfg->batch < 1 || cfg->workers < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "the loader needs a batch >= 1 and workers >= 1 (got batch %d, %d workers)",
                       cfg->batch, cfg->workers);
    if (pc->template_w < 1 || pc->template_h < 1 || pc->search_w < 1 || pc->search_h < 1 ||
        pc->stride < 1)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "crop sizes must be positive (template %dx%d, search %dx%d, stride %d)",
                       pc->template_w, pc->template_h, pc->search_w, pc->search_h, pc->stride);
    loader *l = calloc(1, sizeof *l);
    if (!l) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    l->cfg = *cfg;
    if (l->cfg.global_batch <= 0) l->cfg.global_batch = cfg->batch, l->cfg.shard_offset = 0;
    if (l->cfg.shard_offset < 0 || l->cfg.shard_offset + cfg->batch > l->cfg.global_batch) {
        const int gb = l->cfg.global_batch, off = l->cfg.shard_offset;
        free(l);
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "a shard of %d samples at offset %d does not fit in a global batch of %d",
                       cfg->batch, off, gb);
    }
    if (!l->cfg.samples_per_epoch) l->cfg.samples_per_epoch = 131072;
    if (!l->cfg.max_gap) l->cfg.max_gap = SAMPLER_MAX_GAP_DEFAULT;
    lorat_status st = sampler_init(&l->smp, cfg->datasets, cfg->weights, cfg->sources,
                                   l->cfg.samples_per_epoch, cfg->seed, l->cfg.max_gap, err);
    if (st) {
        free(l);
        return st;
    }
    l->steps = l->cfg.samples_per_epoch / l->cfg.global_batch;
    if (l->steps < 1) {
        long long n = (long long)l->cfg.samples_per_epoch;
        const int gb = l->cfg.global_batch;
        sampler_free(&l->smp);
        free(l);
        return err_set(err, LORAT_STATUS_BAD_INPUT, "%lld samples per epoch make no batch of %d", n,
                       gb);
    }
    l->ring = cfg->prefetch > 0 ? cfg->prefetch : cfg->workers + 1;
    if (l->ring < 2) l->ring = 2;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work_cv, NULL);
    pthread_cond_init(&l->done_cv, NULL);
    l->limit = l->ring;
    l->slots = calloc((size_t)l->ring, sizeof(slot));
    l->workers = calloc((size_t)cfg->workers, sizeof(worker));
    if (!l->slots || !l->workers) goto oom;
    for (int i = 0; i < l->ring; i++)
        if (alloc_slot(&l->slots[i], pc, cfg->batch)) goto oom;
    size_t scratch = pair_scratch_bytes(pc);
    for (int i = 0; i < cfg->workers; i++) {
        l->workers[i].l = l;
        if (!(l->workers[i].scratch = malloc(scratch))) goto oom;
    }
    for (int i = 0; i < cfg->workers; i++) {
        if (pthread_create(&l->workers[i].thread, NULL, worker_main, &l->workers[i])) {
            loader_free(l);
            return err_set(err, LORAT_STATUS_INTERNAL, "could not start loader thread %d", i);
        }
        l->workers[i].started = 1;
        l->nworkers = i + 1;
    }
    *out = l;
    return LORAT_STATUS_OK;
oom:
    loader_free(l);
    return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory for the loader's batch buffers");
}

lorat_status loader_next(loader *l, const loader_batch **batch, lorat_error *err) {
    pthread_mutex_lock(&l->mu);
    int64_t k = l->next_batch;
    /* The batch returned last is released: its slot may take batch k + ring − 1. */
    l->limit = k + l->ring;
    pthread_cond_broadcast(&l->work_cv);
    slot *sl = &l->slots[k % l->ring];
    while (!(sl->index == k && sl->done == l->cfg.batch))
        pthread_cond_wait(&l->done_cv, &l->mu);
    l->next_batch++;
    lorat_status st = sl->status;
    if (st && err) *err = sl->err;
    pthread_mutex_unlock(&l->mu);
    sl->b.epoch = k / l->steps;
    sl->b.step = k % l->steps;
    *batch = st ? NULL : &sl->b;
    return st;
}

lorat_status loader_seek(loader *l, int64_t epoch, int64_t step, lorat_error *err) {
    if (epoch < 0 || step < 0 || step >= l->steps)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "cannot seek to epoch %lld step %lld: steps run from 0 to %lld",
                       (long long)epoch, (long long)step, (long long)(l->steps - 1));
    pthread_mutex_lock(&l->mu);
    l->paused = 1;
    while (l->busy > 0)
        pthread_cond_wait(&l->done_cv, &l->mu);
    int64_t k = epoch * l->steps + step;
    l->base = k;
    l->next_task = 0;
    l->next_batch = k;
    l->limit = k + l->ring;
    for (int i = 0; i < l->ring; i++) {
        l->slots[i].index = -1;
        l->slots[i].done = 0;
        l->slots[i].status = LORAT_STATUS_OK;
    }
    l->paused = 0;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    return LORAT_STATUS_OK;
}

void loader_free(loader *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->nworkers; i++)
        if (l->workers[i].started) pthread_join(l->workers[i].thread, NULL);
    if (l->workers)
        for (int i = 0; i < l->cfg.workers; i++) {
            image_free(&l->workers[i].img_z);
            image_free(&l->workers[i].img_x);
            free(l->workers[i].scratch);
        }
    if (l->slots)
        for (int i = 0; i < l->ring; i++) {
            loader_batch *b = &l->slots[i].b;
            free(b->z);
            free(b->x);
            free(b->z_mask);
            free(b->gt_box);
            free(b->source);
        }
    free(l->slots);
    free(l->workers);
    sampler_free(&l->smp);
    pthread_cond_destroy(&l->work_cv);
    pthread_cond_destroy(&l->done_cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
