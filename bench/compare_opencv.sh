#!/usr/bin/env bash
# compare_opencv.sh — the shipped model against OpenCV's classical trackers (CSRT, KCF: Debian's
# python3-opencv) on the held-out sets of scripts/train-demo.sh: every tracker's result
# files scored by `lorat eval --results` (paper protocol), plotted side by side by `lorat report`.
#
#   bench/compare_opencv.sh build/lorat out/demo [MODEL]
# on both held-out sets, OUT/data/domain{0,1}-test (scripts/train-demo.sh makes them; so does this
# script, from their seeds).
set -euo pipefail
LORAT=${1:?usage: compare_opencv.sh LORAT OUT [MODEL]}
OUT=${2:?usage: compare_opencv.sh LORAT OUT [MODEL]}
MODEL=${3:-models/lorat-t.safetensors}
HERE=$(cd "$(dirname "$0")" && pwd)
PHOTOS=${PHOTOS:-/usr/share/backgrounds/mate/nature}
for D in domain0-test domain1-test; do
DATA=$OUT/data/$D
if [ ! -f "$DATA/list.txt" ]; then
    if [ $D = domain1-test ]; then
        "$LORAT" synth --out "$DATA" --sequences 30 --frames 150 --seed 3000 --domain 1 --backgrounds "$PHOTOS"
    else
        "$LORAT" synth --out "$DATA" --sequences 30 --frames 150 --seed 5000
    fi
fi
R=$OUT/compare/$D
mkdir -p "$R"
"$LORAT" eval --model "$MODEL" --dataset custom --root "$DATA" --out "$R/lorat-t" --jobs 1 --threads 2 \
    --quiet --json >"$R/lorat-t.json"
/usr/bin/python3 "$HERE/opencv_trackers.py" --root "$DATA" --out "$R/opencv" --threads 2 --quiet
for t in csrt kcf; do
    "$LORAT" eval --results "$R/opencv/$t" --dataset custom --root "$DATA" --json >"$R/$t.json"
done
"$LORAT" report --result LoRAT-T="$R/lorat-t.json" --result CSRT="$R/csrt.json" --result KCF="$R/kcf.json" \
    --out "$R/plots" --title "held-out synthetic $D (30 sequences)"
echo "== $D"
cat "$R/plots/table.txt"
# Speed: frames per second of each tracker alone (seconds per frame in the result folders).
/usr/bin/python3 - "$R" <<'PY'
import glob, os, sys
r = sys.argv[1]
for name, pat in (("LoRAT-T", "lorat-t/**/*_time.txt"), ("CSRT", "opencv/csrt/**/*_time.txt"),
                  ("KCF", "opencv/kcf/**/*_time.txt")):
    t = [float(x) for f in glob.glob(os.path.join(r, pat), recursive=True) for x in open(f).read().split()]
    if t:
        print("%-8s %6.1f fps over %d frames (tracker only)" % (name, len(t) / sum(t), len(t)))
PY
done
