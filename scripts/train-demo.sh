#!/usr/bin/env bash
# train-demo.sh — rebuilds the shipped demo model (models/lorat-t.safetensors) from nothing, in the
# paper's two stages, on this machine's CPUs:
#   data    lorat synth: domain 0 (training stage 1), domain 1 (training stage 2), and held-out
#           test sets of both domains that no stage sees
#   stage 1 lorat init --variant T, then full training on domain 0: this is the "pretrained backbone"
#   stage 2 adaptation to domain 1, from the stage-1 model: LoRA and, with the same data, steps
#           and schedule, full fine-tuning (the paper's comparison; at this size full fine-tuning
#           beat LoRA on the validation sets); then the shipped model: full fine-tuning again, for
#           more steps (S2_EPOCHS_SHIP; stage 1 and this run fit in the two hours)
#   eval    the four models on both held-out sets, scored by lorat eval (paper protocol)
# Every step is skipped when its output exists and training resumes from its last checkpoint, so an
# interrupted run continues where it stopped: run the same command again.
#
#   scripts/train-demo.sh [OUT]     (default out/demo; set THREADS, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/demo}
LORAT=${LORAT:-build/lorat}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# The recipe (model card: models/README.md).
S1_EPOCHS=${S1_EPOCHS:-16} S1_SAMPLES=${S1_SAMPLES:-8192} S1_LR=${S1_LR:-5e-4}
S1_EPOCHS1=${S1_EPOCHS1:-12} S1_SWITCH=${S1_SWITCH:-6}
S1_JITTER=${S1_JITTER:-1.5} S2_JITTER=${S2_JITTER:-1.5}
S2_EPOCHS=${S2_EPOCHS:-5} S2_EPOCHS_SHIP=${S2_EPOCHS_SHIP:-11} S2_SAMPLES=${S2_SAMPLES:-6144} S2_LR_LORA=${S2_LR_LORA:-5e-4} S2_LR_FULL=${S2_LR_FULL:-5e-4}
RANK=${RANK:-16} BATCH=${BATCH:-32}
# The tracking defaults the files record (1, 0, 0 are the official tracker), chosen on two
# validation sets of 30 sequences (lorat synth seeds 4000, domain 0, and 6000, domain 1), never
# on the test sets. First: the share of each new box's size taken per frame; second: the
# confidence under which the size is kept (this small model's sizes were no better than the first
# box's, worst when it is unsure; size_update 0.3 without the gate lost 7 points on domain 1).
SIZE_UPDATE=${SIZE_UPDATE:-0.05} SIZE_GATE=${SIZE_GATE:-0.4}
# The second: the box is the score-weighted mean of the boxes of the chosen cell and those of its 8
# neighbours that score at least half as high (0 is the official tracker); 1 beat 0 and 2 on the
# same validation sets (30 sequences each since 2026-11-30).
BOX_AVERAGE=${BOX_AVERAGE:-1}

synth() { # DIR SEQUENCES FRAMES SEED DOMAIN [extra]
    local dir=$1 n=$2 f=$3 seed=$4 dom=$5
    shift 5
    if [ -f "$dir/list.txt" ]; then return; fi
    log "synth $dir: $n sequences x $f frames, domain $dom, seed $seed"
    "$LORAT" synth --out "$dir.tmp" --sequences "$n" --frames "$f" --seed "$seed" --domain "$dom" \
        --threads "$THREADS" "$@"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
}
synth "$OUT/data/domain0-train" 500 100 1000 0

train() { # RUN BACKBONE EPOCHS SAMPLES LR DATA [extra]
    local run=$1 bb=$2 ep=$3 n=$4 lr=$5 data=$6
    shift 6
    if [ -f "$run/model.safetensors" ]; then return; fi
    local resume=()
    if [ -d "$run/checkpoint" ]; then resume=(--resume); fi
    log "train $run (${*:-LoRA r=$RANK})"
    "$LORAT" train --data "custom:$data" --backbone "$bb" --out "$run" --epochs "$ep" \
        --samples-per-epoch "$n" --batch "$BATCH" --lr "$lr" --warmup-epochs 1 --threads "$THREADS" \
        --workers 2 --save-every 1 --keep 2 --log-every 10 --seed 1 "${resume[@]}" "$@"
}
if [ ! -f "$OUT/init.safetensors" ]; then
    "$LORAT" init --variant T --seed 1 --layerscale 0.1 --pos-embed sincos -o "$OUT/init.safetensors"
