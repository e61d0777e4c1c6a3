# test_dist.sh — lorat across processes with Open MPI (issue 13), on this machine over TCP
# (mpirun -np 2 --oversubscribe --mca btl self,tcp: the path between hosts):
#   - data-parallel training: the per-step losses and the final model of 2 ranks equal one
#     process's run with the same global batch (relative 1e-5), also with a batch that does not
#     split evenly (15 = 8 + 7);
#   - a run stopped after epoch 1 under 2 ranks and resumed by 1 process gives the losses and
#     model of the uninterrupted run;
#   - a rank killed mid-run (LORAT_FAULT_KILL_RANK / LORAT_FAULT_KILL_AT_STEP) ends the job with
#     a message naming the rank that died and the step the others were at; the same command with
#     --resume continues to the uninterrupted run's model;
#   - distributed evaluation writes the result files and prints the scores of one process;
#   - without mpirun nothing of MPI shows.
. "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Under the sanitizers: Open MPI keeps allocations until exit in components it has unloaded by
# then (LeakSanitizer sees them in an unknown module, where no suppression can name them), so
# leak checking is off for the processes mpirun starts; everything else is checked as usual.
MPI_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
MPIRUN=(mpirun -np 2 --oversubscribe --mca btl self,tcp -x ASAN_OPTIONS="$MPI_ASAN")
BB=$DATA/official/model/tiny-mlp/dinov2.pth
check "synthesise training data" "$LORAT" synth --out "$TMP/data" --sequences 6 --frames 40 --seed 5
TRAIN=("$LORAT" train --data "custom:$TMP/data" --backbone "$BB" --template-grid 4x4 --search-grid 8x8
    --epochs 2 --samples-per-epoch 128 --rank 8 --alpha 16 --lr 1e-3 --warmup-epochs 1 --save-every 1
    --threads 1 --workers 1 --quiet)

same_run() { # A B: per-step losses within 1e-5, and the models
    "$PYTHON" - "$1/log.jsonl" "$2/log.jsonl" <<'PY' && "$LORAT" compare "$1/model.safetensors" "$2/model.safetensors" --rtol 1e-5 --quiet
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) and len(a) > 0, (len(a), len(b))
assert [r["step"] for r in a] == [r["step"] for r in b]
worst = max(abs(x["loss"] - y["loss"]) / abs(x["loss"]) for x, y in zip(a, b))
print(f"{len(a)} steps, worst relative loss difference {worst:.2e}")
assert worst <= 1e-5, worst
PY
}

check "one process, batch 16" "${TRAIN[@]}" --batch 16 --out "$TMP/one"
check "2 ranks, batch 16" "${MPIRUN[@]}" "${TRAIN[@]}" --batch 16 --out "$TMP/two"
check "2 ranks train what one process trains" same_run "$TMP/one" "$TMP/two"
check "not bit-identical (so the ranks did split the batch)" bash -c \
    "! cmp -s '$TMP/one/model.safetensors' '$TMP/two/model.safetensors'"
check "one process, batch 15" "${TRAIN[@]}" --batch 15 --out "$TMP/one15"
check "2 ranks, batch 15 (8 + 7)" "${MPIRUN[@]}" "${TRAIN[@]}" --batch 15 --out "$TMP/two15"
check "an uneven split trains the same" same_run "$TMP/one15" "$TMP/two15"

# stopped under 2 ranks, resumed by 1 process
check "2 ranks stop after epoch 1" "${MPIRUN[@]}" "${TRAIN[@]}" --batch 16 --out "$TMP/chunk" --stop-after 1
check "1 process resumes" "${TRAIN[@]}" --batch 16 --out "$TMP/chunk" --resume
check "the resumed run is the uninterrupted one" same_run "$TMP/one" "$TMP/chunk"

# a killed rank
"${MPIRUN[@]}" -x LORAT_FAULT_KILL_RANK=1 -x LORAT_FAULT_KILL_AT_STEP=12 "${TRAIN[@]}" --batch 16 \
    --out "$TMP/killed" >"$TMP/killed.log" 2>&1
rc=$?
check "the job fails when a rank dies (exit $rc)" test $rc -ne 0
check "mpirun names the rank that died" grep -q "process rank 1" "$TMP/killed.log"
check "the survivor says where it stopped" grep -q "rank 0 of 2 stopped by mpirun at step 12 (epoch 2)" "$TMP/killed.log"
check "epoch 1's checkpoint is complete" test -s "$TMP/killed/checkpoint/epoch_1/state.safetensors"
check "the same command with --resume finishes" "${MPIRUN[@]}" "${TRAIN[@]}" --batch 16 --out "$TMP/killed" --resume
check "and gives the uninterrupted run" same_run "$TMP/one" "$TMP/killed"

