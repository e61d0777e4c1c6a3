# test_python.sh — the Python binding (python/lorat, ctypes over liblorat.so; Debian's python3 and
# numpy only), by tests/python/test_binding.py: boxes equal to lorat track's on two synthetic
# sequences from the same decoded pixels; two threads tracking at once give the same boxes; BGR
# frames, strided views and the got10k / pysot / pytracking adapters give them too; bad input
# raises lorat.Error with the library's message; 1000 trackers created and freed leave the
# process's size as it was (under the sanitizers, whose quarantine holds freed blocks, ASan's count of
# live heap bytes, to the kilobyte).
. "$(dirname "$0")/lib.sh"
MODEL=$LORAT_SRC/models/lorat-t.safetensors
export LORAT_LIBRARY=$LORAT_BUILD/liblorat.so PYTHONPATH=$LORAT_SRC/python
if [ -n "${LORAT_SANITIZED:-}" ]; then
    # a sanitized library in an unsanitized python: its runtimes first; python's own allocations
    # at exit are not ours to check
    export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
fi
check "synthesise two sequences" "$LORAT" synth --out "$TMP/data" --sequences 2 --frames 25 --seed 21 --size 320x240
mkdir -p "$TMP/track"
for seq in $(cd "$TMP/data" && ls -d synth_*); do
    init=$(head -n 1 "$TMP/data/$seq/groundtruth.txt")
    check "lorat track $seq" "$LORAT" track --model "$MODEL" --frames "$TMP/data/$seq" --init "$init" \
        --threads 1 --quiet --out "$TMP/track/$seq.txt"
done
check "the binding" "$PYTHON" "$LORAT_SRC/tests/python/test_binding.py" "$MODEL" "$TMP/data" "$TMP/track"
cp "$TMP/last.log" "$TMP/binding.log"
cat "$TMP/binding.log"
case "$(basename "$LORAT_BUILD")" in # the folders the module looks in, beside python/
    build | build-asan)
        check "without LORAT_LIBRARY, the build tree's library is found" env -u LORAT_LIBRARY "$PYTHON" -c \
            "import lorat, sys; sys.exit(0 if lorat._lib._name.startswith('$LORAT_SRC/build') else 1)" ;;
esac
check_error "a wrong LORAT_LIBRARY says what it tried" "LORAT_LIBRARY" env LORAT_LIBRARY=/nonexistent/liblorat.so \
    "$PYTHON" -c "import lorat"
finish
