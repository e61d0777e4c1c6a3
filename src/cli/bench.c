/*
 * bench.c — `lorat bench`: the forward pass timed per stage, its GFLOP/s, and the share of this
 * machine's SGEMM peak, the peak measured in the same run with the same threads (machines are
 * shared and noisy: a ratio measured side by side means more than seconds). Weights are random;
 * speed does not depend on their values.
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>

#include "cli/cli.h"
#include "core/rng.h"
#include "dist/dist.h"
#include "kernels/compute.h"
#include "kernels/kernels.h"
#include "model/backward.h"
#include "model/model.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/step.h"

static const char *usage =
    "lorat bench [--variant B-224 | --model M.safetensors] [--precision P] [--threads N] [--iters N]\n"
    "            [--batch B] [--unmerged] [--json]\n"
    "lorat bench --train [--full] [--recompute] [--variant B-224 | --model M] [--precision fp32|bf16]\n"
    "            [--rank R] [--threads N] [--iters N] [--batch B] [--json]\n"
    "mpirun -np P lorat bench --train ...   (data-parallel: each process a batch of B, the gradients summed)\n"
    "mpirun -np P lorat bench --allreduce [--full] [--variant V] [--iters N] [--json]\n"
    CLI_PRECISION_USAGE
    "              the GEMM peak is that precision's, measured in the same run\n"
    "  --unmerged  run LoRA beside the frozen weights (r = 64) instead of merged\n"
    "  --train     time one training step (forward, loss, backward, clipping, AdamW) of LoRA\n"
    "              fine-tuning (r = alpha = --rank, default 64), or of full fine-tuning with --full;\n"
    "              peak memory (RSS). --model: that file's sizes; --recompute: as lorat train's\n"
    "  --allreduce the sum over the processes of the gradients of one step (LoRA's trainable\n"
    "              parameters, or all of them with --full): seconds, algorithm and bus bandwidth";

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill_random(lorat_model *m) {
    rng r;
    rng_seed(&r, 1);
    for (int i = 0; i < m->n_params; i++) {
        const param_desc *p = &m->params[i];
        float *v = *p->slot;
        int is_norm = strstr(p->name, "norm") && p->ndim == 1 && strstr(p->name, "weight");
        for (size_t k = 0; k < p->numel; k++) v[k] = is_norm ? 1.0f : (rng_uniform(&r) - 0.5f) * 0.1f;
    }
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

static lorat_status one_batch(void *ctx, int k, train_micro *mb, lorat_error *err) {
    (void)k, (void)err;
    *mb = *(const train_micro *)ctx;
    return LORAT_STATUS_OK;
}

/* --train: one training step (train/step.c, the trainer's), timed, on random data. */
static int bench_train(const char *variant, const char *model_path, int full, int recompute, int rank, int B,
                       int iters, int json, lorat_precision prec, dist *d) {
    lorat_error err = {0};
    const train_comm *comm = d->size > 1 ? &d->comm : NULL;
    model_config cfg;
    if (model_path) { /* the sizes of a model file (e.g. lorat init's), fresh LoRA beside them */
        lorat_model *src = NULL;
        if (lorat_model_load(model_path, &src, &err)) return cli_fail("bench", &err);
        cfg = src->cfg;
        lorat_model_free(src);
        cfg.lora_rslora = 0, cfg.lora_merged = 0;
    } else if (config_from_variant(variant, &cfg, &err)) {
        return cli_fail("bench", &err);
    }
    cfg.lora_rank = rank, cfg.lora_alpha = (float)rank, cfg.lora_has_alpha = 1;
    if (full) cfg.lora_rank = 0;
    lorat_model *m = NULL;
    if (model_create(&cfg, &m, &err)) return cli_fail("bench", &err);
    fill_random(m);
    if (model_prepare(m, prec, COMPUTE_TRAINING, &err) ||
        (!full && prec != LORAT_PRECISION_FP32 && model_release_frozen(m, &err))) {
        lorat_model_free(m);
        return cli_fail("bench", &err);
    }
    adamw_config ac;
    adamw_config_default(&ac);
    train_stepper stp;
    if (train_stepper_create(&stp, m, B, full, recompute, &ac, comm, &err)) {
        lorat_model_free(m);
        return cli_fail("bench", &err);
    }
    const int p = cfg.patch;
    size_t nz = (size_t)B * 3 * cfg.template_w * p * cfg.template_h * p, nx = (size_t)B * 3 * cfg.search_w * p * cfg.search_h * p;
    float *z = malloc(nz * 4), *x = malloc(nx * 4), *gt = malloc(sizeof(float) * 4 * B);
    uint8_t *mask = calloc((size_t)B * cfg.template_w * cfg.template_h, 1);
    double *times = malloc(sizeof(double) * (iters + 1));
    if (!z || !x || !gt || !mask || !times) {
        free(z), free(x), free(gt), free(mask), free(times);
        train_stepper_free(&stp), lorat_model_free(m);
        err_set(&err, LORAT_STATUS_NO_MEMORY, "cannot allocate the batch of %d", B);
        return cli_fail("bench", &err);
    }
    rng r;
    rng_seed(&r, 3);
    for (size_t i = 0; i < nz; i++) z[i] = rng_normal(&r);
    for (size_t i = 0; i < nx; i++) x[i] = rng_normal(&r);
    for (int b = 0; b < B; b++) {
        gt[4 * b] = 0.3f, gt[4 * b + 1] = 0.35f, gt[4 * b + 2] = 0.62f, gt[4 * b + 3] = 0.7f;
        for (int i = 0; i < cfg.template_w * cfg.template_h; i++) mask[b * cfg.template_w * cfg.template_h + i] = (uint8_t)(i % 3 == 0);
    }
    train_micro mb = {z, x, mask, gt};
    for (int it = 0; it <= iters; it++) { /* the first is a warm-up */
        double t0 = omp_get_wtime();
        train_step_result res;
        if (train_step(&stp, one_batch, &mb, 1, 1e-4, 1.0, &res, &err)) break;
        times[it] = omp_get_wtime() - t0;
    }
    const model_grads *g = stp.g;
    const adamw *opt = stp.opt;
    const train_workspace *ws = stp.ws;
    double rss = peak_rss_mb(); /* before the SGEMM measurement allocates its matrices */
    /* data-parallel: the gradient sum alone, as the step runs it, and the largest RSS of a process */
    const double reduce = d->size > 1 ? dist_allreduce_seconds(d, g->n_trainable + g->n_frozen, 5) : 0;
    if (d->size > 1) {
        double v[2] = {rss, 0};
        dist_max_f64(d, v, 1, &err);
        rss = v[0];
    }
    double planned = (model_weight_bytes(m) + 4.0 * (g->n_trainable + g->n_frozen + 2.0 * opt->n_moments + ws->floats)) / 1048576.0;
    qsort(times + 1, iters, sizeof(double), cmp_double);
    double step = times[1 + iters / 2];
    if (d->size > 1) dist_max_f64(d, &step, 1, &err); /* the slowest process sets the pace */
    const int P = d->size, G = P * B; /* the global batch */
    double gflops = model_train_flops(&cfg, B, full) / step / 1e9; /* per process */
    if (d->rank > 0) { /* rank 0 reports */
        free(times), free(z), free(x), free(gt), free(mask);
        train_stepper_free(&stp), lorat_model_free(m);
        return 0;
    }
    double peak = compute_gemm_peak(m->be, 2048);
    int threads = kernels_get_threads();
    const char *pn = compute_precision_name(prec);
    if (json)
        printf("{\"variant\": \"%s\", \"mode\": \"%s\", \"precision\": \"%s\", \"native\": %d, \"batch\": %d, "
               "\"threads\": %d, \"seconds_per_step\": %.6f, "
               "\"samples_per_s\": %.3f, \"gflops\": %.2f, \"gemm_peak_gflops\": %.2f, \"share_of_peak\": %.4f, "
               "\"peak_rss_mb\": %.1f, \"planned_mb\": %.1f, \"trainable_params\": %zu, \"recompute\": %d, "
               "\"processes\": %d, \"global_batch\": %d, \"allreduce_seconds\": %.6f}\n",
               cfg.variant, full ? "full" : "lora", pn, m->be->native, B, threads, step, G / step, gflops, peak,
               peak > 0 ? gflops / peak : 0, rss, planned, full ? m->n_frozen + m->n_trainable : m->n_trainable,
               recompute, P, G, reduce);
    else {
        printf("%s %s%s training step, %s (%s), batch %d, %d threads: %.3f s/step (%.2f samples/s), %.1f GFLOP/s = "
               "%.1f%% of the %s GEMM peak (%.1f GFLOP/s, same run); peak memory %.1f MB (planned %.1f MB)\n",
               cfg.variant, full ? "full fine-tuning" : "LoRA", recompute ? " (recompute)" : "", pn, m->be->isa, G,
               threads, step, G / step, gflops, peak > 0 ? 100 * gflops / peak : 0, pn, peak, rss, planned);
        if (P > 1)
            printf("%d processes, each a batch of %d with %d threads (GFLOP/s, peak and memory: per process); "
                   "the gradient sum (%.1f MB) alone takes %.4f s of each step\n",
                   P, B, threads, 4.0 * (g->n_trainable + g->n_frozen) / 1048576.0, reduce);
    }
    free(times), free(z), free(x), free(gt), free(mask);
    train_stepper_free(&stp), lorat_model_free(m);
    return 0;
}

