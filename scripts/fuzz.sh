#!/usr/bin/env bash
# fuzz.sh FUZZ_BUILD LORAT RUNS SECONDS — runs every libFuzzer harness built in FUZZ_BUILD for
# RUNS inputs or SECONDS, whichever ends first, from the seed corpora (tests/fuzz/seeds.sh) plus
# the regression inputs, growing FUZZ_BUILD/corpus/<harness>/. Prints one line per harness with
# the inputs run; exits non-zero when a harness found a crash (its input is in FUZZ_BUILD).
set -uo pipefail
build=$(cd "$1" && pwd) lorat=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") runs=$3 seconds=$4
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/tests/fuzz/seeds.sh" "$build/seeds" "$lorat" >/dev/null
status=0
for src in "$here"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    corpus=$build/corpus/$name
    mkdir -p "$corpus"
    extra=()
    [ -d "$here/tests/fuzz/regressions/$name" ] && extra+=("$here/tests/fuzz/regressions/$name")
    log=$build/$name.log
    (cd "$build" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 "./$name" "$corpus" "$build/seeds/$name" "${extra[@]}" \
        -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -artifact_prefix="$build/crash-$name-" -print_final_stats=1 >"$log" 2>&1)
    rc=$?
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        status=1
        echo "$name: FOUND A PROBLEM after ${done_runs:-?} inputs (see $log and $build/crash-$name-*)"
    else
        echo "$name: ${done_runs:-?} inputs, ${speed:-?}/s, nothing found; corpus $(ls "$corpus" | wc -l) inputs"
    fi
done
exit $status
