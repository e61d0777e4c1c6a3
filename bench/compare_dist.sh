#!/usr/bin/env bash
# Data parallelism side by side in one run: a training step of 1 process × 1 thread against 2
# processes × 1 thread under mpirun over TCP (the transport between hosts), each process a batch
# of BATCH, for LoRA and full fine-tuning at fp32 and LoRA at bf16; the speed-up in samples/s
# and the gradient sum's share of the step; then the sum alone (lorat bench --allreduce) for the
# variant and L-224. usage: bench/compare_dist.sh [LORAT_BINARY] [VARIANT] [BATCH]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lorat=${1:-$here/../build/lorat}
variant=${2:-B-224}
batch=${3:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun -np 2 --oversubscribe --bind-to core --mca btl self,tcp)
printf '%-22s %14s %16s %9s %s\n' "$variant step" "1 x 1 samples/s" "2 x 1 samples/s" speed-up "gradient sum"
for row in "lora fp32" "lora bf16" "full fp32"; do
    set -- $row
    flag=; [ "$1" = full ] && flag=--full
    args=(bench --train $flag --variant "$variant" --batch "$batch" --threads 1 --iters 3 --precision "$2" --json)
    one=$("$lorat" "${args[@]}")
    two=$("${mpi[@]}" "$lorat" "${args[@]}" | grep '^{')
    /usr/bin/python3 - "$1 $2" "$one" "$two" <<'PY'
import json, sys
a, b = json.loads(sys.argv[2]), json.loads(sys.argv[3])
mb = 4 * (b["trainable_params"]) / 2**20
print(f"{sys.argv[1]:<22} {a['samples_per_s']:14.2f} {b['samples_per_s']:16.2f} {b['samples_per_s'] / a['samples_per_s']:8.2f}x "
      f"{mb:.1f} MB, {b['allreduce_seconds']:.3f} s of {b['seconds_per_step']:.2f} s")
PY
done
for v in "$variant" L-224; do
    for flag in "" --full; do "${mpi[@]}" "$lorat" bench --allreduce --variant "$v" $flag --iters 5 | grep -v '^$'; done
done
