# test_parity_reference.sh — lorat against the project's own PyTorch reference
# (tests/reference/, itself checked against the official fixtures) on configurations the
# fixtures do not cover: a full S-224 model loaded through --variant, SwiGLU with rsLoRA and a
# bf16 backbone, an f16 backbone whose checkpoint has no lora_alpha (scaling 1), odd grids.
. "$(dirname "$0")/lib.sh"
REF=$LORAT_SRC/tests/reference

run_case() {
    local name=$1 convert_args=$2
    shift 2
    local dir=$TMP/$name
    if ! OMP_NUM_THREADS=2 "$PYTHON" "$REF/make_case.py" --out "$dir" "$@" >"$TMP/$name-ref.log" 2>&1; then
        fail "$name: reference case could not be made"; cat "$TMP/$name-ref.log" >&2; return
    fi
    for mode in merged unmerged; do
        local flag=; [ $mode = unmerged ] && flag=--no-merge
        check "$name $mode: convert" "$LORAT" convert --dinov2 "$dir/dinov2.pth" --checkpoint "$dir/checkpoint.safetensors" \
            $convert_args -o "$dir/lorat-$mode.safetensors" $flag
        check "$name $mode: forward" "$LORAT" forward --model "$dir/lorat-$mode.safetensors" --inputs "$dir/inputs.safetensors" \
            --out "$dir/$mode-out.safetensors" --intermediates
    done
    check "$name: unmerged outputs vs reference" "$LORAT" compare "$dir/unmerged-out.safetensors" "$dir/outputs.safetensors" --rtol 1e-5
    check "$name: unmerged intermediates vs reference" "$LORAT" compare "$dir/unmerged-out.safetensors" \
        "$dir/intermediates.safetensors" --rtol 1e-5 --quiet
    check "$name: merged outputs vs reference merged model" "$LORAT" compare "$dir/merged-out.safetensors" \
        "$dir/outputs_merged.safetensors" --rtol 1e-5
    check "$name: merged weights vs reference merge" "$LORAT" compare "$dir/lorat-merged.safetensors" \
        "$dir/merged.safetensors" --rtol 1e-5 --quiet
}

run_case s224 "--variant S-224" --dim 384 --depth 12 --heads 6 --ffn mlp --template-grid 8x8 --search-grid 16x16 \
    --rank 64 --alpha 64 --batch 1 --seed 11
run_case swiglu-bf16 "--template-grid 3x5 --search-grid 7x9 --heads 3" --dim 96 --depth 2 --heads 3 --ffn swiglu \
    --template-grid 3x5 --search-grid 7x9 --rank 4 --alpha 8 --rslora --dtype bf16 --batch 3 --seed 5
run_case f16-noalpha "--template-grid 1x1 --search-grid 20x18 --heads 2" --dim 64 --depth 1 --heads 2 \
    --template-grid 1x1 --search-grid 20x18 --rank 2 --alpha 3 --no-alpha --dtype f16 --batch 2 --seed 7
finish
