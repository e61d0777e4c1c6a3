/*
 * results_read.c — reading a tracker's result files (see results.h): the folder layouts and file
 * names that lorat, the got10k toolkit, pysot and pytracking write, and one sequence's boxes
 * (every repetition) from them. Writing and zips are in results.c.
 *
 * What each toolkit writes (read from their code):
 *   got10k toolkit  ExperimentOTB/LaSOT/TrackingNet._record: <dir>/<seq>.txt, "%.3f" comma;
 *                   ExperimentGOT10k._record: <dir>/<seq>/<seq>_NNN.txt (NNN = repetition from
 *                   001), <seq>_time.txt beside. Two-target OTB folders are Jogging.1, Jogging.2.
 *   pysot           tools/test.py: results/<dataset>/<model>/<seq>.txt, comma, str(float) (OPE);
 *                   GOT-10k <seq>/<seq>_001.txt + <seq>_time.txt; VOT
 *                   baseline/<seq>/<seq>_001.txt and VOT-LT longterm/<seq>/... (reset flags
 *                   1/2/0 or boxes: not one-pass results, never read as such).
 *                   toolkit/datasets/otb.py names OTB's two-target sequences Jogging-1,
 *                   Skating2-2, Human4-2 and, for downloaded raw results, also tries the name
 *                   with its first letter lowered (jogging_1.txt, basketball.txt) or all lowered
 *                   (fleetface.txt, faceocc1.txt).
 *   pytracking      evaluation/running.py _save_tracker_output:
 *                   <results>/<tracker>/<param>/<seq>.txt, "%d" tab-separated (np.savetxt of
 *                   int boxes), <seq>_time.txt beside; with a run id the folder is <param>_NNN
 *                   (evaluation/tracker.py), one per run; names as its datasets give them
 *                   (airplane-1, GOT-10k_Val_000001, Jogging_1).
 * Every file is read by data/table (comma, tab and space separators alike).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/datasets_impl.h"
#include "data/table.h"
#include "eval/results.h"

static const char *reader_names[] = {"auto", "lorat", "pysot", "pytracking"};

const char *results_reader_name(results_reader r) {
    return (unsigned)r < 4 ? reader_names[r] : "unknown";
}

lorat_status results_reader_parse(const char *name, results_reader *r, lorat_error *err) {
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(name, reader_names[i])) {
            *r = (results_reader)i;
            return LORAT_STATUS_OK;
        }
    return err_set(err, LORAT_STATUS_BAD_INPUT,
                   "unknown results layout '%s' (auto, lorat, pysot or pytracking)", name);
}

int results_run_number(const char *file, const char *name) {
    size_t n = strlen(name), f = strlen(file);
    if (f < n + 6 || strncmp(file, name, n) || file[n] != '_' || strcmp(file + f - 4, ".txt"))
        return -1;
    int v = 0;
    for (size_t i = n + 1; i < f - 4; i++) {
        if (file[i] < '0' || file[i] > '9' || v > 100000) return -1;
        v = v * 10 + (file[i] - '0');
    }
    return v;
}

/* ---- file names ------------------------------------------------------------------------------ */

#define MAX_STEMS 8
#define STEM_SIZE 520

/* The names a sequence's file may carry under reader r, in the order tried. */
typedef struct stems {
    int n;
    char s[MAX_STEMS][STEM_SIZE];
} stems;

static void stems_add(stems *st, const char *v) {
    if (!v || !*v || st->n == MAX_STEMS || strlen(v) >= STEM_SIZE) return;
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->s[i], v)) return;
    snprintf(st->s[st->n++], STEM_SIZE, "%s", v);
}

/* pysot's spellings of name: OTB's "<Seq>_<k>" as "<Seq>-<k>", the first letter lowered, all
 * lowered. */
static void stems_pysot(stems *st, const char *name) {
    char v[STEM_SIZE];
    size_t n = strlen(name);
    if (n >= sizeof v) return;
    if (n > 2 && name[n - 2] == '_' && isdigit((unsigned char)name[n - 1])) {
        memcpy(v, name, n + 1);
        v[n - 2] = '-';
        stems_add(st, v);
    }
    memcpy(v, name, n + 1);
    v[0] = (char)tolower((unsigned char)v[0]);
    stems_add(st, v);
    for (size_t i = 0; i < n; i++) v[i] = (char)tolower((unsigned char)v[i]);
    stems_add(st, v);
}

