"""Reference for lorat's optimiser: ten AdamW steps with the official parameter groups,
clip_grad_norm_(1.0) before each step and timm's CosineLRScheduler formula per iteration
(warmup prefix), run by torch.optim.AdamW (torch 1.13, single-tensor path) on a fixed sequence of
gradients. timm is not installed here, so its formula is written out below.

Writes <out>/<case>.safetensors for each case, holding
  init.<name>           the parameters before the first step
  grad.<t>.<name>       the gradient given at step t (before clipping)
  after.<t>.<name>      the parameters after step t
  exp_avg.<name>, exp_avg_sq.<name>   the moments after the last step
and in the metadata the schedule (base_lr, warmup_lr, min_lr, warmup_t, t_initial), the
optimiser's hyper-parameters, and per step lr_<t> and norm_<t> (repr of the Python float:
exact). official.safetensors's metadata also holds the official schedule (1024 iterations per
epoch, 170 epochs) at a few iterations: official_t and official_lr (JSON lists).
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

# name, shape: LoRA, type embedding and head (the LoRA-mode trainables), then backbone tensors
# as full fine-tuning trains them. Sizes above 1024 + 8 reach the optimiser's vector blocks and
# their tails.
PARAMS = [
    ("blocks.0.attn.qkv.q.lora.A", (8, 16)),
    ("blocks.0.attn.qkv.q.lora.B", (16, 8)),
    ("blocks.0.mlp.fc1.lora.A", (8, 16)),
    ("blocks.0.mlp.fc1.lora.B", (1031, 8)),
    ("token_type_embed", (3, 16)),
    ("head.cls_mlp.layers.0.weight", (16, 16)),
    ("head.cls_mlp.layers.0.bias", (16,)),
    ("head.reg_mlp.layers.2.weight", (4, 16)),
    ("head.reg_mlp.layers.2.bias", (4,)),
    ("patch_embed.proj.weight", (16, 3, 14, 14)),
    ("patch_embed.proj.bias", (16,)),
    ("pos_embed", (1, 64, 16)),
    ("blocks.0.norm1.weight", (16,)),
    ("blocks.0.attn.qkv.weight", (48, 16)),
    ("blocks.0.ls1.gamma", (16,)),
    ("norm.bias", (16,)),
]

# Gradient scale per step (relative to a unit-norm gradient): some steps are clipped, some not.
SCALES = [0.3, 5.0, 0.02, 1.7, 0.9, 40.0, 0.001, 2.5, 0.6, 12.0]


def decays(name, ndim):
    """The official groups: no decay for ndim <= 1, norm parameters and names with 'embed'."""
    return not (ndim <= 1 or "norm" in name or "embed" in name)


def timm_cosine_lr(t, base_lr, warmup_lr, min_lr, warmup_t, t_initial, warmup_prefix=True):
    """timm.scheduler.CosineLRScheduler._get_lr (cycle_mul 1, cycle_decay 1, cycle_limit 1,
    k_decay 1, no noise)."""
    if t < warmup_t:
        step = (base_lr - warmup_lr) / warmup_t
        return warmup_lr + t * step
    if warmup_prefix:
        t = t - warmup_t
    i = t // t_initial
    t_i = t_initial
    t_curr = t - (t_initial * i)
    gamma = 1.0 ** i
    lr_max = base_lr * gamma
    lr_min = min_lr * gamma
    if i < 1:
        return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * t_curr ** 1.0 / t_i ** 1.0))
    return min_lr


def run_case(path, seed, sched, wd=0.1, steps=10):
    g = torch.Generator().manual_seed(seed)
    params = {n: torch.randn(s, generator=g) * 0.5 for n, s in PARAMS}
    tensors = {f"init.{n}": p.clone() for n, p in params.items()}
    plist = [torch.nn.Parameter(params[n].clone()) for n, _ in PARAMS]
    groups = [
        {"params": [p for (n, s), p in zip(PARAMS, plist) if decays(n, len(s))], "weight_decay": wd},
        {"params": [p for (n, s), p in zip(PARAMS, plist) if not decays(n, len(s))], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=sched["base_lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
    total = sum(math.prod(s) for _, s in PARAMS)
    meta = {k: repr(v) for k, v in sched.items()}
    meta["weight_decay"] = repr(wd)
    for t in range(steps):
        lr = timm_cosine_lr(t, **sched)
        for group in opt.param_groups:
            group["lr"] = lr
        for (n, s), p in zip(PARAMS, plist):
            grad = torch.randn(s, generator=g) * (SCALES[t % len(SCALES)] / math.sqrt(total))
            # a few exact zeros and a dead tensor now and then, as real gradients have
            grad[..., 0] = 0.0
            if t == 3 and n == "blocks.0.ls1.gamma":
                grad.zero_()
            tensors[f"grad.{t}.{n}"] = grad.clone()
            p.grad = grad
        norm = torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        for (n, _), p in zip(PARAMS, plist):
            tensors[f"after.{t}.{n}"] = p.detach().clone()
        meta[f"lr_{t}"] = repr(lr)
        meta[f"norm_{t}"] = repr(float(norm))
    for (n, _), p in zip(PARAMS, plist):
        st = opt.state[p]
        tensors[f"exp_avg.{n}"] = st["exp_avg"].clone()
        tensors[f"exp_avg_sq.{n}"] = st["exp_avg_sq"].clone()
        assert float(st["step"]) == steps
    meta["steps"] = str(steps)
    return tensors, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    # The official learning rates, on a schedule short enough for ten steps to cover warmup
    # (t 0..2), the cosine (t 3..8) and the end of the single cycle (t 9: lr_min).
    official = dict(base_lr=1e-4, warmup_lr=1e-7, min_lr=1e-6, warmup_t=3, t_initial=6)
    tensors, meta = run_case(os.path.join(args.out, "official.safetensors"), 1, official)
    ipe, epochs = 1024, 170
    ts = [0, 1, 2, 1000, 2047, 2048, 2049, 4096, 87040, 100000, 172031, 174078, 174079, 174080,
          176127, 176128, 200000]
    full = dict(base_lr=1e-4, warmup_lr=1e-7, min_lr=1e-6, warmup_t=2 * ipe, t_initial=epochs * ipe)
    meta["official_t"] = json.dumps(ts)
    meta["official_lr"] = json.dumps([repr(timm_cosine_lr(t, **full)) for t in ts])
    save_file(tensors, os.path.join(args.out, "official.safetensors"), meta)

    # Large learning rates, so that the updates dominate the parameters and any difference in
    # the update formula shows at the 1e-6 level.
    large = dict(base_lr=0.05, warmup_lr=0.001, min_lr=0.002, warmup_t=4, t_initial=8)
    tensors, meta = run_case(os.path.join(args.out, "large.safetensors"), 2, large)
    save_file(tensors, os.path.join(args.out, "large.safetensors"), meta)
    print(f"wrote official.safetensors and large.safetensors to {args.out}")


if __name__ == "__main__":
    main()
