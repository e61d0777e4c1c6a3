# test_onnx.sh — `lorat export` against ONNX Runtime (npm onnxruntime-node 1.30, CPU; see
# scripts/install-deps.sh): the three tiny official configurations (tests/data/official/model),
# converted with LoRA unmerged so that the export merges, give the official outputs within 1e-4
# relative and `lorat forward`'s within 1e-5; so do opsets 13 and 14 (LayerNorm decomposed) and
# 21, a free batch size, weights in an external .data file, a bf16 model file, and an S-224-sized
# model (random weights, LayerScale 1 so that every block counts). onnx's checker accepts the
# files (opsets 14 and 17: python3-onnx 1.12 knows IR versions up to 8); the tracker-info JSON
# holds the crop sizes, normalisation, window and tracking values, also kept in the file's
# metadata; bad model files, opsets and paths give messages naming them.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model
ORT=${LORAT_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lorat/onnxruntime-node-1.30.0}
if [ ! -f "$ORT/node_modules/onnxruntime-node/package.json" ]; then
    fail "ONNX Runtime is not in $ORT: run scripts/install-deps.sh (or set LORAT_ORT_DIR)"
    finish
    exit 1
fi

ort_run() { node "$LORAT_SRC/tests/onnx_run.js" --ort "$ORT" --threads 2 "$@"; }
# onnx's checker with shape inference, on the model loaded in memory (external data included):
# given a path, check_model(full_check=True) writes the inferred model back over the file.
onnx_check() {
    "$PYTHON" -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' "$1"
}
# compare_keep NAME A REF RTOL: lorat compare, its report kept as $TMP/NAME.cmp (check's last.log
# is overwritten by the next check).
compare_keep() {
    local name=$1
    shift
    check "$name" "$LORAT" compare "$1" "$2" --rtol "$3"
    cp "$TMP/last.log" "$TMP/$name.cmp"
}

# name  template-grid  search-grid  opset  batch  extra export flags
cases=("tiny-mlp 4x4 8x8 17 2 -" "tiny-swiglu 4x4 8x8 17 dynamic -" "tiny-odd 5x5 11x11 17 dynamic --external-data"
       "tiny-mlp 4x4 8x8 13 dynamic -" "tiny-swiglu 4x4 8x8 14 2 -" "tiny-odd 5x5 11x11 21 2 -")
for spec in "${cases[@]}"; do
    set -- $spec
    name=$1 opset=$4 batch=$5 extra=$6
    [ "$extra" = - ] && extra=
    tag=$name-o$opset
    model=$TMP/$name.safetensors
    [ -f "$model" ] || check "$name: convert (LoRA unmerged)" "$LORAT" convert --dinov2 "$M/$name/dinov2.pth" \
        --checkpoint "$M/$name/lorat_trainable.safetensors" --template-grid $2 --search-grid $3 -o "$model" --no-merge
    [ -f "$TMP/$name-lorat.safetensors" ] || check "$name: lorat forward" "$LORAT" forward --model "$model" \
        --inputs "$M/$name/inputs.safetensors" --out "$TMP/$name-lorat.safetensors"
    check "$tag: export (opset $opset, batch $batch${extra:+, $extra})" "$LORAT" export --model "$model" \
        --onnx "$TMP/$tag.onnx" --opset $opset --batch $batch $extra
    grep -q "merged LoRA (rank 8, scaling 2)" "$TMP/last.log" && pass || fail "$tag: export did not say it merged LoRA"
    if [ $opset -le 17 ]; then
        check "$tag: onnx checker" onnx_check "$TMP/$tag.onnx"
    fi
    check "$tag: ONNX Runtime" ort_run --model "$TMP/$tag.onnx" --inputs "$M/$name/inputs.safetensors" \
        --out "$TMP/$tag-ort.safetensors"
    compare_keep "$tag-vs-lorat" "$TMP/$tag-ort.safetensors" "$TMP/$name-lorat.safetensors" 1e-5
    compare_keep "$tag-vs-official" "$TMP/$tag-ort.safetensors" "$M/$name/outputs.safetensors" 1e-4
done
# The external-data export: a small .onnx and the weights beside it, at their announced offsets.
odd=$TMP/tiny-odd-o17
if [ -f "$odd.onnx.data" ] && [ "$(stat -c %s "$odd.onnx")" -lt 100000 ] &&
   [ "$(stat -c %s "$odd.onnx.data")" -gt 1000000 ]; then pass; else fail "external data: tiny-odd-o17.onnx(.data) sizes"; fi

# A bf16 model file exports as fp32: ONNX Runtime matches lorat forward on the same file.
check "bf16: convert" "$LORAT" convert --model "$TMP/tiny-swiglu.safetensors" --dtype bf16 -o "$TMP/bf16.safetensors"
check "bf16: lorat forward" "$LORAT" forward --model "$TMP/bf16.safetensors" --inputs "$M/tiny-swiglu/inputs.safetensors" \
    --out "$TMP/bf16-lorat.safetensors"
check "bf16: export" "$LORAT" export --model "$TMP/bf16.safetensors" --onnx "$TMP/bf16.onnx" --batch 2
grep -q "holds BF16 weights: written as fp32" "$TMP/last.log" && pass || fail "bf16: export did not say it widened"
check "bf16: ONNX Runtime" ort_run --model "$TMP/bf16.onnx" --inputs "$M/tiny-swiglu/inputs.safetensors" \
    --out "$TMP/bf16-ort.safetensors"
compare_keep bf16-vs-lorat "$TMP/bf16-ort.safetensors" "$TMP/bf16-lorat.safetensors" 1e-5

