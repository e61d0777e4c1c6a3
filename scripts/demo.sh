#!/usr/bin/env bash
# demo.sh — what `make demo` runs after the build: the shipped model (models/lorat-t.safetensors)
# tracks a sequence of the held-out domain-0 test set it was measured on (regenerated here by lorat
# synth, byte for byte: same seed, same index; sequence 5 is the one whose score is nearest that
# set's median), writes the boxes and an annotated video, and scores the boxes against the
# sequence's ground truth with lorat eval (paper protocol).
#
#   scripts/demo.sh [OUT]     (default out/demo-run)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/demo-run}
LORAT=${LORAT:-build/lorat}
MODEL=${MODEL:-models/lorat-t.safetensors}
# Sequence 5 of the held-out domain-0 set (seed 5000, 150 frames) of scripts/train-demo.sh.
SEED=5000 INDEX=${DEMO_INDEX:-5}
SEQ=$(printf 'synth_%06d' "$INDEX")

if [ ! -f "$MODEL" ]; then
    echo "demo: $MODEL is missing: it is in the repository (git checkout -- models/), or rebuild it with scripts/train-demo.sh" >&2
    exit 1
fi
mkdir -p "$OUT/results"
echo "demo: drawing the test sequence $SEQ (lorat synth --seed $SEED --first-index $INDEX)"
"$LORAT" synth --out "$OUT/data" --sequences 1 --first-index "$INDEX" --frames 150 --seed "$SEED" \
    >/dev/null 2>&1
printf '%s\n' "$SEQ" >"$OUT/data/list.txt"
echo "demo: tracking with $MODEL"
"$LORAT" track --model "$MODEL" --sequence "$OUT/data/$SEQ" --out "$OUT/results/$SEQ.txt" \
    --render "$OUT/tracked.mp4" --threads 2
"$LORAT" eval --results "$OUT/results" --dataset custom --root "$OUT/data" --json >"$OUT/score.json"
python3 - "$OUT/score.json" <<'PY' 2>/dev/null || cat "$OUT/score.json"
import json, sys
o = json.load(open(sys.argv[1]))["overall"]
print("demo: success AUC %.3f, precision %.3f, normalised precision %.3f (paper protocol)"
      % (o["success_auc"], o["precision"], o["norm_precision"]))
PY
echo "demo: boxes        $OUT/results/$SEQ.txt (x,y,w,h per frame)"
echo "demo: video        $OUT/tracked.mp4"
echo "demo: frames       $OUT/data/$SEQ/ (ground truth: groundtruth.txt)"
