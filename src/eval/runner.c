/*
 * runner.c — see runner.h. Jobs are plain threads taking the next (sequence, run) from a shared
 * counter; each owns a tracker and an image buffer. The first error stops the others at their
 * next sequence boundary; finished sequences stay written.
 */
#include "core/fileio.h"
#include "eval/runner.h"

#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/results.h"
#include "io/image.h"
#include "kernels/kernels.h"

typedef struct shared {
    const dataset *ds;
    const lorat_model *model;
    const runner_options *o;
    int *todo; /* (sequence · runs + run) of the work not yet done */
    int n_todo, next, done_count, threads_per_job;
    long frames;
    double t_start, t_last;
    pthread_mutex_t lock;
    lorat_status status;
    lorat_error err;
} shared;

const char *runner_run_dir(char *buf, size_t size, const runner_options *o, dataset_kind kind, int run) {
    if (o->runs > 1 && results_layout_for(kind) == RESULTS_LAYOUT_PLAIN)
        snprintf(buf, size, "%s/run_%03d", o->out_dir, run);
    else
        snprintf(buf, size, "%s", o->out_dir);
    return buf;
}

/* Is run r of sequence i already written? */
static int finished(const dataset *ds, const runner_options *o, int i, int run) {
    char dir[4096], path[8192];
    runner_run_dir(dir, sizeof dir, o, ds->kind, run);
    const char *name = ds->seqs[i].name;
    if (results_layout_for(ds->kind) == RESULTS_LAYOUT_GOT10K)
        snprintf(path, sizeof path, "%s/%s/%s_%03d.txt", dir, name, name, run);
    else
        snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    return access(path, R_OK) == 0;
}

static void progress(shared *s, int force) {
    double now = omp_get_wtime();
    if (s->o->quiet || (!force && now - s->t_last < 0.5)) return;
    s->t_last = now;
    double el = now - s->t_start;
    int width = 24, fill = s->n_todo ? width * s->done_count / s->n_todo : width;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[width] = 0;
    double eta = s->done_count > 0 ? el / s->done_count * (s->n_todo - s->done_count) : 0;
    fprintf(stderr, "\r[%s] %d/%d sequences, %ld frames, %.1f fps, ETA %dm%02ds ", bar, s->done_count,
            s->n_todo, s->frames, el > 0 ? s->frames / el : 0.0, (int)eta / 60, (int)eta % 60);
}

static lorat_status track_sequence(shared *s, lorat_tracker *t, image *img, int i, int run,
                                   lorat_error *err) {
    const dataset *ds = s->ds;
    dataset_sequence seq;
    lorat_status st = dataset_load(ds, i, DATASET_LOAD_FRAMES, &seq, err);
    if (st) return st;
    double *boxes = malloc(sizeof(double) * 4 * (size_t)seq.frames);
    double *times = malloc(sizeof(double) * (size_t)seq.frames);
    if (!boxes || !times) st = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory for %s", seq.name);
    for (int f = 0; !st && f < seq.frames; f++) {
        double t0 = omp_get_wtime();
        if ((st = image_read(seq.frame_paths[f], img, err))) break;
        lorat_image view = {img->w, img->h, 3 * img->w, img->data};
        if (f == 0) {
            lorat_box b0 = {(float)seq.init[0], (float)seq.init[1], (float)(seq.init[2] - seq.init[0]),
                            (float)(seq.init[3] - seq.init[1])};
            /* The official evaluator records the init box itself as frame 0's result. */
            memcpy(boxes, seq.init, sizeof seq.init);
            st = lorat_tracker_init(t, &view, b0, err);
        } else {
            lorat_box b;
            st = lorat_tracker_update(t, &view, &b, NULL, err);
            boxes[4 * f] = b.x, boxes[4 * f + 1] = b.y;
            boxes[4 * f + 2] = (double)b.x + b.w, boxes[4 * f + 3] = (double)b.y + b.h;
        }
        if (st) {
            err_prefix(err, "%s frame %d (%s)", seq.name, f, seq.frame_paths[f]);
            break;
        }
        times[f] = omp_get_wtime() - t0;
        pthread_mutex_lock(&s->lock);
        s->frames++;
        progress(s, 0);
        pthread_mutex_unlock(&s->lock);
    }
    if (!st) {
        char dir[4096];
        results_write_options wo;
        results_write_options_default(&wo, ds->kind);
        wo.run = run;
        st = results_write_sequence(runner_run_dir(dir, sizeof dir, s->o, ds->kind, run), seq.name, boxes,
                                    seq.frames, times, &wo, err);
    }
    free(boxes);
    free(times);
    dataset_sequence_free(&seq);
    return st;
}

