# test_track_layouts.sh — `lorat track --sequence` reads a sequence folder exactly as `lorat eval`
# reads it, for every layout: a tiny folder of each benchmark (LaSOT, LaSOT_ext, GOT-10k,
# TrackingNet, TNL2K, OTB with its special cases David and Tiger1 and a two-target folder, and
# the custom layout), made here from `lorat synth` frames. For each, the boxes of
# `lorat track --sequence` equal those `lorat eval --model` writes for the same one-sequence
# dataset (LaSOT's files 1-based), frame for frame, and the first is the reader's first box: the
# ground truth's first line (LaSOT: less 1; Tiger1: its 6th line, after the 5 skipped frames).
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model/tiny-mlp
check "convert a tiny model" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$M/lorat_trainable.safetensors" \
    --template-grid 4x4 --search-grid 8x8 -o "$TMP/tiny.safetensors"
check "synthesise frames" "$LORAT" synth --out "$TMP/synth" --sequences 1 --frames 7 --seed 5
FR=$TMP/synth/$(head -n 1 "$TMP/synth/list.txt")

"$PYTHON" - "$TMP" "$FR" <<'PY'
import os, shutil, sys
T, FR = sys.argv[1:3]
frames = sorted(f for f in os.listdir(FR) if f.endswith(".jpg"))

def put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

def copy_frames(folder, names):
    os.makedirs(folder, exist_ok=True)
    for src, dst in zip(frames, names):
        shutil.copy(os.path.join(FR, src), os.path.join(folder, dst))

# First boxes with quarters and halves: exact in float and double, so "the same box" is exact.
def gt(n, x=40.25, y=30.5):
    return "".join(f"{x + 2 * i},{y + i},{52.75 - i},{41.5 + i}\n" for i in range(n))

# LaSOT and LaSOT_ext (1-based files; the extension's are read as written)
for root, seq in [("lasot", "cat-1"), ("ext", "atv-1")]:
    d = f"{T}/{root}/{seq.split('-')[0]}/{seq}"
    copy_frames(f"{d}/img", ["%08d.jpg" % i for i in range(1, 4)])
    put(f"{d}/groundtruth.txt", gt(3))
    put(f"{d}/full_occlusion.txt", "0,0,0")
    put(f"{d}/out_of_view.txt", "0,0,0")
put(f"{T}/lasot/testing_set.txt", "cat-1\n")
# GOT-10k val
d = f"{T}/got/val/GOT-10k_Val_000001"
copy_frames(d, ["%08d.jpg" % i for i in range(1, 4)])
put(f"{d}/groundtruth.txt", gt(3))
put(f"{d}/absence.label", "0\n0\n0\n")
put(f"{d}/cover.label", "8\n8\n8\n")
put(f"{d}/meta_info.ini", "[METAINFO]\nresolution: (320, 240)\n")
put(f"{T}/got/val/list.txt", "GOT-10k_Val_000001\n")
# TrackingNet (a TRAIN chunk, frames from 0.jpg)
copy_frames(f"{T}/tn/TRAIN_0/frames/abc", ["%d.jpg" % i for i in range(3)])
put(f"{T}/tn/TRAIN_0/anno/abc.txt", gt(3))
# TNL2K
copy_frames(f"{T}/tnl/seq_a/imgs", ["%05d.jpg" % i for i in range(1, 4)])
put(f"{T}/tnl/seq_a/groundtruth.txt", gt(3))
# OTB: Car4 (tab-separated), David (its ground truth starts at image 300; images 298, 299 exist
# too), Tiger1 (7 lines, the first 5 skipped), Jogging (two targets)
copy_frames(f"{T}/otb/Car4/img", ["%04d.jpg" % i for i in range(1, 4)])
put(f"{T}/otb/Car4/groundtruth_rect.txt", gt(3).replace(",", "\t"))
copy_frames(f"{T}/otb/David/img", ["%04d.jpg" % i for i in range(298, 303)])
put(f"{T}/otb/David/groundtruth_rect.txt", gt(3))
copy_frames(f"{T}/otb/Tiger1/img", ["%04d.jpg" % i for i in range(1, 8)])
put(f"{T}/otb/Tiger1/groundtruth_rect.txt", gt(7, 20.5, 10.25))
copy_frames(f"{T}/otb/Jogging/img", ["%04d.jpg" % i for i in range(1, 4)])
put(f"{T}/otb/Jogging/groundtruth_rect.1.txt", gt(3, 60.75))
put(f"{T}/otb/Jogging/groundtruth_rect.2.txt", gt(3, 100.5))
# custom (lorat synth's layout)
copy_frames(f"{T}/custom/seq_x", ["%08d.jpg" % i for i in range(1, 4)])
put(f"{T}/custom/seq_x/groundtruth.txt", gt(3))
PY
[ $? -eq 0 ] && pass || fail "python wrote the layouts"

