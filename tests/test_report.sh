# test_report.sh — `lorat report` on eval JSON files made here with realistic curves: the six
# plots (PNG decoded and checked pixel by pixel for the trackers' colours, SVG parsed as XML with
# the legend entries and scores in rank order), table.txt / table.json against the inputs
# (percent, "%.1f" of 100·x), the ranking, GOT-10k-style files (101 thresholds, AO/SR), and bad
# input: each must fail with exit status 1 (2 for bad arguments) naming the file or key.
. "$(dirname "$0")/lib.sh"

# make.py OUT DATASET PROTOCOL N_SUCCESS SUCCESS_MID PRECISION_SCALE NORM_SCALE [AO]
# Curves shaped like a real tracker's: success a falling sigmoid of the overlap threshold that
# reaches 0 at 1, precision and normalised precision rising to a plateau below 1. The scores are
# read off the curves as the toolkits do (AUC = mean, P at 20 px, P_norm at 0.2).
cat >"$TMP/make.py" <<'PY'
import json, sys, zlib
import numpy as np
out, dataset, protocol, n_succ, mid, pscale, nscale = sys.argv[1:8]
ao = float(sys.argv[8]) if len(sys.argv) > 8 else None
n_succ, mid, pscale, nscale = int(n_succ), float(mid), float(pscale), float(nscale)

def curves(mid, pscale, nscale, top):
    t = np.linspace(0, 1, n_succ)
    s = top / (1 + np.exp((t - mid) / 0.09))
    s = (s - s[-1] * t).astype(np.float32)          # exactly 0 at threshold 1
    px = np.linspace(0, 50, 51)
    p = (top * 0.97 * (1 - np.exp(-(px / pscale) ** 1.3))).astype(np.float32)
    nx = np.linspace(0, 0.5, 51)
    q = (top * (1 - np.exp(-(nx / nscale) ** 1.5))).astype(np.float32)
    return s, p, q

def scores(s, p, q, ao):
    d = {"success_auc": float(s.mean()), "precision": float(p[20]),
         "norm_precision": float(q[20]), "ao": ao, "sr50": None, "sr75": None,
         "success_curve": s.tolist(), "precision_curve": p.tolist(),
         "norm_precision_curve": q.tolist()}
    if ao is not None:   # GOT-10k style: SR read off the 101-point curve (strict >)
        t = np.linspace(0, 1, n_succ)
        d["sr50"] = float(s[np.searchsorted(t, 0.5)])
        d["sr75"] = float(s[np.searchsorted(t, 0.75)])
    return d

overall = scores(*curves(mid, pscale, nscale, 0.93), ao)
rng = np.random.default_rng(zlib.crc32(out.encode()))
seqs = {f"seq-{k}": scores(*curves(mid + rng.normal(0, 0.05), pscale * rng.uniform(0.8, 1.2),
                                   nscale * rng.uniform(0.8, 1.2), rng.uniform(0.85, 1.0)),
                          None if ao is None else float(rng.uniform(0.5, 0.9)))
        for k in range(5)}
json.dump({"dataset": dataset, "protocol": protocol, "overall": overall, "sequences": seqs},
          open(out, "w"), indent=1)
PY
mk() { "$PYTHON" "$TMP/make.py" "$@"; }
# A ranks first by success but last by precision; C the other way round; B in the middle.
check "make eval files" mk "$TMP/a.json" lasot paper 21 0.80 13 0.125
check "make eval files" mk "$TMP/b.json" lasot paper 21 0.76 12 0.120
check "make eval files" mk "$TMP/c.json" lasot paper 21 0.70 10.5 0.105

# expect_rc STATUS "description" "text the message must contain" command...
expect_rc() {
    local want=$1 what=$2 text=$3
    shift 3
    "$@" >"$TMP/rc.log" 2>&1
    local rc=$?
    if [ $rc -ne "$want" ]; then
        fail "$what: exit status $rc, expected $want"; cat "$TMP/rc.log" >&2
    elif ! grep -qF -- "$text" "$TMP/rc.log"; then
        fail "$what: message does not mention '$text'"; cat "$TMP/rc.log" >&2
    else
        pass
    fi
}

R="$TMP/report"
if "$LORAT" report --result "LoRAT-L-224=$TMP/a.json" --result "OSTrack&<256>=$TMP/c.json" \
    --result "LoRAT-B-224=$TMP/b.json" --out "$R" >"$TMP/stdout.txt" 2>"$TMP/stderr.txt"; then
    pass
else
    fail "report on three trackers"; cat "$TMP/stderr.txt" >&2
