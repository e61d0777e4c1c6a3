# test_train_coco.sh — `lorat train --data coco:ROOT` end to end with the tiny official backbone:
# a small COCO-style set (images taken from `lorat synth` frames, boxes from their ground truth,
# plus a crowd object and an out-of-image one that the reader drops) trains alone and mixed with
# a synth set; a COCO root without its annotation file is refused clearly.
. "$(dirname "$0")/lib.sh"
BB=$DATA/official/model/tiny-mlp/dinov2.pth
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 4 --frames 12 --seed 3
check "build a tiny COCO set" "$PYTHON" - "$TMP/data" "$TMP/coco" <<'PY'
import json, os, shutil, sys
src, root = sys.argv[1], sys.argv[2]
os.makedirs(f"{root}/annotations")
os.makedirs(f"{root}/train2017")
names = [l.strip() for l in open(f"{src}/list.txt") if l.strip()]
images, anns = [], []
for k, name in enumerate(names, 1):
    for frame in (1, 7):
        image_id = 100 * k + frame
        file = f"{image_id:012d}.jpg"
        shutil.copy(f"{src}/{name}/{frame:08d}.jpg", f"{root}/train2017/{file}")
        res = [l for l in open(f"{src}/{name}/meta_info.ini") if l.startswith("resolution")][0]
        w, h = (int(v) for v in res.split(":")[1].strip(" ()\n").split(","))
        x, y, bw, bh = (float(v) for v in open(f"{src}/{name}/groundtruth.txt").read().split("\n")[frame - 1].replace(",", " ").split())
        images.append({"license": 1, "file_name": file, "height": h, "width": w, "id": image_id})
        seg = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]]
        if bw > 0 and bh > 0 and x >= 0 and y >= 0 and x + bw <= w and y + bh <= h:
            anns.append({"segmentation": seg, "area": bw * bh, "iscrowd": 0, "image_id": image_id,
                         "bbox": [x, y, bw, bh], "category_id": 1, "id": len(anns) + 1})
        anns.append({"segmentation": {"counts": [0, 4], "size": [h, w]}, "area": 4, "iscrowd": 1,
                     "image_id": image_id, "bbox": [0, 0, 2, 2], "category_id": 1, "id": len(anns) + 1})
        anns.append({"segmentation": seg, "area": 100, "iscrowd": 0, "image_id": image_id,
                     "bbox": [w - 5, 0, 10, 10], "category_id": 1, "id": len(anns) + 1})
assert len(anns) - 2 * len(images) >= 4, "too few usable objects"
json.dump({"info": {}, "licenses": [], "images": images, "annotations": anns,
           "categories": [{"id": 1, "name": "thing", "supercategory": "thing"}]},
          open(f"{root}/annotations/instances_train2017.json", "w"))
PY
train() {
    "$LORAT" train --backbone "$BB" --template-grid 4x4 --search-grid 8x8 \
        --epochs 1 --samples-per-epoch 32 --batch 16 --rank 8 --alpha 16 --lr 1e-3 --warmup-epochs 0 \
        --threads 2 --workers 2 --quiet "$@"
}
logged() {
    "$PYTHON" - "$1" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, len(rows)
assert all(math.isfinite(r["loss"]) for r in rows), rows
PY
}
check "train on COCO alone" train --data "coco:$TMP/coco" --out "$TMP/run_coco"
check "COCO run: 2 steps, finite losses" logged "$TMP/run_coco/log.jsonl"
check "COCO run writes a model that loads" "$LORAT" info --model "$TMP/run_coco/model.safetensors"
check "the COCO run trained LoRA" "$PYTHON" - "$LORAT_SRC/tests/reference" \
    "$TMP/run_coco/checkpoint/epoch_1/model.safetensors" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from safetensors_io import load_file
ckpt = load_file(sys.argv[2])
lora_b = [k for k in ckpt if k.endswith(".lora.B")]
assert lora_b and any(abs(ckpt[k]).max() > 0 for k in lora_b), "LoRA B is still zero: nothing trained"
PY
check "train on COCO mixed with synth" train --data "coco:$TMP/coco:1" --data "custom:$TMP/data:2" \
    --out "$TMP/run_mix"
check "mixed run: 2 steps, finite losses" logged "$TMP/run_mix/log.jsonl"

mkdir -p "$TMP/bare/train2017"
check_error "a COCO root without annotations" "instances_train2017.json" "$LORAT" train \
    --data "coco:$TMP/bare" --backbone "$BB" --template-grid 4x4 --search-grid 8x8 --out "$TMP/x"
finish
