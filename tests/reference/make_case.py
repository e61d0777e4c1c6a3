#!/usr/bin/python3
"""Make a LoRAT parity case of any configuration with the project's reference (lorat_ref.py).

Writes into --out a random model in the official file layouts and what the reference computes:
  dinov2.pth                  torch.save(OrderedDict) in the DINOv2 hub layout, in --dtype
  checkpoint.safetensors      trainable tensors only (LoRA A/B, token_type_embed, head.*),
                              plus lora_alpha (I64) and use_rslora (BOOL) unless --no-alpha
  inputs.safetensors          z, x (F32, N(0,1)), z_feat_mask (I64, one rectangle per sample)
  outputs.safetensors         score_map, boxes of the LoRA-unmerged model (fp32)
  intermediates.safetensors   tokens_embed, tokens_block{i}, tokens_norm
  merged.safetensors          the merged inference state dict (F32)
  outputs_merged.safetensors  score_map, boxes of the merged model
  meta.json                   configuration, seed, scaling, merged-vs-unmerged agreement

With --dtype f16/bf16 the model is computed from the rounded backbone weights converted back
to fp32, i.e. what a loader that widens the .pth to fp32 sees.

Example (S-224 sized):
  /usr/bin/python3 tests/reference/make_case.py --out /tmp/case-s224 --dim 384 --depth 12 \
      --heads 6 --ffn mlp --template-grid 8x8 --search-grid 16x16 --rank 64 --alpha 64
"""

import argparse
import collections
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lorat_ref as ref  # noqa: E402
from safetensors_io import save_file  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def grid(text):
    """'WxH' -> (W, H)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH, got {text!r}")
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"grid {text!r} must be at least 1x1")
    return (w, h)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--depth", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--ffn", choices=("mlp", "swiglu"), default="mlp")
    ap.add_argument("--ffn-hidden", type=int, default=None, help="default: 4*dim or the SwiGLU rule")
    ap.add_argument("--template-grid", type=grid, required=True, help="WxH tokens")
    ap.add_argument("--search-grid", type=grid, required=True, help="WxH tokens")
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--alpha", type=int, required=True, help="lora_alpha (whole number, stored as I64)")
    ap.add_argument("--rslora", action="store_true", help="scaling alpha/sqrt(r) instead of alpha/r")
    ap.add_argument("--no-alpha", action="store_true",
                    help="omit lora_alpha/use_rslora from the checkpoint (a loader then uses scaling 1)")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f32", help="dtype of dinov2.pth")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    return ap.parse_args(argv)


def compare(a, b):
    """(relative error, max abs) of a against b, in float64."""
    a, b = a.double(), b.double()
    den = b.norm().item()
    diff = (a - b).norm().item()
    return (diff / den if den > 0 else diff), (a - b).abs().max().item()


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    cfg = ref.Config(
        dim=args.dim, depth=args.depth, heads=args.heads, ffn=args.ffn, ffn_hidden=args.ffn_hidden,
        template_grid=args.template_grid, search_grid=args.search_grid, rank=args.rank,
        alpha=None if args.no_alpha else args.alpha, rslora=args.rslora and not args.no_alpha,
        batch=args.batch,
    )
    if args.no_alpha and args.rslora:
        print("note: --rslora has no effect with --no-alpha (scaling is 1)", file=sys.stderr)
    scaling = cfg.scaling
    gen = torch.Generator().manual_seed(args.seed)

    # Draw order is fixed (backbone, trainable, z, x, mask) so a seed always gives the same case.
    backbone = ref.random_backbone(cfg, gen)
    trainable = ref.random_trainable(cfg, gen, with_alpha=not args.no_alpha)
    tw, th = cfg.template_grid
    sw, sh = cfg.search_grid
    p = cfg.patch
    z = torch.randn((cfg.batch, 3, p * th, p * tw), generator=gen)
    x = torch.randn((cfg.batch, 3, p * sh, p * sw), generator=gen)
    z_feat_mask = ref.random_template_mask(cfg, gen)

    # The reference must see exactly what a loader sees: the stored (possibly rounded) weights.
    dt = DTYPES[args.dtype]
    backbone = {k: v.to(dt) for k, v in backbone.items()}

    assert ref.scaling_from_checkpoint(trainable) == scaling
    w = ref.build_weights(backbone, trainable, cfg)
    merged = ref.merge_lora(w, cfg, scaling)
    with torch.no_grad():
        out, inter = ref.forward(w, cfg, scaling, z, x, z_feat_mask, record=True)
        out_m = ref.forward(merged, cfg, scaling, z, x, z_feat_mask)
    agree = {}
    for k in ("score_map", "boxes"):
        agree[k + "_rel"], agree[k + "_max_abs"] = compare(out_m[k], out[k])

    os.makedirs(args.out, exist_ok=True)
    path = lambda name: os.path.join(args.out, name)  # noqa: E731
    # Hub files are a plain state_dict; keep the hub key order (cls, pos, mask, patch, blocks, norm).
    torch.save(collections.OrderedDict((k, v.contiguous()) for k, v in backbone.items()), path("dinov2.pth"))
    save_file(trainable, path("checkpoint.safetensors"))
    save_file({"z": z, "x": x, "z_feat_mask": z_feat_mask}, path("inputs.safetensors"))
    save_file(out, path("outputs.safetensors"))
    save_file(inter, path("intermediates.safetensors"))
    save_file(merged, path("merged.safetensors"))
    save_file(out_m, path("outputs_merged.safetensors"))
    meta = {
        "generator": "tests/reference/make_case.py",
        "argv": sys.argv[1:] if argv is None else list(argv),
        "seed": args.seed,
        "config": cfg.to_dict(),
        "backbone_dtype": args.dtype,
        "checkpoint_has_alpha": not args.no_alpha,
        "scaling": scaling,
        "template_size_wh": [p * tw, p * th],
        "search_size_wh": [p * sw, p * sh],
        "merged_vs_unmerged": agree,
        "torch": torch.__version__,
        "torch_threads": args.threads,
    }
    with open(path("meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")

    print(f"{args.out}: D={cfg.dim} depth={cfg.depth} heads={cfg.heads} ffn={cfg.ffn}({cfg.ffn_hidden}) "
          f"z={tw}x{th} x={sw}x{sh} r={cfg.rank} scaling={scaling:g} dtype={args.dtype} B={cfg.batch}")
    print(f"merged vs unmerged: score_map rel {agree['score_map_rel']:.2e} maxabs {agree['score_map_max_abs']:.2e}; "
          f"boxes rel {agree['boxes_rel']:.2e} maxabs {agree['boxes_max_abs']:.2e}  ({time.time() - t0:.1f} s)")
    # Disagreement far above fp32 noise means merge_lora and the LoRA forward disagree: a bug here.
    if agree["score_map_rel"] > 1e-4 or agree["boxes_rel"] > 1e-4:
        print("error: merged and unmerged reference outputs disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