fi
for f in success precision norm_precision; do
    check "$f.png and $f.svg written" test -s "$R/$f.png" -a -s "$R/$f.svg"
done
check "table.txt and table.json written" test -s "$R/table.txt" -a -s "$R/table.json"
check "only the eight files, no temporaries left" "$PYTHON" - "$R" <<'PY'
import os, sys
want = {f"{p}.{e}" for p in ("success", "precision", "norm_precision") for e in ("png", "svg")}
want |= {"table.txt", "table.json"}
got = set(os.listdir(sys.argv[1]))
assert got == want, sorted(got ^ want)
PY
check "stdout is table.txt" cmp "$TMP/stdout.txt" "$R/table.txt"

# The PNGs: signature, chunk CRCs, IHDR 800×600 8-bit RGB(A), the IDAT stream decoded and
# unfiltered; mostly white, black text and axes, and each tracker's line colour present.
check "PNGs valid, 800x600, with the curves' colours" "$PYTHON" - "$R" <<'PY'
import struct, sys, zlib
import numpy as np

def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: no PNG signature"
    pos, chunks = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind}"
        chunks.append((kind, body))
        pos += 12 + n
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", f"{path}: chunk order"
    w, h, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (w, h) == (800, 600), f"{path}: {w}x{h}"
    assert depth == 8 and ctype in (2, 6) and inter == 0, f"{path}: depth {depth} type {ctype}"
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = w * bpp
    assert len(raw) == h * (stride + 1), f"{path}: {len(raw)} bytes of pixel data"
    img = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        f, row = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1)
        cur = row.astype(np.int64)
        if f == 1:
            cur = np.cumsum(cur.reshape(w, bpp), axis=0).reshape(-1) % 256
        elif f == 2:
            cur = (cur + prev) % 256
        elif f in (3, 4):
            r, p, out = list(row), list(prev), [0] * stride
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                b = p[i]
                c = p[i - bpp] if i >= bpp else 0
                if f == 3:
                    pred = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                out[i] = (r[i] + pred) & 255
            cur = np.array(out, np.int64)
        else:
            assert f == 0, f"{path}: filter {f}"
        img[y] = cur
        prev = cur
    return img.reshape(h, w, bpp)[:, :, :3].astype(int)

# tab10, by rank in success AUC: A (red), B (blue), C (green)
colours = {"red": (214, 39, 40), "blue": (31, 119, 180), "green": (44, 160, 44)}
for name in ("success", "precision", "norm_precision"):
    img = read_png(f"{sys.argv[1]}/{name}.png")
    white = (img == 255).all(axis=2).mean()
    dark = (img.max(axis=2) < 60).mean()
    assert 0.6 < white < 0.98, f"{name}.png: {white:.0%} white"
    assert dark > 0.002, f"{name}.png: no text or axes"
    for cname, c in colours.items():
        hits = (np.abs(img - np.array(c)).max(axis=2) < 12).sum()
        assert hits > 300, f"{name}.png: {hits} pixels of the {cname} curve"
PY

# Expected legends and table, from the inputs.
cat >"$TMP/expect.py" <<'PY'
import json
def load(path):
    return json.load(open(path))["overall"]
def legend(results, key):   # [(name, score)], best first, ties in the order given
    return sorted(((n, load(p)[key]) for n, p in results), key=lambda e: -e[1])
def pct(x):
    return None if x is None else float(f"{100 * x:.1f}")
PY

check "SVGs are XML with the legends ranked by each plot's score" "$PYTHON" - "$R" "$TMP" <<'PY'
import sys, xml.etree.ElementTree as ET
sys.path.insert(0, sys.argv[2])
from expect import legend
R, T = sys.argv[1:3]
results = [("LoRAT-L-224", f"{T}/a.json"), ("OSTrack&<256>", f"{T}/c.json"),
           ("LoRAT-B-224", f"{T}/b.json")]
ns = "{http://www.w3.org/2000/svg}"
for name, key, title in (("success", "success_auc", "Success plots of OPE on LaSOT"),
                         ("precision", "precision", "Precision plots of OPE on LaSOT"),
                         ("norm_precision", "norm_precision",
                          "Normalized Precision plots of OPE on LaSOT")):
    root = ET.parse(f"{R}/{name}.svg").getroot()
    assert root.tag == ns + "svg", root.tag
    assert (root.get("width"), root.get("height")) == ("800px", "600px"), root.attrib
    assert root.find(ns + "title").text == title, root.find(ns + "title").text
    text = root.find(ns + "desc").text
    want = [f"{n} [{s:.3f}]" for n, s in legend(results, key)]
    at = [text.find(w) for w in want]
    assert all(i >= 0 for i in at) and at == sorted(at), f"{name}.svg: {want} in\n{text}"
    paths = root.iter(ns + "path")
    assert sum(1 for _ in paths) > 20, f"{name}.svg: too few paths"
