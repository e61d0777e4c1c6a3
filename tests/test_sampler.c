/*
 * test_sampler.c — data/sampler: the plan is a pure function of (seed, epoch, index); datasets
 * get their weight's share of every epoch exactly; sequences go in full cycles (each once per
 * cycle, another order the next); the frame gap rule (z valid, x valid within ±max_gap and not
 * z unless nothing else is there; one-frame sequences give x = z); sampler_draw on `lorat synth`
 * data gives the files and boxes of the sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/sampler.h"
#include "data/synth.h"
#include "test.h"

static char tmpdir[64];

static void cleanup(void) {
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

/* A dataset with count sequences and no files: enough for sampler_plan. */
static dataset fake(int count) {
    dataset d;
    memset(&d, 0, sizeof d);
    d.kind = DATASET_CUSTOM;
    d.root = "fake";
    d.count = count;
    return d;
}

static void test_plan(void) {
    dataset a = fake(7), b = fake(13), c = fake(3);
    const dataset *ds[3] = {&a, &b, &c};
    double w[3] = {1.0, 3.0, 0.5};
    sampler s;
    lorat_error err;
    CHECK(sampler_init(&s, ds, w, 3, 900, 42, 100, &err) == LORAT_STATUS_OK, "init");
    /* 900 · (1, 3, 0.5)/4.5 = 200, 600, 100 */
    CHECK(s.per_epoch[0] == 200 && s.per_epoch[1] == 600 && s.per_epoch[2] == 100,
          "split %lld %lld %lld", (long long)s.per_epoch[0], (long long)s.per_epoch[1],
          (long long)s.per_epoch[2]);
    int bad_det = 0, bad_share = 0, bad_cycle = 0, differs_epoch = 0;
    /* Per epoch: exact shares. Over epochs: dataset c (3 sequences, 100 per epoch) goes in full
     * cycles: among its samples ordered by rank, each window of 3 aligned to k ≡ 0 mod 3 is a
     * permutation. Collect by (epoch, rank) through the inverse of the plan. */
    int *seq_of[3];
    for (int d = 0; d < 3; d++)
        seq_of[d] = malloc(sizeof(int) * 3 * 900);
    for (int e = 0; e < 3; e++) {
        int count[3] = {0, 0, 0};
        for (int i = 0; i < 900; i++) {
            int src, seq, src2, seq2;
            sampler_plan(&s, e, i, &src, &seq);
            sampler_plan(&s, e, i, &src2, &seq2);
            if (src != src2 || seq != seq2) bad_det++;
            if (seq < 0 || seq >= ds[src]->count) bad_cycle++;
            seq_of[src][e * s.per_epoch[src] + count[src]] =
                seq; /* order within epoch is irrelevant to the count check */
            count[src]++;
            int src0, seq0;
            sampler_plan(&s, e + 1, i, &src0, &seq0);
            if (src0 != src || seq0 != seq) differs_epoch++;
        }
        for (int d = 0; d < 3; d++)
            if (count[d] != s.per_epoch[d]) bad_share++;
    }
    CHECK(!bad_det, "plan not deterministic (%d)", bad_det);
    CHECK(!bad_share, "per-epoch shares differ from the split (%d)", bad_share);
    CHECK(!bad_cycle, "sequence out of range (%d)", bad_cycle);
    CHECK(differs_epoch > 600, "epochs should be planned differently (%d of 900 differ)",
          differs_epoch);
    /* Each sequence equally often over whole cycles: dataset a has 600 samples in 3 epochs,
     * 600 = 85 cycles of 7 + 5, so each sequence 85 or 86 times; dataset c 300 = 100 cycles. */
    for (int d = 0; d < 3; d++) {
        int n = (int)(3 * s.per_epoch[d]), cnt = ds[d]->count;
        int hist[16] = {0};
        for (int k = 0; k < n; k++)
            hist[seq_of[d][k]]++;
        int lo = n, hi = 0;
        for (int q = 0; q < cnt; q++) {
            if (hist[q] < lo) lo = hist[q];
            if (hist[q] > hi) hi = hist[q];
        }
        CHECK(hi - lo <= 1,
              "dataset %d: sequences drawn %d..%d times over %d samples (full cycles)", d, lo, hi,
              n);
    }
    for (int d = 0; d < 3; d++)
        free(seq_of[d]);

    /* Full cycles exactly: with one dataset and N = count, each epoch is one cycle, a permutation,
     * in another order per epoch. */
    sampler one;
    const dataset *only[1] = {&b};
    CHECK(sampler_init(&one, only, NULL, 1, 13, 5, 100, &err) == LORAT_STATUS_OK, "init one");
    int orders_differ = 0;
    int prev[13];
    for (int e = 0; e < 4; e++) {
        int seen[13] = {0}, order[13];
        for (int i = 0; i < 13; i++) {
            int src, seq;
            sampler_plan(&one, e, i, &src, &seq);
            seen[seq]++;
            order[i] = seq;
        }
        int perm = 1;
        for (int q = 0; q < 13; q++)
            perm &= seen[q] == 1;
        CHECK(perm, "epoch %d of a one-cycle epoch is not a permutation", e);
        if (e > 0 && memcmp(prev, order, sizeof order)) orders_differ++;
        memcpy(prev, order, sizeof order);
    }
    CHECK(orders_differ == 3, "cycles reshuffled (%d of 3 differ)", orders_differ);

    sampler other;
    CHECK(sampler_init(&other, ds, w, 3, 900, 43, 100, &err) == LORAT_STATUS_OK, "init other");
    int differ = 0;
    for (int i = 0; i < 900; i++) {
        int s1, q1, s2, q2;
        sampler_plan(&s, 0, i, &s1, &q1);
        sampler_plan(&other, 0, i, &s2, &q2);
        differ += s1 != s2 || q1 != q2;
    }
    CHECK(differ > 500, "another seed, another plan (%d of 900 differ)", differ);
    sampler_free(&other);

    /* Weighted random picks follow the weights. */
    rng r;
    sampler_sample_rng(&r, 1, 2, 3);
    int hist[3] = {0, 0, 0};
    for (int i = 0; i < 45000; i++) {
        int src, seq;
        sampler_pick_random(&s, &r, &src, &seq);
        hist[src]++;
    }
    CHECK(abs(hist[0] - 10000) < 500 && abs(hist[1] - 30000) < 700 && abs(hist[2] - 5000) < 400,
          "random picks by weight: %d %d %d (expect 10000 30000 5000)", hist[0], hist[1], hist[2]);

    CHECK(sampler_init(&other, ds, (double[]){1, 0, 1}, 3, 900, 1, 100, &err) ==
              LORAT_STATUS_BAD_INPUT,
          "weight 0 refused");
    CHECK(strstr(err.message, "weight") != NULL, "message: %s", err.message);
    sampler_free(&s);
    sampler_free(&one);
}

