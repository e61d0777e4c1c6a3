"""The Python binding (python/lorat) against lorat track, run by tests/test_python.sh.

usage: test_binding.py MODEL DATA_DIR TRACK_OUT_DIR
  DATA_DIR: sequences of `lorat synth` (GOT-10k layout); TRACK_OUT_DIR/<seq>.txt: the boxes
  `lorat track --frames DATA/<seq> --init <first box> --threads 1` wrote (%.4f, x,y,w,h).
Prints one line per check; exits 1 when one fails.
"""
import ctypes
import gc
import os
import sys
import threading

import numpy as np

import lorat
from lorat.toolkits import GOT10kTracker, PysotTracker, PytrackingTracker

model_path, data, track_out = sys.argv[1:4]
failed = 0


def check(what, ok, detail=""):
    global failed
    print(("ok    " if ok else "FAIL  ") + what + (f": {detail}" if detail else ""))
    if not ok:
        failed += 1


def raises(what, fn, text):
    try:
        fn()
    except lorat.Error as e:
        check(what, text in str(e), f"lorat.Error({str(e)[:150]!r})")
        return
    except Exception as e:  # any other exception is a failure of the binding
        check(what, False, f"raised {type(e).__name__}: {e}")
        return
    check(what, False, "no exception")


def frames_of(seq):
    d = os.path.join(data, seq)
    names = sorted(n for n in os.listdir(d) if n.endswith(".jpg"))
    return [os.path.join(d, n) for n in names]


def first_box(seq):
    with open(os.path.join(data, seq, "groundtruth.txt")) as f:
        return [float(v) for v in f.readline().replace(",", " ").split()]


def track(model, seq, images=None, tracker_cls=None):
    paths = frames_of(seq)
    images = images or [lorat.read_image(p) for p in paths]
    t = lorat.Tracker(model)
    t.init(images[0], first_box(seq))
    out = [tuple(first_box(seq))]
    for im in images[1:]:
        box, conf = t.update(im)
        assert 0.0 <= conf <= 1.0, conf
        out.append(box)
    t.close()
    return np.array(out, dtype=np.float64)


def reference(seq):
    return np.loadtxt(os.path.join(track_out, seq + ".txt"), delimiter=",")


seqs = sorted(d for d in os.listdir(data) if os.path.isdir(os.path.join(data, d)))
check("two sequences to track", len(seqs) == 2, str(seqs))
model = lorat.Model(model_path, threads=1)
check("the model's configuration", model.variant == "T" and model.config["dim"] == 192
      and model.config["search_w"] == 10, str(model.config))
check("the model's tracking defaults", abs(model.tracking_defaults["size_update"] - 0.05) < 1e-6
      and model.tracking_defaults["box_average"] == 1, str(model.tracking_defaults))
check("version", lorat.version().count(".") == 2, lorat.version())

# 1. the boxes of lorat track, from the same decoded pixels
images = {s: [lorat.read_image(p) for p in frames_of(s)] for s in seqs}
first = images[seqs[0]][0]
check("read_image gives uint8 (H, W, 3)", first.dtype == np.uint8 and first.ndim == 3 and first.shape[2] == 3,
      f"{first.dtype} {first.shape}")
alone = {}
for s in seqs:
    alone[s] = track(model, s, images[s])
    ref = reference(s)
    same_shape = alone[s].shape == ref.shape
    worst = float(np.abs(alone[s] - ref).max()) if same_shape else float("inf")
    # the file holds 4 decimals: a box within 1e-4 px of it is the same box
    check(f"{s}: the binding's boxes are lorat track's", same_shape and worst <= 1e-4,
          f"{alone[s].shape[0]} frames, worst difference {worst:.2e} px")

# 2. two threads tracking the two sequences at once
results = {}


def worker(s):
    results[s] = track(model, s, images[s])


threads = [threading.Thread(target=worker, args=(s,)) for s in seqs]
for t in threads:
    t.start()
for t in threads:
    t.join()
for s in seqs:
    check(f"{s}: tracked beside another thread, the same boxes",
          s in results and np.array_equal(results[s], alone[s]))

# 3. BGR frames (OpenCV's order), non-contiguous arrays, the toolkits' adapters
s = seqs[0]
bgr = [im[:, :, ::-1] for im in images[s]]
t = lorat.Tracker(model, bgr=True)
t.init(bgr[0], first_box(s))
got = [t.update(im)[0] for im in bgr[1:]]
t.close()
check("bgr=True on BGR frames: the same boxes", np.array_equal(np.array(got), alone[s][1:]))
t = lorat.Tracker(model)
t.init(np.ascontiguousarray(bgr[0])[:, :, ::-1], first_box(s))  # a strided view
got = [t.update(np.ascontiguousarray(im)[:, :, ::-1])[0] for im in bgr[1:]]
t.close()
check("non-contiguous RGB views: the same boxes", np.array_equal(np.array(got), alone[s][1:]))

