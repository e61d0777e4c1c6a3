"""The project's own PyTorch reference of the LoRAT model (test-only; spec/lorat-model.md §1-§3).

Written from the spec, not from the official code. It exists to make parity cases for any
configuration (make_case.py) and is itself checked against the official fixtures
(check_official.py), so that the C port can be tested beyond the three tiny official models.

The model is a plain function over a dict of named tensors rather than nn.Modules: the names
*are* the interface the C loader must honour, so keeping them visible at every use makes the
reference easy to hold against the C code. Names follow the official layouts:
  backbone  DINOv2 hub names (`blocks.{i}.attn.qkv.weight` fused (3D,D) rows [q;k;v], ...)
  LoRA      `blocks.{i}.attn.qkv.{q,k,v}.lora.{A,B}`, `blocks.{i}.attn.proj.lora.*`,
            `blocks.{i}.mlp.{fc1,fc2|w12,w3}.lora.*`; A (r,in), B (out,r)
  LoRAT     `pos_embed` (1,Hx*Wx,D) already interpolated, `token_type_embed` (3,D),
            `head.{cls_mlp,reg_mlp}.layers.{0,1,2}.{weight,bias}`
A weight dict with LoRA tensors is the unmerged (training) model; merge_lora() turns it into
the merged (inference) model, which the same forward() runs.

Not here: training, loss, autocast, drop-path (all zero/off in the cases we make).
All computation is fp32 on CPU.
"""

import math
from dataclasses import asdict, dataclass
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

LN_EPS = 1e-6
PRETRAINED_GRID = 37  # DINOv2 hub weights: img_size 518 / patch 14

Weights = Dict[str, torch.Tensor]


def swiglu_hidden(dim: int) -> int:
    """DINOv2's SwiGLU hidden size for mlp_ratio 4: 2/3 of 4*dim rounded up to a multiple of 8."""
    return (int(4 * dim * 2 / 3) + 7) // 8 * 8


@dataclass
class Config:
    dim: int
    depth: int
    heads: int
    ffn: str = "mlp"  # 'mlp' (fc1/GELU/fc2) or 'swiglu' (w12/SiLU-gate/w3)
    ffn_hidden: Optional[int] = None  # None: 4*dim (mlp) or swiglu_hidden(dim)
    patch: int = 14
    template_grid: Tuple[int, int] = (8, 8)  # (W, H) in tokens
    search_grid: Tuple[int, int] = (16, 16)  # (W, H) in tokens
    rank: int = 64
    alpha: Optional[float] = 64  # None: checkpoint without lora_alpha -> scaling 1
    rslora: bool = False
    batch: int = 1
    pretrained_grid: int = PRETRAINED_GRID

    def __post_init__(self):
        if self.ffn not in ("mlp", "swiglu"):
            raise ValueError(f"ffn must be 'mlp' or 'swiglu', not {self.ffn!r}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not a multiple of heads {self.heads}")
        if self.ffn_hidden is None:
            self.ffn_hidden = 4 * self.dim if self.ffn == "mlp" else swiglu_hidden(self.dim)
        self.template_grid = tuple(self.template_grid)
        self.search_grid = tuple(self.search_grid)
        tw, th = self.template_grid
        sw, sh = self.search_grid
        # The template reads the top-left corner of the search pos-embed grid (spec §1.3).
        if tw > sw or th > sh:
            raise ValueError(f"template grid {self.template_grid} larger than search grid {self.search_grid}")

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    @property
    def scaling(self) -> float:
        return lora_scaling(self.alpha, self.rank, self.rslora)

    def to_dict(self):
        d = asdict(self)
        d["template_grid"] = list(self.template_grid)
        d["search_grid"] = list(self.search_grid)
        d["head_dim"] = self.head_dim
        d["scaling"] = self.scaling
        return d


def lora_scaling(alpha: Optional[float], rank: int, rslora: bool) -> float:
    """s in W' = W + s*B@A. No alpha in the checkpoint means s = 1 (spec §2)."""
    if alpha is None:
        return 1.0
    return float(alpha) / (math.sqrt(rank) if rslora else rank)


