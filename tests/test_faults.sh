# test_faults.sh — killed runs and full disks (issue 16):
#   - `lorat train` killed with SIGKILL 20 times, at random moments (half of them by time, half
#     by LORAT_FAULT_KILL_AFTER_BYTES inside a file's atomic write: a checkpoint, the log, the
#     model) and resumed each time with --resume: the log holds one run, step after step, with
#     the losses of an uninterrupted run, and the final model equals that run's to the bit;
#   - `lorat eval --model` killed 20 times the same way and rerun: complete result files, equal
#     to an uninterrupted run's;
#   - a full disk (a 4 MB tmpfs where the system allows mounting one, else a file-size limit)
#     while writing a checkpoint, result files and a rendered video: a clear error, and the
#     files that were there before are intact.
# The kill moments come from a seeded generator: the same every run.
. "$(dirname "$0")/lib.sh"
BB=$DATA/official/model/tiny-mlp/dinov2.pth
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 6 --frames 40 --seed 5
TRAIN=("$LORAT" train --data "custom:$TMP/data" --backbone "$BB" --template-grid 4x4 --search-grid 8x8
    --epochs 10 --samples-per-epoch 128 --batch 16 --rank 8 --alpha 16 --lr 1e-3 --warmup-epochs 1
    --save-every 1 --keep 2 --threads 2 --workers 2 --quiet)
train() { "${TRAIN[@]}" "$@"; }
check "an uninterrupted run" train --out "$TMP/ref"
check "a run stopped after epoch 2, for the full-disk case" train --out "$TMP/ref-e2" --stop-after 2

# kill_times N SEED: N lines "time S" or "bytes B", alternating, from a seeded generator
kill_plan() { # N SEED MAX_SECONDS MAX_BYTES
    "$PYTHON" - "$1" "$2" "$3" "$4" <<'PY'
import random, sys
n, seed, tmax, bmax = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
r = random.Random(seed)
for i in range(n):
    if i % 2:
        print("bytes", r.randint(1, bmax))
    else:
        print("time", round(r.uniform(0.05, tmax), 3))
PY
}

# run_killed PLAN command...: each plan line kills one attempt (a program, not a shell function:
# timeout and the fault injection act on the process itself); then one attempt to the end
run_killed() {
    local plan=$1
    shift
    local kills=0 rc
    while read -r how value; do
        if [ "$how" = time ]; then
            timeout -s KILL "$value" "$@" >/dev/null 2>&1
            rc=$?
        else
            env LORAT_FAULT_KILL_AFTER_BYTES="$value" "$@" >/dev/null 2>&1
            rc=$?
        fi
        [ $rc -eq 137 ] && kills=$((kills + 1))
    done <"$plan"
    "$@" >"$TMP/last-run.log" 2>&1 || { cat "$TMP/last-run.log" >&2; return 1; }
    echo "$kills" >"$TMP/kills"
}

kill_plan 20 7 1.8 440000 >"$TMP/train-plan"
check "training killed 20 times, resumed each time" run_killed "$TMP/train-plan" "${TRAIN[@]}" --out "$TMP/killed" --resume
check "most attempts were killed" test "$(cat "$TMP/kills" 2>/dev/null || echo 0)" -ge 16
echo "training: $(cat "$TMP/kills" 2>/dev/null) of 20 attempts killed" >&2
check "the killed run's log is the uninterrupted run's, step for step" "$PYTHON" - "$TMP/ref/log.jsonl" \
    "$TMP/killed/log.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == 80, len(a)
assert [r["step"] for r in b] == list(range(1, 81)), [r["step"] for r in b]
for x, y in zip(a, b):
    assert x["loss"] == y["loss"] and x["lr"] == y["lr"], (x, y)
PY
check "the killed run's model equals the uninterrupted run's" "$LORAT" compare "$TMP/killed/model.safetensors" \
    "$TMP/ref/model.safetensors" --rtol 0 --quiet
check "no temporary file of a killed attempt left behind" bash -c "! find '$TMP/killed' -name '*.tmp.*' | grep -q ."

M=$DATA/official/model/tiny-mlp
check "convert a tiny model" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$M/lorat_trainable.safetensors" \
    --template-grid 4x4 --search-grid 8x8 -o "$TMP/tiny.safetensors"
