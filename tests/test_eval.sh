# test_eval.sh — `lorat eval --results` end to end: small datasets in the LaSOT, GOT-10k, OTB and
# TrackingNet layouts with result files, written here by Python; the table and the JSON; the
# scores against an independent numpy version of the paper protocol; every protocol on the same
# files; and bad input (missing sequences, too few lines, NaN, ragged rows, missing ground truth,
# a test split, --model), each failing cleanly with a message that names the sequence and line.
. "$(dirname "$0")/lib.sh"

"$PYTHON" - "$TMP" <<'PY'
import os, sys
import numpy as np
T = sys.argv[1]
rng = np.random.default_rng(7)

def put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

def rows(b, fmt="%g"):
    return "".join(",".join(fmt % v for v in r) + "\n" for r in b)

def track(gt, noise, far):
    """Predictions: the GT with noise, some frames far off, frame 0 = the init box."""
    p = gt + rng.normal(0, noise, gt.shape)
    p[:, 2:] = np.maximum(p[:, 2:], 1)
    for i in rng.choice(np.arange(1, len(gt)), far, replace=False):
        p[i, :2] += 200
    p[0] = gt[0]
    return p

def walk(n):
    g = np.zeros((n, 4))
    g[0] = [rng.integers(20, 200), rng.integers(20, 200), rng.integers(20, 80), rng.integers(20, 80)]
    for i in range(1, n):
        g[i] = g[i - 1] + [rng.integers(-3, 4), rng.integers(-3, 4), rng.integers(-1, 2), rng.integers(-1, 2)]
        g[i, 2:] = np.maximum(g[i, 2:], 8)
    return g

# LaSOT: 1-based integer GT, flags; results 1-based too (as the official raw results)
names = ["cat-1", "cat-2", "dog-1"]
with open(f"{T}/lasot_expect.txt", "w") as ex:
    for k, name in enumerate(names):
        n = 40 + 10 * k
        g = walk(n)
        occ = (rng.random(n) < 0.1).astype(int); occ[0] = 0
        oov = np.zeros(n, int)
        d = f"{T}/lasot/{name.split('-')[0]}/{name}"
        put(f"{d}/groundtruth.txt", rows(g.astype(int), "%d"))
        put(f"{d}/full_occlusion.txt", ",".join(map(str, occ)))
        put(f"{d}/out_of_view.txt", ",".join(map(str, oov)))
        p = track(g, 3.0, 5)
        put(f"{T}/res_lasot/{name}.txt", rows(p, "%.3f").replace(",", "\t"))
        # independent paper protocol (pytracking rules, LaSOT: invisible frames fail everything)
        pr = np.array([[float(v) for v in l.split("\t")] for l in open(f"{T}/res_lasot/{name}.txt")])
        gt = g.astype(float)
        vis = ~(occ.astype(bool) | oov.astype(bool))
        valid = (gt[:, 2] > 0) & (gt[:, 3] > 0) & vis
        tl = np.maximum(pr[:, :2], gt[:, :2])
        br = np.minimum(pr[:, :2] + pr[:, 2:] - 1, gt[:, :2] + gt[:, 2:] - 1)
        sz = np.clip(br - tl + 1, 0, None)
        inter = sz.prod(1)
        iou = inter / (pr[:, 2:].prod(1) + gt[:, 2:].prod(1) - inter)
        pc = pr[:, :2] + 0.5 * (pr[:, 2:] - 1); gc = gt[:, :2] + 0.5 * (gt[:, 2:] - 1)
        err = np.sqrt(((pc - gc) ** 2).sum(1))
        nerr = np.sqrt(((pc / gt[:, 2:] - gc / gt[:, 2:]) ** 2).sum(1))
        iou[~valid] = -1; err[~valid] = np.inf; nerr[~valid] = -1
        err[~vis] = np.inf; nerr[~vis] = np.inf
        s = ((iou[:, None] > np.linspace(0, 1, 21)[None]).sum(0) / n).astype(np.float32)
        pp = ((err[:, None] <= np.arange(51)[None]).sum(0) / n).astype(np.float32)
        npp = ((nerr[:, None] <= (np.arange(51) / 100)[None]).sum(0) / n).astype(np.float32)
        ex.write(f"{name} {np.mean(s)} {pp[20]} {npp[20]}\n")
put(f"{T}/lasot/testing_set.txt", "\n".join(names) + "\n")