def scaling_from_checkpoint(trainable: Weights) -> float:
    """The scaling a loader derives from a trainable checkpoint (rank read off any lora.A)."""
    if "lora_alpha" not in trainable:
        return 1.0
    rank = next(t.shape[0] for k, t in trainable.items() if k.endswith(".lora.A"))
    rslora = bool(trainable["use_rslora"].item()) if "use_rslora" in trainable else False
    return lora_scaling(float(trainable["lora_alpha"].item()), rank, rslora)


# ---------------------------------------------------------------------------------------------
# Building the weight dict


def ffn_linears(cfg: Config):
    return ("fc1", "fc2") if cfg.ffn == "mlp" else ("w12", "w3")


def lora_targets(cfg: Config):
    """Base-weight name -> LoRA prefix, per block. qkv has three LoRAs on row-slices of one weight."""
    out = []
    for i in range(cfg.depth):
        p = f"blocks.{i}."
        for part in ("q", "k", "v"):
            out.append((p + "attn.qkv.weight", p + f"attn.qkv.{part}.lora", part))
        out.append((p + "attn.proj.weight", p + "attn.proj.lora", None))
        for lin in ffn_linears(cfg):
            out.append((p + f"mlp.{lin}.weight", p + f"mlp.{lin}.lora", None))
    return out


def interpolate_pos_embed(pretrained: torch.Tensor, search_grid: Tuple[int, int]) -> torch.Tensor:
    """(1, 1+G*G, D) pretrained pos-embed -> (1, Hx*Wx, D) for the search grid (spec §1.3).

    Drops the cls entry and resizes the G x G grid bicubically (A=-0.75, align_corners=False,
    no antialias, no offset) in fp32. The template later slices the top-left of this result.
    """
    wx, hx = search_grid
    d = pretrained.shape[-1]
    g = int(round(math.sqrt(pretrained.shape[1] - 1)))
    if g * g + 1 != pretrained.shape[1]:
        raise ValueError(f"pos_embed has {pretrained.shape[1]} entries, not 1 + a square")
    grid = pretrained[:, 1:].float().reshape(1, g, g, d).permute(0, 3, 1, 2)  # (1,D,G,G)
    grid = F.interpolate(grid, size=(hx, wx), mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(1, hx * wx, d).contiguous()  # (1,Hx*Wx,D)


def build_weights(backbone: Weights, trainable: Weights, cfg: Config) -> Weights:
    """Unmerged model weights from a DINOv2 hub state dict and a trainable-only checkpoint.

    Everything is converted to fp32 (as a loader into an fp32 model does). cls/mask tokens are
    dropped; pos_embed is replaced by its interpolation; the lora_alpha/use_rslora scalars are
    not weights (the caller reads them with scaling_from_checkpoint()).
    """
    w = {}
    for k, t in backbone.items():
        if k in ("cls_token", "mask_token"):
            continue
        w[k] = t.float()
    w["pos_embed"] = interpolate_pos_embed(backbone["pos_embed"].float(), cfg.search_grid)
    for k, t in trainable.items():
        if k in ("lora_alpha", "use_rslora"):
            continue
        if k in w:
            raise ValueError(f"trainable checkpoint holds {k}, which the backbone already has")
        w[k] = t.float()
    return w


def merge_lora(w: Weights, cfg: Config, scaling: float) -> Weights:
    """W' = W + s*B@A for every LoRA; q/k/v merged into their row-block of the fused qkv.

    Returns the inference state dict (no lora.* keys); biases are unchanged.
    """
    out = {k: t.clone() for k, t in w.items() if ".lora." not in k}
    d = cfg.dim
    rows = {"q": slice(0, d), "k": slice(d, 2 * d), "v": slice(2 * d, 3 * d)}
    for base, lora, part in lora_targets(cfg):
        a, b = w.get(lora + ".A"), w.get(lora + ".B")
        if a is None or b is None:
            continue
        delta = scaling * (b @ a)  # (out,r)@(r,in) -> (out,in)
        if part is None:
            out[base] = out[base] + delta
        else:
            out[base][rows[part]] += delta
    return out


# ---------------------------------------------------------------------------------------------
# Forward


def _lora_delta(w: Weights, prefix: str, x: torch.Tensor, scaling: float) -> Optional[torch.Tensor]:
    """s * B(A x) for the LoRA at `prefix`, or None when the weights carry none (merged model)."""
    a = w.get(prefix + ".A")
    if a is None:
        return None
    return scaling * F.linear(F.linear(x, a), w[prefix + ".B"])  # (..,in)->(..,r)->(..,out)


def _linear(w: Weights, name: str, x: torch.Tensor, scaling: float) -> torch.Tensor:
    """Linear `name` (weight (out,in), bias (out)) plus its LoRA if present."""
    y = F.linear(x, w[name + ".weight"], w[name + ".bias"])
    delta = _lora_delta(w, name + ".lora", x, scaling)
    return y if delta is None else y + delta


def _layer_norm(w: Weights, name: str, x: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], LN_EPS)


