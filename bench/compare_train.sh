#!/usr/bin/env bash
# Training efficiency side by side in one run: a LoRA step and a full fine-tuning step, in lorat
# and in PyTorch (same network, loss, optimiser, batch and threads), at fp32 and at bf16 (lorat
# --precision bf16; PyTorch under torch.autocast bf16): time per step, peak memory, trainable
# parameters. usage: bench/compare_train.sh [LORAT_BINARY] [VARIANT] [BATCH] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-S-224}
batch=${3:-2}
threads=${4:-2}
rows=()
for prec in fp32 bf16; do
    ac=; [ $prec = bf16 ] && ac=--autocast
    for mode in lora full; do
        flag=; [ $mode = full ] && flag=--full
        rows+=("$("$lorat" bench --train $flag --variant "$variant" --batch "$batch" --threads "$threads" --iters 3 \
            --precision $prec --json)")
        rows+=("$(OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/pytorch_train_step.py" --variant "$variant" \
            --batch "$batch" --threads "$threads" --iters 3 $flag $ac)")
    done
done
/usr/bin/python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [json.loads(r) for r in sys.argv[1:]]
r0 = rows[0]
print(f"{r0['variant']}, batch {r0['batch']}, {r0['threads']} threads, side by side in one run")
print(f"{'':30s}{'s/step':>8s}{'peak MB':>10s}{'trainable M':>13s}{'GFLOP/s':>10s}{'% peak':>8s}")
for r in rows:
    lor = "gflops" in r
    who = f"lorat {r['precision']}" if lor else f"PyTorch {r['precision']}"
    g = f"{r['gflops']:10.1f}{100 * r['share_of_peak']:8.1f}" if lor else f"{'':10s}{'':8s}"
    print(f"{who + ' ' + r['mode']:30s}{r['seconds_per_step']:8.3f}{r['peak_rss_mb']:10.0f}{r['trainable_params'] / 1e6:13.2f}{g}")
for k, name in ((0, "fp32"), (4, "bf16")):
    lo, ll, fl, fp = rows[k], rows[k + 1], rows[k + 2], rows[k + 3]
    print(f"{name}: lorat LoRA vs full {lo['peak_rss_mb'] / fl['peak_rss_mb']:.2f}x the memory, "
          f"{lo['seconds_per_step'] / fl['seconds_per_step']:.2f}x the time; lorat vs PyTorch, LoRA step "
          f"{ll['seconds_per_step'] / lo['seconds_per_step']:.2f}x faster, {ll['peak_rss_mb'] / lo['peak_rss_mb']:.2f}x less memory")
print(f"lorat bf16 LoRA vs lorat fp32 LoRA: {rows[0]['seconds_per_step'] / rows[4]['seconds_per_step']:.2f}x faster, "
      f"{rows[4]['peak_rss_mb'] / rows[0]['peak_rss_mb']:.2f}x the memory")
PY
