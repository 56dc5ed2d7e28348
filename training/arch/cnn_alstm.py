"""Seed 002 (Ming, Hu and Liu): CNN-ALSTM with local and global attention.

A small CNN (C1 1x1, C2, pool, C3, pool, C4, pool), its 6x6 feature map read in raster order as a sequence of
36 vectors, local attention weighting each vector (times the sequence length, so the mean weight is 1), an
LSTM over the sequence, global attention over its hidden states with a learned query, and the classifier
(seed-systems.md section 3.1). `size="light"` (the default, 16/32/64/64 channels and one LSTM layer of 128) is
the real-time size the document recommends; `size="paper"` is 32/64/128/256 and 2x512 (4.4 M parameters,
272 M MACs: over the 200 M budget, so not trained here).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

SIZES = {"light": {"channels": (16, 32, 64, 64), "hidden": 128, "layers": 1},
         "paper": {"channels": (32, 64, 128, 256), "hidden": 512, "layers": 2}}


class AdditiveAttention(nn.Module):
    """Scores e_i = q^T tanh(W v_i + b) and their softmax over the sequence."""

    def __init__(self, features: int, hidden: int):
        super().__init__()
        self.project = nn.Linear(features, hidden)
        self.query = nn.Parameter(torch.randn(hidden) / hidden ** 0.5)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        return torch.softmax(torch.tanh(self.project(sequence)) @ self.query, dim=1)


class CNNALSTM(nn.Module):
    def __init__(self, size: str = "light", classes: int = 7, local_attention: bool = True,
                 global_attention: bool = True):
        super().__init__()
        if size not in SIZES:
            raise ValueError(f"cnn-alstm size must be one of {', '.join(SIZES)}, not {size!r}")
        self.arch_config = {"size": size, "classes": classes, "local_attention": local_attention}
        if not global_attention:  # the ablation: the mean of the LSTM's states instead of attention over them
            self.arch_config["global_attention"] = False
        c1, c2, c3, c4 = SIZES[size]["channels"]
        hidden, layers = SIZES[size]["hidden"], SIZES[size]["layers"]
        self.cnn = nn.Sequential(
            nn.Conv2d(1, c1, 1), nn.ReLU(inplace=True), nn.Conv2d(c1, c2, 3, 1, 1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2), nn.Conv2d(c2, c3, 3, 1, 1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(c3, c4, 3, 1, 1), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.local = AdditiveAttention(c4, c4) if local_attention else None
        self.lstm = nn.LSTM(c4, hidden, num_layers=layers, batch_first=True)
        self.glob = AdditiveAttention(hidden, hidden) if global_attention else None
        self.classifier = nn.Linear(hidden, classes)

    def forward_with_attention(self, x):
        maps = self.cnn(x)
        grid = maps.shape[-2:]
        sequence = maps.flatten(2).transpose(1, 2)  # raster order: (batch, 36, channels)
        attention = {}
        if self.local is not None:
            local = self.local(sequence)
            sequence = sequence * local.unsqueeze(2) * sequence.shape[1]
            attention["local"] = local.reshape(-1, 1, *grid)
        states, _ = self.lstm(sequence)
        weights = self.glob(states) if self.glob is not None else torch.full(
            states.shape[:2], 1 / states.shape[1], device=states.device, dtype=states.dtype)
        attention["global"] = weights.reshape(-1, 1, *grid)
        summary = (states * weights.unsqueeze(2)).sum(1)
        return self.classifier(summary), attention

    def forward(self, x):
        return self.forward_with_attention(x)[0]

    def training_outputs(self, x: torch.Tensor):
        return self(x), x.new_zeros(())


def build(config: dict) -> CNNALSTM:
    return CNNALSTM(**config)