fi
# Stage 1 in two phases, one run resumed: epochs 1..S1_SWITCH on the schedule of S1_EPOCHS1
# epochs with the paper's translation jitter (3), then on to S1_EPOCHS with S1_JITTER (the schedule
# stretched to S1_EPOCHS): a network that starts from nothing learns boxes faster from less
# jittered crops. (This is how the shipped model was trained: phase 1 was planned as the whole
# stage and extended once its scores were seen.)
if [ ! -f "$OUT/stage1/model.safetensors" ] && [ ! -d "$OUT/stage1/checkpoint/epoch_$S1_SWITCH" ]; then
    train "$OUT/stage1" "$OUT/init.safetensors" "$S1_EPOCHS1" "$S1_SAMPLES" "$S1_LR" "$OUT/data/domain0-train" \
        --full --stop-after "$S1_SWITCH"
fi
train "$OUT/stage1" "$OUT/init.safetensors" "$S1_EPOCHS" "$S1_SAMPLES" "$S1_LR" "$OUT/data/domain0-train" --full \
    --translation-jitter "$S1_JITTER"
if [ "${UNTIL:-}" = stage1 ]; then exit 0; fi

PHOTOS=${PHOTOS:-/usr/share/backgrounds/mate/nature} # Debian's mate-backgrounds
synth "$OUT/data/domain1-train" 250 100 2000 1 --backgrounds "$PHOTOS"
synth "$OUT/data/domain1-test" 30 150 3000 1 --backgrounds "$PHOTOS"
synth "$OUT/data/domain0-test" 30 150 5000 0
if [ "${COMPARE:-1}" != 0 ]; then # COMPARE=0: only the shipped model
train "$OUT/stage2-lora" "$OUT/stage1/model.safetensors" "$S2_EPOCHS" "$S2_SAMPLES" "$S2_LR_LORA" \
    "$OUT/data/domain1-train" --rank "$RANK" --alpha "$RANK" --translation-jitter "$S2_JITTER" \
    --size-update "$SIZE_UPDATE" --size-gate "$SIZE_GATE" --box-average "$BOX_AVERAGE"
train "$OUT/stage2-full" "$OUT/stage1/model.safetensors" "$S2_EPOCHS" "$S2_SAMPLES" "$S2_LR_FULL" \
    "$OUT/data/domain1-train" --full --translation-jitter "$S2_JITTER" --size-update "$SIZE_UPDATE" \
    --size-gate "$SIZE_GATE" --box-average "$BOX_AVERAGE"
fi
train "$OUT/stage2-ship" "$OUT/stage1/model.safetensors" "$S2_EPOCHS_SHIP" "$S2_SAMPLES" "$S2_LR_FULL" \
    "$OUT/data/domain1-train" --full --translation-jitter "$S2_JITTER" --size-update "$SIZE_UPDATE" \
    --size-gate "$SIZE_GATE" --box-average "$BOX_AVERAGE"

for m in stage1 stage2-lora stage2-full stage2-ship; do
    for d in domain0-test domain1-test; do
        if [ -f "$OUT/eval/$m-$d.json" ] || [ ! -f "$OUT/$m/model.safetensors" ]; then continue; fi
        log "eval $m on the held-out set $d"
        mkdir -p "$OUT/eval"
        "$LORAT" eval --model "$OUT/$m/model.safetensors" --dataset custom --root "$OUT/data/$d" \
            --out "$OUT/eval/$m-$d" --jobs 2 --threads 1 --json --quiet >"$OUT/eval/$m-$d.json.tmp"
        mv "$OUT/eval/$m-$d.json.tmp" "$OUT/eval/$m-$d.json"
    done
done
log "done: $OUT/stage2-ship/model.safetensors is the one shipped (scores in $OUT/eval/): cp it to models/lorat-t.safetensors"