# GOT-10k val layout (also the custom layout): labels, meta_info.ini; results in <seq>/<seq>_001.txt
for k in range(3):
    name = "GOT-10k_Val_%06d" % (k + 1)
    n = 30
    g = walk(n) + rng.random((n, 4)).round(4)
    d = f"{T}/got10k/val/{name}"
    put(f"{d}/groundtruth.txt", rows(g, "%.4f"))
    cover = rng.integers(0, 9, n); cover[0] = 8
    put(f"{d}/absence.label", rows((cover == 0).astype(int)[:, None], "%d"))
    put(f"{d}/cover.label", rows(cover[:, None], "%d"))
    put(f"{d}/cut_by_image.label", rows(np.zeros((n, 1), int), "%d"))
    put(f"{d}/meta_info.ini", "[METAINFO]\nanno_fps: 10Hz\nresolution: (320, 240)\n")
    put(f"{T}/res_got/{name}/{name}_001.txt", rows(track(g, 2.0, 3), "%.4f"))
put(f"{T}/got10k/val/list.txt", "\n".join("GOT-10k_Val_%06d" % (k + 1) for k in range(3)) + "\n")
put(f"{T}/got10k/test/list.txt", "GOT-10k_Test_000001\n")
put(f"{T}/got10k/test/GOT-10k_Test_000001/groundtruth.txt", "1,2,3,4\n")
for i in range(1, 4):
    put(f"{T}/got10k/test/GOT-10k_Test_000001/%08d.jpg" % i, "")
put(f"{T}/res_gottest/GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt", "1,2,3,4\n" * 3)

# OTB with a two-target folder; results under the got10k toolkit's names for one of them
for name, files in [("Car4", ["groundtruth_rect.txt"]), ("Jogging", ["groundtruth_rect.1.txt", "groundtruth_rect.2.txt"])]:
    for f in files:
        g = walk(25)
        put(f"{T}/otb/{name}/{f}", rows(g.astype(int), "%d").replace(",", "\t", 1))
        seq = name if f == "groundtruth_rect.txt" else name + ("_1" if ".1." in f else ".2")
        put(f"{T}/res_otb/{seq}.txt", rows(track(g, 2.0, 2), "%.2f").replace(",", " "))

# TrackingNet TRAIN chunk (full GT) for scoring
g = walk(20)
put(f"{T}/tn/TRAIN_0/anno/abc_0.txt", rows(g, "%.2f"))
put(f"{T}/res_tn/abc_0.txt", rows(track(g, 1.5, 2), "%.2f"))
PY
[ $? -eq 0 ] && pass || fail "python wrote the datasets"

# capture "description" FILE command...: like check, keeping the command's stdout in FILE.
capture() {
    local what=$1 out=$2
    shift 2
    if "$@" >"$out" 2>"$TMP/stderr.log"; then pass; else fail "$what"; cat "$TMP/stderr.log" >&2; fi
}

L="$LORAT eval --results $TMP/res_lasot --dataset lasot --root $TMP/lasot"

capture "table" "$TMP/table.txt" $L
check "table has the columns" grep -q "SUC.*P_norm.*P" "$TMP/table.txt"
capture "per-sequence rows" "$TMP/table.txt" $L --per-sequence
check "per-sequence row" grep -q "^dog-1 " "$TMP/table.txt"

# JSON: exactly one object, the keys, and the scores of the independent numpy version
capture "json" "$TMP/lasot.json" $L --json
check "json keys and values" "$PYTHON" - "$TMP/lasot.json" "$TMP/lasot_expect.txt" <<'PY'
import json, sys, math
text = open(sys.argv[1]).read()
assert text.count("\n") == 1, "exactly one line"
d = json.loads(text)
assert set(d) == {"dataset", "protocol", "overall", "sequences"}, d.keys()
assert d["dataset"] == "lasot" and d["protocol"] == "paper"
keys = {"success_auc", "precision", "norm_precision", "ao", "sr50", "sr75",
        "success_curve", "precision_curve", "norm_precision_curve"}
for r in [d["overall"]] + list(d["sequences"].values()):
    assert set(r) == keys, r.keys()
    assert r["ao"] is None
    assert len(r["success_curve"]) == 21 and len(r["precision_curve"]) == 51
    for k in ["success_auc", "precision", "norm_precision", "sr50", "sr75"]:
        assert 0 <= r[k] <= 1
