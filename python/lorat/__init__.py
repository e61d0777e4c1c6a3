"""lorat: the LoRAT tracker (liblorat.so) from Python.

    import lorat
    model = lorat.Model("models/lorat-t.safetensors", threads=2)
    tracker = lorat.Tracker(model)                 # tracking defaults from the model file
    tracker.init(frame0, (x, y, w, h))             # numpy uint8 (H, W, 3) RGB
    box, confidence = tracker.update(frame1)

A ctypes binding: no compiler at import, Debian's python3 and python3-numpy only. The library is
found through LORAT_LIBRARY (a path), beside this package in a built tree (build/liblorat.so
when the package is python/lorat of the source tree), where `make install` put it, or on the
system's library path. Every call into the library releases the GIL, so trackers in several
threads run at once. Every failure of the C library raises lorat.Error with its message.

Adapters with the interfaces of the got10k toolkit, pysot and pytracking: lorat.toolkits.
"""
import ctypes
import ctypes.util
import os
import threading
import weakref

import numpy as np

__all__ = ["Error", "Model", "Tracker", "read_image", "version", "PRECISIONS"]

PRECISIONS = ("fp32", "bf16", "int8")


class Error(Exception):
    """A failure of the lorat library: the C message, and the status name (e.g. BAD_INPUT)."""

    def __init__(self, message, status="BAD_INPUT"):
        super().__init__(message)
        self.status = status


# ---- the library ---------------------------------------------------------------------------------

class _Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 1024)]


class _ModelInfo(ctypes.Structure):
    _fields_ = [("variant", ctypes.c_char * 32),
                ("dim", ctypes.c_int), ("depth", ctypes.c_int), ("heads", ctypes.c_int),
                ("ffn_hidden", ctypes.c_int), ("patch", ctypes.c_int), ("swiglu", ctypes.c_int),
                ("template_w", ctypes.c_int), ("template_h", ctypes.c_int),
                ("search_w", ctypes.c_int), ("search_h", ctypes.c_int),
                ("template_area_factor", ctypes.c_float), ("search_area_factor", ctypes.c_float),
                ("lora_merged", ctypes.c_int)]


_PARAM_FIELDS = [("template_area_factor", ctypes.c_float), ("search_area_factor", ctypes.c_float),
                 ("window_influence", ctypes.c_float), ("min_box_size", ctypes.c_float),
                 ("size_update", ctypes.c_float), ("size_gate", ctypes.c_float),
                 ("box_average", ctypes.c_int)]


class _Params(ctypes.Structure):
    _fields_ = _PARAM_FIELDS


class _Image(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("stride", ctypes.c_int),
                ("rgb", ctypes.POINTER(ctypes.c_uint8))]


class _Box(ctypes.Structure):
    _fields_ = [("x", ctypes.c_float), ("y", ctypes.c_float), ("w", ctypes.c_float),
                ("h", ctypes.c_float)]


