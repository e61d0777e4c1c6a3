# test_hostile.sh — files made by an attacker (issue 16): each is refused with a message that
# names the file and the field, quickly and in bounded memory (under 1 s and 1.5 GB each; under
# the sanitizers 10 s and 4 GB, whose runtime alone takes more), never a hang or a crash:
#   1. a model file whose metadata says depth=1000000000
#   2. metadata integers that wrap in 32 bits: dim=4294967488, depth=4294967302
#   3. a 100 MB safetensors header holding one 50-million-element array (lorat inspect, track)
#   4. a tiny .pth with a stride-0 view that would expand to 1.08 GB
#   5. a ground-truth file whose first line has 10^6 values, or trailing junk (lorat track --sequence)
#   6. area factors of 0 and -2 in metadata, an init box of 1e-30 px, a .pth given as --model,
#      --threads 100000000
# Each command runs under tests/run_bounded.py, which measures its time and peak memory.
. "$(dirname "$0")/lib.sh"
if [ -n "${LORAT_SANITIZED:-}" ]; then SECONDS_MAX=10; MB_MAX=4096; else SECONDS_MAX=1; MB_MAX=1536; fi
SHIPPED=$LORAT_SRC/models/lorat-t.safetensors

# bounded "what" "text the message must contain" command...
bounded() {
    local what=$1 text=$2
    shift 2
    if "$PYTHON" "$LORAT_SRC/tests/run_bounded.py" "$SECONDS_MAX" "$MB_MAX" "$text" "$@" >"$TMP/b.log" 2>&1; then
        pass
    else
        fail "$what"
        cat "$TMP/b.log" >&2
    fi
}

# rewrite IN OUT key=value...: the same tensors, the metadata keys replaced
cat >"$TMP/rewrite.py" <<'PY'
import json, struct, sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
for kv in pairs:
    k, v = kv.split("=", 1)
    head["__metadata__"][k] = v
text = json.dumps(head, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
PY
rewrite() { "$PYTHON" "$TMP/rewrite.py" "$SHIPPED" "$TMP/$1" "${@:2}"; }
check "synthesise a sequence" "$LORAT" synth --out "$TMP/data" --sequences 1 --frames 5 --seed 1
SEQ=$TMP/data/synth_000001

# 1, 2
rewrite depth.safetensors depth=1000000000
bounded "depth=1000000000" "depth 1000000000 is out of range" \
    "$LORAT" track --model "$TMP/depth.safetensors" --sequence "$SEQ" --quiet
rewrite dim.safetensors dim=4294967488
bounded "dim=4294967488" "'dim' has the value '4294967488', which does not fit" \
    "$LORAT" track --model "$TMP/dim.safetensors" --sequence "$SEQ" --quiet
rewrite depth2.safetensors depth=4294967302
bounded "depth=4294967302" "'depth' has the value '4294967302'" \
    "$LORAT" info --model "$TMP/depth2.safetensors"
rewrite big.safetensors dim=2048 depth=64 ffn_hidden=8192 heads=32
bounded "metadata of a large model over a small file" "bytes of tensors" \
    "$LORAT" info --model "$TMP/big.safetensors"
rewrite rank.safetensors lora_rank=100000 lora_merged=0
bounded "a LoRA rank beyond its limit" "LoRA rank 100000 is out of range" \
    "$LORAT" info --model "$TMP/rank.safetensors"

# 3
"$PYTHON" - "$TMP/header.safetensors" <<'PY'
import struct, sys
shape = ",".join(["1"] * 49_999_000)  # a header just under the 100 MB cap
text = ('{"a":{"dtype":"F32","shape":[' + shape + '],"data_offsets":[0,0]}}').encode()
text += b" " * (-len(text) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(text)) + text)
PY
bounded "a 100 MB header of one array" "an array of more than 64 values" \
    "$LORAT" inspect "$TMP/header.safetensors"
bounded "the same through track" "an array of more than 64 values" \
    "$LORAT" track --model "$TMP/header.safetensors" --sequence "$SEQ" --quiet

# 4
"$PYTHON" - "$TMP/expand.pth" <<'PY'
import sys, torch
torch.save({"pos_embed": torch.zeros(1).expand(270_000_000)}, sys.argv[1])
PY
bounded "a stride-0 view of 1.08 GB in a small .pth" "non-contiguous view" \
    "$LORAT" inspect "$TMP/expand.pth"
bounded "the same through convert" "non-contiguous view" \
    "$LORAT" convert --dinov2 "$TMP/expand.pth" --variant S-224 -o "$TMP/x.safetensors"

# 5
mkdir -p "$TMP/seq_wide" "$TMP/seq_junk"
cp "$SEQ"/*.jpg "$TMP/seq_wide/"
cp "$SEQ"/*.jpg "$TMP/seq_junk/"
"$PYTHON" -c "print(','.join(['1'] * 1000000))" >"$TMP/seq_wide/groundtruth.txt"
echo "160,14,34,37,junk" >"$TMP/seq_junk/groundtruth.txt"
bounded "a first ground-truth line of 10^6 values" "groundtruth.txt" \
    "$LORAT" track --model "$SHIPPED" --sequence "$TMP/seq_wide" --quiet
bounded "a first ground-truth line with junk" "groundtruth.txt:1: value 5" \
    "$LORAT" track --model "$SHIPPED" --sequence "$TMP/seq_junk" --quiet
mkdir -p "$TMP/junkset/synth_000001"
cp "$TMP/seq_junk/"* "$TMP/junkset/synth_000001/"
echo synth_000001 >"$TMP/junkset/list.txt"
check_error "eval names the junk line too" "groundtruth.txt:1: value 5" "$LORAT" eval --model "$SHIPPED" \
    --dataset custom --root "$TMP/junkset" --out "$TMP/r" --quiet

# 6
rewrite zero.safetensors search_area_factor=0
bounded "a zero area factor" "'search_area_factor' is 0" \
    "$LORAT" track --model "$TMP/zero.safetensors" --sequence "$SEQ" --quiet
rewrite neg.safetensors template_area_factor=-2
bounded "a negative area factor" "'template_area_factor' is -2" \
    "$LORAT" track --model "$TMP/neg.safetensors" --sequence "$SEQ" --quiet
rewrite nan.safetensors window_influence=nan
bounded "a NaN window influence" "'window_influence' is nan" \
    "$LORAT" info --model "$TMP/nan.safetensors"
bounded "an init box of 1e-30 px" "at least 1 pixel" \
    "$LORAT" track --model "$SHIPPED" --sequence "$SEQ" --init 10,10,1e-30,1e-30 --quiet
bounded "a .pth given as --model" "this is a PyTorch .pth" \
    "$LORAT" track --model "$TMP/expand.pth" --sequence "$SEQ" --quiet
bounded "--threads 100000000" "--threads '100000000' is not a number in 1..1024" \
    "$LORAT" track --model "$SHIPPED" --sequence "$SEQ" --threads 100000000 --quiet
bounded "eval --jobs 100000000" "--jobs and --threads take numbers in 1..1024" \
    "$LORAT" eval --model "$SHIPPED" --dataset custom --root "$TMP/data" --jobs 100000000 --quiet
finish
