# test_shipped_model.sh — the model that `make demo` uses (models/lorat-t.safetensors): it loads
# with its configuration, tracks sequences it never saw (lorat synth, domain 0, a seed no
# training set used) well above chance, and does so identically at one and two threads' worth of
# jobs. The bar is far below the model card's figures, so it checks the file, not the machine.
. "$(dirname "$0")/lib.sh"
MODEL=$LORAT_SRC/models/lorat-t.safetensors

check "the shipped model loads" "$LORAT" info --model "$MODEL" --json
cp "$TMP/last.log" "$TMP/info.json"
check "it is LoRAT-T, merged, with the model card's tracking defaults" "$PYTHON" - "$TMP/info.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
assert info["variant"] == "T", info["variant"]
assert 2.9e6 < info["params"]["inference"] < 3.1e6, info["params"]
t = info["tracking"]  # the defaults the model card and README report
assert (t["size_update"], t["size_gate"], t["box_average"]) == (0.05, 0.4, 1), t
PY
check "synthesise unseen sequences" "$LORAT" synth --out "$TMP/d" --sequences 4 --frames 60 --seed 777
check "track them" "$LORAT" eval --model "$MODEL" --dataset custom --root "$TMP/d" --out "$TMP/r1" \
    --jobs 1 --threads 2 --json --quiet
cp "$TMP/last.log" "$TMP/r1.json"
check "well above chance" "$PYTHON" - "$TMP/r1.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))["overall"]
print("success AUC %.3f precision %.3f" % (o["success_auc"], o["precision"]))
assert o["success_auc"] > 0.25 and o["precision"] > 0.3, o["success_auc"]
PY
cat "$TMP/last.log"
check "again with two jobs" "$LORAT" eval --model "$MODEL" --dataset custom --root "$TMP/d" --out "$TMP/r2" \
    --jobs 2 --threads 2 --quiet
check "two jobs of one thread give the boxes of one job of one thread" bash -c \
    "'$LORAT' eval --model '$MODEL' --dataset custom --root '$TMP/d' --out '$TMP/r3' --jobs 1 --threads 1 --quiet >/dev/null 2>&1 &&
     for s in \$(cat '$TMP/d/list.txt'); do cmp -s '$TMP/r2/'\$s/\${s}_001.txt '$TMP/r3/'\$s/\${s}_001.txt || cmp -s '$TMP/r2/'\$s.txt '$TMP/r3/'\$s.txt || exit 1; done"
finish
