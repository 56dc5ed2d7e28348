"""FER2013 image-folder loading, cached as uint8 tensors, and batch augmentation in torch."""
from __future__ import annotations

import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .model import CLASS_NAMES

DEFAULT_DATA = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fer2013"
CACHE_DIR = pathlib.Path(__file__).resolve().parent / ".cache"


def load_split(root: pathlib.Path, split: str) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Returns (images N x 48 x 48 uint8, labels N int64, file paths), in class then name order.

    Decoding 30k JPEGs takes a while on two cores, so the result is cached.
    """
    folder = root / split
    if not folder.is_dir():
        raise SystemExit(f"training: {folder}: no such split folder (expected the FER2013 image-folder layout)")
    CACHE_DIR.mkdir(exist_ok=True)
    cache = CACHE_DIR / f"{split}.npz"
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["root"]) == str(folder.resolve()):
            return torch.from_numpy(stored["images"]), torch.from_numpy(stored["labels"]), list(stored["paths"])
    images, labels, paths = [], [], []
    for index, name in enumerate(CLASS_NAMES):
        for path in sorted((folder / name).glob("*.jpg")):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("L"), dtype=np.uint8)
            if pixels.shape != (48, 48):
                raise SystemExit(f"training: {path}: expected 48x48 pixels, got {pixels.shape[1]}x{pixels.shape[0]}")
            images.append(pixels)
            labels.append(index)
            paths.append(str(path.relative_to(root)))
    images_np = np.stack(images)
    labels_np = np.asarray(labels, dtype=np.int64)
    np.savez(cache, images=images_np, labels=labels_np, paths=np.asarray(paths), root=str(folder.resolve()))
    return torch.from_numpy(images_np), torch.from_numpy(labels_np), paths


def normalise(images_u8: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """N x H x W uint8 -> N x 1 x H x W float, the model's input convention."""
    return ((images_u8.float() / 255.0 - mean) / std).unsqueeze(1)


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine (shift ~ crop with 4 px padding, rotation, scale, flip) and random erasing.

    Works on a whole normalised batch (N x 1 x H x W) at once, so that the input
    pipeline costs little next to the network on a CPU.
    """
    n, _, h, w = batch.shape
    rand = lambda *shape: torch.rand(*shape, generator=generator)
    angle = (rand(n) * 2 - 1) * math.radians(10)
    scale = 1 + (rand(n) * 2 - 1) * 0.1
    flip = torch.where(rand(n) < 0.5, -1.0, 1.0)
    shift_x = (rand(n) * 2 - 1) * (4 * 2 / w)
    shift_y = (rand(n) * 2 - 1) * (4 * 2 / h)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift_x], 1), torch.stack([sin * flip, cos, shift_y], 1)], 1
    )
    grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    # Random erasing: one rectangle of 2-20% of the area, aspect 0.3-3.3, with p = 0.5.
    area = (0.02 + rand(n) * 0.18) * h * w
    log_ratio = (rand(n) * 2 - 1) * math.log(3.3)
    eh = torch.sqrt(area * torch.exp(log_ratio)).clamp(1, h - 1)
    ew = torch.sqrt(area / torch.exp(log_ratio)).clamp(1, w - 1)
    y0 = rand(n) * (h - eh)
    x0 = rand(n) * (w - ew)
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    mask = (ys >= y0.view(n, 1, 1)) & (ys < (y0 + eh).view(n, 1, 1)) & (xs >= x0.view(n, 1, 1)) & (xs < (x0 + ew).view(n, 1, 1))
    mask &= (rand(n) < 0.5).view(n, 1, 1)
    noise = torch.randn(out.shape, generator=generator)
    return torch.where(mask.unsqueeze(1), noise, out)
