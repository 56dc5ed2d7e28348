"""Seed 004 (Gan, Chen, Yang and Xu): MANet-lite, the multiple-attention (MA) block inside a small VGG-style net.

Four blocks of 2 x (conv3x3, BN, ReLU) with 32/64/128/256 channels, pooling after blocks 1 and 2; the MA block at
12x12 after block 3; pooling, block 4, global average pooling, FC 7 (seed-systems.md section 5.3). The MA block:
for each of 8 facial regions, the features times the region's mask, a 1x1 "buffer" convolution and a
squeeze-excitation gate; a weight branch (pool 2, 1x1 conv 128->16, FC -> 8, softmax) fuses the 8 results.

The paper regresses the masks with RASnet, trained first against landmark boxes (two-stage training). There
are no landmarks here, so the masks are fixed templates laid out on FER2013's framing (the document's option
(a)) and training has one stage; a mask regressor is a measured extra left for later.
"""
from __future__ import annotations

import torch
from torch import nn

# Region boxes as (centre x, centre y, width, height), fractions of the 48x48 FER2013 crop. Centres are where
# FER2013's framing puts the landmarks on average (eyes at 38% of the height, mouth at 75%); sizes follow the
# paper's Table 2 with the eye/mouth boxes wide rather than tall (the document's reading of a swapped table).
REGIONS = {
    "whole face": (0.50, 0.50, 1.00, 1.00),
    "eyes and brows": (0.50, 0.36, 0.72, 0.36),
    "nose and mouth": (0.50, 0.66, 0.54, 0.36),
    "left eye": (0.32, 0.38, 0.27, 0.27),
    "right eye": (0.68, 0.38, 0.27, 0.27),
    "nose": (0.50, 0.56, 0.27, 0.27),
    "left mouth corner": (0.36, 0.76, 0.27, 0.27),
    "right mouth corner": (0.64, 0.76, 0.27, 0.27),
}


def template_masks(side: int) -> torch.Tensor:
    """The regions as 0/1 masks on a side x side grid: a cell is in a box when its centre is."""
    centres = (torch.arange(side) + 0.5) / side
    masks = []
    for cx, cy, w, h in REGIONS.values():
        inside_x = ((centres - cx).abs() <= w / 2).float()
        inside_y = ((centres - cy).abs() <= h / 2).float()
        masks.append(inside_y[:, None] * inside_x[None, :])
    return torch.stack(masks)


def block(cin: int, cout: int) -> nn.Sequential:
    layers = []
    for c in (cin, cout):
        layers += [nn.Conv2d(c, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class MABlock(nn.Module):
    def __init__(self, channels: int, side: int, reduction: int = 8, weight_channels: int = 16, masks: bool = True):
        super().__init__()
        regions = len(REGIONS)
        # Masks off (the ablation): every region branch sees the whole map.
        self.register_buffer("masks", template_masks(side) if masks else torch.ones(regions, side, side))
        # One 1x1 conv per region, run as one: W_r (V * M_r) + b_r = (W_r V) * M_r + b_r for a 1x1 conv.
        self.buffers_conv = nn.Conv2d(channels, channels * regions, 1, bias=False)
        self.buffer_bias = nn.Parameter(torch.zeros(regions, channels))
        hidden = channels // reduction
        self.se1 = nn.Parameter(torch.randn(regions, channels, hidden) / channels ** 0.5)
        self.se1_bias = nn.Parameter(torch.zeros(regions, hidden))
        self.se2 = nn.Parameter(torch.randn(regions, hidden, channels) / hidden ** 0.5)
        self.se2_bias = nn.Parameter(torch.zeros(regions, channels))
        self.weight_branch = nn.Sequential(
            nn.MaxPool2d(2), nn.Conv2d(channels, weight_channels, 1), nn.ReLU(inplace=True), nn.Flatten(),
            nn.Linear(weight_channels * (side // 2) ** 2, regions))

    def forward(self, v: torch.Tensor):
        b, c, h, w = v.shape
        regions = self.masks.shape[0]
        t = self.buffers_conv(v).view(b, regions, c, h, w) * self.masks[None, :, None]
        t = t + self.buffer_bias[None, :, :, None, None]
        squeezed = t.mean((3, 4))  # (b, regions, c)
        gate = torch.relu(torch.einsum("brc,rch->brh", squeezed, self.se1) + self.se1_bias)
        gate = torch.sigmoid(torch.einsum("brh,rhc->brc", gate, self.se2) + self.se2_bias)
        f = t * gate[..., None, None]
        q = torch.softmax(self.weight_branch(v), dim=1)  # (b, regions)
        return (f * q[:, :, None, None, None]).sum(1), q


class MANet(nn.Module):
    def __init__(self, classes: int = 7, widths: tuple = (32, 64, 128, 256), dropout: float = 0.3, masks: bool = True):
        super().__init__()
        self.arch_config = {"classes": classes, "widths": list(widths), "dropout": dropout}
        if not masks:
            self.arch_config["masks"] = False
        w1, w2, w3, w4 = widths
        self.front = nn.Sequential(block(1, w1), nn.MaxPool2d(2), block(w1, w2), nn.MaxPool2d(2), block(w2, w3))
        self.ma = MABlock(w3, side=12, masks=masks)
        self.back = nn.Sequential(nn.MaxPool2d(2), block(w3, w4), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Dropout(dropout), nn.Linear(w4, classes))

    def forward_with_attention(self, x):
        fused, region_weights = self.ma(self.front(x))
        # The masks are fixed, but they are returned per face like every attention output.
        masks = self.ma.masks.expand(x.shape[0], -1, -1, -1)
        return self.back(fused), {"region_weights": region_weights, "masks": masks}

    def forward(self, x):
        return self.forward_with_attention(x)[0]

    def training_outputs(self, x: torch.Tensor):
        return self(x), x.new_zeros(())


def build(config: dict) -> MANet:
    if "widths" in config:
        config = {**config, "widths": tuple(config["widths"])}
    return MANet(**config)
