"""Seed 000 (Li, Jin, Zhou, Kubota and Ju): raw-pixel and LBP streams, an attention map over the fused features,
a reconstruction decoder used only as a training loss, and a VGG-style classifier.

The paper's method section is missing from its capture; this is the reconstruction of seed-systems.md section 1.1,
with the LBP as 8 bit-plane channels (P=8, R=1) computed inside the model from the normalised face: the
comparisons are invariant to the normalisation, so it equals LBP on the raw pixels.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

# The 8 neighbours of LBP (P=8, R=1), clockwise from the top-left.
NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]


def lbp_planes(x: torch.Tensor) -> torch.Tensor:
    """Bit k of each pixel's LBP code as channel k: 1 where neighbour k is at least the centre."""
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    h, w = x.shape[-2:]
    planes = [(padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] >= x) for dy, dx in NEIGHBOURS]
    return torch.cat(planes, 1).to(x.dtype)


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class LBPAttention(nn.Module):
    # The reconstruction module serves only the training loss; export and the budgets leave it out.
    training_only = ("decoder",)

    def __init__(self, width: int = 16, reconstruction_weight: float = 0.1, classes: int = 7, lbp: bool = True):
        super().__init__()
        self.arch_config = {"width": width, "reconstruction_weight": reconstruction_weight, "classes": classes}
        self.reconstruction_weight = reconstruction_weight
        if lbp:
            self.raw = nn.Sequential(conv_bn(1, width), conv_bn(width, width))
            self.lbp = nn.Sequential(conv_bn(8, width), conv_bn(width, width))
        else:  # the ablation: one raw-pixel stream as wide as the two together
            self.arch_config["lbp"] = False
            self.raw = nn.Sequential(conv_bn(1, 2 * width), conv_bn(2 * width, 2 * width))
            self.lbp = None
        fused = 2 * width
        self.attention = nn.Sequential(conv_bn(fused, fused, 2), conv_bn(fused, fused, 2))
        self.attention_out = nn.Conv2d(fused, 1, 1)
        self.decoder = nn.Sequential(nn.Conv2d(fused, width, 3, 1, 1), nn.ReLU(inplace=True),
                                     nn.Conv2d(width, 1, 3, 1, 1))
        self.classifier = nn.Sequential(
            nn.MaxPool2d(2), conv_bn(fused, 64), conv_bn(64, 64), nn.MaxPool2d(2), conv_bn(64, 128),
            conv_bn(128, 128), nn.MaxPool2d(2), conv_bn(128, 256), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Dropout(0.5), nn.Linear(256, classes))

    def features(self, x: torch.Tensor):
        fused = self.raw(x) if self.lbp is None else torch.cat([self.raw(x), self.lbp(lbp_planes(x))], 1)
        a = self.attention(fused)
        a = F.interpolate(a, size=fused.shape[-2:], mode="bilinear", align_corners=False)
        attention = torch.sigmoid(self.attention_out(a))
        # (1 + A) keeps gradients alive where the map is near 0 (the paper says only "element-wise product").
        return fused * (1 + attention), attention

    def forward_with_attention(self, x):
        weighted, attention = self.features(x)
        return self.classifier(weighted), {"fused_attention": attention}

    def forward(self, x):
        return self.forward_with_attention(x)[0]

    def training_outputs(self, x: torch.Tensor):
        """Logits, and the reconstruction module's loss: the face rebuilt from the weighted features."""
        weighted, _ = self.features(x)
        rebuilt = self.decoder(weighted)
        return self.classifier(weighted), self.reconstruction_weight * F.mse_loss(rebuilt.float(), x.float())


def build(config: dict) -> LBPAttention:
    return LBPAttention(**config)
