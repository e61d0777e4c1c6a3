/* dist.c — see dist.h. */
#include "dist/dist.h"

#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

enum { TAG_TAKE = 11, TAG_ITEM = 12, TAG_DONE = 13 };

/* Where this process is, for the message a stopped process prints (a signal handler reads it). */
static volatile sig_atomic_t where_rank = -1, where_size = 0, where_kind = 0; /* 1 train, 2 eval */
static volatile long long where_epoch = -1, where_step = -1, where_item = -1;

static void mpi_message(int code, char *buf, size_t size) {
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, s, &len) != MPI_SUCCESS) len = snprintf(s, sizeof s, "error %d", code);
    snprintf(buf, size, "%.*s", len, s);
}

static lorat_status mpi_fail(int code, const char *what, lorat_error *err) {
    char m[MPI_MAX_ERROR_STRING + 1];
    mpi_message(code, m, sizeof m);
    return err_set(err, LORAT_STATUS_IO,
                   "rank %d of %d: %s failed (%s): another process of the run is gone, or the "
                   "network between the hosts failed; every checkpoint written is complete: run "
                   "the same command again (with --resume for train) to continue",
                   (int)where_rank, (int)where_size, what, m);
}

/* async-signal-safe: digits into buf, returns the length */
static int put_num(char *buf, long long v) {
    char tmp[24];
    int n = 0, neg = v < 0;
    unsigned long long u = neg ? (unsigned long long)(-v) : (unsigned long long)v;
    do tmp[n++] = (char)('0' + u % 10); while ((u /= 10) && n < 22);
    int k = 0;
    if (neg) buf[k++] = '-';
    while (n) buf[k++] = tmp[--n];
    return k;
}

static int put_str(char *buf, const char *s) {
    int k = 0;
    while (s[k]) buf[k] = s[k], k++;
    return k;
}

