# test_toolkits.sh — the toolkits' conventions in `lorat eval --results`:
#  1. --protocol got10k on GOT-10k is the got10k toolkit's ExperimentGOT10k: AO, SR0.5, SR0.75 of a
#     hand-made val set, equal to the fractions its formula gives (worked out below), the same
#     as --protocol got10k_ao, and the same on the custom layout of the same folders;
#  2. result folders as pysot writes them (results/<dataset>/<model>: comma files, its OTB names,
#     GOT-10k's <seq>/<seq>_001.txt, VOT baseline/ folders not taken for one-pass results);
#  3. result folders as pytracking writes them (<tracker>/<param>: tab-separated integers,
#     <seq>_time.txt beside, run folders <param>_000, _001 as repetitions);
#  each scored exactly as the same boxes in lorat's own layout.
. "$(dirname "$0")/lib.sh"

"$PYTHON" - "$TMP" <<'PY'
import os, sys
T = sys.argv[1]

def put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

def rows(b, sep=",", fmt="%g"):
    return "".join(sep.join(fmt % v for v in r) + "\n" for r in b)

# 1. GOT-10k val, 100x100 images. The case of test_metrics.c's test_got10k_experiment:
#   A: GT (10,10,20,20) but frame 3's (90,10,20,20) runs past the right edge; predictions: frame 0
#      off the target (the toolkit drops frame 0), the GT (IoU 1), (10,10,20,10) (0.5),
#      (80,10,20,20) (0.5 once both are clipped to the image), off on frame 4 whose cover is 0.
#   B: GT (0,0,40,10); run 1: (0,0,30,10) 0.75, (0,0,35,10) 0.875, (0,0,10,10) 0.25 on frame 3,
#      which absence.label flags but cover.label keeps (the toolkit reads cover only); run 2: the
#      GT 1, far off 0, (0,0,20,10) 0.5.
#   The toolkit concatenates every repetition's IoUs of frames 1.. with cover > 0 over all
#   sequences: 9 IoUs summing to 5.375, so AO = 43/72, SR0.5 = mean(IoU > 0.5) = 4/9, SR0.75 = 3/9.
meta = "[METAINFO]\nurl: x\nanno_fps: 10Hz\nresolution: (100, 100)\n"
A = "GOT-10k_Val_000001"
B = "GOT-10k_Val_000002"
gA = [(10, 10, 20, 20)] * 3 + [(90, 10, 20, 20), (10, 10, 20, 20)]
pA = [(70, 70, 10, 10), (10, 10, 20, 20), (10, 10, 20, 10), (80, 10, 20, 20), (70, 70, 10, 10)]
gB = [(0, 0, 40, 10)] * 4
pB1 = [(0, 0, 40, 10), (0, 0, 30, 10), (0, 0, 35, 10), (0, 0, 10, 10)]
pB2 = [(0, 0, 40, 10), (0, 0, 40, 10), (60, 60, 10, 10), (0, 0, 20, 10)]
for name, g, cover, absence in [(A, gA, [8, 8, 8, 8, 0], [0, 0, 0, 0, 1]), (B, gB, [8, 8, 8, 1], [0, 0, 0, 1])]:
    d = f"{T}/got10k/val/{name}"
    put(f"{d}/groundtruth.txt", rows(g))
    put(f"{d}/cover.label", "".join(f"{c}\n" for c in cover))
    put(f"{d}/absence.label", "".join(f"{c}\n" for c in absence))
    put(f"{d}/cut_by_image.label", "0\n" * len(g))
    put(f"{d}/meta_info.ini", meta)
put(f"{T}/got10k/val/list.txt", f"{A}\n{B}\n")
put(f"{T}/res_got/{A}/{A}_001.txt", rows(pA, fmt="%.3f"))
put(f"{T}/res_got/{B}/{B}_001.txt", rows(pB1, fmt="%.3f"))
put(f"{T}/res_got/{B}/{B}_002.txt", rows(pB2, fmt="%.3f"))
put(f"{T}/res_got/{B}/{B}_time.txt", "0.01,0.01\n" * 4)

