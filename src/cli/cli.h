/*
 * cli.h — the subcommands of the lorat tool, one file each, and the small helpers they share.
 * Each cli_<name> gets the arguments after the subcommand's name and returns the exit status.
 */
#ifndef LORAT_CLI_H
#define LORAT_CLI_H

#include "lorat.h"
#include "model/config.h"

int cli_convert(int argc, char **argv);
int cli_forward(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_track(int argc, char **argv);
int cli_trax(int argc, char **argv);
int cli_synth(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_export(int argc, char **argv);

/* Prints "lorat <cmd>: <message>" to stderr and returns 1 (2 for usage errors). */
int cli_fail(const char *cmd, const lorat_error *err);
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...);

/* Argument helpers: is argv[*i] the option `name`? Then *value = the next argument. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
int cli_flag(char **argv, int i, const char *name);
int cli_parse_int(const char *s, int *out);
int cli_parse_double(const char *s, double *out); /* the whole string a number, else 0 */
/* Whole strings only, in range (no wrap-around, no trailing junk, no sign for u64): 1, else 0. */
int cli_parse_int64(const char *s, long long *out);
int cli_parse_u64(const char *s, unsigned long long *out);
/* "WxH" token grid: two whole numbers in 1..256 around an x: 1, else 0. */
int cli_parse_grid(const char *s, int *w, int *h);
/* "WxH" of any two whole numbers that fit an int (the caller checks the range): 1, else 0. */
int cli_parse_size(const char *s, int *w, int *h);
/* "x,y,w,h": exactly four finite numbers separated by commas, each a whole cli_parse_double
 * (no trailing junk, no fifth value); the values must also fit a float: 1, else 0. */
int cli_parse_box(const char *s, lorat_box *box);
/* --threads and --jobs: a whole number in 1..CLI_MAX_THREADS, else 0. */
#define CLI_MAX_THREADS 1024
int cli_parse_threads(const char *s, int *out);
/* --precision fp32|bf16|int8 (NULL: fp32): 1 when s names one, else 0. */
int cli_parse_precision(const char *s, lorat_precision *p);
#define CLI_PRECISION_USAGE \
    "  --precision P  fp32 (default, exact), bf16 (bf16 products, fp32 accumulation; emulated on\n" \
    "              a CPU without AVX512_BF16) or int8 (int8 linears, dynamic per-token scales)\n"
/* Prepares a loaded model for inference at p; prints what the products run on unless quiet. */
int cli_set_precision(const char *cmd, lorat_model *m, lorat_precision p, int quiet);

/* --size-update A, --size-gate C, --box-average R, --window-influence W: the tracking defaults a
 * model file records, replaced for one run (lorat track, lorat eval --model), e.g. to tune them on a
 * validation set (lorat train: recorded in the file it writes). cli_tracking_opt consumes one of
 * them like cli_opt; cli_tracking_apply checks the values and writes those given into cfg (0, or 2
 * after a usage message). */
typedef struct cli_tracking {
    const char *size_update, *size_gate, *box_average, *window_influence;
} cli_tracking;
#define CLI_TRACKING_USAGE \
    "  --size-update A, --size-gate C, --box-average R, --window-influence W: tracking parameters\n" \
    "              for this run instead of those the model file records (`lorat info` shows them)\n"
int cli_tracking_opt(int argc, char **argv, int *i, cli_tracking *t);
int cli_tracking_apply(const cli_tracking *t, model_config *cfg, const char *cmd, const char *usage);

#endif