static void test_frames(void) {
    rng r;
    sampler_sample_rng(&r, 9, 0, 0);
    enum { N = 400 };
    uint8_t valid[N];
    int bad = 0, x_eq_z = 0, should_eq = 0, far = 0, draws = 0;
    int hist_dx[201] = {0};
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)(rng_next(&r) % N);
        float p = rng_uniform(&r);
        for (int i = 0; i < n; i++)
            valid[i] = rng_uniform(&r) < p;
        int any = 0;
        for (int i = 0; i < n; i++)
            any |= valid[i];
        for (int rep = 0; rep < 50; rep++) {
            int z = -1, x = -1, gap = 100;
            int ok = sampler_pick_frames(valid, n, gap, &r, &z, &x);
            if (ok != any) {
                bad++;
                continue;
            }
            if (!ok) continue;
            draws++;
            if (!valid[z] || !valid[x] || x - z > gap || z - x > gap) bad++;
            int others = 0;
            for (int i = z - gap; i <= z + gap; i++)
                if (i >= 0 && i < n && i != z && valid[i]) others++;
            if (x == z) {
                x_eq_z++;
                if (others) bad++;
            } else if (!others) {
                bad++;
            }
            if (!others) should_eq++;
            if (abs(x - z) > 90) far++;
            if (n == N && p > 0.99f) hist_dx[x - z + 100]++;
        }
    }
    CHECK(!bad, "%d draws break the gap rule", bad);
    CHECK(x_eq_z == should_eq, "x = z only when no other valid frame is near (%d vs %d)", x_eq_z,
          should_eq);
    CHECK(far > 0, "gaps near 100 are drawn (%d)", far);
    CHECK(draws > 5000, "draws %d", draws);
    /* One frame (a detection image): x = z = 0. No valid frame: refused. */
    uint8_t one = 1, none[3] = {0, 0, 0};
    int z = -1, x = -1;
    CHECK(sampler_pick_frames(&one, 1, 100, &r, &z, &x) == 1 && z == 0 && x == 0,
          "single frame z=%d x=%d", z, x);
    CHECK(sampler_pick_frames(none, 3, 100, &r, &z, &x) == 0, "no valid frame");
    /* Gap 0 always gives x = z. */
    uint8_t all[5] = {1, 1, 1, 1, 1};
    CHECK(sampler_pick_frames(all, 5, 0, &r, &z, &x) == 1 && x == z, "gap 0");
}