# 2. pysot. OTB with a two-target folder and FleetFace; the lorat layout holds the reference.
def walk(n, x, y):
    return [(x + 2 * i, y + i, 30 + (i % 3), 20 + (i % 2)) for i in range(n)]

otb = {"Car4": ["groundtruth_rect.txt"], "Jogging": ["groundtruth_rect.1.txt", "groundtruth_rect.2.txt"],
       "FleetFace": ["groundtruth_rect.txt"]}
pysot_names = {"Car4": "Car4", "Jogging_1": "Jogging-1", "Jogging_2": "jogging_2", "FleetFace": "fleetface"}
k = 0
for seq, files in otb.items():
    for f in files:
        k += 1
        g = walk(12, 10 * k, 5 * k)
        put(f"{T}/otb/{seq}/{f}", rows(g).replace(",", "\t", 1))
        name = seq if f == "groundtruth_rect.txt" else seq + ("_1" if ".1." in f else "_2")
        p = [(x + (i % 4) * 1.37, y - (i % 3) * 0.61, w + 0.1 * i, h) for i, (x, y, w, h) in enumerate(g)]
        # pysot: ','.join(str(float)), full precision; the reference: the same numbers
        put(f"{T}/pysot/results/OTB100/siamrpn/{pysot_names[name]}.txt",
            "".join(",".join(str(float(v)) for v in r) + "\n" for r in p))
        put(f"{T}/ref_otb/{name}.txt", "".join(",".join(repr(float(v)) for v in r) + "\n" for r in p))
# pysot's GOT-10k files: <seq>/<seq>_001.txt and <seq>_time.txt ("{:.6f}")
put(f"{T}/pysot/results/GOT-10k/siamrpn/{A}/{A}_001.txt", rows(pA, fmt="%r"))
put(f"{T}/pysot/results/GOT-10k/siamrpn/{A}/{A}_time.txt", "0.010000\n" * 5)
put(f"{T}/pysot/results/GOT-10k/siamrpn/{B}/{B}_001.txt", rows(pB1, fmt="%r"))
put(f"{T}/ref_got1/{A}/{A}_001.txt", rows(pA))
put(f"{T}/ref_got1/{B}/{B}_001.txt", rows(pB1))
# pysot's VOT output: baseline/<seq>/<seq>_001.txt with 1 (init), boxes, 2 (failure), 0 (skipped)
put(f"{T}/pysot/results/VOT2018/siamrpn/baseline/Car4/Car4_001.txt", "1\n10,5,30,20\n2\n0\n")

# 3. pytracking: LaSOT (1-based files), <tracker>/<param>/<seq>.txt, "%d" tab-separated, times
lasot = {"cat-1": walk(15, 20, 30), "dog-2": walk(18, 50, 40)}
for seq, g in lasot.items():
    d = f"{T}/lasot/{seq.split('-')[0]}/{seq}"
    put(f"{d}/groundtruth.txt", rows(g))
    put(f"{d}/full_occlusion.txt", ",".join("0" for _ in g))
    put(f"{d}/out_of_view.txt", ",".join("1" if i == 5 else "0" for i in range(len(g))))
    for run, shift in [(0, 1), (1, 3)]:
        p = [(x + (i * shift) % 5, y - (i % 2) * shift, w + (i % 3), h) for i, (x, y, w, h) in enumerate(g)]
        p = [tuple(int(v) for v in r) for r in p]  # pytracking writes astype(int), "%d"
        put(f"{T}/pyt/dimp/dimp50_{run:03d}/{seq}.txt", rows(p, "\t", "%d"))
        put(f"{T}/pyt/dimp/dimp50_{run:03d}/{seq}_time.txt", "0.020000\n" * len(g))
        put(f"{T}/ref_lasot_{run}/{seq}.txt", rows(p))
