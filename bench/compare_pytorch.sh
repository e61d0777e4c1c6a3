#!/usr/bin/env bash
# Side by side in one run: lorat's forward pass at fp32, bf16 and int8, and PyTorch's (the same
# network, batch 1, the same threads) at fp32, under torch.autocast(bf16) and with the model cast
# to bf16; each lorat row with the GEMM peak of its precision measured in its run, the ratios
# against PyTorch's fp32 and against the faster of PyTorch's two bf16 modes, and PyTorch's bf16
# errors against its own fp32.
# usage: bench/compare_pytorch.sh [LORAT_BINARY] [VARIANT] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-B-224}
threads=${3:-2}
rows=()
for p in fp32 bf16 int8; do
    rows+=("$("$lorat" bench --variant "$variant" --threads "$threads" --precision $p --iters 10 --json)")
done
for m in fp32 autocast bf16; do
    rows+=("$(OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/pytorch_forward.py" --variant "$variant" \
        --threads "$threads" --mode $m --iters 10)")
done
/usr/bin/python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [json.loads(r) for r in sys.argv[1:]]
lo, pt = rows[:3], rows[3:]
print(f"{lo[0]['variant']}, batch 1, {lo[0]['threads']} threads, side by side in one run")
print(f"{'':26s}{'s/frame':>9s}{'fps':>7s}{'GFLOP/s':>9s}{'peak':>8s}{'% peak':>8s}  products")
for r in lo:
    print(f"{'lorat ' + r['precision']:26s}{r['seconds_per_frame']:9.4f}{r['fps']:7.2f}{r['gflops']:9.1f}"
          f"{r['gemm_peak_gflops']:8.0f}{100 * r['share_of_peak']:8.1f}  {r['products']}")
flops = lo[0]["gflops"] * lo[0]["seconds_per_frame"]
for r in pt:
    e = r["rel_err_vs_fp32"]
    err = f"score_map {e['score_map']:.1e}, boxes {e['boxes']:.1e} vs its fp32" if e else ""
    print(f"{'PyTorch ' + r['mode']:26s}{r['seconds_per_frame']:9.4f}{r['fps']:7.2f}"
          f"{flops / r['seconds_per_frame']:9.1f}{'':16s}  {r['framework']} {err}")
best16 = min(pt[1:], key=lambda r: r["seconds_per_frame"])
print(f"lorat fp32 vs PyTorch fp32: {pt[0]['seconds_per_frame'] / lo[0]['seconds_per_frame']:.2f}x")
print(f"lorat bf16 vs PyTorch's faster bf16 mode ({best16['mode']}): "
      f"{best16['seconds_per_frame'] / lo[1]['seconds_per_frame']:.2f}x")
print(f"lorat int8 vs lorat bf16: {lo[1]['seconds_per_frame'] / lo[2]['seconds_per_frame']:.2f}x; "
      f"vs PyTorch's faster bf16 mode: {best16['seconds_per_frame'] / lo[2]['seconds_per_frame']:.2f}x")
PY