g = GOT10kTracker(model)
g.init(images[s][0], first_box(s))
got = [g.update(im) for im in images[s][1:]]
check("got10k adapter: init/update", np.allclose(np.array(got), alone[s][1:], rtol=0, atol=0)
      and g.name == "LoRAT" and g.is_deterministic)
p = PysotTracker(model)
p.init(bgr[0], first_box(s))
outs = [p.track(im) for im in bgr[1:]]
check("pysot adapter: init/track on BGR frames", np.array_equal(np.array([o["bbox"] for o in outs]), alone[s][1:])
      and all(0 <= o["best_score"] <= 1 for o in outs))
q = PytrackingTracker(model)
q.initialize(images[s][0], {"init_bbox": first_box(s)})
outs = [q.track(im) for im in images[s][1:]]
check("pytracking adapter: initialize/track", np.array_equal(np.array([o["target_bbox"] for o in outs]), alone[s][1:]))
t = lorat.Tracker(model, size_update=1.0, size_gate=0.0, box_average=0)
check("tracking parameters replace the file's", t.params["size_update"] == 1.0 and t.params["box_average"] == 0)
t.close()

# 4. bad input raises lorat.Error with the library's message
t = lorat.Tracker(model)
raises("update before init", lambda: t.update(first), "before init")
raises("a float image", lambda: t.init(first.astype(np.float32), (10, 10, 20, 20)), "uint8")
raises("an RGBA image", lambda: t.init(np.zeros((40, 40, 4), np.uint8), (10, 10, 20, 20)), "(H, W, 3)")
raises("a grey image", lambda: t.init(np.zeros((40, 40), np.uint8), (10, 10, 20, 20)), "(H, W, 3)")
raises("an empty image", lambda: t.init(np.zeros((0, 40, 3), np.uint8), (10, 10, 20, 20)), "at least one pixel")
raises("a list for an image", lambda: t.init([[1, 2, 3]], (10, 10, 20, 20)), "numpy array")
raises("a box of zero width (the C check)", lambda: t.init(first, (10, 10, 0, 20)), "at least 1 pixel")
raises("a box outside the frame", lambda: t.init(first, (1e5, 10, 20, 20)), "outside")
raises("a box of 3 numbers", lambda: t.init(first, (10, 10, 20)), "4 numbers")
raises("a box of words", lambda: t.init(first, ("a", "b", "c", "d")), "4 numbers")
t.init(first, first_box(s))
raises("a frame of another size", lambda: t.update(first[:-2]), "frame size changed")
t.close()
raises("a closed tracker", lambda: t.update(first), "closed")
raises("a missing model file", lambda: lorat.Model("/nonexistent/model.safetensors"), "/nonexistent/model.safetensors")
raises("a file that is not a model", lambda: lorat.Model(frames_of(s)[0]), os.path.basename(frames_of(s)[0]))
raises("threads out of range", lambda: lorat.Model(model_path, threads=0), "threads")
raises("an unknown precision", lambda: lorat.Model(model_path, precision="fp8"), "precision")
raises("an unknown tracking parameter", lambda: lorat.Tracker(model, window=0.3), "window")
raises("a tracking parameter out of range (the C check)", lambda: lorat.Tracker(model, size_update=2.0), "size update")
raises("a missing image file", lambda: lorat.read_image("/nonexistent/frame.jpg"), "/nonexistent/frame.jpg")
raises("closing a model with open trackers", lambda: (lambda k: (model.close(), k))(lorat.Tracker(model)), "open trackers")
gc.collect()

# 5. 1000 trackers created and freed: the process does not grow. Under the sanitizers (LD_PRELOAD of
# libasan) freed blocks wait in ASan's quarantine and the size of the process grows by design, so
# there the live heap is measured instead, from ASan's own count of the bytes allocated and not freed.
def sanitizer_heap_kb():
    try:
        count = ctypes.CDLL(None).__sanitizer_get_current_allocated_bytes
    except (OSError, AttributeError):
        return None
    count.restype = ctypes.c_size_t
    return lambda: count() // 1024


def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


size_kb, size_name, limit_kb = rss_kb, "RSS", 4096  # RSS moves in pages and pools
if os.environ.get("LORAT_SANITIZED"):
    live = sanitizer_heap_kb()
    if live is None:
        check("the sanitizer's heap count is reachable", False, "LD_PRELOAD of libasan expected")
    else:
        size_kb, size_name, limit_kb = live, "live heap", 32  # exact: 32 bytes a tracker would show


def churn(n):
    for _ in range(n):
        k = lorat.Tracker(model)
        k.init(first, first_box(s))
        k.update(first)
        k.close()


churn(50)  # warm: the allocator's pools, the libraries' first-use allocations
gc.collect()
before = size_kb()
churn(1000)
gc.collect()
grown = size_kb() - before
check("1000 trackers created, used and freed: the process does not grow", grown < limit_kb,
      f"{size_name} {before} kB -> {before + grown} kB ({grown:+d} kB)")

print(f"{'all' if not failed else failed} {'passed' if not failed else 'failed'}")
sys.exit(1 if failed else 0)
