#!/usr/bin/env bash
# compare_opencv.sh — the shipped model against OpenCV's classical trackers (CSRT, KCF: Debian's
# python3-opencv) on the held-out domain-1 set of scripts/train-demo.sh: every tracker's result
# files scored by `lorat eval --results` (paper protocol), plotted side by side by `lorat report`.
#
#   bench/compare_opencv.sh build/lorat out/demo [MODEL]
# needs OUT/data/domain1-test (scripts/train-demo.sh makes it; so does this script, from the seed).
set -euo pipefail
LORAT=${1:?usage: compare_opencv.sh LORAT OUT [MODEL]}
OUT=${2:?usage: compare_opencv.sh LORAT OUT [MODEL]}
MODEL=${3:-models/lorat-t.safetensors}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$OUT/data/domain1-test
PHOTOS=${PHOTOS:-/usr/share/backgrounds/mate/nature}
if [ ! -f "$DATA/list.txt" ]; then
    "$LORAT" synth --out "$DATA" --sequences 30 --frames 150 --seed 3000 --domain 1 --backgrounds "$PHOTOS"
fi
R=$OUT/compare
mkdir -p "$R"
"$LORAT" eval --model "$MODEL" --dataset custom --root "$DATA" --out "$R/lorat-t" --jobs 1 --threads 2 \
    --quiet --json >"$R/lorat-t.json"
/usr/bin/python3 "$HERE/opencv_trackers.py" --root "$DATA" --out "$R/opencv" --threads 2 --quiet
for t in csrt kcf; do
    "$LORAT" eval --results "$R/opencv/$t" --dataset custom --root "$DATA" --json >"$R/$t.json"
done
"$LORAT" report --result LoRAT-T="$R/lorat-t.json" --result CSRT="$R/csrt.json" --result KCF="$R/kcf.json" \
    --out "$R/plots" --title "held-out synthetic domain 1 (30 sequences)"
cat "$R/plots/table.txt"
# Speed: frames per second of each tracker alone (seconds per frame in the result folders).
/usr/bin/python3 - "$R" <<'PY'
import glob, os, sys
r = sys.argv[1]
for name, pat in (("LoRAT-T", "lorat-t/**/*_time.txt"), ("CSRT", "opencv/csrt/**/*_time.txt"),
                  ("KCF", "opencv/kcf/**/*_time.txt")):
    t = [float(x) for f in glob.glob(os.path.join(r, pat), recursive=True) for x in open(f).read().split()]
    if t:
        print("%-8s %6.1f fps over %d frames (tracker only, 2 threads)" % (name, len(t) / sum(t), len(t)))
PY
