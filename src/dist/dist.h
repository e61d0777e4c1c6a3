/*
 * dist.h — the distributed engine's adapter: Open MPI, and nothing else in lorat includes MPI.
 *
 * A process started by mpirun (OMPI_COMM_WORLD_SIZE or PMIX_RANK in its environment) joins the
 * job with MPI_Init_thread; any other runs alone without touching MPI (no start-up cost, no
 * message). What the rest of lorat gets from here:
 *   - train_comm (train/step.h): the in-place sums of data-parallel training (MPI_Allreduce over
 *     one contiguous buffer) and a barrier;
 *   - runner_queue (eval/runner.h): evaluation's work queue, held by rank 0 (a thread answers
 *     the other ranks' requests), so that sequences go to whichever rank is free, longest first;
 *   - a message when mpirun stops this process because another died (SIGTERM), naming this rank
 *     and the step or sequence it was at.
 * MPI errors return (MPI_ERRORS_RETURN) and become messages; Open MPI 4.1 cannot survive the loss
 * of a rank, so a dead rank ends the job, and --resume continues it.
 */
#ifndef LORAT_DIST_DIST_H
#define LORAT_DIST_DIST_H

#include "core/error.h"
#include "eval/runner.h"
#include "train/step.h"

typedef struct dist {
    int rank, size;
    int active;       /* 1: MPI was started (size may still be 1) */
    const char *what; /* "train" or "eval": for the messages */
    train_comm comm;  /* for trainer_config.comm (NULL-equivalent when size is 1) */
    struct dist_queue *queue;
} dist;

/* Joins the MPI job when launched by mpirun; else d is a single process. */
lorat_status dist_start(dist *d, const char *what, lorat_error *err);
void dist_stop(dist *d);
/* For a rank that cannot go on: ends every process of the job (after its message). */
void dist_abort(dist *d, int code);

/* Is one of the processes' status not OK? Every rank calls it; returns the worst. */
lorat_status dist_worst(dist *d, lorat_status st);
lorat_status dist_barrier(dist *d, lorat_error *err);

/* The evaluation queue over n items: every rank calls dist_queue_open with the same n and
 * ordering, passes dist_runner_queue(d) to runner_run, then dist_queue_close. */
lorat_status dist_queue_open(dist *d, lorat_error *err);
const runner_queue *dist_runner_queue(dist *d);
lorat_status dist_queue_close(dist *d, lorat_error *err);

/* The sum of a few doubles over the ranks, in place (timings, counts). */
lorat_status dist_sum_f64(dist *d, double *v, int n, lorat_error *err);

/* The largest of a few doubles over the ranks, in place. */
lorat_status dist_max_f64(dist *d, double *v, int n, lorat_error *err);

/* Measures MPI_Allreduce of n floats, iters times: the slowest rank's best seconds per call (0 when not under mpirun). */
double dist_allreduce_seconds(dist *d, size_t n, int iters);

#endif