/* --allreduce: the gradient sum of one data-parallel step, alone. Bus bandwidth is the
 * algorithm's bytes times 2(P−1)/P, what each link carries in a ring allreduce (the figure NCCL
 * and the OSU benchmarks report): it says how far the network is from its line rate. */
static int bench_allreduce(const char *variant, int full, int rank, int iters, int json, dist *d) {
    lorat_error err = {0};
    model_config cfg;
    if (config_from_variant(variant, &cfg, &err)) return cli_fail("bench", &err);
    cfg.lora_rank = full ? 0 : rank, cfg.lora_alpha = (float)rank, cfg.lora_has_alpha = 1;
    lorat_model *m = NULL;
    if (model_create(&cfg, &m, &err)) return cli_fail("bench", &err);
    const size_t n = full ? m->n_trainable + m->n_frozen : m->n_trainable;
    lorat_model_free(m);
    const double t = dist_allreduce_seconds(d, n, iters);
    const double bytes = 4.0 * (double)n, P = d->size;
    const double alg = t > 0 ? bytes / t / 1e9 : 0, bus = alg * 2 * (P - 1) / P;
    if (d->rank > 0) return 0;
    if (json)
        printf("{\"variant\": \"%s\", \"mode\": \"%s\", \"processes\": %d, \"floats\": %zu, \"seconds\": %.6f, "
               "\"algbw_gbs\": %.3f, \"busbw_gbs\": %.3f}\n",
               cfg.variant, full ? "full" : "lora", d->size, n, t, alg, bus);
    else
        printf("%s %s gradients: %zu floats (%.1f MB) summed over %d processes in %.4f s (best of %d): "
               "%.2f GB/s algorithm, %.2f GB/s bus bandwidth\n",
               cfg.variant, full ? "full fine-tuning" : "LoRA", n, bytes / 1048576.0, d->size, t, iters, alg, bus);
    return 0;
}

