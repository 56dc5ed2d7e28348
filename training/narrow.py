"""Narrow a trained resnet-cbam to fewer channels, as a starting point for a fine-tune (`train.py --init`).

A narrower network at a larger input can cost what the shipped one costs (docs/training-log.md); training it from
scratch wastes the epochs the wide one already had. Each layer keeps the channels whose batch-norm scale is
largest (Liu et al., "Network Slimming", 2017): a channel the norm scales towards zero contributes little. Channels
joined by a residual sum (a stage's block outputs and its shortcut) are chosen once for the whole stage.
"""

from __future__ import annotations

import torch

from .model import ModelConfig

BN_FIELDS = ("weight", "bias", "running_mean", "running_var")


def _largest(scores: torch.Tensor, count: int) -> torch.Tensor:
    return torch.sort(torch.topk(scores, count).indices).values


def _hidden(channels: int, reduction: int) -> int:
    return max(channels // reduction, 4)  # as model.ChannelAttention sizes its MLP


def narrow(state: dict[str, torch.Tensor], old: ModelConfig, new: ModelConfig) -> dict[str, torch.Tensor]:
    """The weights of `old` cut down to the widths of `new` (same depth, kernels and classes; any input size)."""
    same = ("in_channels", "num_classes", "stage_blocks", "cbam_kernel", "cbam_reduction")
    plain = lambda value: tuple(value) if isinstance(value, (list, tuple)) else value
    for field in same:
        if plain(getattr(old, field)) != plain(getattr(new, field)):
            raise ValueError(f"cannot narrow: {field} differs ({getattr(old, field)} against {getattr(new, field)})")
    widths = [(old.stem_width, new.stem_width)] + list(zip(old.stage_widths, new.stage_widths))
    if any(n > o for o, n in widths):
        raise ValueError(f"cannot narrow {old.stem_width},{old.stage_widths} to {new.stem_width},{new.stage_widths}: "
                         "a width grows")
    out = dict(state)

    def bn(prefix: str, keep: torch.Tensor) -> None:
        for field in BN_FIELDS:
            out[f"{prefix}.{field}"] = state[f"{prefix}.{field}"][keep]

    def conv(key: str, rows: torch.Tensor, cols: torch.Tensor) -> None:
        out[key] = state[key][rows][:, cols]

    def attention(prefix: str, old_width: int, keep: torch.Tensor) -> None:
        fc1, fc2 = f"{prefix}.channel.fc1", f"{prefix}.channel.fc2"
        old_hidden, new_hidden = _hidden(old_width, old.cbam_reduction), _hidden(len(keep), new.cbam_reduction)
        if new_hidden > old_hidden:
            raise ValueError(f"cannot narrow {prefix}: its MLP would grow from {old_hidden} to {new_hidden}")
        strength = state[f"{fc1}.weight"][:, keep].flatten(1).norm(dim=1) * state[f"{fc2}.weight"][keep].flatten(1).norm(dim=0)
        hidden = _largest(strength, new_hidden)
        conv(f"{fc1}.weight", hidden, keep)
        out[f"{fc1}.bias"] = state[f"{fc1}.bias"][hidden]
        conv(f"{fc2}.weight", keep, hidden)
        out[f"{fc2}.bias"] = state[f"{fc2}.bias"][keep]
        # The spatial gate reads the mean over channels: over fewer of them it grows by old/new where the
        # dropped ones were near zero, so its weight on that map shrinks by new/old.
        spatial = state[f"{prefix}.spatial.conv.weight"].clone()
        spatial[:, 0] *= len(keep) / old_width
        out[f"{prefix}.spatial.conv.weight"] = spatial

    all_inputs = torch.arange(old.in_channels)
    previous = _largest(state["stem.1.weight"].abs(), new.stem_width)
    conv("stem.0.weight", previous, all_inputs)
    bn("stem.1", previous)
    attention("cbam_stem", old.stem_width, previous)
    for stage, ((_, width), blocks) in enumerate(zip(widths[1:], new.stage_blocks)):
        prefix = f"stages.{stage}"
        # One channel set for everything the stage's residual sums join.
        joined = sum(state[f"{prefix}.{b}.bn2.weight"].abs() for b in range(blocks))
        if f"{prefix}.0.shortcut.1.weight" in state:
            joined = joined + state[f"{prefix}.0.shortcut.1.weight"].abs()
        kept = _largest(joined, width)
        for block in range(blocks):
            p = f"{prefix}.{block}"
            inputs = previous if block == 0 else kept
            inner = _largest(state[f"{p}.bn1.weight"].abs(), width)
            conv(f"{p}.conv1.weight", inner, inputs)
            bn(f"{p}.bn1", inner)
            conv(f"{p}.conv2.weight", kept, inner)
            bn(f"{p}.bn2", kept)
            if f"{p}.shortcut.0.weight" in state:
                conv(f"{p}.shortcut.0.weight", kept, inputs)
                bn(f"{p}.shortcut.1", kept)
        previous = kept
    attention("cbam_last", old.stage_widths[-1], previous)
    out["classifier.weight"] = state["classifier.weight"][:, previous]
    return out
