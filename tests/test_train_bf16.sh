# test_train_bf16.sh — `lorat train --precision bf16` end to end on synthetic sequences with the
# tiny official backbone (as test_train.sh at fp32): the loss falls and follows the fp32 run's
# (mean relative difference per step below 5%); the merged model file equals `lorat convert` of
# its own checkpoint on the fp32 backbone (LoRA mode holds the frozen weights in bf16 only, so
# the file is rebuilt from the fp32 backbone); a run stopped after epoch 2 and resumed gives
# exactly the uninterrupted run's losses; validation runs; full fine-tuning runs at bf16; int8
# training is refused.
. "$(dirname "$0")/lib.sh"
BB=$DATA/official/model/tiny-mlp/dinov2.pth
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 8 --frames 60 --seed 2
train() {
    "$LORAT" train --data "custom:$TMP/data" --backbone "$BB" --template-grid 4x4 --search-grid 8x8 \
        --epochs 4 --samples-per-epoch 256 --batch 16 --rank 8 --alpha 16 --lr 1e-3 --warmup-epochs 1 \
        --save-every 2 --threads 2 --workers 2 --quiet "$@"
}
check "train 4 epochs at fp32" train --out "$TMP/fp32"
check "train 4 epochs at bf16" train --out "$TMP/bf16" --precision bf16 --val "custom:$TMP/data" --val-every 4
check "bf16 losses fall and follow fp32's" "$PYTHON" - "$TMP/fp32/log.jsonl" "$TMP/bf16/log.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 64, (len(a), len(b))
first = sum(r["loss"] for r in b[:8]) / 8
last = sum(r["loss"] for r in b[-8:]) / 8
rel = sum(abs(x["loss"] - y["loss"]) / x["loss"] for x, y in zip(a, b)) / len(a)
same = sum(x["loss"] == y["loss"] for x, y in zip(a, b))
print(f"bf16 loss {first:.3f} -> {last:.3f}; mean relative difference from fp32 {rel:.4f}")
assert last < 0.6 * first, (first, last)
assert rel < 0.05, rel
assert same < len(a) // 2, "bf16 gave fp32's losses: did it run at bf16?"
PY
check "validation ran" test -s "$TMP/bf16/val.jsonl"
check "convert the bf16 run's checkpoint on the fp32 backbone" "$LORAT" convert --dinov2 "$BB" \
    --checkpoint "$TMP/bf16/checkpoint/epoch_4/model.safetensors" --template-grid 4x4 --search-grid 8x8 \
    -o "$TMP/conv.safetensors"
check "the merged model equals it" "$LORAT" compare "$TMP/bf16/model.safetensors" "$TMP/conv.safetensors" \
    --rtol 1e-6 --quiet
check "the bf16-trained model tracks" "$LORAT" track --model "$TMP/bf16/model.safetensors" \
    --sequence "$TMP/data/$(head -n 1 "$TMP/data/list.txt")" --out "$TMP/boxes.txt" --quiet
check "it wrote a box per frame" test "$(wc -l <"$TMP/boxes.txt")" -eq 60

cp -r "$TMP/bf16" "$TMP/resumed"
rm -r "$TMP/resumed/checkpoint/epoch_4" "$TMP/resumed/model.safetensors"
head -n 32 "$TMP/bf16/log.jsonl" >"$TMP/resumed/log.jsonl"
check "resume the bf16 run from epoch 2" train --out "$TMP/resumed" --resume --precision bf16
check "resumed bf16 losses equal the uninterrupted run's" "$PYTHON" - "$TMP/bf16/log.jsonl" \
    "$TMP/resumed/log.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 64, (len(a), len(b))
for x, y in zip(a[32:], b[32:]):
    assert x["step"] == y["step"] and x["loss"] == y["loss"], (x, y)
PY
check "full fine-tuning at bf16" train --out "$TMP/full" --full --precision bf16 --epochs 2
check "full fine-tuning wrote its model" test -s "$TMP/full/model.safetensors"
check_error "int8 training is refused" "is not fp32 or bf16" train --out "$TMP/int8" --precision int8
finish