# the ranking differs between plots: A first by success, C first by precision
assert legend(results, "success_auc")[0][0] == "LoRAT-L-224"
assert legend(results, "precision")[0][0] == "OSTrack&<256>"
PY

check "table.json matches the inputs, ranked by success AUC" "$PYTHON" - "$R" "$TMP" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from expect import legend, load, pct
R, T = sys.argv[1:3]
files = {"LoRAT-L-224": f"{T}/a.json", "OSTrack&<256>": f"{T}/c.json", "LoRAT-B-224": f"{T}/b.json"}
j = json.load(open(f"{R}/table.json"))
assert j["dataset"] == "lasot" and j["title"] == "LaSOT", j
assert j["heading"] == "LaSOT (protocol paper, 5 sequences)", j["heading"]
assert j["columns"] == ["success_auc", "norm_precision", "precision"], j["columns"]
names = [t["name"] for t in j["trackers"]]
assert names == [n for n, _ in legend(files.items(), "success_auc")], names
for rank, t in enumerate(j["trackers"], 1):
    o = load(files[t["name"]])
    assert t["rank"] == rank and t["file"] == files[t["name"]] and t["sequences"] == 5, t
    for k in ("success_auc", "norm_precision", "precision", "ao", "sr50", "sr75"):
        assert t[k] == pct(o[k]), (t["name"], k, t[k], o[k])
for k in j["columns"]:
    top = max(t[k] for t in j["trackers"])
    assert j["best"][k] == [t["name"] for t in j["trackers"] if t[k] == top], (k, j["best"])
PY

check "table.txt: ranked rows, percentages, best marked" "$PYTHON" - "$R" "$TMP" <<'PY'
import json, sys
R = sys.argv[1]
j = json.load(open(f"{R}/table.json"))
lines = open(f"{R}/table.txt").read().splitlines()
assert lines[0] == j["heading"], lines[0]
assert lines[1].split() == ["Tracker", "SUC", "P_norm", "P"], lines[1]
rows = lines[3:3 + len(j["trackers"])]
for t, row in zip(j["trackers"], rows):
    assert row.startswith(t["name"] + " "), row
    cells = row[len(t["name"]):].split()
    for k, cell in zip(j["columns"], cells):
        best = t["name"] in j["best"][k]
        assert cell == f"{t[k]:.1f}" + ("*" if best else ""), (row, k, cell)
assert lines[-1].startswith("* best"), lines[-1]
PY

if "$LORAT" report --result "LoRAT-L-224=$TMP/a.json" --result "OSTrack&<256>=$TMP/c.json" \
    --result "LoRAT-B-224=$TMP/b.json" --out "$R" --json >"$TMP/stdout.json" 2>"$TMP/stderr.txt"; then
    pass
else
    fail "report --json into an existing directory"; cat "$TMP/stderr.txt" >&2
fi
check "--json prints table.json's object" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' "$TMP/stdout.json" "$R/table.json"

# GOT-10k style: 101 success thresholds, AO and SR given; a file named without NAME=; a tie;
# a name with a non-ASCII letter.
check "make GOT-10k eval files" mk "$TMP/g1.json" got10k paper 101 0.78 13 0.12 0.7514
check "make GOT-10k eval files" mk "$TMP/lorat-g.json" got10k paper 101 0.74 11 0.11 0.7506
G="$TMP/got"
check "report on GOT-10k files with a title" "$LORAT" report --result "première=$TMP/g1.json" \
    --result "$TMP/lorat-g.json" --out "$G/deeper" --title "GOT-10k val"
check "GOT-10k table: AO / SR50 / SR75 columns, tie marked twice" "$PYTHON" - "$G/deeper" "$TMP" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from expect import load, pct
R, T = sys.argv[1:3]
j = json.load(open(f"{R}/table.json", encoding="utf-8"))
assert j["title"] == "GOT-10k val" and j["dataset"] == "got10k", j
assert j["columns"] == ["success_auc", "norm_precision", "precision", "ao", "sr50", "sr75"], j
assert [t["name"] for t in j["trackers"]] == ["première", "lorat-g"], j["trackers"]
for t, f in zip(j["trackers"], ("g1.json", "lorat-g.json")):
    o = load(f"{T}/{f}")
    for k in j["columns"]:
        assert t[k] == pct(o[k]), (k, t[k], o[k])
