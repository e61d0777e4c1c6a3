/* score.c — see score.h. */
#include "eval/score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/datasets_impl.h"

lorat_status eval_score_sequence(dataset_kind kind, const dataset_sequence *seq,
                                 const double *xyxy, int runs, int length, const char *source,
                                 metrics_protocol p, metrics_result *out, lorat_error *err) {
    if (seq->gt_count < seq->frames)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s sequence %s publishes the ground truth of its first frame only (a "
                       "test split): it cannot be scored here; submit the results to the "
                       "benchmark's server%s",
                       dataset_display_name(kind), seq->name,
                       kind == DATASET_GOT10K ? ", or score the val split (--split val)" : "");
    if (length < seq->gt_count)
        return err_set(err, LORAT_STATUS_BAD_INPUT,
                       "%s has %d box%s but sequence %s has %d ground-truth lines: line %d and "
                       "after are missing",
                       source, length, length == 1 ? "" : "es", seq->name, seq->gt_count,
                       length + 1);
    const double *pred = xyxy;
    double *packed = NULL;
    if (length > seq->gt_count && runs > 1) { /* truncate each run */
        packed = malloc(sizeof(double) * 4 * (size_t)seq->gt_count * (size_t)runs);
        if (!packed) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        for (int k = 0; k < runs; k++)
            memcpy(packed + 4 * (size_t)seq->gt_count * (size_t)k,
                   xyxy + 4 * (size_t)length * (size_t)k, sizeof(double) * 4 * (size_t)seq->gt_count);
        pred = packed;
    }
    const char *official = dataset_official_name(kind);
    metrics_rules rules = metrics_rules_for(official);
    p = metrics_protocol_for(p, official);
    metrics_sequence ms = {
        .n = seq->gt_count,
        .gt = seq->gt,
        .pred = pred,
        .runs = runs,
        .visible = seq->visible,
        .cover = seq->cover,
        .width = seq->width,
        .height = seq->height,
    };
    lorat_status s = metrics_evaluate(p, &rules, &ms, out, NULL, err);
    if (s) err_prefix(err, "sequence %s", seq->name);
    free(packed);
    return s;
}

void eval_scores_free(eval_scores *s) {
    if (!s) return;
    if (s->names)
        for (int i = 0; i < s->count; i++) free(s->names[i]);
    free(s->names);
    free(s->seqs);
    memset(s, 0, sizeof *s);
}

/* Names every sequence of ds without a result file in src (the first few, and how many). */
static lorat_status check_complete(const dataset *ds, const results_source *src, const char *dir,
                                   lorat_error *err) {
    int missing = 0;
    char list[600] = "";
    size_t used = 0;
    for (int i = 0; i < ds->count; i++) {
        if (results_source_has(src, ds->seqs[i].name, ds->seqs[i].alias)) continue;
        if (missing < 8 && used < sizeof list - 100)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", missing ? ", " : "",
                                     ds->seqs[i].name);
        missing++;
    }
    if (!missing) return LORAT_STATUS_OK;
    char vot[600] = "";
    if (src->vot)
        snprintf(vot, sizeof vot,
                 "; %s holds pysot's VOT output, which is not one-pass results and is not read",
                 src->vot);
    return err_set(err, LORAT_STATUS_IO,
                   "results folder %s lacks %d of the %d %s sequences: %s%s (each needs %s%s; "
                   "results layout %s)%s",
                   dir, missing, ds->count, dataset_display_name(ds->kind), list,
                   missing > 8 ? ", ..." : "", results_source_expects(src),
                   src->runs > 1 ? " in every run folder" : "", results_reader_name(src->reader),
                   vot);
}

lorat_status eval_score_results(const dataset *ds, const char *results_dir, metrics_protocol p,
                                results_reader reader, eval_scores *out, lorat_error *err) {
    memset(out, 0, sizeof *out);
    out->kind = ds->kind;
    out->split = ds->split;
    out->protocol = p;
    results_source src;
    lorat_status s = results_source_open(&src, results_dir, reader, err);
    if (s) return s;
    if ((s = check_complete(ds, &src, results_dir, err))) {
        results_source_free(&src);
        return s;
    }
    out->names = calloc((size_t)ds->count, sizeof *out->names);
    out->seqs = calloc((size_t)ds->count, sizeof *out->seqs);
    if (!out->names || !out->seqs) {
        results_source_free(&src);
        eval_scores_free(out);
        return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    }
    out->count = ds->count;
    metrics_average avg;
    metrics_average_init(&avg, metrics_protocol_for(p, dataset_official_name(ds->kind)));
    int one_based = dataset_one_based(ds->kind);
    for (int i = 0; i < ds->count && !s; i++) {
        const dataset_entry *e = &ds->seqs[i];
        if (!(out->names[i] = ds_strdup(e->name))) {
            s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            break;
        }
        dataset_sequence seq;
        if ((s = dataset_load(ds, i, 0, &seq, err))) break;
        results_sequence r;
        s = results_source_read(&src, e->name, e->alias, one_based, &r, err);
        if (!s) {
            s = eval_score_sequence(ds->kind, &seq, r.xyxy, r.runs, r.length, r.path, p,
                                    &out->seqs[i], err);
            results_sequence_free(&r);
        }
        dataset_sequence_free(&seq);
        if (!s) metrics_average_add(&avg, &out->seqs[i]);
    }
    results_source_free(&src);
    if (s) {
        eval_scores_free(out);
        return s;
    }
    metrics_average_finish(&avg, &out->overall);
    return LORAT_STATUS_OK;
}

