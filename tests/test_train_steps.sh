# test_train_steps.sh — ten AdamW steps on one fixed batch against the project's PyTorch
# reference (issue 5): for the three official tiny configurations (tests/data/official/model),
# the model converted with LoRA unmerged, `lorat forward --grad --steps 10 --lr 1e-3` (train
# forward, loss, backward, clip at 1.0, AdamW with the official groups and weight decay 0.1) and
# tests/reference/train_steps.py (lorat_ref, the loss in torch, clip_grad_norm_, torch.optim.AdamW)
# with the same settings. The lr is ten times the paper's so that the parameters move visibly
# (about 1e-2 over the ten steps) and a wrong step shows. Checks: each step's losses to 1e-5
# relative, the final trainable parameters with `lorat compare --rtol 1e-4`.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model
STEPS=10
LR=1e-3
cat >"$TMP/prep.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file, save_file
d, out = sys.argv[2], sys.argv[3]
inp, lab = load_file(d + "/inputs.safetensors"), load_file(d + "/labels.safetensors")
save_file({"z": inp["z"], "x": inp["x"], "z_feat_mask": inp["z_feat_mask"],
           "gt_boxes": lab["gt_boxes_norm"]}, out)
PY
# losses.py: every step's total, cls and reg loss, ours against the reference (relative 1e-5);
# the losses must also change over the steps (else the steps did nothing and the test is moot).
cat >"$TMP/losses.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file
ours, ref = load_file(sys.argv[2]), load_file(sys.argv[3])
bad, worst = 0, 0.0
for key in ("losses", "losses_cls", "losses_reg"):
    a, b = ours[key].double(), ref[key].double()
    if a.shape != b.shape:
        print(f"{key}: shape {tuple(a.shape)} but the reference has {tuple(b.shape)}")
        bad += 1
        continue
    for t in range(b.shape[0]):
        rel = abs(float(a[t]) - float(b[t])) / abs(float(b[t]))
        worst = max(worst, rel)
        flag = "" if rel <= 1e-5 else "  <-- over 1e-5"
        print(f"{key:10s} step {t + 1:2d}: lorat {float(a[t]):.7f} torch {float(b[t]):.7f} rel {rel:.2e}{flag}")
        bad += rel > 1e-5
l = ref["losses"]
if abs(float(l[-1]) - float(l[0])) < 1e-3 * abs(float(l[0])):
    print("the loss hardly changed over the steps: the test would not see a wrong update")
    bad += 1
print(f"max relative error over the steps: {worst:.2e}")
sys.exit(1 if bad else 0)
PY
for spec in "tiny-mlp 4x4 8x8 64 2 1 mlp" "tiny-swiglu 4x4 8x8 64 2 1 swiglu" "tiny-odd 5x5 11x11 128 3 2 mlp"; do
    set -- $spec
    name=$1
    model=$TMP/$name.safetensors
    check "$name: convert --no-merge" "$LORAT" convert --dinov2 "$M/$name/dinov2.pth" \
        --checkpoint "$M/$name/lorat_trainable.safetensors" --template-grid $2 --search-grid $3 \
        -o "$model" --no-merge
    check "$name: inputs" "$PYTHON" "$TMP/prep.py" "$LORAT_SRC/tests/reference" "$M/$name" \
        "$TMP/$name-inputs.safetensors"
    check "$name: forward --grad --steps $STEPS" "$LORAT" forward --model "$model" \
        --inputs "$TMP/$name-inputs.safetensors" --out "$TMP/$name-out.safetensors" --grad \
        --steps $STEPS --lr $LR
    check "$name: PyTorch reference steps" "$PYTHON" "$LORAT_SRC/tests/reference/train_steps.py" \
        "$model" "$TMP/$name-inputs.safetensors" "$TMP/$name-ref.safetensors" --dim $4 --depth $5 \
        --heads $6 --ffn $7 --template-grid $2 --search-grid $3 --steps $STEPS --lr $LR
    check "$name: losses of each step vs PyTorch (rel 1e-5)" "$PYTHON" "$TMP/losses.py" \
        "$LORAT_SRC/tests/reference" "$TMP/$name-out.safetensors" "$TMP/$name-ref.safetensors"
    sed -n "s/^max relative error/$name: losses, max relative error/p" "$TMP/last.log"
    check "$name: parameters after $STEPS steps vs PyTorch (rel 1e-4)" "$LORAT" compare \
        "$TMP/$name-out.safetensors" "$TMP/$name-ref.safetensors" --rtol 1e-4
    awk -v n="$name" '$2 ~ /^param\./ && $4 + 0 > w { w = $4 + 0 }
        END { printf "%s: parameters, max relative error %.2e\n", n, w }' "$TMP/last.log"
done
check_error "--steps without --grad" "--steps needs --grad" "$LORAT" forward --model "$TMP/tiny-mlp.safetensors" \
    --inputs "$TMP/tiny-mlp-inputs.safetensors" --out "$TMP/x.safetensors" --steps 2
check_error "--steps 0" "--steps" "$LORAT" forward --model "$TMP/tiny-mlp.safetensors" \
    --inputs "$TMP/tiny-mlp-inputs.safetensors" --out "$TMP/x.safetensors" --grad --steps 0
finish
