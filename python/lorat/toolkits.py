"""lorat in the tracking toolkits: trackers with the exact interfaces they call.

    from lorat.toolkits import GOT10kTracker, PysotTracker, PytrackingTracker

got10k toolkit (got10k.trackers.Tracker's interface: PIL images, boxes x, y, w, h):
    tracker = GOT10kTracker("models/lorat-t.safetensors")
    ExperimentGOT10k(root, subset="val").run(tracker)
  With the toolkit installed the class is a subclass of got10k.trackers.Tracker (its name and
  is_deterministic are set); without it, it has the same methods.
pysot (BGR numpy images, as cv2.imread gives):
    tracker = PysotTracker(path); tracker.init(img, bbox); out = tracker.track(img)
    out["bbox"] (x, y, w, h), out["best_score"]
pytracking (RGB numpy images):
    tracker = PytrackingTracker(path); tracker.initialize(image, {"init_bbox": [x, y, w, h]})
    out = tracker.track(image); out["target_bbox"]

Each takes a path or a lorat.Model (shared between trackers), threads, precision and the
tracking parameters of lorat.Tracker.
"""
import numpy as np

from . import Error, Model, Tracker

__all__ = ["GOT10kTracker", "PysotTracker", "PytrackingTracker"]


def _model(model, threads, precision):
    if isinstance(model, Model):
        return model
    return Model(model, threads=threads, precision=precision)


try:  # the got10k toolkit's base class, when it is installed
    from got10k.trackers import Tracker as _GOT10kBase
except ImportError:  # pragma: no cover - depends on the machine
    class _GOT10kBase:
        def __init__(self, name, is_deterministic=False):
            self.name = name
            self.is_deterministic = is_deterministic


class GOT10kTracker(_GOT10kBase):
    """got10k toolkit: init(image, box), update(image) -> box (numpy [x, y, w, h])."""

    def __init__(self, model, name="LoRAT", threads=None, precision="fp32", **tracking):
        super().__init__(name=name, is_deterministic=True)
        self.model = _model(model, threads, precision)
        self.tracking = tracking
        self._tracker = None

    def init(self, image, box):
        if self._tracker is not None:
            self._tracker.close()
        self._tracker = Tracker(self.model, **self.tracking)
        self._tracker.init(image, box)

    def update(self, image):
        if self._tracker is None:
            raise Error("update before init")
        box, _ = self._tracker.update(image)
        return np.array(box, dtype=np.float64)


class PysotTracker:
    """pysot: init(img, bbox), track(img) -> {'bbox': [x, y, w, h], 'best_score': s}; BGR images."""

    def __init__(self, model, threads=None, precision="fp32", bgr=True, **tracking):
        self.model = _model(model, threads, precision)
        self.tracking = tracking
        self.bgr = bgr
        self._tracker = None

    def init(self, img, bbox):
        if self._tracker is not None:
            self._tracker.close()
        self._tracker = Tracker(self.model, bgr=self.bgr, **self.tracking)
        self._tracker.init(img, bbox)

    def track(self, img):
        if self._tracker is None:
            raise Error("track before init")
        box, score = self._tracker.update(img)
        return {"bbox": list(box), "best_score": score}


class PytrackingTracker:
    """pytracking: initialize(image, info) with info['init_bbox'], track(image, info=None) ->
    {'target_bbox': [x, y, w, h], 'confidence': s}; RGB images."""

    def __init__(self, model, threads=None, precision="fp32", **tracking):
        self.model = _model(model, threads, precision)
        self.tracking = tracking
        self._tracker = None

    def initialize(self, image, info):
        if not isinstance(info, dict) or "init_bbox" not in info:
            raise Error("initialize needs info with 'init_bbox': [x, y, w, h]")
        if self._tracker is not None:
            self._tracker.close()
        self._tracker = Tracker(self.model, **self.tracking)
        self._tracker.init(image, info["init_bbox"])
        return {}

    def track(self, image, info=None):
        if self._tracker is None:
            raise Error("track before initialize")
        box, score = self._tracker.update(image)
        return {"target_bbox": list(box), "confidence": score}