assert j["trackers"][0]["ao"] == j["trackers"][1]["ao"] == 75.1, j["trackers"]
assert j["best"]["ao"] == ["première", "lorat-g"], j["best"]
text = open(f"{R}/table.txt", encoding="utf-8").read()
assert text.count("75.1*") == 2, text
at = [line.find("75.1*") for line in text.splitlines() if "75.1*" in line]
assert at[0] == at[1], f"columns not aligned (a name with a non-ASCII letter):\n{text}"
assert "SR75" in text.splitlines()[1], text
PY
check "GOT-10k plots titled with --title" grep -q "Success plots of OPE on GOT-10k val" "$G/deeper/success.svg"

# Bad input: exit 1 and a message naming the file and key.
printf '{"dataset": "lasot", "overall": {' >"$TMP/broken.json"
"$PYTHON" - "$TMP" <<'PY'
import json, sys, zlib
T = sys.argv[1]
a = json.load(open(f"{T}/a.json"))
def variant(name, edit):
    j = json.loads(json.dumps(a)); edit(j); json.dump(j, open(f"{T}/{name}.json", "w"))
variant("no-overall", lambda j: j.pop("overall"))
variant("no-precision", lambda j: j["overall"].pop("precision"))
variant("string-curve", lambda j: j["overall"].__setitem__("success_curve", "0.9 0.8"))
variant("bad-element", lambda j: j["overall"]["norm_precision_curve"].__setitem__(7, "x"))
variant("percent", lambda j: j["overall"].__setitem__("success_auc", 71.2))
variant("got", lambda j: j.__setitem__("dataset", "got10k"))
PY
ok="--result ok=$TMP/a.json"
expect_rc 1 "missing file" "$TMP/nothere.json" "$LORAT" report $ok --result "x=$TMP/nothere.json" --out "$TMP/o"
expect_rc 1 "malformed JSON" "$TMP/broken.json: not valid JSON" "$LORAT" report $ok --result "x=$TMP/broken.json" --out "$TMP/o"
expect_rc 1 "missing overall" "$TMP/no-overall.json: key \"overall\" is missing" \
    "$LORAT" report $ok --result "x=$TMP/no-overall.json" --out "$TMP/o"
expect_rc 1 "missing score" "$TMP/no-precision.json: key \"overall.precision\" is missing" \
    "$LORAT" report $ok --result "x=$TMP/no-precision.json" --out "$TMP/o"
expect_rc 1 "curve of the wrong type" "$TMP/string-curve.json: key \"overall.success_curve\" must be an array" \
    "$LORAT" report --result "x=$TMP/string-curve.json" --out "$TMP/o"
expect_rc 1 "curve with a string in it" "overall.norm_precision_curve[7]\" must be a number" \
    "$LORAT" report --result "x=$TMP/bad-element.json" --out "$TMP/o"
expect_rc 1 "percentages instead of fractions" "overall.success_auc\" is 71.2, outside 0..1" \
    "$LORAT" report --result "x=$TMP/percent.json" --out "$TMP/o"
expect_rc 1 "trackers on two datasets" "$TMP/got.json is on dataset \"got10k\" but $TMP/a.json is on dataset \"lasot\"" \
    "$LORAT" report $ok --result "x=$TMP/got.json" --out "$TMP/o"
check "nothing written when the input is bad" test ! -e "$TMP/o"
expect_rc 1 "--out under a regular file" "cannot create output directory $TMP/a.json/plots" \
    "$LORAT" report $ok --out "$TMP/a.json/plots"
# Bad arguments: exit 2 with the usage.
expect_rc 1 "tracker name not valid UTF-8" "is not valid UTF-8" \
    "$LORAT" report --result "$(printf 'bad\377')=$TMP/a.json" --out "$TMP/o"
expect_rc 2 "no --result" "usage: lorat report" "$LORAT" report --out "$TMP/o"
expect_rc 2 "no --out" "--out DIR is needed" "$LORAT" report $ok
expect_rc 2 "unknown option" "unexpected argument '--bogus'" "$LORAT" report $ok --out "$TMP/o" --bogus
expect_rc 2 "empty name" "expected NAME=FILE" "$LORAT" report --result "=$TMP/a.json" --out "$TMP/o"
expect_rc 2 "the same name twice" "two results are named 'ok'" "$LORAT" report $ok $ok --out "$TMP/o"
finish