# distributed evaluation
M=$DATA/official/model/tiny-mlp
check "convert a tiny model" "$LORAT" convert --dinov2 "$M/dinov2.pth" --checkpoint "$M/lorat_trainable.safetensors" \
    --template-grid 4x4 --search-grid 8x8 -o "$TMP/tiny.safetensors"
EVAL=("$LORAT" eval --model "$TMP/tiny.safetensors" --dataset custom --root "$TMP/data" --threads 1 --json --quiet)
check "evaluation, one process" "${EVAL[@]}" --out "$TMP/e1"
cp "$TMP/last.log" "$TMP/e1.json"
check "evaluation, 2 ranks" "${MPIRUN[@]}" "${EVAL[@]}" --out "$TMP/e2"
cp "$TMP/last.log" "$TMP/e2.json"
check "the same result files" diff -r -x '*_time.txt' "$TMP/e1" "$TMP/e2"
check "one JSON document, the same scores" "$PYTHON" - "$TMP/e1.json" "$TMP/e2.json" <<'PY'
import json, sys
a = [l for l in open(sys.argv[1]) if l.startswith("{")]
b = [l for l in open(sys.argv[2]) if l.startswith("{")]
assert len(a) == 1 and len(b) == 1, (len(a), len(b))
ja, jb = json.loads(a[0]), json.loads(b[0])
assert ja["overall"] == jb["overall"], (ja["overall"], jb["overall"])
PY
rm -r "$TMP/e2/$(head -n 1 "$TMP/data/list.txt")"
check "2 ranks resume an evaluation" "${MPIRUN[@]}" "${EVAL[@]}" --out "$TMP/e2"
check "and complete it" diff -r -x '*_time.txt' "$TMP/e1" "$TMP/e2"

# the data-parallel benchmarks
check "2 ranks time a training step" "${MPIRUN[@]}" "$LORAT" bench --train --model "$TMP/tiny.safetensors" --rank 8 \
    --batch 3 --iters 2 --threads 1 --json
cp "$TMP/last.log" "$TMP/bench.json"
check "one report, of the global batch and the gradient sum" "$PYTHON" - "$TMP/bench.json" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(r) == 1, len(r)
r = r[0]
assert r["processes"] == 2 and r["global_batch"] == 6 and r["batch"] == 3, r
assert r["allreduce_seconds"] > 0 and r["samples_per_s"] > 0, r
PY
check "2 ranks time the gradient sum" "${MPIRUN[@]}" "$LORAT" bench --allreduce --variant S-224 --iters 2 --json
cp "$TMP/last.log" "$TMP/allreduce.json"
check "of LoRA's trainable parameters" "$PYTHON" - "$TMP/allreduce.json" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(r) == 1 and r[0]["processes"] == 2 and r[0]["floats"] > 10**5 and r[0]["seconds"] > 0, r
PY
check_error "--allreduce without mpirun says to run it under mpirun" "under mpirun" "$LORAT" bench --allreduce

# threads beyond the cores mpirun bound a process to
BT=("$LORAT" bench --train --model "$TMP/tiny.safetensors" --rank 8 --batch 1 --iters 1 --threads 2)
check "2 threads bound to 1 core run" mpirun -np 1 --bind-to core -x ASAN_OPTIONS="$MPI_ASAN" "${BT[@]}"
cp "$TMP/last.log" "$TMP/bound.log"
check "and are told to unbind" grep -q "runs 2 threads on the 1 core mpirun bound it to.*--bind-to none" "$TMP/bound.log"
if [ "$(nproc)" -ge 2 ]; then
    check "unbound, 2 threads run" mpirun -np 1 --bind-to none -x ASAN_OPTIONS="$MPI_ASAN" "${BT[@]}"
    cp "$TMP/last.log" "$TMP/unbound.log"
    check "without the warning" bash -c "! grep -q 'take turns' '$TMP/unbound.log'"
fi

check "without mpirun, no word of MPI" bash -c "! '$LORAT' eval --model '$TMP/tiny.safetensors' --dataset custom \
    --root '$TMP/data' --out '$TMP/e3' 2>&1 | grep -qi 'mpi\|rank'"
finish
