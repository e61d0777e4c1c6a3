#!/usr/bin/python3
"""OpenCV's CSRT and KCF trackers over a dataset in the GOT-10k / custom layout (what `lorat synth`
writes), with result files in the layout `lorat eval --results DIR --dataset custom --root DATA`
scores:

    OUT/<tracker>/<seq>/<seq>_001.txt   one "x,y,w,h" line per frame, the first the init box
    OUT/<tracker>/<seq>/<seq>_time.txt  seconds per frame (the init frame included)

Each tracker is initialised on the first frame with the first ground-truth box; when an update
fails (the tracker reports the target lost) the last box is kept, as trackers without a
re-detection step are scored in the one-pass protocol. Uses Debian's python3-opencv (4.6): the
trackers of the main API (cv2.TrackerCSRT_create, cv2.TrackerKCF_create), or the legacy API on
versions that only have that. Runs with OpenCV's default parameters, on the number of threads
given (default 2, as lorat's numbers), one sequence after the other.

    bench/opencv_trackers.py --root DATA --out results/opencv [--trackers csrt,kcf] [--threads 2]
    build/lorat eval --results results/opencv/csrt --dataset custom --root DATA --json > csrt.json
"""
import argparse
import math
import os
import sys
import tempfile
import time

try:
    import cv2
except ImportError:
    sys.exit("opencv_trackers.py: no cv2 module: on Debian, apt-get install python3-opencv "
             "(and run this script with /usr/bin/python3)")


def factory(name):
    """The constructor of tracker `name` in this OpenCV, main API first, then the legacy one."""
    attr = {"csrt": "TrackerCSRT_create", "kcf": "TrackerKCF_create"}[name]
    if hasattr(cv2, attr):
        return getattr(cv2, attr)
    legacy = getattr(cv2, "legacy", None)
    if legacy is not None and hasattr(legacy, attr):
        return getattr(legacy, attr)
    sys.exit("opencv_trackers.py: this OpenCV (%s) has no %s (it needs the contrib tracking module, "
             "which Debian's python3-opencv includes)" % (cv2.__version__, attr))


def read_boxes(path):
    boxes = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            v = [float(t) for t in line.replace("\t", ",").replace(" ", ",").split(",") if t]
            if len(v) != 4:
                sys.exit("opencv_trackers.py: %s:%d: expected x,y,w,h" % (path, n))
            boxes.append(v)
    return boxes


def sequences(root):
    lst = os.path.join(root, "list.txt")
    if os.path.exists(lst):
        with open(lst) as f:
            return [s.strip() for s in f if s.strip()]
    return sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "groundtruth.txt")))


def frames(seq_dir):
    names = [f for f in os.listdir(seq_dir) if f.lower().endswith((".jpg", ".jpeg", ".png"))]
    return [os.path.join(seq_dir, f) for f in sorted(names, key=lambda f: int(os.path.splitext(f)[0]))]


def write_atomic(path, lines):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write("".join(lines))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fmt(b):
    return "%.4f,%.4f,%.4f,%.4f\n" % tuple(b)


def run_sequence(create, seq_dir, init_box):
    """Returns (boxes, seconds per frame, frames where the update failed)."""
    paths = frames(seq_dir)
    if not paths:
        sys.exit("opencv_trackers.py: %s has no frames" % seq_dir)
    boxes, times, failed = [], [], 0
    tracker = None
    last = list(init_box)
    for i, p in enumerate(paths):
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None:
            sys.exit("opencv_trackers.py: cannot read frame %s" % p)
        t0 = time.perf_counter()
        if i == 0:
            tracker = create()
            x, y, w, h = init_box
            # OpenCV wants an integer rectangle inside the image; the init box itself is written.
            rect = (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h))))
            tracker.init(img, rect)
            box = list(init_box)
        else:
            ok, rect = tracker.update(img)
            if ok and all(math.isfinite(v) for v in rect) and rect[2] > 0 and rect[3] > 0:
                box = [float(v) for v in rect]
            else:
                box = last
                failed += 1
        times.append(time.perf_counter() - t0)
        boxes.append(box)
        last = box
    return boxes, times, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="dataset folder (list.txt, <seq>/groundtruth.txt, frames)")
    ap.add_argument("--out", required=True, help="results folder: OUT/<tracker>/<seq>/<seq>_001.txt")
    ap.add_argument("--trackers", default="csrt,kcf", help="comma-separated: csrt, kcf")
    ap.add_argument("--threads", type=int, default=2, help="OpenCV threads (default 2)")
    ap.add_argument("--force", action="store_true", help="rerun sequences whose result file exists")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    cv2.setNumThreads(a.threads)
    seqs = sequences(a.root)
    if not seqs:
        sys.exit("opencv_trackers.py: no sequences in %s" % a.root)
    for name in [t.strip().lower() for t in a.trackers.split(",") if t.strip()]:
        if name not in ("csrt", "kcf"):
            sys.exit("opencv_trackers.py: unknown tracker '%s' (csrt, kcf)" % name)
        create = factory(name)
        total_frames, total_time, total_failed = 0, 0.0, 0
        for s in seqs:
            out_dir = os.path.join(a.out, name, s)
            res = os.path.join(out_dir, s + "_001.txt")
            if os.path.exists(res) and not a.force:
                continue  # resumable, as lorat eval
            gt = read_boxes(os.path.join(a.root, s, "groundtruth.txt"))
            if not gt:
                sys.exit("opencv_trackers.py: %s/%s/groundtruth.txt is empty" % (a.root, s))
            boxes, times, failed = run_sequence(create, os.path.join(a.root, s), gt[0])
            os.makedirs(out_dir, exist_ok=True)
            write_atomic(os.path.join(out_dir, s + "_time.txt"), ["%.6f\n" % t for t in times])
            write_atomic(res, [fmt(b) for b in boxes])
            total_frames += len(boxes)
            total_time += sum(times)
            total_failed += failed
            if not a.quiet:
                print("%s %s: %d frames, %.1f fps, %d failed updates" %
                      (name, s, len(boxes), len(boxes) / max(sum(times), 1e-9), failed), file=sys.stderr)
        if total_frames:
            print("%s: %d sequences, %d frames, %.1f fps (tracker only, %d threads), %d failed updates kept "
                  "the last box -> %s" % (name, len(seqs), total_frames, total_frames / max(total_time, 1e-9),
                                          a.threads, total_failed, os.path.join(a.out, name)), file=sys.stderr)


if __name__ == "__main__":
    main()
