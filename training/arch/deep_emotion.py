"""Seed 003 (Minaee and Abdolrashidi): Deep-Emotion, a spatial transformer in front of a small CNN.

Layer sizes from the reimplementation the document cites ([X2], section 4.1): localisation net (conv7 8, pool,
conv5 10, pool, FC 32, FC 6) whose last layer starts at the identity transform, bilinear sampling of the input
face, four 3x3 convolutions with two pools, dropout, FC 50, FC 7. The paper's penalty on the norms of the last
two fully connected layers is `l2` times their squared L2 norm (the paper says "norm"; squaring is ours).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


class DeepEmotion(nn.Module):
    def __init__(self, classes: int = 7, l2: float = 1e-3, dropout: float = 0.5, stn: bool = True):
        super().__init__()
        self.arch_config = {"classes": classes, "l2": l2, "dropout": dropout}
        if not stn:  # the ablation: the CNN alone on the face as cropped
            self.arch_config["stn"] = False
        self.stn = stn
        self.l2 = l2
        self.localisation = None if not stn else nn.Sequential(
            nn.Conv2d(1, 8, 7), nn.MaxPool2d(2), nn.ReLU(inplace=True), nn.Conv2d(8, 10, 5), nn.MaxPool2d(2),
            nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(640, 32), nn.ReLU(inplace=True), nn.Linear(32, 6))
        # Identity at the start: early epochs must not see randomly warped faces.
        if self.localisation is not None:
            nn.init.zeros_(self.localisation[-1].weight)
            with torch.no_grad():
                self.localisation[-1].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
        self.features = nn.Sequential(
            nn.Conv2d(1, 10, 3), nn.ReLU(inplace=True), nn.Conv2d(10, 10, 3), nn.MaxPool2d(2), nn.ReLU(inplace=True),
            nn.Conv2d(10, 10, 3), nn.ReLU(inplace=True), nn.Conv2d(10, 10, 3), nn.BatchNorm2d(10), nn.MaxPool2d(2),
            nn.ReLU(inplace=True), nn.Flatten())
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(810, 50)
        self.fc2 = nn.Linear(50, classes)

    def forward_with_attention(self, x):
        if self.localisation is None:
            theta = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], device=x.device).expand(x.shape[0], 2, 3)
            hidden = F.relu(self.fc1(self.dropout(self.features(x))))
            return self.fc2(hidden), {"theta": theta, "warped": x}
        theta = self.localisation(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        hidden = F.relu(self.fc1(self.dropout(self.features(warped))))
        return self.fc2(hidden), {"theta": theta, "warped": warped}

    def forward(self, x):
        return self.forward_with_attention(x)[0]

    def training_outputs(self, x: torch.Tensor):
        penalty = self.fc1.weight.float().pow(2).sum() + self.fc2.weight.float().pow(2).sum()
        return self(x), self.l2 * penalty


def build(config: dict) -> DeepEmotion:
    return DeepEmotion(**config)