static void stems_for(stems *st, results_reader r, const char *name, const char *alias) {
    st->n = 0;
    stems_add(st, name);
    stems_add(st, alias);
    if (r == RESULTS_READER_PYSOT || r == RESULTS_READER_AUTO) {
        stems_pysot(st, name);
        if (alias) stems_pysot(st, alias);
    }
}

/* A file found for a sequence: its path, and the stem of a repetition file <stem>_NNN.txt. */
typedef struct found {
    char *path;
    char stem[STEM_SIZE]; /* "" unless the file is <stem>/<stem>_001.txt */
} found;

/* The sequence's file in dir under reader r: <stem>.txt; the got10k toolkit's and pysot's
 * GOT-10k layout <stem>/<stem>_001.txt; LoRAT's TrackingNet <stem>/<stem>.txt. */
static int find_in(const char *dir, results_reader r, const char *name, const char *alias,
                   found *f) {
    stems st;
    stems_for(&st, r, name, alias);
    int reps = r != RESULTS_READER_PYTRACKING, nested = r == RESULTS_READER_LORAT ||
                                                        r == RESULTS_READER_AUTO;
    f->path = NULL;
    f->stem[0] = '\0';
    for (int i = 0; i < st.n; i++) {
        char file[STEM_SIZE + 16];
        snprintf(file, sizeof file, "%s.txt", st.s[i]);
        char *p = ds_path(dir, file);
        if (p && ds_is_file(p)) {
            f->path = p;
            return 1;
        }
        free(p);
        if (reps) {
            snprintf(file, sizeof file, "%s_001.txt", st.s[i]);
            p = ds_path3(dir, st.s[i], file);
            if (p && ds_is_file(p)) {
                f->path = p;
                snprintf(f->stem, sizeof f->stem, "%s", st.s[i]);
                return 1;
            }
            free(p);
        }
        if (nested) {
            snprintf(file, sizeof file, "%s.txt", st.s[i]);
            p = ds_path3(dir, st.s[i], file);
            if (p && ds_is_file(p)) {
                f->path = p;
                return 1;
            }
            free(p);
        }
    }
    return 0;
}

/* ---- sources ----------------------------------------------------------------------------- */

void results_source_free(results_source *src) {
    if (!src) return;
    ds_free_names(src->dirs, src->runs);
    free(src->vot);
    memset(src, 0, sizeof *src);
}

/* pytracking's run folders of dir: <dir>_NNN beside it, in order. */
static lorat_status run_folders(results_source *src, const char *dir, lorat_error *err) {
    char base[512];
    ds_basename(dir, base, sizeof base);
    char *parent = ds_dirname(dir);
    if (!parent) return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
    char **names = NULL;
    int n = 0, runs = 0;
    lorat_status s = LORAT_STATUS_OK;
    size_t bl = strlen(base);
    if (bl && ds_is_dir(parent)) s = ds_list(parent, ds_keep_dir, &names, &n, err);
    for (int i = 0; i < n && !s; i++) {
        const char *e = names[i];
        size_t el = strlen(e), k = bl + 1;
        int ok = el >= bl + 4 && !strncmp(e, base, bl) && e[bl] == '_';
        for (; ok && k < el; k++) ok = isdigit((unsigned char)e[k]) != 0;
        if (!ok) continue;
        if (runs == RESULTS_MAX_RUNS) {
            s = err_set(err, LORAT_STATUS_FORMAT,
                        "%s holds more than %d run folders %s_NNN, more than lorat scores", parent,
                        RESULTS_MAX_RUNS, base);
            break;
        }
        char **nd = realloc(src->dirs, sizeof *nd * (size_t)(runs + 1));
        char *p = nd ? ds_path(parent, e) : NULL;
        if (nd) src->dirs = nd;
        if (!p) {
            s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            break;
        }
        src->dirs[runs++] = p;
        src->runs = runs;
    }
    ds_free_names(names, n);
    free(parent);
    return s;
}