lorat_status eval_score_dir(const dataset *ds, const char *results_dir, metrics_protocol p,
                            eval_scores *out, lorat_error *err) {
    return eval_score_results(ds, results_dir, p, RESULTS_READER_LORAT, out, err);
}

/* ---- output ------------------------------------------------------------------------------ */

static cJSON *number_or_null(double v) {
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *curve_json(const metrics_curve *c) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < c->n; i++) {
        cJSON *v = number_or_null(c->y[i]);
        if (!v || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static cJSON *result_json(const metrics_result *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const struct {
        const char *key;
        double v;
    } scalars[] = {{"success_auc", r->success_auc}, {"precision", r->precision},
                   {"norm_precision", r->norm_precision}, {"ao", r->ao},
                   {"sr50", r->sr50}, {"sr75", r->sr75}};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        cJSON *v = number_or_null(scalars[i].v);
        if (!v || !cJSON_AddItemToObject(o, scalars[i].key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    const struct {
        const char *key;
        const metrics_curve *c;
    } curves[] = {{"success_curve", &r->success_curve},
                  {"precision_curve", &r->precision_curve},
                  {"norm_precision_curve", &r->norm_precision_curve}};
    for (size_t i = 0; i < 3; i++) {
        cJSON *v = curve_json(curves[i].c);
        if (!v || !cJSON_AddItemToObject(o, curves[i].key, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

cJSON *eval_scores_json(const eval_scores *s) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    cJSON *seqs = cJSON_CreateObject(), *overall = result_json(&s->overall);
    if (!cJSON_AddStringToObject(root, "dataset", dataset_kind_name(s->kind)) ||
        !cJSON_AddStringToObject(root, "protocol", metrics_protocol_name(s->protocol)) ||
        !overall || !cJSON_AddItemToObject(root, "overall", overall) || !seqs ||
        !cJSON_AddItemToObject(root, "sequences", seqs)) {
        cJSON_Delete(root);
        return NULL;
    }
    for (int i = 0; i < s->count; i++) {
        cJSON *o = result_json(&s->seqs[i]);
        if (!o || !cJSON_AddItemToObject(seqs, s->names[i], o)) {
            cJSON_Delete(o);
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

static void print_pct(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, " %8.2f", 100 * v);
    else
        fprintf(f, " %8s", "-");
}

static void print_row(FILE *f, const char *name, const metrics_result *r, int wide, int aosr) {
    fprintf(f, "%-*s", wide, name);
    print_pct(f, r->success_auc);
    print_pct(f, r->norm_precision);
    print_pct(f, r->precision);
    if (aosr) {
        print_pct(f, r->ao);
        print_pct(f, r->sr50);
        print_pct(f, r->sr75);
    }
    fputc('\n', f);
}

void eval_scores_print(FILE *f, const eval_scores *s, int per_sequence) {
    int aosr = s->protocol == METRICS_PROTOCOL_GOT10K_AO || s->kind == DATASET_GOT10K ||
               s->kind == DATASET_CUSTOM;
    int wide = 12;
    if (per_sequence)
        for (int i = 0; i < s->count; i++)
            if ((int)strlen(s->names[i]) + 2 > wide) wide = (int)strlen(s->names[i]) + 2;
    const metrics_protocol used = metrics_protocol_for(s->protocol, dataset_official_name(s->kind));
    fprintf(f, "%s %s split, %d sequences, protocol %s%s\n", dataset_display_name(s->kind),
            dataset_split_name(s->split), s->count, metrics_protocol_name(s->protocol),
            used != s->protocol ? " (the got10k toolkit's GOT-10k experiment: AO and SR over "
                                  "the pooled frames)"
                                : "");
    fprintf(f, "%-*s %8s %8s %8s", wide, "", "SUC", "P_norm", "P");
    if (aosr) fprintf(f, " %8s %8s %8s", "AO", "SR0.5", "SR0.75");
    fputc('\n', f);
    if (per_sequence)
        for (int i = 0; i < s->count; i++) print_row(f, s->names[i], &s->seqs[i], wide, aosr);
    print_row(f, "overall", &s->overall, wide, aosr);
}
