# test_parity_official.sh — lorat against numbers the official LoRAT code produced
# (tests/data/official/model, see its README): the three tiny configurations, LoRA merged and
# unmerged, final outputs and every intermediate token tensor, relative error <= 1e-5; and the
# merged weights (incl. the bicubic pos_embed) against the official merged state dict.
. "$(dirname "$0")/lib.sh"
M=$DATA/official/model
for spec in "tiny-mlp 4x4 8x8" "tiny-swiglu 4x4 8x8" "tiny-odd 5x5 11x11"; do
    set -- $spec
    name=$1
    for mode in merged unmerged; do
        flag=; [ $mode = unmerged ] && flag=--no-merge
        model=$TMP/$name-$mode.safetensors
        check "$name $mode: convert" "$LORAT" convert --dinov2 "$M/$name/dinov2.pth" \
            --checkpoint "$M/$name/lorat_trainable.safetensors" --template-grid $2 --search-grid $3 \
            -o "$model" $flag
        check "$name $mode: forward" "$LORAT" forward --model "$model" --inputs "$M/$name/inputs.safetensors" \
            --out "$TMP/$name-$mode-out.safetensors" --intermediates
        check "$name $mode: outputs vs official (rel 1e-5)" "$LORAT" compare "$TMP/$name-$mode-out.safetensors" \
            "$M/$name/outputs.safetensors" --rtol 1e-5
        check "$name $mode: intermediates vs official (rel 1e-5)" "$LORAT" compare \
            "$TMP/$name-$mode-out.safetensors" "$M/$name/intermediates.safetensors" --rtol 1e-5
    done
    check "$name: merged weights vs official merged state dict (rel 1e-5)" "$LORAT" compare \
        "$TMP/$name-merged.safetensors" "$M/$name/merged.safetensors" --rtol 1e-5 --quiet
done
# The fp32 products through oneDNN instead of OpenBLAS (LORAT_FP32_GEMM=onednn): the same
# official numbers, the LoRA path included; bench says which library ran the products.
for case in tiny-odd-unmerged tiny-swiglu-merged; do
    name=${case%-*}
    model=$TMP/$case.safetensors
    check "$case: oneDNN fp32 products run" bash -c "LORAT_FP32_GEMM=onednn '$LORAT' bench --model '$model' \
        --iters 1 --threads 1 | grep -q '^products: oneDNN'"
    check "$case: oneDNN fp32 forward" env LORAT_FP32_GEMM=onednn "$LORAT" forward --model "$model" \
        --inputs "$M/$name/inputs.safetensors" --out "$TMP/$case-dnnl.safetensors" --intermediates
    check "$case: oneDNN fp32 outputs vs official (rel 1e-5)" "$LORAT" compare "$TMP/$case-dnnl.safetensors" \
        "$M/$name/outputs.safetensors" --rtol 1e-5
    check "$case: oneDNN fp32 intermediates vs official (rel 1e-5)" "$LORAT" compare \
        "$TMP/$case-dnnl.safetensors" "$M/$name/intermediates.safetensors" --rtol 1e-5
done
finish