static void *job(void *arg) {
    shared *s = arg;
    omp_set_num_threads(s->threads_per_job);
    lorat_tracker *t = NULL;
    image img = {0};
    lorat_error err = {0};
    lorat_status st = lorat_tracker_create(s->model, NULL, &t, &err);
    while (!st) {
        int k;
        if (s->o->queue) {
            pthread_mutex_lock(&s->lock);
            const int failed = s->status != LORAT_STATUS_OK;
            pthread_mutex_unlock(&s->lock);
            k = failed ? -1 : s->o->queue->take(s->o->queue->ctx);
            if (k < 0) k = s->n_todo;
        } else {
            pthread_mutex_lock(&s->lock);
            k = s->status ? s->n_todo : s->next++;
            pthread_mutex_unlock(&s->lock);
        }
        if (k >= s->n_todo) break;
        int i = s->todo[k] / s->o->runs, run = s->todo[k] % s->o->runs + 1;
        st = track_sequence(s, t, &img, i, run, &err);
        pthread_mutex_lock(&s->lock);
        if (!st) s->done_count++;
        progress(s, 1);
        pthread_mutex_unlock(&s->lock);
    }
    if (st) {
        pthread_mutex_lock(&s->lock);
        if (!s->status) {
            s->status = st;
            s->err = err;
        }
        pthread_mutex_unlock(&s->lock);
    }
    image_free(&img);
    lorat_tracker_free(t);
    return NULL;
}

/* The temporary files an earlier run killed mid-write left in the output folder and the folders
 * inside it (one per sequence, or per repetition): a resumed run leaves the tree as one
 * uninterrupted run would. */
static void remove_stale_temps(const char *out) {
    file_remove_stale_temps(out);
    DIR *d = opendir(out);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            file_remove_stale_temps(path);
            DIR *d2 = opendir(path);
            struct dirent *e2;
            while (d2 && (e2 = readdir(d2))) { /* OUT/run_00N/<seq>/ */
                if (e2->d_name[0] == '.') continue;
                char sub[4400];
                snprintf(sub, sizeof sub, "%s/%s", path, e2->d_name);
                if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) file_remove_stale_temps(sub);
            }
            if (d2) closedir(d2);
        }
    }
    if (d) closedir(d);
}

lorat_status runner_run(const dataset *ds, const lorat_model *model, const runner_options *o,
                        runner_stats *stats, lorat_error *err) {
    memset(stats, 0, sizeof *stats);
    if (o->jobs < 1 || o->runs < 1 || !o->out_dir)
        return err_set(err, LORAT_STATUS_BAD_INPUT, "runner: jobs and runs must be >= 1 and an output folder given");
    shared s = {.ds = ds, .model = model, .o = o, .lock = PTHREAD_MUTEX_INITIALIZER};
    s.todo = malloc(sizeof(int) * ((size_t)ds->count * o->runs + 1));
    if (!s.todo) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    if (!o->queue || o->queue->lead) remove_stale_temps(o->out_dir);
    for (int i = 0; i < ds->count; i++)
        for (int r = 1; r <= o->runs; r++) {
            if (finished(ds, o, i, r))
                stats->sequences_skipped++;
            else
                s.todo[s.n_todo++] = i * o->runs + (r - 1);
        }
    if (o->queue) {
        /* longest first (by the size of the ground-truth file, which grows with the frames), so
         * that no process is left with a long sequence at the end; the same order everywhere */
        long *len = malloc(sizeof(long) * (size_t)(s.n_todo ? s.n_todo : 1));
        if (!len) {
            free(s.todo);
            return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        }
        for (int k = 0; k < s.n_todo; k++) {
            struct stat st;
            const char *anno = ds->seqs[s.todo[k] / o->runs].anno;
            len[k] = anno && stat(anno, &st) == 0 ? (long)st.st_size : 0;
        }
        for (int a = 1; a < s.n_todo; a++) /* insertion sort: stable, and n is small */
            for (int b = a; b > 0 && len[b] > len[b - 1]; b--) {
                long tl = len[b];
                len[b] = len[b - 1], len[b - 1] = tl;
                int tt = s.todo[b];
                s.todo[b] = s.todo[b - 1], s.todo[b - 1] = tt;
            }
        free(len);
        lorat_status qs = o->queue->ready(o->queue->ctx, s.n_todo, err);
        if (qs) {
            free(s.todo);
            return qs;
        }
    }
    int threads = o->threads > 0 ? o->threads : kernels_get_threads();
    int jobs = o->jobs < s.n_todo ? o->jobs : (s.n_todo > 0 ? s.n_todo : 1);
    s.threads_per_job = threads / jobs > 0 ? threads / jobs : 1;
    /* OpenBLAS has one global thread count: give it each job's share, so jobs never oversubscribe. */
    kernels_set_threads(s.threads_per_job);
    if (!o->quiet && stats->sequences_skipped)
        fprintf(stderr, "lorat eval: %d of %d sequence runs already done in %s; resuming\n",
                stats->sequences_skipped, ds->count * o->runs, o->out_dir);
    s.t_start = omp_get_wtime();
    pthread_t *tids = malloc(sizeof(pthread_t) * (size_t)jobs);
    int started = 0;
    for (int j = 0; j < jobs && tids; j++)
        if (pthread_create(&tids[j], NULL, job, &s) == 0) started++;
    if (started == 0 && s.n_todo > 0) job(&s); /* no threads: run here */
    for (int j = 0; j < started; j++) pthread_join(tids[j], NULL);
    free(tids);
    if (!o->quiet && s.n_todo > 0) {
        progress(&s, 1);
        fprintf(stderr, "\n");
    }
    kernels_set_threads(threads);
    stats->sequences_run = s.done_count;
    stats->frames = s.frames;
    stats->seconds = omp_get_wtime() - s.t_start;
    free(s.todo);
    if (s.status) {
        if (err) *err = s.err;
        return s.status;
    }
    return LORAT_STATUS_OK;
}