# S-224: a full-size small model, batch 1 (what a tracker runs).
check "S-224: init" "$LORAT" init --variant S-224 --layerscale 1 --seed 3 -o "$TMP/s224.safetensors"
check "S-224: inputs" "$PYTHON" - "$TMP/s224-in.safetensors" <<'PY'
import json, struct, sys
import numpy as np
rng = np.random.default_rng(5)
mask = np.zeros((1, 8, 8), np.int64)
mask[0, 2:6, 3:7] = 1
tensors = {"z": rng.standard_normal((1, 3, 112, 112), np.float32),
           "x": rng.standard_normal((1, 3, 224, 224), np.float32), "z_feat_mask": mask}
header, blobs, off = {}, [], 0
for k, v in tensors.items():
    b = v.tobytes()
    header[k] = {"dtype": "F32" if v.dtype == np.float32 else "I64", "shape": list(v.shape),
                 "data_offsets": [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
PY
check "S-224: lorat forward" "$LORAT" forward --model "$TMP/s224.safetensors" --inputs "$TMP/s224-in.safetensors" \
    --out "$TMP/s224-lorat.safetensors"
check "S-224: export" "$LORAT" export --model "$TMP/s224.safetensors" --onnx "$TMP/s224.onnx" \
    --tracker-info "$TMP/s224-info.json"
check "S-224: onnx checker" onnx_check "$TMP/s224.onnx"
check "S-224: ONNX Runtime" ort_run --model "$TMP/s224.onnx" --inputs "$TMP/s224-in.safetensors" \
    --out "$TMP/s224-ort.safetensors"
compare_keep s224-vs-lorat "$TMP/s224-ort.safetensors" "$TMP/s224-lorat.safetensors" 1e-5

# The tracker-info JSON: sizes, factors, normalisation, window (against the formula), tracking
# values, and the same JSON inside the .onnx's metadata; the default path beside the .onnx.
check "tracker info: default path" test -s "$TMP/tiny-mlp-o17.tracker.json"
check "tracker info: contents" "$PYTHON" - "$TMP/s224-info.json" "$TMP/s224.onnx" <<'PY'
import json, sys
import numpy as np
import onnx
info = json.load(open(sys.argv[1]))
assert info["format"] == "lorat-tracker-info" and info["format_version"] == 1, info["format"]
assert info["network"]["file"] == "s224.onnx" and info["network"]["batch"] == 1
assert [t["name"] for t in info["network"]["inputs"]] == ["z", "x", "z_feat_mask"]
assert info["network"]["inputs"][1]["shape"] == [1, 3, 224, 224]
assert [t["name"] for t in info["network"]["outputs"]] == ["score_map", "boxes"]
assert info["template"]["size_px"] == [112, 112] and info["template"]["area_factor"] == 2
assert info["search"]["size_px"] == [224, 224] and info["search"]["grid"] == [16, 16]
assert info["search"]["area_factor"] == 4 and info["search"]["stride_px"] == 14
n = info["normalisation"]
assert n["mean"] == [0.485, 0.456, 0.406] and n["std"] == [0.229, 0.224, 0.225], n
assert abs(n["scale"] - 1 / 255) < 1e-12
p = info["postprocess"]
assert p["window_influence"] == 0.45 and p["min_box_size"] == 10, p
assert p["size_update"] == 1 and p["size_gate"] == 0 and p["box_average"] == 0 and p["official"]
w = np.array(p["window"]["values"])
h = np.hanning(16)
assert w.shape == (16, 16) and np.abs(w - np.outer(h, h)).max() < 1e-6, np.abs(w - np.outer(h, h)).max()
assert info["template_mask"]["shape"] == [8, 8] and len(info["postprocess"]["steps"]) == 6
meta = {e.key: e.value for e in onnx.load(sys.argv[2], load_external_data=False).metadata_props}
assert json.loads(meta["lorat.tracker_info"]) == info and meta["lorat.variant"] == "S-224", meta.keys()
PY

# Errors: each names what is wrong.
head -c 3000 "$TMP/tiny-mlp.safetensors" >"$TMP/truncated.safetensors"
check_error "truncated model file" "truncated.safetensors" \
    "$LORAT" export --model "$TMP/truncated.safetensors" --onnx "$TMP/bad.onnx"
check_error "not a model file" "inputs.safetensors" \
    "$LORAT" export --model "$M/tiny-mlp/inputs.safetensors" --onnx "$TMP/bad.onnx"
check_error "a .pth given" "dinov2.pth" "$LORAT" export --model "$M/tiny-mlp/dinov2.pth" --onnx "$TMP/bad.onnx"
check_error "missing model file" "nothere.safetensors" \
    "$LORAT" export --model "$TMP/nothere.safetensors" --onnx "$TMP/bad.onnx"
check_error "unsupported opset" "--opset 12 is not supported: lorat writes opsets 13..21" \
    "$LORAT" export --model "$TMP/tiny-mlp.safetensors" --onnx "$TMP/bad.onnx" --opset 12
check_error "bad batch" "--batch '0'" "$LORAT" export --model "$TMP/tiny-mlp.safetensors" --onnx "$TMP/bad.onnx" --batch 0
check_error "unwritable output" "$TMP/no/such/dir/m.onnx" \
    "$LORAT" export --model "$TMP/tiny-mlp.safetensors" --onnx "$TMP/no/such/dir/m.onnx"
[ ! -e "$TMP/bad.onnx" ] && pass || fail "a failed export left $TMP/bad.onnx behind"

# The worst relative error of each comparison, for the log.
for f in "$TMP"/*.cmp; do
    awk -v n="$(basename "$f" .cmp)" '$1 == "ok" || $1 == "FAIL" { printf "%-26s %-10s %s %s\n", n, $2, $3, $4 }' "$f"
done
finish
