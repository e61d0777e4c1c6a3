"""Minimal safetensors reader/writer for the test reference (no `safetensors` package here).

Format: 8-byte little-endian header length n, then n bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end)}, optional "__metadata__": {str: str}},
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes; offsets are
relative to the end of the header. We write keys sorted and tensors laid out in that order,
as the official fixtures are written, so files made here diff cleanly against them.

Not a general implementation: only the dtypes the project uses (F32, F16, BF16, I64, I32,
U8, BOOL), no memory mapping, no validation beyond what a test reference needs.
"""

import json
import struct

import numpy as np
import torch

# safetensors dtype tag -> (torch dtype, numpy dtype used to move the bytes)
# bf16 has no numpy dtype: its bytes travel as int16 and are re-viewed in torch.
_DTYPES = {
    "F32": (torch.float32, np.float32),
    "F16": (torch.float16, np.float16),
    "BF16": (torch.bfloat16, np.int16),
    "I64": (torch.int64, np.int64),
    "I32": (torch.int32, np.int32),
    "U8": (torch.uint8, np.uint8),
    "BOOL": (torch.bool, np.bool_),
}
_TAG_OF = {tdt: tag for tag, (tdt, _) in _DTYPES.items()}


def _to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save_file(tensors, path, metadata=None):
    """Write {name: tensor} to `path`. metadata: optional {str: str} (`__metadata__`)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _TAG_OF:
            raise ValueError(f"{name}: dtype {t.dtype} not supported by this writer")
        data = _to_bytes(t)
        # Field order dtype/shape/data_offsets as the reference Rust writer emits it.
        header[name] = {
            "dtype": _TAG_OF[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
        header = {k: header[k] for k in sorted(header)}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def load_file(path, with_metadata=False):
    """Read `path` into {name: torch tensor} (copies; CPU). Optionally also return metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    body = memoryview(raw)[8 + n :]
    metadata = header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        tag = info["dtype"]
        if tag not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {tag}")
        tdt, ndt = _DTYPES[tag]
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= begin <= end <= len(body)) or end - begin != count * np.dtype(ndt).itemsize:
            raise ValueError(f"{path}: tensor {name} has bad data_offsets {begin},{end}")
        arr = np.frombuffer(body[begin:end], dtype=ndt).reshape(shape).copy()
        t = torch.from_numpy(arr)
        if tdt == torch.bfloat16:
            t = t.view(torch.bfloat16)
        out[name] = t
    return (out, metadata) if with_metadata else out
