"""The five seed systems (../shared/docs/seed-systems.md) behind one interface, selected with `--arch`.

Every architecture is an `nn.Module` taking normalised 1x48x48 faces and returning logits from `forward`, and:
- `forward_with_attention(x) -> (logits, {name: tensor})`: what the model attends to, for export and the window;
- `training_outputs(x) -> (logits, extra_loss)`: logits plus the paper's extra training term (reconstruction,
  L2 on the last layers; 0 if none), in one pass;
- `arch_config`: a JSON-serialisable dict that rebuilds it (written into checkpoints and the exported metadata).

Budgets (issue 12): at most 5 M parameters and 200 M multiply-accumulates per face at inference.
"""
from __future__ import annotations

import json
import pathlib

import torch
from torch import nn

from . import cnn_alstm, deep_emotion, lbp_attention, manet, resnet_cbam

ARCHITECTURES = {
    "resnet-cbam": resnet_cbam,
    "lbp-attention": lbp_attention,
    "cnn-alstm": cnn_alstm,
    "deep-emotion": deep_emotion,
    "manet": manet,
}

SEED_PAPER = {"lbp-attention": "000", "resnet-cbam": "001", "cnn-alstm": "002", "deep-emotion": "003",
              "manet": "004"}


# What `--ablate` turns off in each (issue 12's ablations: the same budget without the attention component).
ABLATIONS = {
    "resnet-cbam": ({"cbam": False}, "both CBAM modules replaced by the identity"),
    "lbp-attention": ({"lbp": False}, "no LBP stream: one raw-pixel stream as wide as both"),
    "cnn-alstm": ({"local_attention": False, "global_attention": False},
                  "no local attention, and the mean of the LSTM states instead of global attention"),
    "deep-emotion": ({"stn": False}, "no spatial transformer: the CNN on the face as cropped"),
    "manet": ({"masks": False}, "region masks off: every region branch sees the whole map"),
}


def build(name: str, config: dict | None = None) -> nn.Module:
    """The architecture `name` with `config` (its defaults where None)."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r} (known: {', '.join(ARCHITECTURES)})")
    return ARCHITECTURES[name].build(config or {})


def load_trained(path: pathlib.Path) -> tuple[nn.Module, dict, str]:
    """The model a training checkpoint (best.pt) holds, in eval mode, with the checkpoint's state and the
    architecture's name (runs from before `--arch` are resnet-cbam)."""
    state = torch.load(path, weights_only=False, map_location="cpu")
    name = state.get("arch", "resnet-cbam")
    config = json.loads(state["arch_config"]) if "arch_config" in state else {"model": json.loads(state["config"])}
    model = build(name, config)
    model.load_state_dict(state["model"])
    return model.eval(), state, name
