#!/usr/bin/python3
"""Check lorat_ref.py against what the official LoRAT code produced (fixtures/official/model/).

For each tiny configuration: rebuild the model from dinov2.pth + lorat_trainable.safetensors,
run it on inputs.safetensors, and compare (relative error ||out-ref||/||ref|| and max abs)
score_map, boxes, every intermediate, and every merged tensor against merged.safetensors;
the merged model's outputs are compared against the official unmerged outputs too.
Exits 1 if any relative error exceeds the tolerance (1e-5), 2 if a fixture is missing.

Usage: /usr/bin/python3 tests/reference/check_official.py [--tol 1e-5] [NAME ...]
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lorat_ref as ref  # noqa: E402
from safetensors_io import load_file  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEARCH_DIRS = [
    os.path.join(REPO, "tests", "data", "official", "model"),
    "/work/shared/fixtures/official/model",
]
NAMES = ["tiny-mlp", "tiny-swiglu", "tiny-odd"]


def find_case(name):
    for d in SEARCH_DIRS:
        p = os.path.join(d, name)
        if os.path.isfile(os.path.join(p, "meta.json")):
            return p
    return None


def config_from_meta(meta, batch):
    bb, lora = meta["backbone"], meta["lora"]
    return ref.Config(
        dim=bb["embed_dim"],
        depth=bb["depth"],
        heads=bb["num_heads"],
        ffn="swiglu" if "swiglu" in bb["ffn_layer"] else "mlp",
        ffn_hidden=bb["ffn_hidden"],
        patch=bb["patch_size"],
        template_grid=tuple(meta["template_feat_wh"]),
        search_grid=tuple(meta["search_feat_wh"]),
        rank=lora["r"],
        alpha=lora["alpha"],
        rslora=lora["use_rslora"],
        batch=batch,
        pretrained_grid=bb["pretrained_pos_grid"],
    )


def compare(got, want):
    """(relative error, max abs) of got against want, both taken in float64."""
    got, want = got.double(), want.double()
    if got.shape != want.shape:
        raise ValueError(f"shape {tuple(got.shape)} != expected {tuple(want.shape)}")
    diff = (got - want).norm().item()
    den = want.norm().item()
    rel = diff / den if den > 0 else diff
    return rel, (got - want).abs().max().item() if got.numel() else 0.0


def check_case(name, path, tol):
    with open(os.path.join(path, "meta.json")) as f:
        meta = json.load(f)
    backbone = torch.load(os.path.join(path, "dinov2.pth"), map_location="cpu")
    trainable = load_file(os.path.join(path, "lorat_trainable.safetensors"))
    inputs = load_file(os.path.join(path, "inputs.safetensors"))
    want_out = load_file(os.path.join(path, "outputs.safetensors"))
    want_inter = load_file(os.path.join(path, "intermediates.safetensors"))
    want_merged = load_file(os.path.join(path, "merged.safetensors"))

    cfg = config_from_meta(meta, batch=inputs["x"].shape[0])
    scaling = ref.scaling_from_checkpoint(trainable)
    if abs(scaling - meta["lora"]["scaling"]) > 1e-12:
        raise ValueError(f"{name}: scaling {scaling} from the checkpoint, meta says {meta['lora']['scaling']}")

    w = ref.build_weights(backbone, trainable, cfg)
    merged = ref.merge_lora(w, cfg, scaling)
    with torch.no_grad():
        out, inter = ref.forward(w, cfg, scaling, inputs["z"], inputs["x"], inputs["z_feat_mask"], record=True)
        out_m = ref.forward(merged, cfg, scaling, inputs["z"], inputs["x"], inputs["z_feat_mask"])

    rows = []  # (label, rel, maxabs)
    for k in ("score_map", "boxes"):
        rows.append((f"out {k}", *compare(out[k], want_out[k])))
    if set(inter) != set(want_inter):
        raise ValueError(f"{name}: intermediates {sorted(inter)} != fixture's {sorted(want_inter)}")
    for k in sorted(want_inter, key=lambda s: (s != "tokens_embed", s == "tokens_norm", len(s), s)):
        rows.append((f"inter {k}", *compare(inter[k], want_inter[k])))
    if set(merged) != set(want_merged):
        raise ValueError(
            f"{name}: merged keys differ: only ours {sorted(set(merged) - set(want_merged))}, "
            f"only fixture's {sorted(set(want_merged) - set(merged))}"
        )
    worst_m = max(((k, *compare(merged[k], want_merged[k])) for k in want_merged), key=lambda r: r[1])
    for k in sorted(want_merged):
        rows.append((f"merged {k}", *compare(merged[k], want_merged[k])))
    for k in ("score_map", "boxes"):
        rows.append((f"merged-model out {k}", *compare(out_m[k], want_out[k])))

    print(f"== {name}  ({path})  D={cfg.dim} depth={cfg.depth} heads={cfg.heads} ffn={cfg.ffn}"
          f"({cfg.ffn_hidden}) z={cfg.template_grid} x={cfg.search_grid} r={cfg.rank} s={scaling}")
    ok = True
    for label, rel, mx in rows:
        bad = not (rel <= tol)
        ok &= not bad
        # Merged tensors are many; print only failures and a summary line for them.
        if label.startswith("merged ") and not bad:
            continue
        print(f"  {'FAIL' if bad else 'ok  '} {label:<34} rel {rel:.3e}  maxabs {mx:.3e}")
    print(f"  {'ok  ' if worst_m[1] <= tol else 'FAIL'} merged: {len(want_merged)} tensors, worst "
          f"{worst_m[0]} rel {worst_m[1]:.3e} maxabs {worst_m[2]:.3e}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tol", type=float, default=1e-5, help="max relative error (default 1e-5)")
    ap.add_argument("names", nargs="*", default=NAMES)
    args = ap.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))

    all_ok = True
    for name in args.names:
        path = find_case(name)
        if path is None:
            print(f"{name}: fixture not found in {SEARCH_DIRS}", file=sys.stderr)
            return 2
        all_ok &= check_case(name, path, args.tol)
    print("PASS" if all_ok else f"FAIL (tolerance {args.tol:g} relative)")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
