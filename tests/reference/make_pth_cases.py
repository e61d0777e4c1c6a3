#!/usr/bin/python3
"""Writes .pth test cases for tests/test_pth.c, and expected.json describing them.

usage: /usr/bin/python3 make_pth_cases.py OUTDIR [EXTRA.pth ...]

Cases: files torch.save writes (fp32 of several ranks, fp16/bf16, views sharing one storage,
integer and bool tensors, nn.Parameter values, wrapped checkpoints, pickle protocol 4, a ZIP64
archive), and hostile or broken files made by hand (forbidden globals, truncations, storages too
short, strides past the storage, compressed members, not a zip, legacy format, mutated bytes).
Each EXTRA.pth is loaded with torch.load and described too, by absolute path.

expected.json:
  {"cases":  [{"file", "tensors": [{"name", "dtype", "shape", "values" | "step"+"samples"}]}],
   "errors": [{"file", "status", "contains": [..]}],
   "fuzz":   [file, ...],            # must not crash; status may be anything
   "canary": path}                  # must not exist afterwards: nothing in a pickle may run
"""
import collections
import json
import os
import random
import struct
import sys
import warnings
import zipfile
import zlib

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
          torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}
FULL_MAX = 2048  # tensors up to this many elements are described in full, larger ones sampled


def describe(name, t):
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    vals = [float(v) if isinstance(v, float) else int(v) for v in flat.tolist()]
    d = {"name": name, "dtype": DTYPES[t.dtype], "shape": list(t.shape)}
    if len(vals) <= FULL_MAX:
        d["values"] = vals
    else:
        step = len(vals) // 256
        d["step"] = step
        d["samples"] = vals[::step]
    return d


def describe_file(path, label):
    sd = torch.load(path, map_location="cpu")
    if not any(isinstance(v, torch.Tensor) for v in sd.values()):
        sd = sd.get("state_dict", sd.get("model"))
    return {"file": label,
            "tensors": [describe(k, v) for k, v in sd.items() if isinstance(v, torch.Tensor)]}


# ---- hand-made pickles (protocol 2) ---------------------------------------------------------

def p_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def p_int(i):
    return b"J" + struct.pack("<i", i)


def p_global(mod, name):
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def p_tensor(storage_type, key, numel, offset, size, stride):
    pid = p_tuple(p_str("storage"), p_global("torch", storage_type), p_str(key), p_str("cpu"),
                  p_int(numel))
    return (p_global("torch._utils", "_rebuild_tensor_v2") + b"(" + pid + b"Q" + p_int(offset) +
            p_tuple(*map(p_int, size)) + p_tuple(*map(p_int, stride)) + b"\x89" +
            p_global("collections", "OrderedDict") + b")R" + b"tR")


def p_state_dict(pairs):
    return b"\x80\x02}(" + b"".join(p_str(k) + v for k, v in pairs) + b"u."


def write_zip(path, members, prefix="archive/", compress=None):
    """members: name -> bytes, written under prefix, stored unless compress names some."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            method = zipfile.ZIP_DEFLATED if compress and name in compress else zipfile.ZIP_STORED
            z.writestr(zipfile.ZipInfo(prefix + name), data, compress_type=method)


def read_members(path):
    """The members of a torch.save file, named relative to its directory (which torch names
    after the file)."""
    with zipfile.ZipFile(path) as z:
        return {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}


def write_zip64(path, members):
    """A zip whose every size and offset goes through the ZIP64 records, as a >4 GiB file's
    would, and whose local extra fields are longer than the central ones (as torch's are)."""
    out, central = bytearray(), bytearray()
    for name, data in members.items():
        nb = name.encode()
        offset = len(out)
        crc = zlib.crc32(data)
        pad = b"\x34\x12" + struct.pack("<H", 6) + b"ZZZZZZ"  # an unknown extra field, skipped
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, len(data), len(data),
                           len(nb), len(pad)) + nb + pad + data
        z64 = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(z64), 0, 0, 0, 0,
                               0xFFFFFFFF) + nb + z64
    cd_offset, cd_size, n = len(out), len(central), len(members)
    out += central
    eocd64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as f:
        f.write(out)