static void test_draw(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lorat-sampler.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "mkdtemp");
        tmpdir[0] = 0;
        return;
    }
    atexit(cleanup);
    synth_params p;
    synth_params_default(&p);
    p.sequences = 4;
    p.frames = 25;
    p.seed = 11;
    lorat_error err;
    CHECK(synth_write(tmpdir, &p, 0, &err) == LORAT_STATUS_OK, "synth: %s", err.message);
    dataset ds;
    CHECK(dataset_open(&ds, DATASET_CUSTOM, tmpdir, NULL, &err) == LORAT_STATUS_OK, "open: %s",
          err.message);
    const dataset *dss[1] = {&ds};
    sampler s;
    CHECK(sampler_init(&s, dss, NULL, 1, 64, 3, 5, &err) == LORAT_STATUS_OK, "init");
    int bad = 0;
    for (int i = 0; i < 64; i++) {
        rng r1, r2;
        sampler_sample_rng(&r1, s.seed, 0, i);
        sampler_sample_rng(&r2, s.seed, 0, i);
        sampler_pair a, b;
        int ok1, ok2;
        lorat_status st1 = sampler_draw(&s, 0, i, 0, &r1, &a, &ok1, &err);
        lorat_status st2 = sampler_draw(&s, 0, i, 0, &r2, &b, &ok2, &err);
        if (st1 || st2 || !ok1 || !ok2) {
            bad++;
            continue;
        }
        if (a.z_frame != b.z_frame || a.x_frame != b.x_frame || strcmp(a.x_path, b.x_path)) bad++;
        if (abs(a.x_frame - a.z_frame) > 5) bad++;
        if (access(a.z_path, R_OK) || access(a.x_path, R_OK)) bad++;
        dataset_sequence seq;
        if (dataset_load(&ds, a.sequence, 0, &seq, &err)) {
            bad++;
            continue;
        }
        if (memcmp(a.z_box, seq.gt + 4 * a.z_frame, sizeof a.z_box) || !seq.valid[a.z_frame] ||
            !seq.valid[a.x_frame])
            bad++;
        char want[32];
        snprintf(want, sizeof want, "/%08d.jpg", a.x_frame + 1);
        if (!strstr(a.x_path, want)) bad++;
        dataset_sequence_free(&seq);
    }
    CHECK(!bad, "%d draws wrong (paths, boxes, gap 5, determinism)", bad);
    sampler_free(&s);
    dataset_free(&ds);
}

int main(void) {
    test_plan();
    test_frames();
    test_draw();
    return test_finish();
}