lorat_status results_source_open(results_source *src, const char *dir, results_reader reader,
                                 lorat_error *err) {
    memset(src, 0, sizeof *src);
    src->reader = reader;
    if (ds_is_dir(dir)) {
        src->dirs = malloc(sizeof *src->dirs);
        if (!src->dirs || !(src->dirs[0] = ds_strdup(dir))) {
            free(src->dirs);
            src->dirs = NULL;
            return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        }
        src->runs = 1;
        static const char *vot[] = {"baseline", "longterm"};
        const int pysot = reader == RESULTS_READER_AUTO || reader == RESULTS_READER_PYSOT;
        for (int i = 0; i < 2 && pysot; i++)
            if (!src->vot && ds_has_dir(dir, vot[i]) && !(src->vot = ds_path(dir, vot[i]))) {
                results_source_free(src);
                return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            }
        return LORAT_STATUS_OK;
    }
    lorat_status s = LORAT_STATUS_OK;
    if (reader == RESULTS_READER_AUTO || reader == RESULTS_READER_PYTRACKING)
        s = run_folders(src, dir, err);
    if (!s && src->runs == 0)
        s = err_set(err, LORAT_STATUS_IO, "results folder %s does not exist%s", dir,
                    reader == RESULTS_READER_AUTO || reader == RESULTS_READER_PYTRACKING
                        ? " (nor pytracking's run folders beside it, <folder>_000, _001, ...)"
                        : "");
    if (s) results_source_free(src);
    return s;
}

const char *results_source_expects(const results_source *src) {
    switch (src->reader) {
    case RESULTS_READER_LORAT: return "<seq>.txt, <seq>/<seq>_001.txt or <seq>/<seq>.txt";
    case RESULTS_READER_PYSOT:
        return "<seq>.txt or <seq>/<seq>_001.txt, also under pysot's names (Jogging-1, "
               "jogging_1)";
    case RESULTS_READER_PYTRACKING: return "<seq>.txt";
    case RESULTS_READER_AUTO: break;
    }
    return "<seq>.txt or <seq>/<seq>_001.txt";
}

int results_source_has(const results_source *src, const char *name, const char *alias) {
    for (int k = 0; k < src->runs; k++) {
        found f;
        if (!find_in(src->dirs[k], src->reader, name, alias, &f)) return 0;
        free(f.path);
    }
    return 1;
}

/* ---- one sequence ------------------------------------------------------------------------- */

static lorat_status read_boxes(const char *path, int one_based, num_table *t, lorat_error *err) {
    lorat_status s = table_read(path, 4, 0, t, err);
    if (s) return s;
    double shift = one_based ? 1.0 : 0.0;
    for (int i = 0; i < t->rows; i++) { /* x,y,w,h -> x1,y1,x2,y2 in place */
        double *r = t->v + 4 * (size_t)i;
        r[0] -= shift;
        r[1] -= shift;
        r[2] += r[0];
        r[3] += r[1];
    }
    return LORAT_STATUS_OK;
}

void results_sequence_free(results_sequence *r) {
    if (!r) return;
    free(r->path);
    free(r->xyxy);
    memset(r, 0, sizeof *r);
}

/* The missing-file message: where it looked, and pysot's VOT folder when that is all there is. */
static lorat_status not_found(const results_source *src, const char *dir, const char *name,
                              lorat_error *err) {
    if (src->vot)
        return err_set(err, LORAT_STATUS_IO,
                       "no results for sequence %s in %s (looked for %s); %s holds pysot's VOT "
                       "output (reset-based runs, not one-pass results), which lorat eval does "
                       "not score: VOT is scored by the VOT toolkit through `lorat trax`",
                       name, dir, results_source_expects(src), src->vot);
    return err_set(err, LORAT_STATUS_IO,
                   "no results for sequence %s in %s (looked for %s.txt, %s/%s_001.txt and "
                   "%s/%s.txt)",
                   name, dir, name, name, name, name, name);
}

/* Every repetition of the sequence in one folder: the file found, and with the GOT-10k layout
 * each <stem>_NNN.txt beside it. */
