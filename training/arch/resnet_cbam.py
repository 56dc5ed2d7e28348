"""Seed 001 (Zhang, Chen and Wei): fercam's default ResNet with CBAM, unchanged (training/model.py)."""
from __future__ import annotations

import dataclasses
import json

import torch

from ..model import FerNet, ModelConfig


class NoAttention(torch.nn.Module):
    """The ablation's stand-in for CBAM: passes the features through, with an all-ones map."""

    def forward(self, x):
        return x, torch.ones_like(x[:, :1])


class ResNetCBAM(FerNet):
    def __init__(self, config: ModelConfig, cbam: bool = True):
        super().__init__(config)
        self.arch_config = {"model": json.loads(config.to_json())}
        if not cbam:  # the ablation: the same residual network without either CBAM
            self.arch_config["cbam"] = False
            self.cbam_stem, self.cbam_last = NoAttention(), NoAttention()

    def forward_with_attention(self, x):
        logits, stem, last = super().forward_with_attention(x)
        return logits, {"stem_spatial": stem, "last_spatial": last}

    def training_outputs(self, x: torch.Tensor):
        return self(x), x.new_zeros(())


def build(config: dict) -> ResNetCBAM:
    model = config.get("model")
    return ResNetCBAM(ModelConfig.from_json(json.dumps(model)) if model else ModelConfig(), config.get("cbam", True))
