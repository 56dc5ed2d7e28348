"""Checks every architecture against the interface and the real-time budget, on random faces:

    python -m training.arch.check

Prints parameters and MACs per face (inference) and fails if a model breaks the interface, exceeds 5 M
parameters or 200 M MACs, or gives different logits for a face alone and in a batch (eval mode).
"""
from __future__ import annotations

import sys

import torch

from . import ABLATIONS, ARCHITECTURES, SEED_PAPER, build
from .costs import inference_macs, inference_parameters
from ..train import MAX_MACS, MAX_PARAMETERS


def check(name: str, ablated: bool = False) -> str:
    torch.manual_seed(0)
    model = build(name, ABLATIONS[name][0] if ablated else None).eval()
    x = torch.randn(4, 1, 48, 48)
    with torch.no_grad():
        logits, attention = model.forward_with_attention(x)
        alone = model(x[1:2])
    if logits.shape != (4, 7):
        raise ValueError(f"{name}: logits of shape {tuple(logits.shape)}, expected (4, 7)")
    if not attention:
        raise ValueError(f"{name}: no attention outputs")
    if not torch.allclose(alone, logits[1:2], atol=1e-4):
        raise ValueError(f"{name}: a face alone and in a batch give different logits")
    model.train()
    train_logits, extra = model.training_outputs(x)
    (train_logits.sum() + extra).backward()
    parameters, macs = inference_parameters(model), inference_macs(model)
    if parameters > MAX_PARAMETERS or macs > MAX_MACS:
        raise ValueError(f"{name}: {parameters:,} parameters, {macs / 1e6:.1f} M MACs: over the budget")
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in attention.items())
    label = f"{name} (ablated)" if ablated else name
    return f"{label:24s} seed {SEED_PAPER[name]}  {parameters:>9,} parameters  {macs / 1e6:7.2f} M MACs  {shapes}"


def main() -> None:
    failed = False
    for name in ARCHITECTURES:
        for ablated in (False, True):
            try:
                print(check(name, ablated))
            except ValueError as error:
                print(error, file=sys.stderr)
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