static lorat_status read_in_dir(const results_source *src, const char *dir, const char *name,
                                const char *alias, int one_based, results_sequence *r,
                                lorat_error *err) {
    memset(r, 0, sizeof *r);
    found f;
    if (!find_in(dir, src->reader, name, alias, &f)) return not_found(src, dir, name, err);
    char *path = f.path;
    r->path = path;
    char **files = NULL;
    int nfiles = 0, runs = 1;
    lorat_status s = LORAT_STATUS_OK;
    char *folder = NULL;
    const char *used = f.stem[0] ? f.stem : NULL;
    if (used) {
        if (!(folder = ds_dirname(path)))
            return err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        if ((s = ds_list(folder, NULL, &files, &nfiles, err))) goto done;
        runs = 0;
        for (int i = 0; i < nfiles; i++) runs += results_run_number(files[i], used) >= 1;
        if (runs > RESULTS_MAX_RUNS) {
            s = err_set(err, LORAT_STATUS_FORMAT,
                        "%s holds %d repetitions (%s_NNN.txt), more than lorat scores (%d)", folder,
                        runs, used, RESULTS_MAX_RUNS);
            goto done;
        }
    }
    num_table *tabs = calloc((size_t)runs, sizeof *tabs);
    if (!tabs) {
        s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    if (!used) {
        s = read_boxes(path, one_based, &tabs[0], err);
    } else {
        int k = 0;
        for (int i = 0; i < nfiles && !s; i++) {
            if (results_run_number(files[i], used) < 1) continue;
            char *p = ds_path(folder, files[i]);
            s = p ? read_boxes(p, one_based, &tabs[k], err)
                  : err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            if (!s && k > 0 && tabs[k].rows != tabs[0].rows)
                s = err_set(err, LORAT_STATUS_FORMAT,
                            "%s has %d boxes but %s has %d: every repetition must cover the same "
                            "frames",
                            p, tabs[k].rows, path, tabs[0].rows);
            free(p);
            k++;
        }
    }
    if (!s) {
        r->runs = runs;
        r->length = tabs[0].rows;
        r->xyxy = malloc(sizeof(double) * 4 * (size_t)runs * (size_t)r->length);
        if (!r->xyxy) s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
        for (int k = 0; k < runs && !s; k++)
            memcpy(r->xyxy + 4 * (size_t)r->length * (size_t)k, tabs[k].v,
                   sizeof(double) * 4 * (size_t)r->length);
    }
    for (int k = 0; k < runs; k++) table_free(&tabs[k]);
    free(tabs);
done:
    ds_free_names(files, nfiles);
    free(folder);
    if (s) {
        err_prefix(err, "results of sequence %s", name);
        results_sequence_free(r);
    }
    return s;
}

lorat_status results_source_read(const results_source *src, const char *name, const char *alias,
                                 int one_based, results_sequence *r, lorat_error *err) {
    memset(r, 0, sizeof *r);
    lorat_status s = LORAT_STATUS_OK;
    for (int k = 0; k < src->runs && !s; k++) {
        results_sequence one;
        if ((s = read_in_dir(src, src->dirs[k], name, alias, one_based, &one, err))) {
            results_sequence_free(r);
            return s;
        }
        if (k == 0) {
            *r = one;
            continue;
        }
        /* pytracking's run folders: each adds its repetitions */
        if (one.length != r->length) {
            s = err_set(err, LORAT_STATUS_FORMAT,
                        "%s has %d boxes but %s has %d: every run must cover the same frames",
                        one.path, one.length, r->path, r->length);
        } else if (r->runs + one.runs > RESULTS_MAX_RUNS) {
            s = err_set(err, LORAT_STATUS_FORMAT, "more than %d runs of sequence %s",
                        RESULTS_MAX_RUNS, name);
        } else {
            size_t per = 4 * (size_t)r->length;
            double *nx = realloc(r->xyxy, sizeof(double) * per * (size_t)(r->runs + one.runs));
            if (!nx) {
                s = err_set(err, LORAT_STATUS_NO_MEMORY, "out of memory");
            } else {
                memcpy(nx + per * (size_t)r->runs, one.xyxy,
                       sizeof(double) * per * (size_t)one.runs);
                r->xyxy = nx;
                r->runs += one.runs;
            }
        }
        results_sequence_free(&one);
    }
    if (s) {
        err_prefix(err, "results of sequence %s", name);
        results_sequence_free(r);
    }
    return s;
}

lorat_status results_read_sequence(const char *dir, const char *name, const char *alias,
                                   int one_based, results_sequence *r, lorat_error *err) {
    results_source src;
    lorat_status s = results_source_open(&src, dir, RESULTS_READER_LORAT, err);
    if (s) {
        memset(r, 0, sizeof *r);
        return s;
    }
    s = results_source_read(&src, name, alias, one_based, r, err);
    results_source_free(&src);
    return s;
}
