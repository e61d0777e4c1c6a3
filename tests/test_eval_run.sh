# test_eval_run.sh — `lorat eval --model`: the tracker over a synthetic dataset, the result files
# in GOT-10k's layout with per-frame times, the same results with 1 and 2 jobs, resumption
# (finished sequences are not redone; a killed run leaves no half-written result), and --runs.
# Runs compared for equality use one thread per job: results are reproducible per thread count.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model/tiny-mlp
check "convert a tiny model" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$M/lorat_trainable.safetensors" \
    --template-grid 4x4 --search-grid 8x8 -o "$TMP/tiny.safetensors"
check "synthesise 6 sequences" "$LORAT" synth --out "$TMP/data" --sequences 6 --frames 25 --seed 11
run() { "$LORAT" eval --model "$TMP/tiny.safetensors" --dataset custom --root "$TMP/data" --quiet "$@"; }

check "eval with 1 job" run --out "$TMP/r1" --jobs 1 --threads 1 --json
cp "$TMP/last.log" "$TMP/r1.json"
check "eval with 2 jobs" run --out "$TMP/r2" --jobs 2 --threads 2 --json
cp "$TMP/last.log" "$TMP/r2.json"
check "result and time files for every sequence" "$PYTHON" - "$TMP/r1" "$TMP/data" <<'PY'
import os, sys
res, data = sys.argv[1:]
names = [l.strip() for l in open(os.path.join(data, "list.txt")) if l.strip()]
assert len(names) == 6
for n in names:
    boxes = [l for l in open(os.path.join(res, n, n + "_001.txt")) if l.strip()]
    times = [float(l) for l in open(os.path.join(res, n, n + "_time.txt")) if l.strip()]
    assert len(boxes) == 25 and len(times) == 25, (n, len(boxes), len(times))
    assert all(t > 0 for t in times), n
    first = [float(v) for v in boxes[0].split(",")]
    gt = [float(v) for v in open(os.path.join(data, n, "groundtruth.txt")).readline().split(",")]
    assert all(abs(a - b) < 1e-3 for a, b in zip(first, gt)), (n, first, gt)
PY
check "1 and 2 jobs give the same boxes" diff -r -x '*_time.txt' "$TMP/r1" "$TMP/r2"
check "1 and 2 jobs give the same scores" "$PYTHON" -c "
import json, sys
a, b = (json.loads(open(f).read().strip().splitlines()[-1]) for f in ('$TMP/r1.json', '$TMP/r2.json'))
assert a['overall']['success_auc'] == b['overall']['success_auc'] and a['dataset'] == 'custom', (a['overall'], b['overall'])"

# Resume: two sequences lost; the others must not be rewritten.
first=$(head -n 1 "$TMP/data/list.txt")
second=$(sed -n 2p "$TMP/data/list.txt")
rm -r "$TMP/r1/$first" "$TMP/r1/$second"
stamp=$(stat -c %Y.%s "$TMP/r1/$(sed -n 3p "$TMP/data/list.txt")/$(sed -n 3p "$TMP/data/list.txt")_001.txt")
sleep 1
check "resume" "$LORAT" eval --model "$TMP/tiny.safetensors" --dataset custom --root "$TMP/data" --out "$TMP/r1" \
    --threads 1 --json
cp "$TMP/last.log" "$TMP/resume.log"
check "resume says what was done" grep -q "4 of 6 sequence runs already done" "$TMP/resume.log"
check "finished sequences are not redone" test "$stamp" = \
    "$(stat -c %Y.%s "$TMP/r1/$(sed -n 3p "$TMP/data/list.txt")/$(sed -n 3p "$TMP/data/list.txt")_001.txt")"
check "the resumed results equal the first ones" diff -r -x '*_time.txt' "$TMP/r1" "$TMP/r2"

# A run killed mid-way leaves only complete files, and a rerun completes it.
"$LORAT" synth --out "$TMP/big" --sequences 8 --frames 120 --seed 12 >/dev/null 2>&1
sh -c "timeout -s KILL 1 '$LORAT' eval --model '$TMP/tiny.safetensors' --dataset custom --root '$TMP/big' \
    --out '$TMP/rk' --jobs 1 --threads 1 --quiet" >/dev/null 2>&1
check "no half-written result after a kill" "$PYTHON" - "$TMP/rk" <<'PY'
import os, sys
d = sys.argv[1]
for root, _, files in os.walk(d):
    for f in files:
        if f.endswith("_001.txt"):
            n = sum(1 for l in open(os.path.join(root, f)) if l.strip())
            assert n == 120, (f, n)
PY
check "rerun after the kill" "$LORAT" eval --model "$TMP/tiny.safetensors" --dataset custom --root "$TMP/big" \
    --out "$TMP/rk" --quiet
check "runs: two repetitions" run --out "$TMP/runs" --runs 2
check "runs: complete _001 and _002 files for every sequence" "$PYTHON" - "$TMP/runs" "$TMP/data" <<'PY'
import os, sys
res, data = sys.argv[1:]
names = [l.strip() for l in open(os.path.join(data, "list.txt")) if l.strip()]
assert len(names) == 6, names
for n in names:
    for r in (1, 2):
        rows = [l for l in open(os.path.join(res, n, f"{n}_{r:03d}.txt")) if l.strip()]
        assert len(rows) == 25, (n, r, len(rows))
        assert all(len(l.split(",")) == 4 for l in rows), (n, r)
PY
check_error "eval --model without a dataset" "required" "$LORAT" eval --model "$TMP/tiny.safetensors" --root "$TMP/data"
check_error "a dataset folder that does not exist" "no-such" run --root "$TMP/no-such" --out "$TMP/x"
finish