def _attention(w: Weights, p: str, x: torch.Tensor, cfg: Config, scaling: float) -> torch.Tensor:
    """x (B,N,D) -> (B,N,D). No mask: every token attends to every token."""
    bsz, n, d = x.shape
    qkv = F.linear(x, w[p + "qkv.weight"], w[p + "qkv.bias"])  # (B,N,3D) rows [q;k;v]
    deltas = [_lora_delta(w, p + f"qkv.{part}.lora", x, scaling) for part in ("q", "k", "v")]
    if deltas[0] is not None:
        qkv = qkv + torch.cat(deltas, dim=-1)
    # (B,N,3,heads,hd) -> (3,B,heads,N,hd): heads are contiguous inside each of q, k, v.
    qkv = qkv.reshape(bsz, n, 3, cfg.heads, cfg.head_dim).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(cfg.head_dim))  # (B,heads,N,N)
    attn = attn.softmax(dim=-1)
    y = (attn @ v).transpose(1, 2).reshape(bsz, n, d)  # (B,N,D), heads concatenated
    return _linear(w, p + "proj", y, scaling)


def _ffn(w: Weights, p: str, x: torch.Tensor, cfg: Config, scaling: float) -> torch.Tensor:
    if cfg.ffn == "mlp":
        h = F.gelu(_linear(w, p + "fc1", x, scaling))  # erf GELU, (B,N,Hd)
        return _linear(w, p + "fc2", h, scaling)
    x12 = _linear(w, p + "w12", x, scaling)  # (B,N,2Hd): first half gate, second half linear
    x1, x2 = x12[..., : cfg.ffn_hidden], x12[..., cfg.ffn_hidden :]
    return _linear(w, p + "w3", F.silu(x1) * x2, scaling)


def _block(w: Weights, i: int, x: torch.Tensor, cfg: Config, scaling: float) -> torch.Tensor:
    p = f"blocks.{i}."
    x = x + w[p + "ls1.gamma"] * _attention(w, p + "attn.", _layer_norm(w, p + "norm1", x), cfg, scaling)
    x = x + w[p + "ls2.gamma"] * _ffn(w, p + "mlp.", _layer_norm(w, p + "norm2", x), cfg, scaling)
    return x


def _patch_embed(w: Weights, img: torch.Tensor) -> torch.Tensor:
    """img (B,3,14h,14w) -> (B,h*w,D), row-major token grid."""
    wt = w["patch_embed.proj.weight"]
    y = F.conv2d(img, wt, w["patch_embed.proj.bias"], stride=wt.shape[-1])  # (B,D,h,w)
    return y.flatten(2).transpose(1, 2)


def _mlp3(w: Weights, name: str, x: torch.Tensor) -> torch.Tensor:
    for j in range(3):
        x = F.linear(x, w[f"{name}.layers.{j}.weight"], w[f"{name}.layers.{j}.bias"])
        if j < 2:
            x = F.gelu(x)
    return x


