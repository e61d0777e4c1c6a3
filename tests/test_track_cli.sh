# test_track_cli.sh — `lorat track` end to end on a synthetic sequence (lorat synth) and on a
# video that the test writes (through --render), with a tiny model converted from the official
# fixture; and the bad-input cases: each a clear message naming the file or frame, with the
# boxes computed before an error kept in the output.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model/tiny-mlp
check "convert a tiny model" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$M/lorat_trainable.safetensors" \
    --template-grid 4x4 --search-grid 8x8 -o "$TMP/tiny.safetensors"
check "synthesise a sequence" "$LORAT" synth --out "$TMP/synth" --sequences 1 --frames 30 --seed 3
SEQ=$TMP/synth/$(head -n 1 "$TMP/synth/list.txt")

# lines FILE N: FILE has N lines of four finite numbers with w, h > 0
lines_ok() {
    "$PYTHON" - "$1" "$2" <<'PY'
import math, sys
rows = [l.strip() for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == int(sys.argv[2]), f"{len(rows)} lines, expected {sys.argv[2]}"
for i, r in enumerate(rows):
    x, y, w, h = map(float, r.split(","))
    assert all(map(math.isfinite, (x, y, w, h))) and w > 0 and h > 0, f"line {i + 1}: {r}"
PY
}

check "track a sequence" "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --out "$TMP/seq.txt" \
    --render "$TMP/seq.mp4" --profile --quiet
cp "$TMP/last.log" "$TMP/profile.log"
check "30 finite boxes" lines_ok "$TMP/seq.txt" 30
check "first box is the ground truth's" "$PYTHON" -c "
import sys
a = [float(v) for v in open('$TMP/seq.txt').readline().split(',')]
b = [float(v) for v in open('$SEQ/groundtruth.txt').readline().replace('\t', ',').split(',')]
assert all(abs(p - q) < 1e-3 for p, q in zip(a, b)), (a, b)"
check "profile reports the tracker's share" grep -q "of the network's time" "$TMP/profile.log"

# The rendered video is a readable video of 30 frames: track on it.
check "track the rendered video" "$LORAT" track --model "$TMP/tiny.safetensors" --video "$TMP/seq.mp4" \
    --init "$(head -n 1 "$TMP/seq.txt")" --out "$TMP/video.txt" --quiet
check "30 boxes from the video" lines_ok "$TMP/video.txt" 30
check "render frames into a folder" "$LORAT" track --model "$TMP/tiny.safetensors" --frames "$SEQ" \
    --init "$(head -n 1 "$TMP/seq.txt")" --render "$TMP/frames-out" --quiet
check "30 rendered frames" test "$(ls "$TMP/frames-out" | wc -l)" -eq 30

# Bad input.
mkdir -p "$TMP/broken"
cp "$SEQ"/000000{01..12}.jpg "$TMP/broken/"
head -c 300 "$SEQ/00000013.jpg" >"$TMP/broken/00000013.jpg"
cp "$SEQ"/000000{14..20}.jpg "$TMP/broken/"
check_error "a corrupt frame in the middle" "00000013.jpg" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --frames "$TMP/broken" --init 10,10,30,30 --out "$TMP/broken.txt" --quiet
check "the boxes before the corrupt frame are kept" lines_ok "$TMP/broken.txt" 12
echo "not a video" >"$TMP/clip.mp4"
check_error "a file that is not a video" "clip.mp4" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --video "$TMP/clip.mp4" --init 1,1,5,5 --quiet
check_error "an init box of zero size" "width and height of at least 1 pixel" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --init 10,10,0,20 --quiet
check_error "an init box outside the image" "outside" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --init 5000,10,20,20 --quiet
# --init is exactly four numbers: a fifth value, trailing junk or an empty value is refused
for bad in 10,10,20,20,5 "10,10,20,20 junk" 10,,20,20 10,10,20,1e39; do
    check_error "--init '$bad'" "is not x,y,w,h" \
        "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --init "$bad" --quiet
done
# Tracking parameters given on the command line replace the file's for the run.
check "--box-average 0, the file's own value" "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" \
    --out "$TMP/ba0.txt" --box-average 0 --quiet
check "the same boxes as without it" cmp "$TMP/seq.txt" "$TMP/ba0.txt"
check "--box-average 1 --size-update 0.5 --window-influence 0.3" "$LORAT" track --model "$TMP/tiny.safetensors" \
    --sequence "$SEQ" --out "$TMP/ba1.txt" --box-average 1 --size-update 0.5 --window-influence 0.3 --quiet
check "other boxes" bash -c "! cmp -s '$TMP/seq.txt' '$TMP/ba1.txt'"
check "--size-gate 0.99 (above this model's confidence)" "$LORAT" track --model "$TMP/tiny.safetensors" \
    --sequence "$SEQ" --out "$TMP/gate.txt" --size-gate 0.99 --quiet
check "every box keeps the init box's size" awk -F, 'NR == 1 { w = $3; h = $4 } $3 != w || $4 != h { bad = 1 }
    END { exit bad || NR < 2 }' "$TMP/gate.txt"
check "without the gate the sizes change" awk -F, 'NR == 1 { w = $3; h = $4 } $3 != w || $4 != h { moved = 1 }
    END { exit !moved }' "$TMP/seq.txt"
check_error "a bad --size-gate" "--size-gate '1'" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --size-gate 1 --quiet
check_error "a bad --box-average" "--box-average '-1'" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --box-average -1 --quiet
check_error "a bad --size-update" "--size-update '0'" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --sequence "$SEQ" --size-update 0 --quiet
mkdir -p "$TMP/resized"
cp "$SEQ"/000000{01..05}.jpg "$TMP/resized/"
"$LORAT" synth --out "$TMP/synth-small" --sequences 1 --frames 2 --seed 4 --size 160x120 >/dev/null 2>&1
cp "$TMP/synth-small/$(head -n 1 "$TMP/synth-small/list.txt")/00000001.jpg" "$TMP/resized/00000006.jpg"
check_error "a frame size change mid-sequence" "00000006.jpg" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --frames "$TMP/resized" --init 10,10,30,30 --out "$TMP/resized.txt" --quiet
check "the five boxes before it are kept" lines_ok "$TMP/resized.txt" 5
check_error "no frame source" "exactly one of" "$LORAT" track --model "$TMP/tiny.safetensors" --init 1,1,5,5
check_error "missing frames folder" "no-such-dir" \
    "$LORAT" track --model "$TMP/tiny.safetensors" --frames "$TMP/no-such-dir" --init 1,1,5,5 --quiet
finish