/* mpirun stops the surviving processes with SIGTERM when one dies: say where this one was. */
static void on_term(int sig) {
    char msg[512];
    int k = 0;
    k += put_str(msg + k, where_kind == 2 ? "\nlorat eval: rank " : "\nlorat train: rank ");
    k += put_num(msg + k, where_rank);
    k += put_str(msg + k, " of ");
    k += put_num(msg + k, where_size);
    k += put_str(msg + k, " stopped by mpirun");
    if (where_kind == 1 && where_step >= 0) {
        k += put_str(msg + k, " at step ");
        k += put_num(msg + k, where_step + 1);
        k += put_str(msg + k, " (epoch ");
        k += put_num(msg + k, where_epoch + 1);
        k += put_str(msg + k, ")");
    } else if (where_kind == 2 && where_item >= 0) {
        k += put_str(msg + k, " while tracking item ");
        k += put_num(msg + k, where_item);
        k += put_str(msg + k, " of the queue");
    }
    k += put_str(msg + k, where_kind == 2
                              ? ": another process of the job failed (mpirun names it above); the "
                                "result files written are complete: run the same command again to "
                                "finish\n"
                              : ": another process of the job failed (mpirun names it above); every "
                                "checkpoint written is complete: the same command with --resume "
                                "continues from the last one\n");
    ssize_t w = write(2, msg, (size_t)k);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- training ------------------------------------------------------------------------------- */

/* Allreduce in chunks of at most 2^30 values (its count is an int). */
static lorat_status sum_f32(void *ctx, float *v, size_t n, lorat_error *err) {
    for (size_t done = 0; done < n;) {
        const int chunk = n - done > ((size_t)1 << 30) ? 1 << 30 : (int)(n - done);
        const int rc = MPI_Allreduce(MPI_IN_PLACE, v + done, chunk, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(rc, "the gradient allreduce", err);
        done += (size_t)chunk;
    }
    return LORAT_STATUS_OK;
}

static lorat_status sum_f64(void *ctx, double *v, size_t n, lorat_error *err) {
    const int rc = MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? LORAT_STATUS_OK : mpi_fail(rc, "an allreduce", err);
}

static lorat_status barrier(void *ctx, lorat_error *err) {
    const int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? LORAT_STATUS_OK : mpi_fail(rc, "a barrier", err);
}

/* Fault injection for the tests (tests/test_dist.sh): LORAT_FAULT_KILL_RANK=R with
 * LORAT_FAULT_KILL_AT_STEP=S kills rank R (SIGKILL, as the OOM killer or a lost host would) when
 * it starts step S (1-based). */
static long long fault_rank = -2, fault_step = -1;

static void at_step(void *ctx, int64_t epoch, int64_t step) {
    where_epoch = epoch;
    where_step = step;
    if (fault_rank == -2) {
        const char *r = getenv("LORAT_FAULT_KILL_RANK"), *s = getenv("LORAT_FAULT_KILL_AT_STEP");
        fault_rank = r && s ? atoll(r) : -1;
        fault_step = s ? atoll(s) : -1;
    }
    if (fault_rank == where_rank && step + 1 == fault_step) raise(SIGKILL);
}

lorat_status dist_start(dist *d, const char *what, lorat_error *err) {
    memset(d, 0, sizeof *d);
    d->rank = 0;
    d->size = 1;
    d->what = what;
    const char *ws = getenv("OMPI_COMM_WORLD_SIZE");
    if (!ws && !getenv("PMIX_RANK")) return LORAT_STATUS_OK; /* not launched by mpirun */
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
    if (rc != MPI_SUCCESS) return err_set(err, LORAT_STATUS_IO, "MPI_Init_thread failed (error %d)", rc);
    d->active = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    where_rank = d->rank;
    where_size = d->size;
    where_kind = !strcmp(what, "eval") ? 2 : 1;
    signal(SIGTERM, on_term);
    if (provided < MPI_THREAD_SERIALIZED) {
        dist_stop(d);
        return err_set(err, LORAT_STATUS_UNSUPPORTED,
                       "this MPI gives thread level %d; lorat needs MPI_THREAD_SERIALIZED or more",
                       provided);
    }
    /* mpirun binds each of two or fewer processes to one core by default: threads beyond the
     * cores a process may use take turns on them (half the speed at 2 threads on 1 core) */
    cpu_set_t cpus;
    const int threads = omp_get_max_threads();
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) < threads)
        fprintf(stderr,
                "lorat %s: rank %d of %d runs %d threads on the %d core%s mpirun bound it to, "
                "so they take turns: give mpirun --bind-to none, or --map-by ppr:N:node:PE=%d "
                "(N processes a host, %d cores each)\n",
                what, d->rank, d->size, threads, CPU_COUNT(&cpus), CPU_COUNT(&cpus) == 1 ? "" : "s",
                threads, threads);
    d->comm = (train_comm){.rank = d->rank, .size = d->size, .sum_f32 = sum_f32, .sum_f64 = sum_f64,
                           .barrier = barrier, .at_step = at_step, .ctx = d};
    return LORAT_STATUS_OK;
}

void dist_stop(dist *d) {
    if (d->active) {
        signal(SIGTERM, SIG_DFL);
        MPI_Finalize();
    }
    d->active = 0;
}