check "synthesise an evaluation set" "$LORAT" synth --out "$TMP/evaldata" --sequences 40 --frames 100 --seed 9
EVAL=("$LORAT" eval --model "$TMP/tiny.safetensors" --dataset custom --root "$TMP/evaldata" --threads 1 --quiet)
evalrun() { "${EVAL[@]}" "$@"; }
check "an uninterrupted evaluation" evalrun --out "$TMP/eref"
kill_plan 20 11 0.4 6000 >"$TMP/eval-plan"
check "evaluation killed 20 times, rerun each time" run_killed "$TMP/eval-plan" "${EVAL[@]}" --out "$TMP/ekilled"
check "most evaluation attempts were killed" test "$(cat "$TMP/kills" 2>/dev/null || echo 0)" -ge 16
echo "evaluation: $(cat "$TMP/kills" 2>/dev/null) of 20 attempts killed" >&2
check "complete result files, equal to the uninterrupted run's" diff -r -x '*_time.txt' "$TMP/eref" "$TMP/ekilled"

# Full disk: a 4 MB tmpfs, filled but for a little, when the system lets us mount one; else a
# file-size limit with SIGXFSZ ignored (writes then fail with EFBIG, as on a full disk).
small=$TMP/small
mkdir -p "$small"
if mount -t tmpfs -o size=4m tmpfs "$small" 2>/dev/null; then
    trap 'umount "$small" 2>/dev/null; rm -rf "$TMP"' EXIT
    limited() { "$@"; }
    FULL="No space left"
    fill() { dd if=/dev/zero of="$small/filler" bs=1k count=$(( $(df -k --output=avail "$small" | tail -1) - $1 )) 2>/dev/null; }
    echo "full disk: a 4 MB tmpfs" >&2
else
    limited() { (trap '' XFSZ; ulimit -f 0; "$@"); }
    FULL="File too large"
    fill() { :; }
    echo "full disk: no tmpfs here, a file-size limit of 0" >&2
fi
# a checkpoint: 2 epochs done with their checkpoint on the small disk, the 3rd cannot be written
cp -r "$TMP/ref" "$TMP/full-src"
rm -rf "$TMP/full-src/checkpoint/"epoch_* "$TMP/full-src/model.safetensors"
cp -r "$TMP/ref-e2/checkpoint/"epoch_* "$TMP/full-src/checkpoint/"
head -n 16 "$TMP/ref/log.jsonl" >"$TMP/full-src/log.jsonl"
cp -r "$TMP/full-src" "$small/run"
fill 200
sha_before=$(cd "$small/run" && find checkpoint -type f | sort | xargs sha256sum)
check_error "a checkpoint write on a full disk says so" "$FULL" limited train --out "$small/run" --resume
check "the previous checkpoints are intact" test "$sha_before" = "$(cd "$small/run" && find checkpoint -type f | sort | xargs sha256sum)"
rm -f "$small/filler"
check "with space again the run resumes and finishes" train --out "$small/run" --resume
check "and equals the uninterrupted run" "$LORAT" compare "$small/run/model.safetensors" "$TMP/ref/model.safetensors" \
    --rtol 0 --quiet
rm -rf "$small/run"
# result files
mkdir -p "$small/res"
cp -r "$TMP/eref/"* "$small/res/"
first=$(head -n 1 "$TMP/evaldata/list.txt")
rm -r "$small/res/$first"
sha_before=$(cd "$small/res" && find . -type f | sort | xargs sha256sum)
fill 2
check_error "result files on a full disk say so" "$FULL" limited evalrun --out "$small/res"
check "the result files already there are intact" test "$sha_before" = "$(cd "$small/res" && find . -type f ! -name '*.tmp.*' | sort | xargs sha256sum)"
rm -f "$small/filler"
rm -rf "$small/res"
# a rendered video over an existing file
echo "the previous video" >"$small/tracked.mp4"
fill 8
check_error "a video on a full disk says so" "tracked.mp4" limited "$LORAT" track --model "$TMP/tiny.safetensors" \
    --sequence "$TMP/evaldata/$first" --render "$small/tracked.mp4" --quiet
check "the file that was there is intact" test "$(cat "$small/tracked.mp4")" = "the previous video"
check "no partial video left behind" bash -c "! ls '$small' | grep -q 'tracked.mp4.tmp'"
rm -f "$small/filler"
finish
