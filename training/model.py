"""ResNet with CBAM attention for 48x48 grayscale faces.

The architecture is fully described by `ModelConfig`, which the export writes
into the safetensors metadata so that the Swift engine can rebuild the network
from the weights file alone.
"""
from __future__ import annotations

import dataclasses
import json

import torch
from torch import nn
import torch.nn.functional as F

CLASS_NAMES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    in_channels: int = 1
    input_size: int = 48
    stem_width: int = 32
    stage_widths: tuple[int, ...] = (32, 96, 192)
    stage_blocks: tuple[int, ...] = (1, 2, 2)
    cbam_reduction: int = 8
    cbam_kernel: int = 7
    dropout: float = 0.3
    num_classes: int = 7

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "ModelConfig":
        raw = json.loads(text)
        raw["stage_widths"] = tuple(raw["stage_widths"])
        raw["stage_blocks"] = tuple(raw["stage_blocks"])
        return ModelConfig(**raw)


class ChannelAttention(nn.Module):
    """CBAM channel gate: a shared MLP over average- and max-pooled descriptors."""

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=True)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = F.adaptive_avg_pool2d(x, 1)
        mx = F.adaptive_max_pool2d(x, 1)
        mlp = lambda t: self.fc2(F.relu(self.fc1(t)))
        return x * torch.sigmoid(mlp(avg) + mlp(mx))


class SpatialAttention(nn.Module):
    """CBAM spatial gate: a 7x7 conv over channel-wise mean and max maps."""

    def __init__(self, kernel: int):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel, padding=kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(1)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.bn(self.conv(pooled)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.attention(x)
        return x * a, a


class CBAM(nn.Module):
    def __init__(self, channels: int, reduction: int, kernel: int):
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(kernel)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.spatial(self.channel(x))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + skip)


class FerNet(nn.Module):
    """Stem -> CBAM -> residual stages (each halves the resolution) -> CBAM -> GAP -> dropout -> linear."""

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.stem = nn.Sequential(
            nn.Conv2d(config.in_channels, config.stem_width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(config.stem_width),
            nn.ReLU(inplace=True),
        )
        self.cbam_stem = CBAM(config.stem_width, config.cbam_reduction, config.cbam_kernel)
        stages = []
        cin = config.stem_width
        for width, blocks in zip(config.stage_widths, config.stage_blocks):
            layers = [BasicBlock(cin, width, 2)]
            layers += [BasicBlock(width, width, 1) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.cbam_last = CBAM(cin, config.cbam_reduction, config.cbam_kernel)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(cin, config.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_with_attention(self, x: torch.Tensor):
        x = self.stem(x)
        x, stem_attention = self.cbam_stem(x)
        x = self.stages(x)
        x, last_attention = self.cbam_last(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        logits = self.classifier(self.dropout(x))
        return logits, stem_attention, last_attention

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_attention(x)[0]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: FerNet) -> int:
    """Multiply-accumulates of one forward pass (convolutions and the linear layer)."""
    macs = 0

    def conv_hook(module, inputs, output):
        nonlocal macs
        kernel_ops = module.kernel_size[0] * module.kernel_size[1] * (module.in_channels // module.groups)
        macs += output.numel() // output.shape[0] * kernel_ops

    def linear_hook(module, inputs, output):
        nonlocal macs
        macs += module.in_features * module.out_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        size = model.config.input_size
        model(torch.zeros(1, model.config.in_channels, size, size))
    model.train(was_training)
    for h in handles:
        h.remove()
    return macs