def embed(w: Weights, cfg: Config, z: torch.Tensor, x: torch.Tensor, z_feat_mask: torch.Tensor) -> torch.Tensor:
    """Tokens entering block 0: (B, Nz+Nx, D), template first (spec §1.3 steps 1-4)."""
    tw, th = cfg.template_grid
    sw, sh = cfg.search_grid
    d = cfg.dim
    pos = w["pos_embed"]  # (1,Hx*Wx,D)
    pos_z = pos.reshape(1, sh, sw, d)[:, :th, :tw].reshape(1, th * tw, d)  # top-left sub-grid
    tte = w["token_type_embed"]  # (3,D): 0 template bg, 1 template fg, 2 search
    zt = _patch_embed(w, z) + pos_z + tte[z_feat_mask.reshape(z.shape[0], th * tw).long()]
    xt = _patch_embed(w, x) + pos + tte[2]
    return torch.cat([zt, xt], dim=1)


def forward(w: Weights, cfg: Config, scaling: float, z, x, z_feat_mask, record: bool = False):
    """z (B,3,14Hz,14Wz), x (B,3,14Hx,14Wx), z_feat_mask (B,Hz,Wz) int {0,1}.

    Returns {'score_map' (B,Hx,Wx) raw logits, 'boxes' (B,Hx,Wx,4) normalised xyxy}, and when
    `record`, also the intermediates {tokens_embed, tokens_block{i}, tokens_norm}, each (B,N,D).
    """
    sw, sh = cfg.search_grid
    bsz = x.shape[0]
    inter = {}
    t = embed(w, cfg, z, x, z_feat_mask)
    inter["tokens_embed"] = t
    for i in range(cfg.depth):
        t = _block(w, i, t, cfg, scaling)
        inter[f"tokens_block{i}"] = t
    t = _layer_norm(w, "norm", t)
    inter["tokens_norm"] = t

    s = t[:, -sh * sw :]  # (B,Nx,D) search tokens only
    score = _mlp3(w, "head.cls_mlp", s).reshape(bsz, sh, sw).float()
    ltrb = _mlp3(w, "head.reg_mlp", s).sigmoid().reshape(bsz, sh, sw, 4)
    # Reference point of cell (i,j) is its centre in normalised search-crop units.
    cy = (torch.arange(sh, dtype=torch.float32) + 0.5) / sh
    cx = (torch.arange(sw, dtype=torch.float32) + 0.5) / sw
    cy, cx = cy[:, None].expand(sh, sw), cx[None, :].expand(sh, sw)
    boxes = torch.stack(
        [cx - ltrb[..., 0], cy - ltrb[..., 1], cx + ltrb[..., 2], cy + ltrb[..., 3]], dim=-1
    )
    out = {"score_map": score, "boxes": boxes}
    return (out, inter) if record else out


# ---------------------------------------------------------------------------------------------
# Random models (make_case.py); distributions as in fixtures/official/model/README.md


def random_backbone(cfg: Config, gen: torch.Generator) -> Weights:
    """DINOv2 hub state dict (fp32) with every tensor randomised so that every block matters.

    LayerScale U(0.5,1.5); LN weights U(0.8,1.2); biases N(0,0.05); cls/mask/pos N(0,0.5);
    other weights N(0, 1/sqrt(fan_in)), fan_in = numel of one output row.
    """
    d, hd, g = cfg.dim, cfg.ffn_hidden, cfg.pretrained_grid

    def normal(shape, std):
        return torch.randn(shape, generator=gen) * std

    def uniform(shape, lo, hi):
        return lo + (hi - lo) * torch.rand(shape, generator=gen)

    def linear(sd, name, n_out, n_in):
        sd[name + ".weight"] = normal((n_out, n_in), 1.0 / math.sqrt(n_in))
        sd[name + ".bias"] = normal((n_out,), 0.05)

    def norm(sd, name):
        sd[name + ".weight"] = uniform((d,), 0.8, 1.2)
        sd[name + ".bias"] = normal((d,), 0.05)

    sd = {}
    sd["cls_token"] = normal((1, 1, d), 0.5)
    sd["pos_embed"] = normal((1, 1 + g * g, d), 0.5)
    sd["mask_token"] = normal((1, d), 0.5)
    p = cfg.patch
    sd["patch_embed.proj.weight"] = normal((d, 3, p, p), 1.0 / math.sqrt(3 * p * p))
    sd["patch_embed.proj.bias"] = normal((d,), 0.05)
    for i in range(cfg.depth):
        b = f"blocks.{i}."
        norm(sd, b + "norm1")
        linear(sd, b + "attn.qkv", 3 * d, d)
        linear(sd, b + "attn.proj", d, d)
        sd[b + "ls1.gamma"] = uniform((d,), 0.5, 1.5)
        norm(sd, b + "norm2")
        if cfg.ffn == "mlp":
            linear(sd, b + "mlp.fc1", hd, d)
            linear(sd, b + "mlp.fc2", d, hd)
        else:
            linear(sd, b + "mlp.w12", 2 * hd, d)
            linear(sd, b + "mlp.w3", d, hd)
        sd[b + "ls2.gamma"] = uniform((d,), 0.5, 1.5)
    norm(sd, "norm")
    return sd


