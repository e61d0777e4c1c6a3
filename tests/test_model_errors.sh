# test_model_errors.sh — bad input to convert / forward / model loading: each must fail with
# exit status 1 or 2 (never a crash) and a message that names the file and tensor at fault.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model/tiny-mlp
G="--template-grid 4x4 --search-grid 8x8"
ck=$M/lorat_trainable.safetensors

# A modified copy of the checkpoint: edit.py OUT EXPR, EXPR acting on the dict `t`.
edit() {
    "$PYTHON" - "$ck" "$1" "$2" <<'PY'
import sys
import os; sys.path.insert(0, os.environ["LORAT_SRC"] + "/tests/reference")
from safetensors_io import load_file, save_file
import torch
t = load_file(sys.argv[1])
exec(sys.argv[3])
save_file(t, sys.argv[2])
PY
}

check "make checkpoint without a head tensor" edit "$TMP/nohead.safetensors" 'del t["head.reg_mlp.layers.2.bias"]'
check_error "missing checkpoint tensor" "head.reg_mlp.layers.2.bias is missing" \
    "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$TMP/nohead.safetensors" $G -o "$TMP/x.safetensors"
check "make checkpoint with a wrong LoRA shape" edit "$TMP/badrank.safetensors" \
    't["blocks.1.mlp.fc2.lora.B"] = torch.zeros(64, 4)'
check_error "wrong LoRA shape" "blocks.1.mlp.fc2.lora.B" \
    "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$TMP/badrank.safetensors" $G -o "$TMP/x.safetensors"
check "make checkpoint with an unknown tensor" edit "$TMP/extra.safetensors" 't["blocks.0.attn.qkv.w.lora.A"] = torch.zeros(8, 64)'
check_error "unexpected checkpoint tensor" "unexpected tensor blocks.0.attn.qkv.w.lora.A" \
    "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$TMP/extra.safetensors" $G -o "$TMP/x.safetensors"
check_error "backbone of another size for the variant" "is this the backbone of another size" \
    "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$ck" --variant B-224 -o "$TMP/x.safetensors"
check_error "checkpoint of another model" "tensor" \
    "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$DATA/official/model/tiny-odd/lorat_trainable.safetensors" $G -o "$TMP/x.safetensors"
check_error "missing backbone file" "no-such.pth" \
    "$LORAT" convert --dinov2 "$TMP/no-such.pth" $G -o "$TMP/x.safetensors"
check_error "convert without an output" "required" "$LORAT" convert --dinov2 "$M/dinov2.pth"
check_error "nothing written on failure" "x.safetensors" ls "$TMP/x.safetensors"

# A good model, then damaged copies of it.
check "convert tiny-mlp" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$ck" $G -o "$TMP/good.safetensors"
size=$(stat -c %s "$TMP/good.safetensors")
head -c $((size / 2)) "$TMP/good.safetensors" >"$TMP/truncated.safetensors"
check_error "truncated model file" "truncated.safetensors" \
    "$LORAT" forward --model "$TMP/truncated.safetensors" --inputs "$M/inputs.safetensors" --out "$TMP/o.safetensors"
check_error "a checkpoint is not a model file" "not a lorat model file" \
    "$LORAT" forward --model "$ck" --inputs "$M/inputs.safetensors" --out "$TMP/o.safetensors"
check "convert tiny-odd" "$LORAT" convert --dinov2 "$DATA/official/model/tiny-odd/dinov2.pth" \
    --checkpoint "$DATA/official/model/tiny-odd/lorat_trainable.safetensors" --template-grid 5x5 --search-grid 11x11 \
    -o "$TMP/odd.safetensors"
check_error "inputs of another model's size" "tensor z has shape (2,3,56,56) but the model expects (-1,3,70,70)" \
    "$LORAT" forward --model "$TMP/odd.safetensors" --inputs "$M/inputs.safetensors" --out "$TMP/o.safetensors"
check_error "not a model at all" "not-a-model" sh -c "echo hello > '$TMP/not-a-model' && '$LORAT' forward --model '$TMP/not-a-model' --inputs '$M/inputs.safetensors' --out '$TMP/o.safetensors'"
finish