put(f"{T}/lasot/testing_set.txt", "cat-1\ndog-2\n")
# pytracking on GOT-10k: flat <seq>.txt in the parameter folder
put(f"{T}/pyt/dimp/dimp50_got/{A}.txt", rows(pA, "\t", "%d"))
put(f"{T}/pyt/dimp/dimp50_got/{A}_time.txt", "0.01\n" * 5)
put(f"{T}/pyt/dimp/dimp50_got/{B}.txt", rows(pB1, "\t", "%d"))
PY
[ $? -eq 0 ] && pass || fail "python wrote the datasets and results"

# json FILE command...: runs `lorat eval ... --json`, keeping its one line in FILE
json() {
    local out=$1
    shift
    if "$@" --json >"$out" 2>"$TMP/stderr.log"; then pass; else fail "$*"; cat "$TMP/stderr.log" >&2; fi
}
# same A B: the two JSON files hold the same scores (every key but "protocol")
same() {
    "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("protocol"); b.pop("protocol")
assert a == b, (a["overall"], b["overall"])
PY
}

# ---- 1. GOT-10k: the toolkit's AO / SR ------------------------------------------------------
G="$LORAT eval --results $TMP/res_got --dataset got10k --root $TMP/got10k --split val"
json "$TMP/g.json" $G --protocol got10k
check "got10k on GOT-10k: AO 43/72, SR0.5 4/9, SR0.75 3/9 exactly" "$PYTHON" - "$TMP/g.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o, s = d["overall"], d["sequences"]
assert d["protocol"] == "got10k", d["protocol"]
assert o["ao"] == 43 / 72 and o["sr50"] == 4 / 9 and o["sr75"] == 3 / 9, o
assert len(o["success_curve"]) == 101 and o["success_curve"][50] == 4 / 9, o["success_curve"][50]
# seq_wise: A's three counted IoUs 1, 0.5, 0.5; B's six 0.75, 0.875, 0.25, 1, 0, 0.5
assert s["GOT-10k_Val_000001"]["ao"] == 2 / 3 and s["GOT-10k_Val_000002"]["ao"] == 3.375 / 6, s
PY
json "$TMP/gao.json" $G --protocol got10k_ao
check "got10k_ao (kept as a name) gives the same" same "$TMP/g.json" "$TMP/gao.json"
capture_table() { "$@" >"$TMP/table.txt" 2>&1; }
check "the table" capture_table $G --protocol got10k
check "the table shows AO 59.72, SR0.5 44.44, SR0.75 33.33" grep -Eq "^overall +[0-9.]+ +[0-9.]+ +[0-9.]+ +59\.72 +44\.44 +33\.33$" "$TMP/table.txt"
check "the table names the experiment" grep -q "protocol got10k (the got10k toolkit's GOT-10k experiment" "$TMP/table.txt"
json "$TMP/gc.json" "$LORAT" eval --results "$TMP/res_got" --dataset custom --root "$TMP/got10k/val" --protocol got10k
check "custom (GOT-10k's layout): the same" "$PYTHON" -c "
import json; a, b = (json.load(open(f)) for f in ('$TMP/g.json', '$TMP/gc.json'))
assert a['overall'] == b['overall'] and a['sequences'] == b['sequences'] and b['dataset'] == 'custom'"
json "$TMP/gp.json" $G --protocol paper
check "the paper protocol has no AO and other SR0.5 (frame 0, per-sequence mean)" "$PYTHON" -c "
import json; o = json.load(open('$TMP/gp.json'))['overall']
assert o['ao'] is None and o['sr50'] != 4 / 9, o"

# ---- 2. pysot ----------------------------------------------------------------------------------
O="--dataset otb --root $TMP/otb"
json "$TMP/otb_ref.json" "$LORAT" eval --results "$TMP/ref_otb" $O --results-layout lorat
for layout in pysot auto; do
    json "$TMP/otb_pysot.json" "$LORAT" eval --results "$TMP/pysot/results/OTB100/siamrpn" $O --results-layout $layout
    check "pysot OTB files (Jogging-1, jogging_2, fleetface), layout $layout: the reference's scores" \
        same "$TMP/otb_ref.json" "$TMP/otb_pysot.json"
