# test_info.sh — `lorat info --json` against the efficiency figures of the paper and spec §8
# (computed from the architecture): inference parameters, LoRA and head parameters, and MACs per
# frame of the merged model, within 1%, for all eight variants; and B-224 against the paper's
# rounded headline (99 M total, 11 M LoRA, 2 M head, 30 GMACs).
. "$(dirname "$0")/lib.sh"
# variant: inference M, LoRA M, head M, GMACs
expect="S-224 22.2 5.31 0.59 8.0
S-378 22.2 5.31 0.59 28.2
B-224 88.1 10.62 2.37 29.8
B-378 88.1 10.62 2.37 96.5
L-224 307.4 28.31 4.20 102.9
L-378 307.4 28.31 4.20 325.0
g-224 1144.2 70.78 9.45 377.7
g-378 1144.2 70.78 9.45 1160.4"
while read -r v infer lora head gmacs; do
    if ! "$LORAT" info --variant "$v" --json >"$TMP/$v.json" 2>"$TMP/$v.err"; then
        fail "info --variant $v"; cat "$TMP/$v.err" >&2; continue
    fi
    check "info $v within 1% of the paper" "$PYTHON" - "$TMP/$v.json" "$infer" "$lora" "$head" "$gmacs" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
want = dict(zip(["inference", "lora", "head", "gmacs"], map(float, sys.argv[2:])))
got = {"inference": j["params"]["inference"] / 1e6, "lora": j["params"]["lora"] / 1e6,
       "head": j["params"]["head"] / 1e6, "gmacs": j["macs"]["total"] / 1e9}
assert j["params"]["total"] == j["params"]["inference"] + j["params"]["lora"], j
assert j["params"]["frozen"] + j["params"]["head"] + j["params"]["type_embed"] == j["params"]["inference"], j
bad = [k for k in want if abs(got[k] - want[k]) > 0.01 * want[k]]
if bad:
    sys.exit(f"{j['variant']}: {', '.join(f'{k} {got[k]:.3f} vs {want[k]}' for k in bad)}")
PY
done <<<"$expect"
check "B-224 headline: 99 M total, 11 M LoRA, 2 M head, 30 GMACs" "$PYTHON" - "$TMP/B-224.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
p, m = j["params"], j["macs"]
assert (round(p["total"] / 1e6), round(p["lora"] / 1e6), round(p["head"] / 1e6), round(m["total"] / 1e9)) == (99, 11, 2, 30), j
PY
check_error "info: unknown variant" "published variants" "$LORAT" info --variant B-225
finish