means = [0, 0, 0]
for line in open(sys.argv[2]):
    name, suc, p, pn = line.split()
    r = d["sequences"][name]
    for got, want in [(r["success_auc"], suc), (r["precision"], p), (r["norm_precision"], pn)]:
        assert abs(got - float(want)) < 1e-6, (name, got, want)
    means = [m + float(v) / 3 for m, v in zip(means, [suc, p, pn])]
o = d["overall"]
for got, want in zip([o["success_auc"], o["precision"], o["norm_precision"]], means):
    assert abs(got - want) < 1e-6, (got, want)
PY

# every protocol runs on the same files and gives every key
for p in paper got10k lasot_toolkit trackingnet; do
    capture "protocol $p" "$TMP/out.json" $L --protocol $p --json
    check "protocol $p: keys" "$PYTHON" -c "
import json,sys; d=json.load(open('$TMP/out.json'))
assert d['protocol']=='$p'; o=d['overall']
n={'paper':(21,51,51),'got10k':(21,51,51),'lasot_toolkit':(21,51,51),'trackingnet':(21,21,21)}['$p']
assert (len(o['success_curve']),len(o['precision_curve']),len(o['norm_precision_curve']))==n
assert all(0<=o[k]<=1 for k in ['success_auc','precision','norm_precision'])"
done

# the 1-based convention: the LaSOT GT itself as results is perfect
mkdir -p "$TMP/res_perfect"
for s in cat-1 cat-2 dog-1; do cp "$TMP/lasot/${s%-*}/$s/groundtruth.txt" "$TMP/res_perfect/$s.txt"; done
capture "perfect results" "$TMP/out.json" "$LORAT" eval --results "$TMP/res_perfect" --dataset lasot --root "$TMP/lasot" --protocol got10k --json
check "perfect results score 1" "$PYTHON" -c "
import json; o=json.load(open('$TMP/out.json'))['overall']
assert abs(o['precision']-1)<1e-12 and abs(o['success_curve'][19]-1)<1e-12, o"

