#!/usr/bin/python3
"""Times the LoRAT forward pass in PyTorch on this machine, for a side-by-side ratio with
`lorat bench`: the same network (merged LoRA, batch 1) through the project's PyTorch reference
(tests/reference/lorat_ref.py, checked against the official code's outputs), with random
weights, in one of PyTorch's precisions:
  fp32      no autocast
  autocast  torch.autocast('cpu', torch.bfloat16): products in bf16, what the official code's
            mixed precision does
  bf16      the weights and inputs cast to bf16 (the whole model in bf16)
For the bf16 modes it also reports the relative error of score_map and boxes against PyTorch's
own fp32 outputs on the same weights. Prints one JSON object like `lorat bench --json`.

usage: bench/pytorch_forward.py [--variant B-224] [--threads 2] [--iters 5] [--mode fp32|autocast|bf16]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import lorat_ref as ref  # noqa: E402

SIZES = {"S": (384, 12, 6, "mlp"), "B": (768, 12, 12, "mlp"), "L": (1024, 24, 16, "mlp"), "g": (1536, 40, 24, "swiglu")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="B-224")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--mode", default="fp32", choices=["fp32", "autocast", "bf16"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dim, depth, heads, ffn = SIZES[a.variant[0]]
    res = int(a.variant[2:])
    tg, sg = ((8, 8), (16, 16)) if res == 224 else ((14, 14), (27, 27))
    cfg = ref.Config(dim=dim, depth=depth, heads=heads, ffn=ffn, template_grid=tg, search_grid=sg)
    gen = torch.Generator().manual_seed(0)
    w = ref.build_weights(ref.random_backbone(cfg, gen), ref.random_trainable(cfg, gen), cfg)
    w = ref.merge_lora(w, cfg, cfg.scaling)
    z = torch.randn(1, 3, 14 * tg[1], 14 * tg[0], generator=gen)
    x = torch.randn(1, 3, 14 * sg[1], 14 * sg[0], generator=gen)
    mask = torch.zeros(1, tg[1], tg[0], dtype=torch.int64)
    err = {}
    with torch.no_grad():
        if a.mode != "fp32":
            want = ref.forward(w, cfg, 1.0, z, x, mask)
        if a.mode == "bf16":
            w = {k: v.bfloat16() if v.is_floating_point() else v for k, v in w.items()}
            z, x = z.bfloat16(), x.bfloat16()

        def run():
            if a.mode == "autocast":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return ref.forward(w, cfg, 1.0, z, x, mask)
            return ref.forward(w, cfg, 1.0, z, x, mask)

        got = run()  # warm-up
        if a.mode != "fp32":
            for k in ("score_map", "boxes"):
                d = got[k].float() - want[k]
                err[k] = float(d.norm() / want[k].norm())
        times = []
        for _ in range(a.iters):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    print(json.dumps({"variant": a.variant, "threads": a.threads, "framework": f"torch {torch.__version__}",
                      "mode": a.mode, "seconds_per_frame": sec, "fps": 1 / sec, "rel_err_vs_fp32": err}))


if __name__ == "__main__":
    main()
