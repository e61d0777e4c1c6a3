#!/usr/bin/env bash
# Training efficiency side by side in one run: a LoRA step and a full fine-tuning step, in lorat
# and in PyTorch (same network, loss, optimiser, batch and threads): time per step, peak memory,
# trainable parameters. usage: bench/compare_train.sh [LORAT_BINARY] [VARIANT] [BATCH] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-S-224}
batch=${3:-2}
threads=${4:-2}
rows=()
for mode in lora full; do
    flag=; [ $mode = full ] && flag=--full
    rows+=("$("$lorat" bench --train $flag --variant "$variant" --batch "$batch" --threads "$threads" --iters 3 --json)")
    rows+=("$(OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/pytorch_train_step.py" --variant "$variant" \
        --batch "$batch" --threads "$threads" --iters 3 $flag)")
done
/usr/bin/python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [json.loads(r) for r in sys.argv[1:]]
r0 = rows[0]
print(f"{r0['variant']}, batch {r0['batch']}, {r0['threads']} threads (SGEMM peak in lorat's runs: "
      f"{rows[0]['sgemm_peak_gflops']:.0f} / {rows[2]['sgemm_peak_gflops']:.0f} GFLOP/s)")
print(f"{'':22s}{'s/step':>8s}{'peak MB':>10s}{'trainable M':>13s}{'GFLOP/s':>10s}{'% peak':>8s}")
for r in rows:
    who = "lorat" if "gflops" in r else r["framework"].split()[0]
    g = f"{r['gflops']:10.1f}{100 * r['share_of_peak']:8.1f}" if "gflops" in r else f"{'':10s}{'':8s}"
    print(f"{who + ' ' + r['mode']:22s}{r['seconds_per_step']:8.3f}{r['peak_rss_mb']:10.0f}{r['trainable_params'] / 1e6:13.2f}{g}")
lo, ll, fl = rows[0], rows[1], rows[2]
print(f"lorat LoRA vs full: {lo['peak_rss_mb'] / fl['peak_rss_mb']:.2f}x the memory, {lo['seconds_per_step'] / fl['seconds_per_step']:.2f}x the time per step")
print(f"lorat vs PyTorch, LoRA step: {ll['seconds_per_step'] / lo['seconds_per_step']:.2f}x faster, {ll['peak_rss_mb'] / lo['peak_rss_mb']:.2f}x less memory")
PY
