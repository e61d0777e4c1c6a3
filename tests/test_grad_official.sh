# test_grad_official.sh — the training loss and gradients of lorat against the official LoRAT
# code (tests/data/official/model, see its README): for the three tiny configurations, the model
# converted with LoRA unmerged, `lorat forward --grad` on the official inputs and GT boxes; every
# trainable tensor's gradient against grads.safetensors (relative error <= 1e-4), the soft
# classification target against labels.safetensors, and the losses against loss.json (1e-5).
# Full mode (--grad --full: every parameter, frozen ones included) against autograd through the
# project's PyTorch reference (tests/reference/lorat_ref.py) on the same model and loss, 1e-4.
# Also: --grad on a merged model fails with a clear message.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model
cat >"$TMP/prep.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file, save_file
d, out = sys.argv[2], sys.argv[3]
inp, lab = load_file(d + "/inputs.safetensors"), load_file(d + "/labels.safetensors")
save_file({"z": inp["z"], "x": inp["x"], "z_feat_mask": inp["z_feat_mask"],
           "gt_boxes": lab["gt_boxes_norm"]}, out + "-inputs.safetensors")
# the official gradient names carry no prefix
save_file({"grad." + k: v for k, v in load_file(d + "/grads.safetensors").items()},
          out + "-ref-grads.safetensors")
save_file({"cls_target": lab["cls_target"]}, out + "-ref-labels.safetensors")
PY
cat >"$TMP/loss.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file
ours, ref = load_file(sys.argv[2]), json.load(open(sys.argv[3]))
bad = 0
for key, name in (("loss", "total"), ("loss_cls", "cls"), ("loss_reg", "reg")):
    a, b = float(ours[key].reshape(-1)[0]), ref[name]
    rel = abs(a - b) / abs(b)
    print(f"{key:9s} {a:.7f} official {b:.7f} rel {rel:.2e}")
    bad += rel > 1e-5
sys.exit(1 if bad else 0)
PY
# full.py: d(total)/d(every parameter) by autograd through lorat_ref, the loss written out as the
# official criterion computes it (soft target and positives from the official labels).
cat >"$TMP/full.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import torch
from safetensors_io import load_file, save_file
import lorat_ref as R
model, inputs, labels, out = sys.argv[2:6]
dim, depth, heads, ffn, tg, sg = sys.argv[6], sys.argv[7], sys.argv[8], sys.argv[9], sys.argv[10], sys.argv[11]
tw, th = map(int, tg.split("x")); sw, sh = map(int, sg.split("x"))
cfg = R.Config(dim=int(dim), depth=int(depth), heads=int(heads), ffn=ffn, template_grid=(tw, th),
               search_grid=(sw, sh), rank=8, alpha=16)
w = {k: v.clone().requires_grad_(True) for k, v in load_file(model).items()}
inp, lab = load_file(inputs), load_file(labels)
o = R.forward(w, cfg, cfg.scaling, inp["z"], inp["x"], inp["z_feat_mask"])
pos = lab["label_map"].bool()
npos = max(float(pos.sum()), 1.0)
cls = torch.nn.functional.binary_cross_entropy_with_logits(o["score_map"], lab["cls_target"], reduction="sum") / npos
p = o["boxes"][pos]
g = lab["gt_boxes_norm"][:, None, None, :].expand_as(o["boxes"])[pos]
eps = torch.tensor(1e-6)
a1 = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]); a2 = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
wh = (torch.min(p[:, 2:], g[:, 2:]) - torch.max(p[:, :2], g[:, :2])).clamp(min=0)
ov = wh[:, 0] * wh[:, 1]
un = torch.max(a1 + a2 - ov, eps)
ewh = (torch.max(p[:, 2:], g[:, 2:]) - torch.min(p[:, :2], g[:, :2])).clamp(min=0)
ea = torch.max(ewh[:, 0] * ewh[:, 1], eps)
reg = (1 - (ov / un - (ea - un) / ea)).sum() / npos
(cls + reg).backward()
save_file({"grad." + k: v.grad for k, v in w.items() if v.grad is not None}, out)
print(float(cls), float(reg))
PY
for spec in "tiny-mlp 4x4 8x8 64 2 1 mlp" "tiny-swiglu 4x4 8x8 64 2 1 swiglu" "tiny-odd 5x5 11x11 128 3 2 mlp"; do
    set -- $spec
    name=$1
    model=$TMP/$name.safetensors
    check "$name: convert --no-merge" "$LORAT" convert --dinov2 "$M/$name/dinov2.pth" \
        --checkpoint "$M/$name/lorat_trainable.safetensors" --template-grid $2 --search-grid $3 \
        -o "$model" --no-merge
    check "$name: inputs" "$PYTHON" "$TMP/prep.py" "$LORAT_SRC/tests/reference" "$M/$name" "$TMP/$name"
    check "$name: forward --grad" "$LORAT" forward --model "$model" --inputs "$TMP/$name-inputs.safetensors" \
        --out "$TMP/$name-out.safetensors" --grad
    check "$name: gradients vs official (rel 1e-4)" "$LORAT" compare "$TMP/$name-out.safetensors" \
        "$TMP/$name-ref-grads.safetensors" --rtol 1e-4
    check "$name: cls_target vs official (rel 1e-5)" "$LORAT" compare "$TMP/$name-out.safetensors" \
        "$TMP/$name-ref-labels.safetensors" --rtol 1e-5
    check "$name: losses vs loss.json (rel 1e-5)" "$PYTHON" "$TMP/loss.py" "$LORAT_SRC/tests/reference" \
        "$TMP/$name-out.safetensors" "$M/$name/loss.json"
    check "$name: outputs of the training forward vs official (rel 1e-5)" "$LORAT" compare \
        "$TMP/$name-out.safetensors" "$M/$name/outputs.safetensors" --rtol 1e-5
    check "$name: forward --grad --full" "$LORAT" forward --model "$model" \
        --inputs "$TMP/$name-inputs.safetensors" --out "$TMP/$name-full.safetensors" --grad --full
    check "$name: full-mode reference gradients (PyTorch)" "$PYTHON" "$TMP/full.py" \
        "$LORAT_SRC/tests/reference" "$model" "$TMP/$name-inputs.safetensors" \
        "$M/$name/labels.safetensors" "$TMP/$name-ref-full.safetensors" $4 $5 $6 $7 $2 $3
    check "$name: every parameter's gradient vs PyTorch autograd (rel 1e-4)" "$LORAT" compare \
        "$TMP/$name-full.safetensors" "$TMP/$name-ref-full.safetensors" --rtol 1e-4
    check "$name: full-mode trainable gradients vs official (rel 1e-4)" "$LORAT" compare \
        "$TMP/$name-full.safetensors" "$TMP/$name-ref-grads.safetensors" --rtol 1e-4
done
check "merged model: convert" "$LORAT" convert --dinov2 "$M/tiny-mlp/dinov2.pth" \
    --checkpoint "$M/tiny-mlp/lorat_trainable.safetensors" --template-grid 4x4 --search-grid 8x8 \
    -o "$TMP/merged.safetensors"
check_error "--grad on a merged model" "--no-merge" "$LORAT" forward --model "$TMP/merged.safetensors" \
    --inputs "$TMP/tiny-mlp-inputs.safetensors" --out "$TMP/x.safetensors" --grad
check_error "--grad without gt_boxes" "gt_boxes" "$LORAT" forward --model "$TMP/tiny-mlp.safetensors" \
    --inputs "$M/tiny-mlp/inputs.safetensors" --out "$TMP/x.safetensors" --grad
finish