# results longer than the ground truth are cut to it (LaSOT monkey-17), as the toolkits do
mkdir -p "$TMP/res_long" && cp "$TMP"/res_lasot/*.txt "$TMP/res_long/"
printf '1\t1\t5\t5\n1\t1\t5\t5\n' >> "$TMP/res_long/cat-1.txt"
capture "longer results" "$TMP/long.json" "$LORAT" eval --results "$TMP/res_long" --dataset lasot --root "$TMP/lasot" --json
check "longer results: same scores" cmp "$TMP/long.json" "$TMP/lasot.json"

# GOT-10k val: paper and got10k_ao (AO/SR shown); results in the GOT-10k layout
G="$LORAT eval --results $TMP/res_got --dataset got10k --root $TMP/got10k --split val"
capture "got10k table" "$TMP/table.txt" $G
check "AO column for GOT-10k" grep -q "AO.*SR0.5.*SR0.75" "$TMP/table.txt"
capture "got10k_ao" "$TMP/out.json" $G --protocol got10k_ao --json
check "got10k_ao values" "$PYTHON" -c "
import json; o=json.load(open('$TMP/out.json'))['overall']
assert len(o['success_curve'])==101 and 0<=o['ao']<=1 and 0<=o['sr50']<=1 and 0<=o['sr75']<=1, o"
check "custom layout = GOT-10k val folder" "$LORAT" eval --results "$TMP/res_got" --dataset custom --root "$TMP/got10k/val" --json

# the custom layout as `lorat synth` writes it; its own ground truth as results is perfect
check "synth" "$LORAT" synth --out "$TMP/synth" --sequences 2 --frames 5 --seed 3
mkdir -p "$TMP/res_synth"
for s in $(cat "$TMP/synth/list.txt"); do cp "$TMP/synth/$s/groundtruth.txt" "$TMP/res_synth/$s.txt"; done
capture "custom (synth)" "$TMP/out.json" "$LORAT" eval --results "$TMP/res_synth" --dataset custom --root "$TMP/synth" --protocol got10k_ao --json
check "custom (synth): perfect" "$PYTHON" -c "
import json; d=json.load(open('$TMP/out.json')); o=d['overall']
assert len(d['sequences'])==2 and abs(o['ao']-1)<1e-12 and abs(o['precision']-1)<1e-12, o"

# OTB (tabs and spaces, got10k toolkit's name Jogging.2.txt), TrackingNet
capture "otb" "$TMP/out.json" "$LORAT" eval --results "$TMP/res_otb" --dataset otb --root "$TMP/otb" --json
check "otb: three targets" "$PYTHON" -c "
import json; d=json.load(open('$TMP/out.json')); assert sorted(d['sequences'])==['Car4','Jogging_1','Jogging_2'], d['sequences'].keys()"
check "trackingnet train" "$LORAT" eval --results "$TMP/res_tn" --dataset trackingnet --root "$TMP/tn" --split train --protocol trackingnet

# bad input
mkdir -p "$TMP/res_partial"
cp "$TMP/res_lasot/cat-1.txt" "$TMP/res_partial/"
check_error "results folder lacking sequences" "lacks 2 of the 3 LaSOT sequences: cat-2, dog-1" \
    "$LORAT" eval --results "$TMP/res_partial" --dataset lasot --root "$TMP/lasot"
mkdir -p "$TMP/res_short" && cp "$TMP"/res_lasot/*.txt "$TMP/res_short/"
head -n 7 "$TMP/res_lasot/cat-2.txt" > "$TMP/res_short/cat-2.txt"
check_error "too few lines" "cat-2.txt has 7 boxes but sequence cat-2 has 50 ground-truth lines: line 8" \
    "$LORAT" eval --results "$TMP/res_short" --dataset lasot --root "$TMP/lasot"
mkdir -p "$TMP/res_nan" && cp "$TMP"/res_lasot/*.txt "$TMP/res_nan/"
sed -i '5s/.*/1\tnan\t3\t4/' "$TMP/res_nan/dog-1.txt"
check_error "NaN in results" "dog-1.txt:5" "$LORAT" eval --results "$TMP/res_nan" --dataset lasot --root "$TMP/lasot"
check_error "NaN names the sequence" "sequence dog-1" "$LORAT" eval --results "$TMP/res_nan" --dataset lasot --root "$TMP/lasot"
mkdir -p "$TMP/res_ragged" && cp "$TMP"/res_lasot/*.txt "$TMP/res_ragged/"
sed -i '3s/.*/1\t2\t3/' "$TMP/res_ragged/cat-1.txt"
check_error "ragged results" "cat-1.txt:3: 3 values, expected 4" "$LORAT" eval --results "$TMP/res_ragged" --dataset lasot --root "$TMP/lasot"
cp -r "$TMP/lasot" "$TMP/lasot_nogt" && rm "$TMP/lasot_nogt/cat/cat-2/groundtruth.txt"
check_error "missing groundtruth" "cat-2/groundtruth.txt" "$LORAT" eval --results "$TMP/res_lasot" --dataset lasot --root "$TMP/lasot_nogt"
cp -r "$TMP/lasot" "$TMP/lasot_ragged" && sed -i '4s/.*/1,2,3/' "$TMP/lasot_ragged/dog/dog-1/groundtruth.txt"
check_error "ragged groundtruth" "dog-1/groundtruth.txt:4: 3 values, expected 4" "$LORAT" eval --results "$TMP/res_lasot" --dataset lasot --root "$TMP/lasot_ragged"
check_error "GOT-10k test split" "first frame only" "$LORAT" eval --results "$TMP/res_gottest" --dataset got10k --root "$TMP/got10k"
check_error "missing results folder" "no-such-dir" "$LORAT" eval --results "$TMP/no-such-dir" --dataset lasot --root "$TMP/lasot"
check_error "unknown protocol" "unknown protocol 'vot'" $L --protocol vot
check_error "unknown dataset" "unknown dataset 'vot2020'" "$LORAT" eval --results "$TMP/res_lasot" --dataset vot2020 --root "$TMP/lasot"
check_error "dataset without a split" "one split" "$LORAT" eval --results "$TMP/res_otb" --dataset otb --root "$TMP/otb" --split val
check_error "missing --root" "--root DIR is required" "$LORAT" eval --results "$TMP/res_lasot" --dataset lasot
check_error "--model with a missing model file" "m.safetensors: cannot open" "$LORAT" eval --model m.safetensors --dataset lasot --root "$TMP/lasot" --out "$TMP/unused"
"$LORAT" eval --model m.safetensors --dataset lasot --root "$TMP/lasot" >/dev/null 2>&1
[ $? -eq 1 ] && pass || fail "--model exits 1"

finish
