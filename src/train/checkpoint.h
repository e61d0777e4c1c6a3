/*
 * checkpoint.h — what a training run writes so that it can be used and resumed:
 *
 *   <out>/checkpoint/epoch_<N>/model.safetensors   the official layout (spec §3): the trainable
 *        tensors only, under their official names, F32, plus lora_alpha (I64, 0-d) and use_rslora
 *        (BOOL, 0-d) as the old releases carry them, so that `lorat convert --checkpoint` and
 *        the official loader read it. In full fine-tuning mode: every parameter.
 *   <out>/checkpoint/epoch_<N>/state.safetensors   everything else an exact resumption needs:
 *        the AdamW moments ("exp_avg.<name>", "exp_avg_sq.<name>", F32), the step ("step", I64),
 *        the loader's / sampler's RNG states (an opaque byte blob, "rng_state", U8), and in the
 *        metadata the epoch, the schedule position and the run configuration (text).
 *
 * Both files are written atomically (temporary + fsync + rename). A checkpoint directory is
 * complete only when both files exist and open cleanly; it is written model first, state last,
 * and older directories beyond the last K are deleted only after the new one is complete, so a
 * process killed at any moment leaves the previous complete checkpoint loadable.
 */
#ifndef LORAT_TRAIN_CHECKPOINT_H
#define LORAT_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"
#include "train/optim.h"

/* Writes the official-layout model file (full: every parameter, frozen ones included). */
lorat_status checkpoint_write_model(const char *path, const lorat_model *m, int full,
                                    lorat_error *err);

/* Reads a file written by checkpoint_write_model back into an existing model of the same
 * configuration (resumption): every trainable tensor (full: every tensor) must be there with its
 * shape. lora_alpha / use_rslora, when present, must agree with the model's. */
lorat_status checkpoint_read_model(const char *path, lorat_model *m, int full, lorat_error *err);

typedef struct train_state {
    int64_t epoch;     /* epochs completed */
    int64_t iteration; /* schedule position: the index of the next iteration */
    void *rng;         /* opaque RNG states of the loader / sampler (may be NULL) */
    size_t rng_size;
    char *config; /* the run configuration as text (JSON), NUL-terminated; may be NULL */
} train_state;

/* Writes opt's moments and step and s to path. */
lorat_status checkpoint_write_state(const char *path, const adamw *opt, const train_state *s,
                                    lorat_error *err);

/* Restores opt's moments and step (its segments must have the names and sizes of the file's)
 * and fills s; s->rng and s->config are malloc'd: release them with train_state_free. */
lorat_status checkpoint_read_state(const char *path, adamw *opt, train_state *s, lorat_error *err);
void train_state_free(train_state *s);

/* ---- the run directory ---------------------------------------------------------------------- */

/* "<out>/checkpoint/epoch_<epoch>" into buf; returns snprintf's length. */
int checkpoint_dir_path(char *buf, size_t cap, const char *out, int64_t epoch);

/* Writes <out>/checkpoint/epoch_<epoch>/{model,state}.safetensors, then deletes the checkpoint
 * directories older than the keep_last newest complete ones (keep_last <= 0 keeps all). */
lorat_status checkpoint_save(const char *out, int64_t epoch, const lorat_model *m, int full,
                             const adamw *opt, const train_state *s, int keep_last,
                             lorat_error *err);

/* 1 when dir holds a model.safetensors and a state.safetensors that both open cleanly. */
int checkpoint_dir_complete(const char *dir);

/* The newest complete checkpoint under <out>/checkpoint: *epoch and its directory in dir.
 * *epoch = -1 (and LORAT_STATUS_OK) when there is none. */
lorat_status checkpoint_find_latest(const char *out, int64_t *epoch, char *dir, size_t cap,
                                    lorat_error *err);

#endif