# same_boxes TRACK_OUT EVAL_FILE GT_FILE GT_LINE SHIFT: the two files hold the same boxes (the eval
# file SHIFT px further right and down: 1 for LaSOT) and the first is GT_FILE's line GT_LINE less SHIFT.
same_boxes() {
    "$PYTHON" - "$@" <<'PY'
import re, sys
track, ev, gtf, line, shift = sys.argv[1:6]
line, shift = int(line), float(shift)
rd = lambda f: [[float(v) for v in re.split(r"[,\t ]+", l.strip())] for l in open(f) if l.strip()]
t, e, g = rd(track), rd(ev), rd(gtf)
e = [[r[0] - shift, r[1] - shift, r[2], r[3]] for r in e]
assert len(t) == len(e), f"track wrote {len(t)} boxes, eval {len(e)}"
want = [g[line - 1][0] - shift, g[line - 1][1] - shift, g[line - 1][2], g[line - 1][3]]
assert t[0] == want, f"track starts from {t[0]}, the reader's first box is {want}"
assert e[0] == want, f"eval starts from {e[0]}, the reader's first box is {want}"
for i, (a, b) in enumerate(zip(t, e)):
    assert all(abs(p - q) <= 1.5e-4 for p, q in zip(a, b)), f"frame {i}: track {a}, eval {b}"
PY
}

# layout NAME DATASET ROOT SEQDIR EVALFILE GTFILE GTLINE SHIFT [EVAL OPTIONS]
layout() {
    local name=$1 dataset=$2 root=$3 seq=$4 file=$5 gt=$6 line=$7 shift=$8
    shift 8
    check "$name: lorat eval --model" "$LORAT" eval --model "$TMP/tiny.safetensors" --dataset "$dataset" \
        --root "$TMP/$root" --out "$TMP/eval_$name" --threads 1 --quiet "$@"
    check "$name: lorat track --sequence" "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$TMP/$seq" \
        --out "$TMP/track_$name.txt" --threads 1 --quiet
    check "$name: the same first box and frames" same_boxes "$TMP/track_$name.txt" "$TMP/eval_$name/$file" \
        "$TMP/$gt" "$line" "$shift"
}

layout lasot lasot lasot lasot/cat/cat-1 cat-1.txt lasot/cat/cat-1/groundtruth.txt 1 1
layout lasot_ext lasot_ext ext ext/atv/atv-1 atv-1.txt ext/atv/atv-1/groundtruth.txt 1 0
layout got10k got10k got got/val/GOT-10k_Val_000001 GOT-10k_Val_000001/GOT-10k_Val_000001_001.txt \
    got/val/GOT-10k_Val_000001/groundtruth.txt 1 0 --split val
layout trackingnet trackingnet tn tn/TRAIN_0/frames/abc abc.txt tn/TRAIN_0/anno/abc.txt 1 0 --split train
layout tnl2k tnl2k tnl tnl/seq_a seq_a.txt tnl/seq_a/groundtruth.txt 1 0
layout otb otb otb otb/Car4 Car4.txt otb/Car4/groundtruth_rect.txt 1 0
for s in David Tiger1 Jogging; do
    check "otb $s: lorat track --sequence" "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$TMP/otb/$s" \
        --out "$TMP/track_$s.txt" --threads 1 --quiet
done
check "otb David: from image 300, 3 frames" same_boxes "$TMP/track_David.txt" "$TMP/eval_otb/David.txt" \
    "$TMP/otb/David/groundtruth_rect.txt" 1 0
check "otb Tiger1: from its 6th line" same_boxes "$TMP/track_Tiger1.txt" "$TMP/eval_otb/Tiger1.txt" \
    "$TMP/otb/Tiger1/groundtruth_rect.txt" 6 0
check "otb Jogging: its first target, Jogging_1" same_boxes "$TMP/track_Jogging.txt" "$TMP/eval_otb/Jogging_1.txt" \
    "$TMP/otb/Jogging/groundtruth_rect.1.txt" 1 0
check "otb Jogging: says which target" bash -c "'$LORAT' track --model '$TMP/tiny.safetensors' \
    --sequence '$TMP/otb/Jogging' --out '$TMP/j.txt' --threads 1 2>&1 | grep -q 'holds 2 targets (Jogging_1, Jogging_2); tracking Jogging_1'"
layout custom custom custom custom/seq_x seq_x/seq_x_001.txt custom/seq_x/groundtruth.txt 1 0

# --dataset names the layout when the folder cannot tell (LaSOT_ext read as LaSOT: 1 px less)
check "--dataset lasot on a LaSOT_ext folder" "$LORAT" track --model "$TMP/tiny.safetensors" \
    --sequence "$TMP/ext/atv/atv-1" --dataset lasot --out "$TMP/forced.txt" --threads 1 --quiet
check "... starts 1 px up and left" "$PYTHON" -c "
a = [float(v) for v in open('$TMP/forced.txt').readline().split(',')]
assert a == [39.25, 29.5, 52.75, 41.5], a"
mkdir -p "$TMP/plain"
cp "$FR"/00000001.jpg "$TMP/plain/"
check_error "a folder of no known layout" "is not a sequence folder of a known layout" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$TMP/plain" --quiet
check_error "a root instead of a sequence" "looks like a LaSOT root" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$TMP/lasot" --quiet
check_error "--dataset without --sequence" "--dataset names the layout of --sequence" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --frames "$TMP/plain" --init 1,1,9,9 --dataset otb --quiet
finish