void dist_abort(dist *d, int code) {
    if (d->active && d->size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

lorat_status dist_worst(dist *d, lorat_status st) {
    if (!d->active || d->size < 2) return st;
    int mine = (int)st, worst = mine;
    if (MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
        return LORAT_STATUS_IO;
    return (lorat_status)worst;
}

lorat_status dist_barrier(dist *d, lorat_error *err) {
    if (!d->active || d->size < 2) return LORAT_STATUS_OK;
    return barrier(d, err);
}

lorat_status dist_sum_f64(dist *d, double *v, int n, lorat_error *err) {
    if (!d->active || d->size < 2) return LORAT_STATUS_OK;
    return sum_f64(d, v, (size_t)n, err);
}

lorat_status dist_max_f64(dist *d, double *v, int n, lorat_error *err) {
    if (!d->active || d->size < 2) return LORAT_STATUS_OK;
    const int rc = MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? LORAT_STATUS_OK : mpi_fail(rc, "an allreduce", err);
}

double dist_allreduce_seconds(dist *d, size_t n, int iters) {
    if (!d->active) return 0;
    float *v = calloc(n ? n : 1, sizeof(float));
    double best = 0;
    lorat_error err;
    for (int i = 0; v && i <= iters; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        const double t0 = MPI_Wtime();
        if (sum_f32(d, v, n, &err)) break;
        const double t = MPI_Wtime() - t0;
        if (i > 0 && (best == 0 || t < best)) best = t; /* the first warms the connections */
    }
    /* every rank reports the slowest rank's best: the time a step waits */
    double worst = best;
    MPI_Allreduce(&best, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    free(v);
    return worst;
}

/* ---- the evaluation queue ------------------------------------------------------------------- */

typedef struct dist_queue {
    dist *d;
    int n, next;         /* rank 0: the next item to hand out */
    pthread_mutex_t lock; /* rank 0: the counter; other ranks: one MPI exchange at a time */
    pthread_t server;
    int serving;
    runner_queue q;
} dist_queue;

/* Rank 0's answering thread: an item (or -1) for each request, until every rank said done. */
static void *serve(void *arg) {
    dist_queue *q = arg;
    int done = 0;
    while (done < q->d->size - 1) {
        int msg = 0;
        MPI_Status status;
        if (MPI_Recv(&msg, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status) != MPI_SUCCESS)
            break;
        if (status.MPI_TAG == TAG_DONE) {
            done++;
            continue;
        }
        pthread_mutex_lock(&q->lock);
        int item = q->next < q->n ? q->next++ : -1;
        pthread_mutex_unlock(&q->lock);
        if (MPI_Send(&item, 1, MPI_INT, status.MPI_SOURCE, TAG_ITEM, MPI_COMM_WORLD) != MPI_SUCCESS) break;
    }
    return NULL;
}

static lorat_status queue_ready(void *ctx, int n, lorat_error *err) {
    dist_queue *q = ctx;
    q->n = n;
    q->next = 0;
    /* every rank has listed what is done before any writes a result */
    lorat_status st = dist_barrier(q->d, err);
    if (st) return st;
    if (q->d->rank == 0 && q->d->size > 1) {
        if (pthread_create(&q->server, NULL, serve, q) != 0)
            return err_set(err, LORAT_STATUS_INTERNAL, "rank 0: cannot start the queue's thread");
        q->serving = 1;
    }
    return LORAT_STATUS_OK;
}

static int queue_take(void *ctx) {
    dist_queue *q = ctx;
    int item = -1;
    pthread_mutex_lock(&q->lock);
    if (q->d->rank == 0) {
        item = q->next < q->n ? q->next++ : -1;
    } else {
        int ask = 0;
        MPI_Status st;
        if (MPI_Send(&ask, 1, MPI_INT, 0, TAG_TAKE, MPI_COMM_WORLD) != MPI_SUCCESS ||
            MPI_Recv(&item, 1, MPI_INT, 0, TAG_ITEM, MPI_COMM_WORLD, &st) != MPI_SUCCESS)
            item = -1;
    }
    pthread_mutex_unlock(&q->lock);
    where_item = item;
    return item;
}

lorat_status dist_queue_open(dist *d, lorat_error *err) {
    dist_queue *q = calloc(1, sizeof *q);
    if (!q) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    q->d = d;
    pthread_mutex_init(&q->lock, NULL);
    q->q = (runner_queue){.ready = queue_ready, .take = queue_take, .ctx = q, .lead = d->rank == 0};
    d->queue = q;
    return LORAT_STATUS_OK;
}

const runner_queue *dist_runner_queue(dist *d) {
    return d->active && d->size > 1 && d->queue ? &d->queue->q : NULL;
}

lorat_status dist_queue_close(dist *d, lorat_error *err) {
    dist_queue *q = d->queue;
    if (!q) return LORAT_STATUS_OK;
    lorat_status st = LORAT_STATUS_OK;
    if (d->active && d->size > 1) {
        if (d->rank != 0) {
            int done = 0;
            const int rc = MPI_Send(&done, 1, MPI_INT, 0, TAG_DONE, MPI_COMM_WORLD);
            if (rc != MPI_SUCCESS) st = mpi_fail(rc, "telling rank 0 the queue is done", err);
        } else if (q->serving) {
            pthread_join(q->server, NULL);
        }
    }
    pthread_mutex_destroy(&q->lock);
    free(q);
    d->queue = NULL;
    return st;
}