def _candidates():
    env = os.environ.get("LORAT_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    source = os.path.dirname(os.path.dirname(here))  # python/lorat -> the source tree
    for build in ("build", "build-asan"):
        yield os.path.join(source, build, "liblorat.so")
    try:
        from . import _installed  # written by make install
        yield _installed.LIBRARY
    except ImportError:
        pass
    found = ctypes.util.find_library("lorat")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ctypes.CDLL(path)  # CDLL: the GIL is released during each call
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("lorat: cannot find liblorat.so; build it (make), set LORAT_LIBRARY to its "
                      "path, or install lorat (make install). Tried: " + ("; ".join(tried) or "nothing"))


_lib = _load()
_P = ctypes.POINTER
_lib.lorat_version.restype = ctypes.c_char_p
_lib.lorat_version.argtypes = []
_lib.lorat_status_name.restype = ctypes.c_char_p
_lib.lorat_status_name.argtypes = [ctypes.c_int]
_lib.lorat_model_load.restype = ctypes.c_int
_lib.lorat_model_load.argtypes = [ctypes.c_char_p, _P(ctypes.c_void_p), _P(_Error)]
_lib.lorat_model_free.restype = None
_lib.lorat_model_free.argtypes = [ctypes.c_void_p]
_lib.lorat_model_get_info.restype = None
_lib.lorat_model_get_info.argtypes = [ctypes.c_void_p, _P(_ModelInfo)]
_lib.lorat_set_threads.restype = None
_lib.lorat_set_threads.argtypes = [ctypes.c_int]
_lib.lorat_model_set_precision.restype = ctypes.c_int
_lib.lorat_model_set_precision.argtypes = [ctypes.c_void_p, ctypes.c_int, _P(_Error)]
_lib.lorat_model_get_precision.restype = ctypes.c_int
_lib.lorat_model_get_precision.argtypes = [ctypes.c_void_p]
_lib.lorat_tracker_params_default.restype = None
_lib.lorat_tracker_params_default.argtypes = [ctypes.c_void_p, _P(_Params)]
_lib.lorat_tracker_create.restype = ctypes.c_int
_lib.lorat_tracker_create.argtypes = [ctypes.c_void_p, _P(_Params), _P(ctypes.c_void_p), _P(_Error)]
_lib.lorat_tracker_free.restype = None
_lib.lorat_tracker_free.argtypes = [ctypes.c_void_p]
_lib.lorat_tracker_init.restype = ctypes.c_int
_lib.lorat_tracker_init.argtypes = [ctypes.c_void_p, _P(_Image), _Box, _P(_Error)]
_lib.lorat_tracker_update.restype = ctypes.c_int
_lib.lorat_tracker_update.argtypes = [ctypes.c_void_p, _P(_Image), _P(_Box), _P(ctypes.c_float), _P(_Error)]
_lib.lorat_image_read.restype = ctypes.c_int
_lib.lorat_image_read.argtypes = [ctypes.c_char_p, _P(_Image), _P(_Error)]
_lib.lorat_image_free.restype = None
_lib.lorat_image_free.argtypes = [_P(_Image)]


def _num(v):
    """A float32 field as the decimal it was written as (0.45, not 0.44999998807907104)."""
    return float(np.format_float_positional(np.float32(v), unique=True)) if isinstance(v, float) else v


def _raise(err):
    status = _lib.lorat_status_name(err.status).decode()
    raise Error(err.message.decode("utf-8", "replace"), status)


def version():
    """The library's version, "major.minor.patch"."""
    return _lib.lorat_version().decode()


def _path(p, what):
    if isinstance(p, os.PathLike):
        p = os.fspath(p)
    if not isinstance(p, (str, bytes)):
        raise Error(f"{what} must be a path (str, bytes or os.PathLike), not {type(p).__name__}")
    return p.encode() if isinstance(p, str) else p


def read_image(path):
    """Decodes a JPEG or PNG file with lorat's decoder (that of lorat track): uint8 (H, W, 3) RGB."""
    err = _Error()
    im = _Image()
    if _lib.lorat_image_read(_path(path, "the image"), ctypes.byref(im), ctypes.byref(err)):
        _raise(err)
    try:
        n = im.height * im.stride
        flat = np.ctypeslib.as_array(im.rgb, shape=(n,))
        return flat.reshape(im.height, im.width, 3).copy()
    finally:
        _lib.lorat_image_free(ctypes.byref(im))


# ---- images and boxes --------------------------------------------------------------------------

def _as_image(image, bgr):
    """A lorat_image over the caller's pixels (kept alive by the returned array)."""
    if hasattr(image, "mode") and hasattr(image, "size") and not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("RGB"))  # a PIL image
        bgr = False
    if not isinstance(image, np.ndarray):
        raise Error(f"an image must be a numpy array (H, W, 3) of uint8 or a PIL image, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise Error(f"an image must be uint8 (H, W, 3); this one is {image.dtype}: convert it "
                    "(e.g. np.clip(a, 0, 255).astype(np.uint8))")
    if image.ndim != 3 or image.shape[2] != 3:
        raise Error(f"an image must be (H, W, 3) RGB{' (BGR with bgr=True)' if bgr else ''}; this one has shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise Error(f"an image must have at least one pixel; this one has shape {image.shape}")
    if bgr:
        image = image[:, :, ::-1]
    if image.strides[2] != 1 or image.strides[1] != 3 or image.strides[0] < 3 * image.shape[1]:
        image = np.ascontiguousarray(image)
    im = _Image(image.shape[1], image.shape[0], image.strides[0],
                image.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
    return im, image


def _as_box(box):
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        raise Error(f"a box must be 4 numbers (x, y, w, h), not {box!r}") from None
    if len(values) != 4:
        raise Error(f"a box must be 4 numbers (x, y, w, h); got {len(values)}")
    return _Box(*values)


# ---- model and tracker ---------------------------------------------------------------------------

class Model:
    """A lorat model file (as `lorat convert` or `lorat train` write it).

    threads: the threads of every tracker made from this model (default: OpenMP's, i.e.
    OMP_NUM_THREADS or the cores). precision: "fp32" (default, exact), "bf16" or "int8".
    Read-only once loaded: several trackers, in several threads, may share it.
    """

    def __init__(self, path, threads=None, precision="fp32"):
        self._ptr = ctypes.c_void_p()
        if threads is not None and (not isinstance(threads, int) or not 1 <= threads <= 1024):
            raise Error(f"threads must be an integer in 1..1024, not {threads!r}")
        if precision not in PRECISIONS:
            raise Error(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        self.threads = threads
        self._trackers = weakref.WeakSet()
        err = _Error()
        if _lib.lorat_model_load(_path(path, "the model"), ctypes.byref(self._ptr), ctypes.byref(err)):
            _raise(err)
        self.path = os.fspath(path)
        if precision != "fp32":
            if _lib.lorat_model_set_precision(self._ptr, PRECISIONS.index(precision), ctypes.byref(err)):
                self.close()
                _raise(err)
        info = _ModelInfo()
        _lib.lorat_model_get_info(self._ptr, ctypes.byref(info))
        self.config = {name: _num(getattr(info, name)) for name, _ in _ModelInfo._fields_}
        self.config["variant"] = info.variant.decode()
        self.config["swiglu"] = bool(info.swiglu)
        self.config["lora_merged"] = bool(info.lora_merged)
        p = _Params()
        _lib.lorat_tracker_params_default(self._ptr, ctypes.byref(p))
        self.tracking_defaults = {name: _num(getattr(p, name)) for name, _ in _PARAM_FIELDS}
        self.precision = PRECISIONS[_lib.lorat_model_get_precision(self._ptr)]

    @property
    def variant(self):
        return self.config["variant"]

    def close(self):
        """Frees the model (also done when it is collected); its trackers must be closed first."""
        if self._ptr and any(t._ptr for t in list(getattr(self, "_trackers", ()))):
            raise Error("the model still has open trackers: close them first")
        if self._ptr:
            _lib.lorat_model_free(self._ptr)
            self._ptr = ctypes.c_void_p()

    def __del__(self):
        if getattr(self, "_ptr", None):
            _lib.lorat_model_free(self._ptr)  # collected: no tracker holds it any more
            self._ptr = ctypes.c_void_p()

    def __repr__(self):
        return f"lorat.Model({self.path!r}, variant={self.variant!r}, precision={self.precision!r})"


_threads_lock = threading.Lock()


class Tracker:
    """Tracks one object through a sequence. Tracking parameters (keyword arguments) replace the
    model file's defaults (Model.tracking_defaults): template_area_factor, search_area_factor,
    window_influence, min_box_size, size_update, size_gate, box_average.

    bgr=True takes frames in OpenCV's BGR order. Boxes are (x, y, w, h) in pixels, x and y the
    top-left corner."""

    def __init__(self, model, bgr=False, **tracking):
        if not isinstance(model, Model):
            raise Error(f"Tracker needs a lorat.Model, not {type(model).__name__}")
        if not model._ptr:
            raise Error("the model was closed")
        unknown = set(tracking) - {name for name, _ in _PARAM_FIELDS}
        if unknown:
            raise Error(f"unknown tracking parameter(s) {', '.join(sorted(unknown))}; known: "
                        + ", ".join(name for name, _ in _PARAM_FIELDS))
        params = _Params()
        _lib.lorat_tracker_params_default(model._ptr, ctypes.byref(params))
        for name, value in tracking.items():
            try:
                setattr(params, name, int(value) if name == "box_average" else float(value))
            except (TypeError, ValueError):
                raise Error(f"tracking parameter {name} must be a number, not {value!r}") from None
        self.params = {name: _num(getattr(params, name)) for name, _ in _PARAM_FIELDS}
        self.model = model  # kept alive while the tracker is
        self.bgr = bgr
        self._ptr = ctypes.c_void_p()
        err = _Error()
        # the tracker keeps the thread count current at its creation (OpenMP's, per thread)
        with _threads_lock:
            if model.threads:
                _lib.lorat_set_threads(model.threads)
            rc = _lib.lorat_tracker_create(model._ptr, ctypes.byref(params), ctypes.byref(self._ptr),
                                           ctypes.byref(err))
        if rc:
            _raise(err)
        model._trackers.add(self)
        self.confidence = None

    def init(self, image, box):
        """Starts tracking the object in box (x, y, w, h) on the first frame."""
        self._check()
        im, keep = _as_image(image, self.bgr)
        err = _Error()
        if _lib.lorat_tracker_init(self._ptr, ctypes.byref(im), _as_box(box), ctypes.byref(err)):
            _raise(err)
        del keep
        return self

    def update(self, image):
        """The object's box (x, y, w, h) in the next frame and the confidence (0..1)."""
        self._check()
        im, keep = _as_image(image, self.bgr)
        box, conf, err = _Box(), ctypes.c_float(), _Error()
        if _lib.lorat_tracker_update(self._ptr, ctypes.byref(im), ctypes.byref(box), ctypes.byref(conf),
                                     ctypes.byref(err)):
            _raise(err)
        del keep
        self.confidence = conf.value
        return (box.x, box.y, box.w, box.h), conf.value

    def _check(self):
        if not self._ptr:
            raise Error("the tracker was closed")

    def close(self):
        if self._ptr:
            _lib.lorat_tracker_free(self._ptr)
            self._ptr = ctypes.c_void_p()

    def __del__(self):
        if getattr(self, "_ptr", None):
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