done
check_error "pysot's names are not lorat's" "lacks 3 of the 4 OTB100 sequences: FleetFace, Jogging_1, Jogging_2" \
    "$LORAT" eval --results "$TMP/pysot/results/OTB100/siamrpn" $O --results-layout lorat
G1="--dataset got10k --root $TMP/got10k --split val --protocol got10k"
json "$TMP/got_ref1.json" "$LORAT" eval --results "$TMP/ref_got1" $G1
json "$TMP/got_pysot.json" "$LORAT" eval --results "$TMP/pysot/results/GOT-10k/siamrpn" $G1 --results-layout pysot
check "pysot GOT-10k files (<seq>/<seq>_001.txt, _time.txt)" same "$TMP/got_ref1.json" "$TMP/got_pysot.json"
check_error "pysot's VOT baseline folder is not read as one-pass results" "baseline holds pysot's VOT output" \
    "$LORAT" eval --results "$TMP/pysot/results/VOT2018/siamrpn" $O --results-layout pysot
check_error "... nor in auto" "pysot's VOT output" \
    "$LORAT" eval --results "$TMP/pysot/results/VOT2018/siamrpn" $O

# ---- 3. pytracking -----------------------------------------------------------------------------
L="--dataset lasot --root $TMP/lasot"
for run in 0 1; do
    json "$TMP/l_ref$run.json" "$LORAT" eval --results "$TMP/ref_lasot_$run" $L --results-layout lorat
    json "$TMP/l_pyt$run.json" "$LORAT" eval --results "$TMP/pyt/dimp/dimp50_00$run" $L --results-layout pytracking
    check "pytracking run $run (tabs, %d, <seq>_time.txt beside): the reference's scores" \
        same "$TMP/l_ref$run.json" "$TMP/l_pyt$run.json"
done
for layout in pytracking auto; do
    json "$TMP/l_runs.json" "$LORAT" eval --results "$TMP/pyt/dimp/dimp50" $L --results-layout $layout
    check "pytracking's run folders dimp50_000, dimp50_001 as two runs ($layout): curves averaged" \
        "$PYTHON" - "$TMP/l_runs.json" "$TMP/l_ref0.json" "$TMP/l_ref1.json" <<'PY'
import json, sys
r, a, b = (json.load(open(f)) for f in sys.argv[1:4])
for k in ["success_curve", "precision_curve", "norm_precision_curve"]:
    for seq in r["sequences"]:
        want = [(x + y) / 2 for x, y in zip(a["sequences"][seq][k], b["sequences"][seq][k])]
        assert all(abs(x - y) < 1e-12 for x, y in zip(r["sequences"][seq][k], want)), (seq, k)
    want = [(x + y) / 2 for x, y in zip(a["overall"][k], b["overall"][k])]
    assert all(abs(x - y) < 1e-12 for x, y in zip(r["overall"][k], want)), k
assert r["overall"] != a["overall"] and r["overall"] != b["overall"]
PY
done
json "$TMP/got_pyt.json" "$LORAT" eval --results "$TMP/pyt/dimp/dimp50_got" $G1 --results-layout pytracking
check "pytracking on GOT-10k (flat <seq>.txt): the reference's scores" same "$TMP/got_ref1.json" "$TMP/got_pyt.json"
check_error "no folder and no run folders" "nor pytracking's run folders" \
    "$LORAT" eval --results "$TMP/pyt/dimp/nothing" $L --results-layout pytracking
check_error "lorat's layout does not look for run folders" "results folder $TMP/pyt/dimp/dimp50 does not exist" \
    "$LORAT" eval --results "$TMP/pyt/dimp/dimp50" $L --results-layout lorat
check_error "an unknown layout" "unknown results layout 'vot'" \
    "$LORAT" eval --results "$TMP/ref_otb" $O --results-layout vot
finish
