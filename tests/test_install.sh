# test_install.sh — make install's result, used from outside the tree: cmake --install into a
# temporary prefix puts the CLI, liblorat.so, lorat.h, lorat.pc, the CMake package and the Python
# module there; a C program built with `pkg-config --cflags --libs lorat` and the same program
# built by CMake with find_package(lorat) track a sequence with lorat track's boxes; the
# installed Python module finds the installed library; liblorat.so exports only lorat_* names.
. "$(dirname "$0")/lib.sh"
P=$TMP/prefix
MODEL=$LORAT_SRC/models/lorat-t.safetensors
check "install into a temporary prefix" cmake --install "$LORAT_BUILD" --prefix "$P"
LIBDIR=$(dirname "$(find "$P" -name 'liblorat.so' | head -n 1)")
for f in "$P/bin/lorat" "$P/include/lorat.h" "$LIBDIR/pkgconfig/lorat.pc" "$LIBDIR/cmake/lorat/loratConfig.cmake" \
    "$P/lib/python3/dist-packages/lorat/__init__.py" "$P/lib/python3/dist-packages/lorat/_installed.py"; do
    check "installed: ${f#$P/}" test -s "$f"
done
check "liblorat.so exports only the public API" bash -c \
    "nm -D --defined-only '$LIBDIR/liblorat.so' | awk '{print \$3}' | grep -v '^lorat_' | grep -v '^\$' | (! grep .)"
check "the installed lorat runs" "$P/bin/lorat" info --model "$MODEL"

check "synthesise a sequence" "$LORAT" synth --out "$TMP/data" --sequences 1 --frames 12 --seed 8 --size 320x240
SEQ=$TMP/data/synth_000001
INIT=$(head -n 1 "$SEQ/groundtruth.txt")
check "lorat track" "$LORAT" track --model "$MODEL" --frames "$SEQ" --init "$INIT" --threads 1 --quiet --out "$TMP/ref.txt"

SAN=()
[ -n "${LORAT_SANITIZED:-}" ] && SAN=(-fsanitize=address,undefined)
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
check "build with pkg-config" bash -c "cc ${SAN[*]} \$(pkg-config --cflags lorat) '$LORAT_SRC/tests/install/track_frames.c' \
    -o '$TMP/track_pc' \$(pkg-config --libs lorat) -Wl,-rpath,\$(pkg-config --variable=libdir lorat)"
check "it tracks" bash -c "'$TMP/track_pc' '$MODEL' '$SEQ' '$INIT' > '$TMP/pc.txt'"
check "with lorat track's boxes" cmp "$TMP/pc.txt" "$TMP/ref.txt"

CM=(cmake -S "$LORAT_SRC/tests/install" -B "$TMP/cm" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_RPATH="$LIBDIR")
[ -n "${LORAT_SANITIZED:-}" ] && CM+=(-DCMAKE_C_FLAGS="${SAN[*]}" -DCMAKE_EXE_LINKER_FLAGS="${SAN[*]}")
check "find_package(lorat)" "${CM[@]}"
check "build with CMake" cmake --build "$TMP/cm"
check "it tracks" bash -c "'$TMP/cm/track_frames' '$MODEL' '$SEQ' '$INIT' > '$TMP/cm.txt'"
check "with lorat track's boxes" cmp "$TMP/cm.txt" "$TMP/ref.txt"
check_error "a missing model: the library's message" "/nonexistent.safetensors" "$TMP/track_pc" /nonexistent.safetensors "$SEQ" "$INIT"

PYENV=(env -u LORAT_LIBRARY PYTHONPATH="$P/lib/python3/dist-packages")
if [ -n "${LORAT_SANITIZED:-}" ]; then
    PYENV+=(LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
# from a folder where the source tree's python/ is not beside: the installed library only
check "the installed Python module loads the installed library" bash -c "cd '$TMP' && ${PYENV[*]@Q} '$PYTHON' -c \
    'import lorat, sys; p = lorat._lib._name; print(p); sys.exit(0 if p.startswith(\"$P\") else 1)'"
finish
