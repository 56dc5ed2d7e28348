"""Parameters and multiply-accumulates per face at inference, for the budgets and `fercam models`.

MACs are counted for convolutions, linear layers and LSTMs (4 gates x hidden x (input + hidden) per step and
layer), which are all but a few thousand of each model's; element-wise products, pooling, softmax and the
bilinear sampling are not counted. Modules named in a model's `training_only` (the LBP model's decoder) are left
out of both counts.
"""
from __future__ import annotations

import torch
from torch import nn


def inference_parameters(model: nn.Module) -> int:
    skipped = {id(p) for name in getattr(model, "training_only", ()) for p in getattr(model, name).parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in skipped)


def model_input_size(model: nn.Module) -> int:
    """The face side a model takes: resnet-cbam's config says; the seed systems are built for 48."""
    return getattr(getattr(model, "config", None), "input_size", 48)


def model_input_channels(model: nn.Module) -> int:
    """1 (grey) but for a colour resnet-cbam experiment (train.py --colour)."""
    return getattr(getattr(model, "config", None), "in_channels", 1)


def inference_macs(model: nn.Module, input_size: int | None = None) -> int:
    """Multiply-accumulates for one face at `input_size` (default: the model's own)."""
    input_size = input_size or model_input_size(model)
    macs = 0

    def conv(module, inputs, output):
        nonlocal macs
        kernel = module.kernel_size[0] * module.kernel_size[1] * (module.in_channels // module.groups)
        macs += output[0].numel() * kernel

    def linear(module, inputs, output):
        nonlocal macs
        macs += output[0].numel() * module.in_features

    def lstm(module, inputs, output):
        nonlocal macs
        steps = inputs[0].shape[1] if module.batch_first else inputs[0].shape[0]
        for layer in range(module.num_layers):
            width = module.input_size if layer == 0 else module.hidden_size
            macs += steps * 4 * module.hidden_size * (width + module.hidden_size)

    hooks = {nn.Conv2d: conv, nn.Linear: linear, nn.LSTM: lstm}
    handles = [m.register_forward_hook(hooks[type(m)]) for m in model.modules() if type(m) in hooks]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, model_input_channels(model), input_size, input_size))
    model.train(was_training)
    for handle in handles:
        handle.remove()
    return macs
