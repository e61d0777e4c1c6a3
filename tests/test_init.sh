# test_init.sh — `lorat init`: a randomly initialised model file that every other command loads:
# the preset T's sizes and configuration in the metadata, the init's statistics (trunc-normal
# 0.02 weights, zero biases, unit norms, LayerScale as asked), determinism per seed, custom sizes,
# training from it (--full) and bad arguments.
. "$(dirname "$0")/lib.sh"

check "init T" "$LORAT" init --variant T --seed 3 -o "$TMP/t.safetensors"
check "info reads it" "$LORAT" info --model "$TMP/t.safetensors" --json
cp "$TMP/last.log" "$TMP/info.json"
check "T's sizes" "$PYTHON" - "$TMP/info.json" "$TMP/t.safetensors" "$LORAT_SRC/tests/reference" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[3])
from safetensors_io import load_file
info = json.load(open(sys.argv[1]))
assert info["variant"] == "T", info
assert 2.9e6 < info["params"]["inference"] < 3.1e6, info["params"]
assert info["params"]["lora"] == 0, info["params"]
t, meta = load_file(sys.argv[2], with_metadata=True)
for k, v in (("format", "lorat"), ("dim", "192"), ("depth", "6"), ("heads", "3"), ("patch", "16"),
             ("template_w", "5"), ("search_w", "10"), ("lora_merged", "1"), ("init", "random")):
    assert meta.get(k) == v, (k, meta.get(k), v)
w = t["blocks.2.mlp.fc1.weight"]
assert abs(float(w.std()) - 0.0188) < 0.002, float(w.std())  # trunc_normal(0.02) cut at +-2
assert float(w.abs().max()) <= 2.0
assert float(t["blocks.2.mlp.fc1.bias"].abs().max()) == 0
assert float((t["blocks.0.norm1.weight"] - 1).abs().max()) == 0
assert abs(float(t["blocks.5.ls2.gamma"].mean()) - 1e-5) < 1e-9
assert tuple(t["pos_embed"].shape) == (1, 100, 192), t["pos_embed"].shape
assert tuple(t["token_type_embed"].shape) == (3, 192)
PY
check "init T again, same seed" "$LORAT" init --variant T --seed 3 -o "$TMP/t2.safetensors"
check "same seed, same file" cmp "$TMP/t.safetensors" "$TMP/t2.safetensors"
check "another seed" "$LORAT" init --variant T --seed 4 -o "$TMP/t4.safetensors"
check "another seed, another file" bash -c "! cmp -s '$TMP/t.safetensors' '$TMP/t4.safetensors'"
check "--layerscale 0.1" "$LORAT" init --variant T --seed 3 --layerscale 0.1 -o "$TMP/ls.safetensors"
check "LayerScale 0.1, the rest as before" "$PYTHON" - "$TMP/ls.safetensors" "$TMP/t.safetensors" "$LORAT_SRC/tests/reference" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
from safetensors_io import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
for k in a:
    if k.endswith(".gamma"):
        assert float((a[k] - 0.1).abs().max()) < 1e-7, k
    else:
        assert bool((a[k] == b[k]).all()), k
PY
check "--pos-embed sincos" "$LORAT" init --variant T --seed 3 --pos-embed sincos -o "$TMP/sc.safetensors"
check "the sine-cosine code in pos_embed, the rest as before" "$PYTHON" - "$TMP/sc.safetensors" "$TMP/t.safetensors" "$LORAT_SRC/tests/reference" <<'PY'
import math, sys
sys.path.insert(0, sys.argv[3])
from safetensors_io import load_file
a, b = load_file(sys.argv[1]), load_file(sys.argv[2])
for k in a:
    if k != "pos_embed":
        assert bool((a[k] == b[k]).all()), k
p = a["pos_embed"][0]
assert tuple(p.shape) == (100, 192), p.shape
worst = 0.0
for y in range(10):
    for x in range(10):
        for k in range(48):
            w = 10000.0 ** (-k / 48)
            want = (math.sin(x * w), math.cos(x * w), math.sin(y * w), math.cos(y * w))
            for part in range(4):
                worst = max(worst, abs(float(p[y * 10 + x, part * 48 + k]) - want[part]))
assert worst < 1e-6, worst
PY
check_error "--pos-embed with an unknown value" "--pos-embed 'learned'" "$LORAT" init --pos-embed learned \
    -o "$TMP/x.safetensors"
check_error "--pos-embed sincos on a width not divisible by 4" "divisible by 4" "$LORAT" init --dim 66 \
    --heads 1 --pos-embed sincos -o "$TMP/x.safetensors"
check "custom sizes" "$LORAT" init --dim 128 --depth 2 --heads 2 --patch 14 --template-grid 4x4 \
    --search-grid 8x8 -o "$TMP/c.safetensors"
check "custom sizes load" "$LORAT" info --model "$TMP/c.safetensors"
cp "$TMP/last.log" "$TMP/info.txt"
check "custom sizes in the summary" grep -q "dim 128, depth 2, heads 2" "$TMP/info.txt"

# The file trains from scratch and what it trains tracks.
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 4 --frames 30 --seed 5
check "full training from the random init" "$LORAT" train --data "custom:$TMP/data" \
    --backbone "$TMP/c.safetensors" --full --out "$TMP/run" --epochs 1 --samples-per-epoch 32 \
    --batch 8 --threads 2 --workers 1 --size-update 0.5 --size-gate 0.4 --box-average 1 --window-influence 0.3 --quiet
check "the tracking options are recorded" "$LORAT" info --model "$TMP/run/model.safetensors" --json
cp "$TMP/last.log" "$TMP/run-info.json"
check "size_update 0.5, size_gate 0.4, box_average 1, window_influence 0.3 in the file" "$PYTHON" - "$TMP/run-info.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tracking"]
assert (t["size_update"], t["size_gate"], t["box_average"], t["window_influence"]) == (0.5, 0.4, 1, 0.3), t
PY
check_error "a bad tracking option is refused before training" "--box-average '9'" "$LORAT" train \
    --data "custom:$TMP/data" --backbone "$TMP/c.safetensors" --full --out "$TMP/run-bad" --box-average 9
check "nothing written for it" test ! -e "$TMP/run-bad"
check "the trained model tracks" "$LORAT" track --model "$TMP/run/model.safetensors" \
    --sequence "$TMP/data/synth_000001" --out "$TMP/boxes.txt" --quiet
check "a box per frame" bash -c "[ \$(wc -l <'$TMP/boxes.txt') -eq 30 ]"

check_error "no -o" "-o is required" "$LORAT" init --variant T
check_error "an unknown variant" "unknown variant 'Q'" "$LORAT" init --variant Q -o "$TMP/x.safetensors"
check_error "a bad --layerscale" "--layerscale" "$LORAT" init --layerscale -1 -o "$TMP/x.safetensors"
check_error "a bad --dim" "--dim" "$LORAT" init --dim zero -o "$TMP/x.safetensors"
check_error "an unwritable output names it" "$TMP/no/such" "$LORAT" init -o "$TMP/no/such/x.safetensors"
check "nothing written on bad arguments" test ! -e "$TMP/x.safetensors"
finish
