#!/usr/bin/env bash
# Side by side in one run: lorat's forward pass at fp32, bf16 and int8, and ONNX Runtime's (CPU,
# npm onnxruntime-node 1.30) on the same network exported by `lorat export` (fp32, batch 1), with
# the same threads. The model has random weights (speed does not depend on them). ONNX Runtime
# runs with graph optimisation "all", intra-op threads = THREADS, one inter-op thread, sequential
# execution, memory arena and pattern on, and spinning worker threads, once with its default
# (spinning) threads and once without spinning; the faster of the two is the one compared.
# lorat's fp32 runs twice: its default (OpenBLAS SGEMM) and with LORAT_FP32_GEMM=onednn (oneDNN's
# fp32 matmul), to see which library's fp32 kernels are faster on this CPU.
# usage: bench/compare_onnxruntime.sh [LORAT_BINARY] [VARIANT] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-B-224}
threads=${3:-2}
iters=${ITERS:-10}
ort=${LORAT_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lorat/onnxruntime-node-1.30.0}
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ]; then
    echo "compare_onnxruntime: ONNX Runtime is not in $ort: run scripts/install-deps.sh" >&2
    exit 1
fi
tmp=$(mktemp -d /tmp/lorat-bench-ort.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$lorat" init --variant "$variant" --layerscale 1 -o "$tmp/m.safetensors" >/dev/null 2>&1
"$lorat" export --model "$tmp/m.safetensors" --onnx "$tmp/m.onnx" --batch 1 2>/dev/null
rows=()
for p in fp32 fp32-onednn bf16 int8; do
    gemm=openblas; [ $p = fp32-onednn ] && p=fp32 gemm=onednn
    rows+=("$(LORAT_FP32_GEMM=$gemm "$lorat" bench --model "$tmp/m.safetensors" --threads "$threads" \
        --precision $p --iters "$iters" --json)")
done
for spin in 1 0; do
    rows+=("$(node "$here/../tests/onnx_run.js" --ort "$ort" --model "$tmp/m.onnx" --threads "$threads" \
        --bench "$iters" --spin $spin)")
done
/usr/bin/python3 - "$variant" "${rows[@]}" <<'PY'
import json, sys
variant = sys.argv[1]
rows = [json.loads(r) for r in sys.argv[2:]]
lo, ort = rows[:4], rows[4:]
for r in lo:
    r["name"] = "lorat " + r["precision"] + (" (oneDNN)" if r["precision"] == "fp32" and r["products"].startswith("oneDNN") else "")
best = min(ort, key=lambda r: r["seconds_per_frame"])
print(f"{variant}, batch 1, {lo[0]['threads']} threads, the same exported network, side by side in one run")
print(f"{'':34s}{'s/frame':>9s}{'fps':>7s}{'GFLOP/s':>9s}  {'vs ORT fp32':>11s}  products")
flops = lo[0]["gflops"] * lo[0]["seconds_per_frame"]
for r in lo:
    print(f"{r['name']:34s}{r['seconds_per_frame']:9.4f}{r['fps']:7.2f}{r['gflops']:9.1f}"
          f"  {best['seconds_per_frame'] / r['seconds_per_frame']:10.2f}x  {r['products']}")
for r in ort:
    name = f"ONNX Runtime fp32 (spin {'on' if r['spin'] else 'off'})"
    print(f"{name:34s}{r['seconds_per_frame']:9.4f}{r['fps']:7.2f}{flops / r['seconds_per_frame']:9.1f}"
          f"  {best['seconds_per_frame'] / r['seconds_per_frame']:10.2f}x  {r['framework']}")
print(f"lorat fp32 / ONNX Runtime fp32 (its faster setting): {best['seconds_per_frame'] / lo[0]['seconds_per_frame']:.2f}x "
      f"the speed; fp32 through oneDNN {best['seconds_per_frame'] / lo[1]['seconds_per_frame']:.2f}x; "
      f"bf16 {best['seconds_per_frame'] / lo[2]['seconds_per_frame']:.2f}x; int8 {best['seconds_per_frame'] / lo[3]['seconds_per_frame']:.2f}x")
PY
