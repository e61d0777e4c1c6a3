#!/usr/bin/env bash
# Side by side in one run: lorat's forward pass and PyTorch's (same network, same threads), and
# the ratio. usage: bench/compare_pytorch.sh [LORAT_BINARY] [VARIANT] [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-B-224}
threads=${3:-2}
l=$("$lorat" bench --variant "$variant" --threads "$threads" --json)
p=$(OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/pytorch_forward.py" --variant "$variant" --threads "$threads")
/usr/bin/python3 - "$l" "$p" <<'PY'
import json, sys
l, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
peak = l["sgemm_peak_gflops"]
pt_gflops = l["gflops"] * l["seconds_per_frame"] / p["seconds_per_frame"]
print(f"{l['variant']}, {l['threads']} threads, SGEMM peak {peak:.1f} GFLOP/s (measured in this run)")
print(f"  lorat   {l['seconds_per_frame']:.3f} s/frame  {l['gflops']:6.1f} GFLOP/s  {100 * l['share_of_peak']:.1f}% of peak")
print(f"  PyTorch {p['seconds_per_frame']:.3f} s/frame  {pt_gflops:6.1f} GFLOP/s  {100 * pt_gflops / peak:.1f}% of peak  ({p['framework']})")
print(f"  lorat is {p['seconds_per_frame'] / l['seconds_per_frame']:.2f}x faster")
PY