def random_trainable(cfg: Config, gen: torch.Generator, with_alpha: bool = True) -> Weights:
    """Trainable-only checkpoint in the released layout (fp32), plus lora_alpha/use_rslora.

    LoRA A and B N(0,0.02) (B non-zero, as the official 'bert' init); head weights N(0,1/sqrt(in)),
    head biases N(0,0.02), token_type_embed N(0,0.5).
    """
    d, hd, r = cfg.dim, cfg.ffn_hidden, cfg.rank

    def normal(shape, std):
        return torch.randn(shape, generator=gen) * std

    def lora(sd, prefix, n_out, n_in):
        sd[prefix + ".lora.A"] = normal((r, n_in), 0.02)
        sd[prefix + ".lora.B"] = normal((n_out, r), 0.02)

    sd = {}
    for i in range(cfg.depth):
        b = f"blocks.{i}."
        for part in ("q", "k", "v"):
            lora(sd, b + f"attn.qkv.{part}", d, d)
        lora(sd, b + "attn.proj", d, d)
        if cfg.ffn == "mlp":
            lora(sd, b + "mlp.fc1", hd, d)
            lora(sd, b + "mlp.fc2", d, hd)
        else:
            lora(sd, b + "mlp.w12", 2 * hd, d)
            lora(sd, b + "mlp.w3", d, hd)
    sd["token_type_embed"] = normal((3, d), 0.5)
    for name, n_last in (("cls_mlp", 1), ("reg_mlp", 4)):
        for j, n_out in enumerate((d, d, n_last)):
            sd[f"head.{name}.layers.{j}.weight"] = normal((n_out, d), 1.0 / math.sqrt(d))
            sd[f"head.{name}.layers.{j}.bias"] = normal((n_out,), 0.02)
    if with_alpha:
        if cfg.alpha is None or float(cfg.alpha) != int(cfg.alpha):
            raise ValueError("lora_alpha is stored as I64: alpha must be a whole number")
        sd["lora_alpha"] = torch.tensor(int(cfg.alpha), dtype=torch.int64)
        sd["use_rslora"] = torch.tensor(bool(cfg.rslora), dtype=torch.bool)
    return sd


def random_template_mask(cfg: Config, gen: torch.Generator) -> torch.Tensor:
    """(B,Hz,Wz) int64: one random non-empty rectangle of ones per sample, distinct across samples
    where the grid allows it (so a mask/batch mix-up in the port shows)."""
    tw, th = cfg.template_grid
    masks = []
    for _ in range(cfg.batch):
        for _attempt in range(100):
            x1, y1 = int(torch.randint(0, tw, (1,), generator=gen)), int(torch.randint(0, th, (1,), generator=gen))
            x2 = int(torch.randint(x1 + 1, tw + 1, (1,), generator=gen))
            y2 = int(torch.randint(y1 + 1, th + 1, (1,), generator=gen))
            m = torch.zeros(th, tw, dtype=torch.int64)
            m[y1:y2, x1:x2] = 1
            if not any(torch.equal(m, o) for o in masks):
                break
        masks.append(m)
    return torch.stack(masks)
