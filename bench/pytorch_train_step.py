#!/usr/bin/python3
"""Times one LoRAT training step in PyTorch on this machine (forward, loss, backward, clipping,
AdamW), LoRA fine-tuning or full fine-tuning, for a side-by-side comparison with
`lorat bench --train [--full]`. The network is the project's PyTorch reference
(tests/reference/lorat_ref.py, checked against the official code); the loss is LoRAT's
(IoU-aware BCE + GIoU, spec §5). Peak memory is the process's peak RSS, measured after the
model is built (so the Python/torch baseline is reported separately). Prints one JSON object.

--autocast runs forward and loss under torch.autocast('cpu', torch.bfloat16) (the official code's
BF16 mixed precision: fp32 master weights, bf16 products).

usage: bench/pytorch_train_step.py [--variant B-224] [--threads 2] [--batch 2] [--iters 3] [--full] [--autocast]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import lorat_ref as ref  # noqa: E402

SIZES = {"S": (384, 12, 6, "mlp"), "B": (768, 12, 12, "mlp"), "L": (1024, 24, 16, "mlp"), "g": (1536, 40, 24, "swiglu")}


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def giou_terms(pred, gt, eps=1e-6):
    lt = torch.max(pred[..., :2], gt[..., :2])
    rb = torch.min(pred[..., 2:], gt[..., 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_p = (pred[..., 2] - pred[..., 0]) * (pred[..., 3] - pred[..., 1])
    area_g = (gt[..., 2] - gt[..., 0]) * (gt[..., 3] - gt[..., 1])
    union = (area_p + area_g - inter).clamp(min=eps)
    iou = inter / union
    elt = torch.min(pred[..., :2], gt[..., :2])
    erb = torch.max(pred[..., 2:], gt[..., 2:])
    ewh = (erb - elt).clamp(min=0)
    enclose = (ewh[..., 0] * ewh[..., 1]).clamp(min=eps)
    return iou, iou - (enclose - union) / enclose


def loss_fn(score, boxes, gt, grid):
    B, H, W = score.shape
    label = torch.zeros(B, H, W, dtype=torch.bool)
    for b in range(B):
        x1, y1, x2, y2 = (gt[b] * torch.tensor([W, H, W, H])).tolist()
        label[b, int(y1):int(y2 + 1 - 1e-4), int(x1):int(x2 + 1 - 1e-4)] = True
    npos = max(int(label.sum()), 1)
    gtb = gt[:, None, None, :].expand(B, H, W, 4)
    iou, giou = giou_terms(boxes, gtb)
    target = torch.where(label, iou.detach(), torch.zeros_like(iou))
    cls = torch.nn.functional.binary_cross_entropy_with_logits(score, target, reduction="sum") / npos
    reg = (1 - giou[label]).sum() / npos
    return cls + reg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="B-224")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--autocast", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base_rss = rss_mb()
    dim, depth, heads, ffn = SIZES[a.variant[0]]
    res = int(a.variant[2:])
    tg, sg = ((8, 8), (16, 16)) if res == 224 else ((14, 14), (27, 27))
    cfg = ref.Config(dim=dim, depth=depth, heads=heads, ffn=ffn, template_grid=tg, search_grid=sg, batch=a.batch)
    gen = torch.Generator().manual_seed(0)
    w = ref.build_weights(ref.random_backbone(cfg, gen), ref.random_trainable(cfg, gen), cfg)
    if a.full:
        w = ref.merge_lora(w, cfg, cfg.scaling)  # no LoRA: every parameter trains
        trainable = list(w.keys())
    else:
        trainable = [k for k in w if ".lora." in k or k.startswith("head.") or k == "token_type_embed"]
    for k in trainable:
        w[k].requires_grad_(True)
    decay = [w[k] for k in trainable if w[k].ndim > 1 and "norm" not in k and "embed" not in k]
    no_decay = [w[k] for k in trainable if not (w[k].ndim > 1 and "norm" not in k and "embed" not in k)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    model_rss = rss_mb()
    z = torch.randn(a.batch, 3, 14 * tg[1], 14 * tg[0], generator=gen)
    x = torch.randn(a.batch, 3, 14 * sg[1], 14 * sg[0], generator=gen)
    mask = torch.zeros(a.batch, tg[1], tg[0], dtype=torch.int64)
    gt = torch.tensor([[0.3, 0.35, 0.62, 0.7]] * a.batch)
    times = []
    for it in range(a.iters + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.autocast):
            out = ref.forward(w, cfg, cfg.scaling, z, x, mask)
            loss = loss_fn(out["score_map"].float(), out["boxes"].float(), gt, sg)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([w[k] for k in trainable], 1.0)
        opt.step()
        if it:
            times.append(time.perf_counter() - t0)
    step = statistics.median(times)
    print(json.dumps({"variant": a.variant, "mode": "full" if a.full else "lora", "batch": a.batch, "threads": a.threads,
                      "precision": "autocast bf16" if a.autocast else "fp32",
                      "framework": f"torch {torch.__version__}", "seconds_per_step": step,
                      "peak_rss_mb": rss_mb(), "baseline_rss_mb": base_rss, "model_rss_mb": model_rss,
                      "trainable_params": sum(w[k].numel() for k in trainable)}))


if __name__ == "__main__":
    main()
