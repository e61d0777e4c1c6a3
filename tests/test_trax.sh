# test_trax.sh — `lorat trax`, the TraX server the VOT toolkit talks to, driven by a client of our
# own (tests/trax_client.py, standard library only) on a synthetic sequence with the shipped
# model: the states equal `lorat track`'s boxes, also after a re-initialisation in the middle
# (equal to a `lorat track` started there), from a polygon, over a socket (TRAX_SOCKET) and with
# paths that need the protocol's quoting; and every malformed exchange ends cleanly (exit 1, a
# message on stderr naming what was wrong, at most a quit on stdout, never a hang).
. "$(dirname "$0")/lib.sh"
MODEL=$LORAT_SRC/models/lorat-t.safetensors
CLIENT=$LORAT_SRC/tests/trax_client.py
SERVER=("$LORAT" trax --model "$MODEL" --threads 1)
client() { "$PYTHON" "$CLIENT" "$@"; }
# say: the client's summary lines of the last check, into this test's output
say() { grep '^trax_client:' "$TMP/last.log" | sed "s/^/  $1: /"; }

check "synthesise a sequence" "$LORAT" synth --out "$TMP/data" --sequences 1 --frames 30 --seed 3
SEQ=$TMP/data/$(head -n 1 "$TMP/data/list.txt")
check "lorat track the sequence" "$LORAT" track --model "$MODEL" --sequence "$SEQ" --out "$TMP/track.txt" \
    --threads 1 --quiet
INIT=$(head -n 1 "$TMP/track.txt")

check "a session over stdin/stdout" client session --frames "$SEQ" --init "$INIT" --out "$TMP/trax.txt" \
    -- "${SERVER[@]}"
say session
check "its 30 states are lorat track's boxes" client compare "$TMP/track.txt" "$TMP/trax.txt" --count 30
say "lorat track vs trax"

# Re-initialisation at frame K (0-based) from the ground truth's box there: before K the states
# are the first run's, from K on they are those of `lorat track` started at frame K.
K=12
REBOX=$(sed -n "$((K + 1))p" "$SEQ/groundtruth.txt" | tr '\t ' ',,')
mkdir -p "$TMP/from-k"
for f in $(ls "$SEQ" | grep '\.jpg$' | tail -n +$((K + 1))); do ln -s "$SEQ/$f" "$TMP/from-k/$f"; done
check "lorat track from frame $K" "$LORAT" track --model "$MODEL" --frames "$TMP/from-k" --init "$REBOX" \
    --out "$TMP/track-k.txt" --threads 1 --quiet
check "a session re-initialised at frame $K" client session --frames "$SEQ" --init "$INIT" \
    --reinit "$K:$REBOX" --out "$TMP/trax-k.txt" -- "${SERVER[@]}"
check "before the re-initialisation: the first run's states" client compare "$TMP/track.txt" "$TMP/trax-k.txt" \
    --count $K
check "from it on: lorat track's from frame $K" client compare "$TMP/track-k.txt" "$TMP/trax-k.txt" \
    --b-from $K --count $((30 - K))
say "re-initialised vs track from $K"
check "the re-initialisation changed the states" bash -c "! cmp -s '$TMP/trax.txt' '$TMP/trax-k.txt'"

# A polygon (a diamond whose bounding box is the init box), the socket, the quoting.
check "a polygon init" client session --frames "$SEQ" --init "$INIT" --polygon --limit 10 \
    --out "$TMP/poly.txt" -- "${SERVER[@]}"
check "tracks as its bounding box" client compare "$TMP/track.txt" "$TMP/poly.txt" --count 10
say polygon
check "a session over TRAX_SOCKET" client session --frames "$SEQ" --init "$INIT" --socket --limit 8 \
    --out "$TMP/socket.txt" -- "${SERVER[@]}"
check "the same states over the socket" client compare "$TMP/track.txt" "$TMP/socket.txt" --count 8
check "paths with a space, a quote and a backslash" client session --frames "$SEQ" --init "$INIT" --style odd \
    --limit 5 --out "$TMP/odd.txt" -- "${SERVER[@]}"
check "the same states" client compare "$TMP/track.txt" "$TMP/odd.txt" --count 5
check "plain paths, unquoted arguments, other output ignored" client session --frames "$SEQ" --init "$INIT" \
    --style plain --limit 5 --out "$TMP/plain.txt" -- "${SERVER[@]}"
check "the same states" client compare "$TMP/track.txt" "$TMP/plain.txt" --count 5
check "tracking options as lorat track's" client session --frames "$SEQ" --init "$INIT" --limit 10 \
    --out "$TMP/opts.txt" -- "${SERVER[@]}" --box-average 0 --size-update 1
check "lorat track with them" "$LORAT" track --model "$MODEL" --sequence "$SEQ" --out "$TMP/track-opts.txt" \
    --threads 1 --quiet --box-average 0 --size-update 1
check "the same states" client compare "$TMP/track-opts.txt" "$TMP/opts.txt" --count 10

check "stdout stays the protocol's with a library printing (DNNL_VERBOSE=1, bf16)" env DNNL_VERBOSE=1 \
    "$PYTHON" "$CLIENT" session --frames "$SEQ" --init "$INIT" --limit 3 --out "$TMP/verbose.txt" \
    -- "${SERVER[@]}" --precision bf16

# Malformed exchanges: each ends the session cleanly with a message that names the fault.
F1="file://$SEQ/00000001.jpg"
bad() { local what=$1 text=$2; shift 2; check "$what" client bad --expect "$text" "$@" -- "${SERVER[@]}"; say "$what"; }
bad "an unknown message" "unknown message 'bogus'" --line "@@TRAX:bogus \"1\""
bad "a region of three values" "has 3 values" --line "@@TRAX:initialize \"$F1\" \"1,2,3\""
bad "a region that is not numbers" "is not a list of numbers" --line "@@TRAX:initialize \"$F1\" \"1,2,x,4\""
bad "a mask region" "trax.region=rectangle" --line "@@TRAX:initialize \"$F1\" \"mask:0,0,4,4,3,13\""
bad "an unreadable image" "no-such.jpg" --line "@@TRAX:initialize \"file://$TMP/no-such.jpg\" \"10,10,20,20\""
bad "an image that is not a file" "trax.image=path" --line "@@TRAX:initialize \"data:image/jpeg;base64,AAAA\" \"10,10,20,20\""
bad "an init box outside the image" "outside" --line "@@TRAX:initialize \"$F1\" \"5000,10,20,20\""
bad "initialize without a region" "initialize with 1 argument" --line "@@TRAX:initialize \"$F1\""
bad "a frame before initialize" "before any initialize" --line "@@TRAX:frame \"$F1\""
bad "an unclosed quote" "is not closed" --line "@@TRAX:frame \"$F1"
bad "a line too long" "longer than 65536 bytes" --long 100000
bad "the client's input closed without quit" "without sending quit" --close
bad "a state from the client" "only a server sends" --line "@@TRAX:state \"1,2,3,4\""
head -c 300 "$SEQ/00000002.jpg" >"$TMP/corrupt.jpg"
bad "a corrupt frame after initialize" "frame 1 after initialize" --init-dir "$SEQ" --init "$INIT" \
    --line "@@TRAX:frame \"file://$TMP/corrupt.jpg\""
check_error "no --model" "--model is required" "$LORAT" trax
check_error "a bad tracking option" "--size-gate '1'" "$LORAT" trax --model "$MODEL" --size-gate 1
check_error "a missing model" "no-such-model" "$LORAT" trax --model "$TMP/no-such-model.safetensors"
finish