int cli_bench(int argc, char **argv) {
    const char *variant = "B-224", *model_path = NULL, *threads_s = NULL, *iters_s = NULL, *batch_s = NULL, *rank_s = NULL;
    const char *precision_s = NULL;
    int json = 0, unmerged = 0, train = 0, full = 0, recompute = 0, allreduce = 0;
    for (int i = 0; i < argc; i++) {
        if (cli_opt(argc, argv, &i, "--variant", &variant) || cli_opt(argc, argv, &i, "--model", &model_path) ||
            cli_opt(argc, argv, &i, "--threads", &threads_s) || cli_opt(argc, argv, &i, "--iters", &iters_s) ||
            cli_opt(argc, argv, &i, "--batch", &batch_s) || cli_opt(argc, argv, &i, "--rank", &rank_s) ||
            cli_opt(argc, argv, &i, "--precision", &precision_s))
            continue;
        if (cli_flag(argv, i, "--json")) json = 1;
        else if (cli_flag(argv, i, "--unmerged")) unmerged = 1;
        else if (cli_flag(argv, i, "--train")) train = 1;
        else if (cli_flag(argv, i, "--full")) full = 1;
        else if (cli_flag(argv, i, "--recompute")) recompute = 1;
        else if (cli_flag(argv, i, "--allreduce")) allreduce = 1;
        else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) { printf("usage: %s\n", usage); return 0; }
        else return cli_usage_error("bench", usage, "unknown argument '%s'", argv[i]);
    }
    int threads = 0, iters = 5, B = 1, rank = 64;
    if ((threads_s && !cli_parse_threads(threads_s, &threads)) || (iters_s && !cli_parse_int(iters_s, &iters)) ||
        (batch_s && !cli_parse_int(batch_s, &B)) || (rank_s && !cli_parse_int(rank_s, &rank)) || iters < 1 ||
        B < 1 || rank < 1 || iters > 100000 || B > 4096 || rank > 4096)
        return cli_usage_error("bench", usage, "--threads (1..%d), --iters (1..100000), --batch and --rank (1..4096) take numbers in their ranges",
                               CLI_MAX_THREADS);
    lorat_precision prec;
    if (!cli_parse_precision(precision_s, &prec))
        return cli_usage_error("bench", usage, "--precision '%s' is not fp32, bf16 or int8", precision_s);
    kernels_set_threads(threads);
    threads = kernels_get_threads();
    if (train || allreduce) {
        lorat_error err = {0};
        dist d;
        if (dist_start(&d, "bench", &err)) return cli_fail("bench", &err);
        if (allreduce && d.size < 2) {
            dist_stop(&d);
            return cli_usage_error("bench", usage, "--allreduce measures a sum over processes: run it under mpirun -np 2 or more");
        }
        const int rc = allreduce ? bench_allreduce(variant, full, rank, iters, json, &d)
                                 : bench_train(variant, model_path, full, recompute, rank, B, iters, json, prec, &d);
        if (rc && d.size > 1) dist_abort(&d, rc);
        dist_stop(&d);
        return rc;
    }

    lorat_error err = {0};
    lorat_model *m = NULL;
    if (model_path) {
        if (lorat_model_load(model_path, &m, &err)) return cli_fail("bench", &err);
    } else {
        model_config cfg;
        if (config_from_variant(variant, &cfg, &err)) return cli_fail("bench", &err);
        cfg.lora_merged = !unmerged;
        if (model_create(&cfg, &m, &err)) return cli_fail("bench", &err);
        fill_random(m);
    }
    if (model_prepare(m, prec, COMPUTE_INFERENCE, &err)) {
        lorat_model_free(m);
        return cli_fail("bench", &err);
    }
    const model_config *c = &m->cfg;
    model_workspace *ws = NULL;
    if (model_workspace_create(m, B, &ws, &err)) {
        lorat_model_free(m);
        return cli_fail("bench", &err);
    }
    const int p = c->patch, Nx = c->search_w * c->search_h;
    size_t nz = (size_t)B * 3 * c->template_w * p * c->template_h * p;
    size_t nx = (size_t)B * 3 * c->search_w * p * c->search_h * p;
    float *z = malloc(nz * 4), *x = malloc(nx * 4), *score = malloc((size_t)B * Nx * 4), *boxes = malloc((size_t)B * Nx * 16);
    uint8_t *mask = calloc((size_t)B * c->template_w * c->template_h, 1);
    double *times = malloc(sizeof(double) * iters);
    if (!z || !x || !score || !boxes || !mask || !times) {
        free(z), free(x), free(score), free(boxes), free(mask), free(times);
        model_workspace_free(ws);
        lorat_model_free(m);
        err_set(&err, LORAT_STATUS_NO_MEMORY, "cannot allocate the batch of %d", B);
        return cli_fail("bench", &err);
    }
    rng r;
    rng_seed(&r, 2);
    for (size_t i = 0; i < nz; i++) z[i] = rng_normal(&r);
    for (size_t i = 0; i < nx; i++) x[i] = rng_normal(&r);

    double peak = compute_gemm_peak(m->be, 2048);
    const char *pn = compute_precision_name(prec);
    forward_probe probe = {.timing = 1};
    model_forward(m, ws, z, x, mask, B, score, boxes, NULL); /* warm-up */
    for (int it = 0; it < iters; it++) {
        double t0 = omp_get_wtime();
        model_forward(m, ws, z, x, mask, B, score, boxes, &probe);
        times[it] = omp_get_wtime() - t0;
    }
    qsort(times, iters, sizeof(double), cmp_double);
    double per_pass = times[iters / 2], per_frame = per_pass / B;
    model_counts k;
    model_count(c, &k);
    double flops = 2.0 * (double)k.macs_total;
    if (c->lora_rank > 0 && !c->lora_merged) flops += 2.0 * (double)k.lora * (c->template_w * c->template_h + Nx);
    double gflops = flops / per_frame / 1e9;
    double stage_total = 0;
    for (int s = 0; s < STAGE_COUNT; s++) stage_total += probe.seconds[s];

    if (json) {
        printf("{\"variant\": \"%s\", \"precision\": \"%s\", \"native\": %d, \"products\": \"%s\", "
               "\"threads\": %d, \"batch\": %d, \"lora\": \"%s\", \"seconds_per_frame\": %.6f, "
               "\"fps\": %.3f, \"gflops\": %.2f, \"gemm_peak_gflops\": %.2f, \"share_of_peak\": %.4f, "
               "\"weight_mb\": %.1f, \"stages\": {",
               c->variant, pn, m->be->native, m->be->isa, threads, B,
               c->lora_merged || !c->lora_rank ? "merged" : "unmerged", per_frame, 1.0 / per_frame, gflops, peak,
               peak > 0 ? gflops / peak : 0.0, model_weight_bytes(m) / 1048576.0);
        for (int s = 0; s < STAGE_COUNT; s++)
            printf("%s\"%s\": %.6f", s ? ", " : "", forward_stage_names[s], probe.seconds[s] / iters / B);
        printf("}}\n");
    } else {
        printf("%s, %s, batch %d, %d threads, LoRA %s: %.4f s/frame (%.2f fps), %.1f GFLOP/s\n", c->variant, pn,
               B, threads, c->lora_merged || !c->lora_rank ? "merged" : "unmerged", per_frame, 1.0 / per_frame,
               gflops);
        printf("products: %s%s; weights %.1f MB\n", m->be->isa, m->be->native ? "" : " (EMULATED)",
               model_weight_bytes(m) / 1048576.0);
        printf("%s GEMM peak in this run (2048^3, %d threads): %.1f GFLOP/s -> forward at %.1f%% of peak\n", pn,
               threads, peak, peak > 0 ? 100.0 * gflops / peak : 0.0);
        printf("per stage (mean of %d runs):\n", iters);
        for (int s = 0; s < STAGE_COUNT; s++)
            printf("  %-10s %8.2f ms  %5.1f%%\n", forward_stage_names[s], 1e3 * probe.seconds[s] / iters / B,
                   stage_total > 0 ? 100.0 * probe.seconds[s] / stage_total : 0.0);
    }
    free(times);
    free(z);
    free(x);
    free(score);
    free(boxes);
    free(mask);
    model_workspace_free(ws);
    lorat_model_free(m);
    return 0;
}
