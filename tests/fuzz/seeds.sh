#!/usr/bin/env bash
# seeds.sh OUT LORAT [PYTHON] — writes a seed corpus per harness into OUT/<harness>/, made from
# what the tests make: small safetensors and model files (lorat init), .pth files (torch.save, as
# the .pth tests write them), the pickle and zip inside them, ground-truth tables, JPEG and PNG
# frames and a short video (lorat synth, lorat track --render), dataset layouts, a COCO file,
# result files and model metadata. Small on purpose: a fuzzer mutates small inputs fastest.
set -euo pipefail
out=$1
lorat=$2
python=${3:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/../reference
tmp=$(mktemp -d /tmp/lorat-seeds.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for h in safetensors model pickle pth zip table image video datasets coco results metadata trax cli; do
    mkdir -p "$out/fuzz_$h"
done

# models and safetensors
"$lorat" init --dim 8 --depth 1 --heads 1 --mlp 16 --patch 2 --template-grid 1x1 --search-grid 2x2 \
    -o "$out/fuzz_model/init.safetensors" >/dev/null 2>&1
"$lorat" init --dim 8 --depth 1 --heads 2 --mlp 8 --patch 2 --template-grid 1x1 --search-grid 2x1 \
    -o "$out/fuzz_model/init2.safetensors" >/dev/null 2>&1
"$lorat" convert --model "$out/fuzz_model/init.safetensors" --dtype bf16 -o "$out/fuzz_model/bf16.safetensors" \
    >/dev/null 2>&1
cp "$out/fuzz_model/"*.safetensors "$out/fuzz_safetensors/"
cp "$here/../data/official/model/tiny-mlp/labels.safetensors" "$out/fuzz_safetensors/labels.safetensors"

# .pth, its pickle and its zip
"$python" - "$tmp" "$ref" <<'PY'
import sys, torch, zipfile
tmp = sys.argv[1]
torch.manual_seed(0)
cases = {
    "f32": {"a": torch.randn(3, 2), "b": torch.arange(4.0)},
    "f16": {"w": torch.randn(2, 2).half()},
    "bf16": {"w": torch.randn(2, 3).bfloat16()},
    "view": {"v": torch.arange(12.0).reshape(3, 4)[:, 1:3], "t": torch.arange(6.0).reshape(2, 3).t()},
    "nested": {"model": {"pos_embed": torch.zeros(1, 5, 2), "cls_token": torch.ones(1, 1, 2)}},
    "ints": {"i": torch.arange(5), "flag": torch.tensor(True)},
}
for name, obj in cases.items():
    path = f"{tmp}/{name}.pth"
    torch.save(obj, path)
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.endswith("data.pkl"):
                open(f"{tmp}/{name}.pkl", "wb").write(z.read(member))
PY
cp "$tmp"/*.pth "$out/fuzz_pth/"
cp "$tmp"/*.pth "$out/fuzz_zip/"
cp "$tmp"/*.pkl "$out/fuzz_pickle/"

# frames, video, tables
"$lorat" synth --out "$tmp/syn" --sequences 2 --frames 4 --seed 3 --size 64x64 --quality 50 >/dev/null 2>&1
cp "$tmp/syn/synth_000001/00000001.jpg" "$out/fuzz_image/frame.jpg"
"$python" - "$out/fuzz_image/tiny.png" <<'PY'
import struct, sys, zlib
w, h = 3, 2
raw = b"".join(b"\x00" + bytes([(x * 80 + y * 40) % 256 for x in range(w) for _ in range(3)]) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
"$lorat" track --model "$out/fuzz_model/init.safetensors" --sequence "$tmp/syn/synth_000001" \
    --render "$out/fuzz_video/clip.avi" --quiet >/dev/null 2>&1 || true
"$lorat" track --model "$out/fuzz_model/init.safetensors" --sequence "$tmp/syn/synth_000001" \
    --render "$out/fuzz_video/clip.mp4" --quiet >/dev/null 2>&1 || true
printf '\x03%s' "$(cat "$tmp/syn/synth_000001/groundtruth.txt")" >"$out/fuzz_table/gt4"
printf '\x00%s' "1,2 3	4
5,6,7,8" >"$out/fuzz_table/mixed"
printf '\x02%s' "0
1
0" >"$out/fuzz_table/labels"
printf '\x0b%s' "nan,1,2,3
inf,4,5,6" >"$out/fuzz_table/nan"

# dataset layouts: kind byte, then NUL-separated files (see fuzz_datasets.c)
gt=$(cat "$tmp/syn/synth_000001/groundtruth.txt")
printf '\x00GOT-10k_Val_000001\n\x00%s\x000\n0\n0\n0\n\x008\n8\n8\n8\n' "$gt" >"$out/fuzz_datasets/got10k"
printf '\x01cat-1\n\x00%s\x000,0,0,0\x000,0,0,0' "$gt" >"$out/fuzz_datasets/lasot"
printf '\x03\x00%s\x00%s' "$gt" "$gt" >"$out/fuzz_datasets/otb"
printf '\x04\x00%s\x00a red car' "$gt" >"$out/fuzz_datasets/tnl2k"
printf '\x05\x00%s' "$gt" >"$out/fuzz_datasets/trackingnet"
printf '\x06synth_000001\n\x00%s\x000\n0\n0\n0\n\x008\n8\n8\n8\n\x00[METAINFO]\nresolution: (64, 64)\n' "$gt" \
    >"$out/fuzz_datasets/custom"

# COCO
cat >"$out/fuzz_coco/instances.json" <<'JSON'
{"images": [{"id": 1, "file_name": "000000000001.jpg", "width": 64, "height": 64}],
 "annotations": [{"id": 1, "image_id": 1, "bbox": [4, 5, 20, 10], "iscrowd": 0, "area": 200, "category_id": 1},
                 {"id": 2, "image_id": 1, "bbox": [0, 0, 2, 2], "iscrowd": 1, "area": 4, "category_id": 1}],
 "categories": [{"id": 1, "name": "thing"}]}
JSON

# results
printf '\x00%s' "$gt" >"$out/fuzz_results/plain"
printf '\x01%s\x00%s' "$gt" "$gt" >"$out/fuzz_results/got10k_runs"
printf '\x04%s' "1	2	3	4
5 6 7 8" >"$out/fuzz_results/one_based"

# metadata: the key=value pairs of a real model file
"$lorat" inspect "$out/fuzz_model/init.safetensors" | sed -n 's/^meta \([^ ]*\) = \(.*\)$/\1=\2/p' \
    >"$out/fuzz_metadata/init.txt"
# TraX: what a client sends (tests/trax_client.py's session), quoting, escapes, polygons, masks
printf '%s\n' '@@TRAX:initialize "file:///tmp/a b/00000001.jpg" "10.5,20,30,40"' \
    '@@TRAX:frame "file:///tmp/a b/00000002.jpg"' '@@TRAX:frame /tmp/x.png trax.time=1' \
    '@@TRAX:quit' >"$out/fuzz_trax/session"
printf '%s\r\n' '@@TRAX:initialize "file:00000001.jpg" "1,2,5,2,5,8,1,8"' 'not a message' \
    '@@TRAX:initialize "x\"y\\z\n" "mask:1,2,3"' '@@TRAX:frame "http://host/x.jpg"' >"$out/fuzz_trax/odd"
# command-line values: the first byte picks the parser (see fuzz_cli.c)
printf '\x00-2147483648' >"$out/fuzz_cli/int"
printf '\x019223372036854775807' >"$out/fuzz_cli/int64"
printf '\x0218446744073709551615' >"$out/fuzz_cli/u64"
printf '\x031e-3' >"$out/fuzz_cli/double"
printf '\x048x16' >"$out/fuzz_cli/grid"
printf '\x05320x240' >"$out/fuzz_cli/size"
printf '\x062' >"$out/fuzz_cli/threads"
printf '\x07bf16' >"$out/fuzz_cli/precision"
printf '\x0810.5,20,30.25,4e1' >"$out/fuzz_cli/box"
echo "seeds: $(find "$out" -type f | wc -l) files in $out"
