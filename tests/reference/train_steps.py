"""Reference for `lorat forward --grad --steps N`: N optimiser steps on one fixed batch in PyTorch.

The model is lorat_ref.forward on the unmerged weights of a lorat model file (`lorat convert ...
--no-merge`), with requires_grad on the trainable tensors only (LoRA A/B, token_type_embed, head).
The loss is spec §5's as src/train/loss.h defines it, written in torch: positive cells are every
cell the GT box covers, rasterised end-exclusive (floor(x1), floor(y1), floor(x2+1-1e-4),
floor(y2+1-1e-4)), clipped to the grid; cls = sum of BCE-with-logits against the detached IoU at
positive cells (0 elsewhere) / Npos; reg = sum over positives of (1 - GIoU) / Npos (mmdet,
eps 1e-6). Each step: zero grads, forward, loss, backward, clip_grad_norm_(clip), AdamW (two
groups: no weight decay for ndim <= 1 and names with "norm" or "embed"), constant lr.

usage: train_steps.py MODEL INPUTS OUT --dim D --depth L --heads H --ffn mlp|swiglu
                      --template-grid WxH --search-grid WxH [--steps N] [--lr X]
                      [--weight-decay W] [--clip C]
INPUTS holds z, x, z_feat_mask and gt_boxes (B,4) normalised xyxy. OUT gets losses, losses_cls,
losses_reg (N) F32, the loss of each step before its update, and param.<name> of every trainable
tensor after the last step.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import lorat_ref as R  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

EPS = 1e-6


def is_trainable(name):
    return ".lora." in name or name == "token_type_embed" or name.startswith("head.")


def decays(name, ndim):
    return not (ndim <= 1 or "norm" in name or "embed" in name)


def label_map(gt, H, W):
    """(B,H,W) bool: the cells each box covers (end-exclusive rasterisation, clipped)."""
    m = torch.zeros(gt.shape[0], H, W, dtype=torch.bool)
    for b in range(gt.shape[0]):
        x1, y1, x2, y2 = (float(v) for v in gt[b])
        c = lambda v, n: min(max(int(math.floor(v)), 0), n)  # noqa: E731
        x0, y0 = c(x1 * W, W), c(y1 * H, H)
        xe, ye = c(x2 * W + 1.0 - 1e-4, W), c(y2 * H + 1.0 - 1e-4, H)
        m[b, y0:ye, x0:xe] = True
    return m


def iou_giou(p, g):
    """mmdet's aligned IoU and GIoU of xyxy boxes p, g (M,4), eps 1e-6."""
    eps = torch.tensor(EPS, dtype=p.dtype)
    a1 = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])
    a2 = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    wh = (torch.min(p[:, 2:], g[:, 2:]) - torch.max(p[:, :2], g[:, :2])).clamp(min=0)
    ov = wh[:, 0] * wh[:, 1]
    un = torch.max(a1 + a2 - ov, eps)
    iou = ov / un
    ewh = (torch.max(p[:, 2:], g[:, 2:]) - torch.min(p[:, :2], g[:, :2])).clamp(min=0)
    ea = torch.max(ewh[:, 0] * ewh[:, 1], eps)
    return iou, iou - (ea - un) / ea


def loss(out, gt, pos):
    """total, cls, reg of spec §5 (see the module docstring)."""
    score, boxes = out["score_map"], out["boxes"]
    npos = max(float(pos.sum()), 1.0)
    p = boxes[pos]
    g = gt[:, None, None, :].expand_as(boxes)[pos]
    iou, giou = iou_giou(p, g)
    target = torch.zeros_like(score)
    target[pos] = iou.detach()
    cls = torch.nn.functional.binary_cross_entropy_with_logits(score, target, reduction="sum") / npos
    reg = (1 - giou).sum() / npos
    return cls + reg, cls, reg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("inputs")
    ap.add_argument("out")
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--depth", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--ffn", choices=("mlp", "swiglu"), required=True)
    ap.add_argument("--template-grid", required=True)
    ap.add_argument("--search-grid", required=True)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    a = ap.parse_args()
    tw, th = map(int, a.template_grid.split("x"))
    sw, sh = map(int, a.search_grid.split("x"))
    cfg = R.Config(dim=a.dim, depth=a.depth, heads=a.heads, ffn=a.ffn, template_grid=(tw, th),
                   search_grid=(sw, sh), rank=a.rank, alpha=a.alpha)

    w = load_file(a.model)
    train = {k: v.clone().requires_grad_(True) for k, v in w.items() if is_trainable(k)}
    if not train:
        sys.exit(f"{a.model}: no trainable tensor (is the model merged? use --no-merge)")
    w.update(train)
    groups = [
        {"params": [p for n, p in train.items() if decays(n, p.ndim)], "weight_decay": a.weight_decay},
        {"params": [p for n, p in train.items() if not decays(n, p.ndim)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    inp = load_file(a.inputs)
    gt = inp["gt_boxes"].float()
    pos = label_map(gt, sh, sw)
    losses = torch.zeros(3, a.steps)
    for t in range(a.steps):
        opt.zero_grad()
        out = R.forward(w, cfg, cfg.scaling, inp["z"], inp["x"], inp["z_feat_mask"])
        total, cls, reg = loss(out, gt, pos)
        total.backward()
        torch.nn.utils.clip_grad_norm_(list(train.values()), a.clip)
        opt.step()
        losses[:, t] = torch.stack([total.detach(), cls.detach(), reg.detach()])
        print(f"step {t + 1}: loss {float(total):.7f} cls {float(cls):.7f} reg {float(reg):.7f}")
    res = {"losses": losses[0].contiguous(), "losses_cls": losses[1].contiguous(),
           "losses_reg": losses[2].contiguous()}
    res.update({"param." + k: v.detach().contiguous() for k, v in train.items()})
    save_file(res, a.out)


if __name__ == "__main__":
    main()
