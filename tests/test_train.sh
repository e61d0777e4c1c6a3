# test_train.sh — `lorat train` end to end on synthetic sequences with the tiny official backbone:
# the loss goes down, the model file it writes runs the tracker (one finite box per frame; it does
# not track well, see below), its checkpoint is in the official layout
# (lorat convert reads it), a run stopped after a checkpoint and resumed gives exactly the losses
# of one that was never stopped, validation runs through the evaluation module (a result file of every frame), full fine-tuning
# changes the backbone, and bad input is refused clearly.
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
check "the trained model file runs the tracker" "$LORAT" track --model "$TMP/run/model.safetensors" \
    --sequence "$TMP/data/$(head -n 1 "$TMP/data/list.txt")" --out "$TMP/boxes.txt" --quiet
# What this checks is that the file runs the tracker on every frame. It does not track well: the
# tiny random backbone trained for 4 epochs follows the target worse than a box left where it
# started (mean IoU ~0.05 against ~0.4; 16 epochs do no better). Tracking quality after training
# is test_shipped_model's (the shipped model, trained here, well above chance).
check "the trained model's boxes: one per frame, finite, positive" \
    "$PYTHON" - "$TMP/boxes.txt" "$TMP/data/$(head -n 1 "$TMP/data/list.txt")" <<'PY'
import math, sys
boxes = [[float(v) for v in l.split(",")] for l in open(sys.argv[1]) if l.strip()]
gt = [l for l in open(sys.argv[2] + "/groundtruth.txt") if l.strip()]
assert len(boxes) == len(gt) == 60, (len(boxes), len(gt))
assert all(len(b) == 4 and all(math.isfinite(v) for v in b) and b[2] > 0 and b[3] > 0 for b in boxes)
PY
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
check "validation result files: every sequence, every frame" "$PYTHON" - "$TMP/withval/val/epoch_2" "$TMP/val" <<'PY'
import os, sys
res, data = sys.argv[1:]
names = [l.strip() for l in open(os.path.join(data, "list.txt")) if l.strip()]
assert len(names) == 3, names
for n in names:
    rows = [l for l in open(os.path.join(res, n, n + "_001.txt")) if l.strip()]
    assert len(rows) == 20, (n, len(rows))
PY

check "full fine-tuning" train --out "$TMP/full" --full --epochs 2 --save-every 1
check "full fine-tuning writes a model" "$LORAT" info --model "$TMP/full/model.safetensors"
check "the backbone at the start of full fine-tuning" "$LORAT" convert --dinov2 "$BB" --template-grid 4x4 \
    --search-grid 8x8 -o "$TMP/start.safetensors"
check "full fine-tuning changed the backbone, not only the head" "$PYTHON" - "$LORAT_SRC/tests/reference" \
    "$TMP/start.safetensors" "$TMP/full/model.safetensors" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file
a, b = load_file(sys.argv[2]), load_file(sys.argv[3])
for name in ("patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.1.mlp.fc2.weight", "blocks.0.norm1.weight"):
    d = abs(a[name] - b[name]).max()
    assert d > 0, f"{name} did not change in full fine-tuning"
PY

check_error "a --data without a root" "NAME:ROOT" "$LORAT" train --data custom --backbone "$BB" --out "$TMP/x"
check_error "a dataset folder that does not exist" "no-such" "$LORAT" train --data "custom:$TMP/no-such" --backbone "$BB" --template-grid 4x4 --search-grid 8x8 --out "$TMP/x2"
check_error "a backbone that does not exist" "missing.pth" "$LORAT" train --data "custom:$TMP/data" \
    --backbone "$TMP/missing.pth" --template-grid 4x4 --search-grid 8x8 --out "$TMP/x3"
finish