def main():
    out = sys.argv[1]
    extras = sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    cases, errors, fuzz = [], [], []

    def saved(name, obj, **kw):
        path = os.path.join(out, name)
        torch.save(obj, path, **kw)
        return path

    def case(name, obj, **kw):
        saved(name, obj, **kw)
        cases.append(describe_file(os.path.join(out, name), name))

    def error(name, status, *contains):
        errors.append({"file": name, "status": status, "contains": list(contains)})

    # (1) fp32 of several ranks, including 0-d, 4-d and an empty tensor
    fp32 = {"scalar": torch.tensor(3.25), "vec": torch.randn(5), "mat": torch.randn(3, 4),
            "t3": torch.randn(2, 3, 4), "t4": torch.randn(2, 3, 2, 2), "empty": torch.zeros(0, 3),
            "big": torch.randn(64, 80)}
    case("fp32.pth", fp32)

    # (2) half precision
    case("half.pth", {"h": torch.randn(4, 6).half(), "b": torch.randn(3, 5).bfloat16(),
                      "h0": torch.tensor(-1.5).half()})

    # (3) views of one storage, integer and bool tensors, every other element type
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    views = {"base": base, "transposed": base.t(), "slice": base[1:3, 2:5], "row": base[2],
             "strided": base[:, ::2], "expanded": torch.randn(3, 1).expand(3, 4),
             "i64": torch.tensor([[1, -2, 3], [2**40, -(2**40), 0]], dtype=torch.int64),
             "mask": torch.tensor([True, False, True, True]),
             "f64": torch.randn(2, 3, dtype=torch.float64), "i32": torch.arange(-3, 3).int(),
             "i16": torch.arange(-4, 4).short().reshape(2, 4), "i8": torch.arange(-5, 5).char(),
             "u8": torch.arange(250, 256).byte(), "i64_t": torch.arange(12).reshape(3, 4).t()}
    case("views.pth", views)

    # (4) an OrderedDict of nn.Parameter values (with requires_grad either way)
    params = collections.OrderedDict()
    params["layer.weight"] = torch.nn.Parameter(torch.randn(4, 3))
    params["layer.bias"] = torch.nn.Parameter(torch.randn(4), requires_grad=False)
    params["lin.t"] = torch.nn.Parameter(torch.randn(3, 5).t())
    case("params.pth", params)
    # a module's state dict (OrderedDict with _metadata, set through BUILD)
    torch.manual_seed(3)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    case("module.pth", module.state_dict())
    # wrapped checkpoints: {"state_dict": {...}} and {"model": {...}, "epoch": 3}; a non-tensor
    # value inside a state dict is skipped
    case("wrapped_state_dict.pth", {"state_dict": {"a": torch.randn(2, 2)}})
    case("wrapped_model.pth", {"model": {"w": torch.randn(3), "step": 5}, "epoch": 3,
                               "name": "x", "lr": 0.5})
    # pickle protocol 4: FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL
    case("proto4.pth", {"p4.a": torch.randn(3, 3), "p4.b": torch.randn(2).half(),
                        "p4.long.name." + "x" * 300: torch.randn(1)}, pickle_protocol=4)
    # ZIP64 records everywhere, with an unusual prefix
    mem = read_members(os.path.join(out, "fp32.pth"))
    write_zip64(os.path.join(out, "zip64.pth"),
                {"weights/" + k: v for k, v in mem.items()})
    cases.append(dict(describe_file(os.path.join(out, "zip64.pth"), "zip64.pth")))
    # a hand-made pickle whose storage member is not 4-byte aligned: must be copied, not cast
    blob = struct.pack("<4f", 1.0, -2.0, 3.5, 0.25)
    write_zip(os.path.join(out, "unaligned.pth"),
              {"data.pkl": p_state_dict([("u", p_tensor("FloatStorage", "0", 4, 0, [2, 2],
                                                          [2, 1]))]),
               "data/0": blob, "version": b"3\n"}, prefix="u/")
    with zipfile.ZipFile(os.path.join(out, "unaligned.pth")) as z:
        info = z.getinfo("u/data/0")
        assert (info.header_offset + 30 + len(info.filename)) % 4 != 0, "member happens aligned"
    cases.append({"file": "unaligned.pth", "tensors": [
        {"name": "u", "dtype": "F32", "shape": [2, 2], "values": [1.0, -2.0, 3.5, 0.25]}]})

    # (5) hostile and broken files
    canary = os.path.join(out, "pwned")
    evil = (b"\x80\x02" + p_global("os", "system") + p_str("touch " + canary) + b"\x85R.")
    write_zip(os.path.join(out, "os_system.pth"), {"data.pkl": evil, "version": b"3\n"})
    error("os_system.pth", "unsupported", "os.system", "does not allow")

    evil4 = (b"\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94"
             b"\x93\x94\x8c\x0b__import__(\x94\x85\x94R\x94.")
    write_zip(os.path.join(out, "stack_global_eval.pth"), {"data.pkl": evil4, "version": b"3\n"})
    error("stack_global_eval.pth", "unsupported", "builtins.eval")

    # a forbidden global hidden inside an otherwise good state dict, called via NEWOBJ
    hidden = p_state_dict([("ok", p_tensor("FloatStorage", "0", 4, 0, [4], [1])),
                           ("bad", p_global("__builtin__", "getattr") + b")\x81")])
    write_zip(os.path.join(out, "getattr.pth"),
              {"data.pkl": hidden, "data/0": bytes(16), "version": b"3\n"})
    error("getattr.pth", "unsupported", "__builtin__.getattr")

    pkl = mem["data.pkl"]
    for name, cut in (("truncated_pkl.pth", len(pkl) * 3 // 5), ("truncated_pkl_end.pth",
                                                                   len(pkl) - 1)):
        m = dict(mem)
        m["data.pkl"] = pkl[:cut]
        write_zip(os.path.join(out, name), m)
        error(name, "format error", "data.pkl", "truncated")

    # storage member shorter than the pickle says: names the member
    short = dict(mem)
    key = [k for k in short if k.startswith("data/")][2]
    short[key] = short[key][:-4]
    write_zip(os.path.join(out, "short_storage.pth"), short)
    error("short_storage.pth", "format error", "archive/" + key)

    # a stride that reaches past the storage: names the tensor
    bad_stride = p_state_dict([("good", p_tensor("FloatStorage", "0", 12, 0, [3, 4], [4, 1])),
                               ("far", p_tensor("FloatStorage", "0", 12, 0, [3, 4], [4, 2]))])
    write_zip(os.path.join(out, "stride.pth"),
              {"data.pkl": bad_stride, "data/0": bytes(48), "version": b"3\n"})
    error("stride.pth", "format error", "tensor far", "archive/data/0")
    bad_offset = p_state_dict([("off", p_tensor("FloatStorage", "0", 12, 9, [2, 2], [2, 1]))])
    write_zip(os.path.join(out, "offset.pth"),
              {"data.pkl": bad_offset, "data/0": bytes(48), "version": b"3\n"})
    error("offset.pth", "format error", "tensor off")
    huge = p_state_dict([("huge", p_tensor("FloatStorage", "0", 12, 0, [2**31 - 1] * 4,
                                           [2**31 - 1] * 4))])
    write_zip(os.path.join(out, "huge.pth"),
              {"data.pkl": huge, "data/0": bytes(48), "version": b"3\n"})
    error("huge.pth", "format error", "tensor huge")
    bomb = p_state_dict([("bomb", p_tensor("FloatStorage", "0", 1, 0, [65536, 65536], [0, 0]))])
    write_zip(os.path.join(out, "expand_bomb.pth"),
              {"data.pkl": bomb, "data/0": bytes(4), "version": b"3\n"})
    error("expand_bomb.pth", "unsupported", "tensor bomb", "non-contiguous")
    twice = p_state_dict([("w", p_tensor("FloatStorage", "0", 1, 0, [1], [1])),
                          ("w", p_tensor("FloatStorage", "0", 1, 0, [1], [1]))])
    write_zip(os.path.join(out, "duplicate_name.pth"),
              {"data.pkl": twice, "data/0": bytes(4), "version": b"3\n"})
    error("duplicate_name.pth", "format error", "tensor w appears twice")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(os.path.join(out, "duplicate_member.pth"), "w") as z:
            z.writestr("archive/data.pkl", pkl)
            z.writestr("archive/data.pkl", pkl)
    error("duplicate_member.pth", "format error", "archive/data.pkl appears twice")
    neg = p_state_dict([("neg", p_tensor("FloatStorage", "0", 12, 0, [3, 4], [-4, 1]))])
    write_zip(os.path.join(out, "negative_stride.pth"),
              {"data.pkl": neg, "data/0": bytes(48), "version": b"3\n"})
    error("negative_stride.pth", "format error", "negative")
    missing = p_state_dict([("m", p_tensor("FloatStorage", "7", 1, 0, [1], [1]))])
    write_zip(os.path.join(out, "missing_storage.pth"), {"data.pkl": missing, "version": b"3\n"})
    error("missing_storage.pth", "format error", "archive/data/7")
    cplx = p_state_dict([("c", p_tensor("ComplexFloatStorage", "0", 1, 0, [1], [1]))])
    write_zip(os.path.join(out, "complex.pth"),
              {"data.pkl": cplx, "data/0": bytes(8), "version": b"3\n"})
    error("complex.pth", "unsupported", "ComplexFloatStorage")

    # a deflate-compressed data.pkl, and a compressed storage
    write_zip(os.path.join(out, "deflate.pth"), mem,
              compress={"data.pkl"})
    error("deflate.pth", "unsupported", "archive/data.pkl", "compressed")
    write_zip(os.path.join(out, "deflate_storage.pth"),
              mem, compress={"data/1"})
    error("deflate_storage.pth", "unsupported", "archive/data/1", "compressed")

    with open(os.path.join(out, "not_a_zip.pth"), "w") as f:
        f.write("this is a text file, not a checkpoint\n" * 10)
    error("not_a_zip.pth", "format error", "not a zip")
    with open(os.path.join(out, "empty.pth"), "wb"):
        pass
    error("empty.pth", "format error", "empty")
    raw = open(os.path.join(out, "fp32.pth"), "rb").read()
    with open(os.path.join(out, "truncated_zip.pth"), "wb") as f:
        f.write(raw[: len(raw) // 2])
    error("truncated_zip.pth", "format error", "truncated")
    saved("legacy.pth", {"a": torch.randn(2)}, _use_new_zipfile_serialization=False)
    error("legacy.pth", "unsupported", "legacy")
    write_zip(os.path.join(out, "big_endian.pth"),
              mem | {"byteorder": b"big"})
    error("big_endian.pth", "unsupported", "big-endian")
    write_zip(os.path.join(out, "no_pickle.pth"), {"version": b"3\n"})
    error("no_pickle.pth", "format error", "data.pkl")
    write_zip(os.path.join(out, "list_top.pth"),
              {"data.pkl": b"\x80\x02]q\x00(K\x01K\x02e.", "version": b"3\n"})
    error("list_top.pth", "format error", "list")
    # pickles that abuse the machine: a memo read before any write, a STOP on an empty stack,
    # a huge memo index, a deep nest of MARKs, a stack that keeps growing
    for name, body, status, text in (
            ("memo_get.pth", b"\x80\x02h\x05.", "format error", "memo"),
            ("empty_stop.pth", b"\x80\x02.", "format error", "stack"),
            ("memo_huge.pth", b"\x80\x02Nr\xff\xff\xff\xff.", "unsupported", "memo"),
            ("marks.pth", b"\x80\x02" + b"(" * 100000 + b".", "unsupported", "MARK"),
            ("stack.pth", b"\x80\x02N" + b"2" * 2000000 + b".", "unsupported", "stack"),
            ("setitem_list.pth", b"\x80\x02]NNs.", "format error", "SETITEM"),
            ("proto0.pth", b"\x80\x02I1\n.", "unsupported", "protocol-0")):
        write_zip(os.path.join(out, name), {"data.pkl": body, "version": b"3\n"})
        error(name, status, text)

    # fuzz: random byte changes in the pickle (re-zipped, so the zip is sound) and in the file
    rng = random.Random(1234)
    small = {"a": torch.randn(2, 3), "b": torch.randn(3).half(), "c": torch.arange(4)[1:3],
             "d": torch.randn(2, 2).t()}
    saved("small.pth", small)
    smem = read_members(os.path.join(out, "small.pth"))
    spkl = smem["data.pkl"]
    sraw = open(os.path.join(out, "small.pth"), "rb").read()
    os.makedirs(os.path.join(out, "fuzz"), exist_ok=True)
    for i in range(400):
        name = "fuzz/%03d.pth" % i
        if i < 250:
            b = bytearray(spkl)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            if i % 10 == 0:
                b = b[: rng.randrange(len(b))]
            m = dict(smem)
            m["data.pkl"] = bytes(b)
            write_zip(os.path.join(out, name), m)
        else:
            b = bytearray(sraw)
            for _ in range(rng.randint(1, 6)):
                pos = rng.randrange(len(b)) if i % 2 else len(b) - 1 - rng.randrange(200)
                b[pos] = rng.randrange(256)
            with open(os.path.join(out, name), "wb") as f:
                f.write(b)
        fuzz.append(name)

    for path in extras:
        cases.append(describe_file(path, os.path.abspath(path)))

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"cases": cases, "errors": errors, "fuzz": fuzz, "canary": canary}, f)


if __name__ == "__main__":
    main()
