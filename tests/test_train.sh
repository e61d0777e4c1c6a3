# test_train.sh — `lorat train` end to end on synthetic sequences with the tiny official backbone:
# the loss goes down, the model file it writes tracks, its checkpoint is in the official layout
# (lorat convert reads it), a run stopped after a checkpoint and resumed gives exactly the losses
# of one that was never stopped, validation runs through the evaluation module, full fine-tuning
# runs, and bad input is refused clearly.
. "$(dirname "$0")/lib.sh"
BB=$DATA/official/model/tiny-mlp/dinov2.pth
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 8 --frames 60 --seed 2
train() {
    "$LORAT" train --data "custom:$TMP/data" --backbone "$BB" --template-grid 4x4 --search-grid 8x8 \
        --epochs 4 --samples-per-epoch 256 --batch 16 --rank 8 --alpha 16 --lr 1e-3 --warmup-epochs 1 \
        --save-every 2 --threads 2 --workers 2 --quiet "$@"
}
check "train 4 epochs" train --out "$TMP/run"
check "the loss goes down" "$PYTHON" - "$TMP/run/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 64, len(rows)
first = sum(r["loss"] for r in rows[:8]) / 8
last = sum(r["loss"] for r in rows[-8:]) / 8
print(f"loss {first:.3f} -> {last:.3f}")
assert last < 0.6 * first, (first, last)
PY
check "checkpoints at epochs 2 and 4" test -f "$TMP/run/checkpoint/epoch_2/model.safetensors" -a \
    -f "$TMP/run/checkpoint/epoch_4/state.safetensors"
check "the checkpoint is in the official layout" "$LORAT" convert --dinov2 "$BB" \
    --checkpoint "$TMP/run/checkpoint/epoch_4/model.safetensors" --template-grid 4x4 --search-grid 8x8 -o "$TMP/conv.safetensors"
check "the trained model tracks" "$LORAT" track --model "$TMP/run/model.safetensors" \
    --sequence "$TMP/data/$(head -n 1 "$TMP/data/list.txt")" --out "$TMP/boxes.txt" --quiet
check "the merged model equals the converted checkpoint" "$LORAT" compare "$TMP/run/model.safetensors" \
    "$TMP/conv.safetensors" --rtol 1e-6 --quiet

# Stop after epoch 2 (its checkpoint complete), resume: the same losses, step for step.
cp -r "$TMP/run" "$TMP/resumed"
rm -r "$TMP/resumed/checkpoint/epoch_4" "$TMP/resumed/model.safetensors"
head -n 32 "$TMP/run/log.jsonl" >"$TMP/resumed/log.jsonl"
check "resume from epoch 2" train --out "$TMP/resumed" --resume
check "resumed losses equal the uninterrupted run's" "$PYTHON" - "$TMP/run/log.jsonl" "$TMP/resumed/log.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 64, (len(a), len(b))
for x, y in zip(a[32:], b[32:]):
    assert x["step"] == y["step"] and x["loss"] == y["loss"] and x["lr"] == y["lr"], (x, y)
PY
check "resumed model equals the uninterrupted one" "$LORAT" compare "$TMP/resumed/model.safetensors" \
    "$TMP/run/model.safetensors" --rtol 0 --quiet

# A run in chunks (--stop-after, then --resume): the losses and the model of the run in one go.
check "the first chunk stops after epoch 2" train --out "$TMP/chunked" --stop-after 2
check "no model file after a chunk" test ! -e "$TMP/chunked/model.safetensors"
check "the second chunk resumes" train --out "$TMP/chunked" --resume
check "chunked losses equal the run in one go" "$PYTHON" - "$TMP/run/log.jsonl" "$TMP/chunked/log.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 64, (len(a), len(b))
for x, y in zip(a, b):
    assert x["step"] == y["step"] and x["loss"] == y["loss"] and x["lr"] == y["lr"], (x, y)
PY
check "chunked model equals the run in one go" "$LORAT" compare "$TMP/chunked/model.safetensors" \
    "$TMP/run/model.safetensors" --rtol 0 --quiet
check "--translation-jitter changes the crops" train --out "$TMP/jit" --stop-after 1 --translation-jitter 1.5
check "other crops, other losses" bash -c "! cmp -s <(head -n 16 '$TMP/run/log.jsonl' | cut -d, -f3) <(head -n 16 '$TMP/jit/log.jsonl' | cut -d, -f3)"
check_error "a bad --translation-jitter" "--translation-jitter" train --out "$TMP/x4" --translation-jitter 0

check "synthesise a validation set" "$LORAT" synth --out "$TMP/val" --sequences 3 --frames 20 --seed 99
check "validation every epoch" train --out "$TMP/withval" --epochs 2 --val "custom:$TMP/val" --val-every 1
check "validation scores logged per epoch" "$PYTHON" - "$TMP/withval/val.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["epoch"] for r in rows] == [1, 2], rows
assert all(0 <= r["success_auc"] <= 1 and r["sequences"] == 3 for r in rows), rows
PY
check "validation result files" test -d "$TMP/withval/val/epoch_2"

check "full fine-tuning" train --out "$TMP/full" --full --epochs 2 --save-every 1
check "full fine-tuning writes a model" "$LORAT" info --model "$TMP/full/model.safetensors"

check_error "a --data without a root" "NAME:ROOT" "$LORAT" train --data custom --backbone "$BB" --out "$TMP/x"
check_error "a dataset folder that does not exist" "no-such" "$LORAT" train --data "custom:$TMP/no-such" --backbone "$BB" --template-grid 4x4 --search-grid 8x8 --out "$TMP/x2"
check_error "a backbone that does not exist" "missing.pth" "$LORAT" train --data "custom:$TMP/data" \
    --backbone "$TMP/missing.pth" --template-grid 4x4 --search-grid 8x8 --out "$TMP/x3"
finish
