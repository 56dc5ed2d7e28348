"""FER2013 loading (image folders or the packed .npz parts), FER+ vote targets, and batch augmentation in torch."""
from __future__ import annotations

import csv
import dataclasses
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

from .model import CLASS_NAMES

DEFAULT_DATA = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fer2013"
CACHE_DIR = pathlib.Path(__file__).resolve().parent / ".cache"

# ferplus.csv's vote columns, in its order, mapped to FER2013 class indices (None: no FER2013 class).
FERPLUS_COLUMNS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"]
FERPLUS_TO_CLASS = [6, 3, 5, 4, 0, 1, 2, None, None, None]


@dataclasses.dataclass
class Split:
    """One split in class-then-name order: images N x 48 x 48 uint8, FER2013 labels, FER+ votes (N x 10, zeros
    where a face has none) and paths relative to the data root."""
    images: torch.Tensor
    labels: torch.Tensor
    votes: torch.Tensor
    paths: list[str]

    def subset(self, index: torch.Tensor) -> "Split":
        return Split(self.images[index], self.labels[index], self.votes[index], [self.paths[int(i)] for i in index])


def read_votes(root: pathlib.Path) -> dict[str, list[int]]:
    path = root / "ferplus.csv"
    if not path.exists():
        return {}
    with path.open() as fh:
        rows = csv.reader(fh)
        header = next(rows)
        if header[1:] != FERPLUS_COLUMNS:
            raise ValueError(f"{path}: unexpected columns {header[1:]} (expected path,{','.join(FERPLUS_COLUMNS)})")
        return {row[0]: [int(v) for v in row[1:]] for row in rows}


def _decode_folder(root: pathlib.Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from PIL import Image
    images, labels, paths = [], [], []
    for index, name in enumerate(CLASS_NAMES):
        for path in sorted((root / split / name).glob("*.jpg")):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("L"), dtype=np.uint8)
            if pixels.shape != (48, 48):
                raise ValueError(f"{path}: expected 48x48 pixels, got {pixels.shape[1]}x{pixels.shape[0]}")
            images.append(pixels)
            labels.append(index)
            paths.append(f"{split}/{name}/{path.name}")
    return np.stack(images), np.asarray(labels, dtype=np.int64), paths


def _load_packed(root: pathlib.Path, split: str) -> Split | None:
    """The layout `../shared/tools/pack_fer2013.py` writes (train-1.npz, train-2.npz, val.npz)."""
    files = sorted(root.glob(f"{split}-*.npz")) if split == "train" else [root / f"{split}.npz"]
    if not files or not all(f.exists() for f in files):
        return None
    parts = [np.load(f, allow_pickle=False) for f in files]
    cat = lambda key: np.concatenate([p[key] for p in parts])
    return Split(torch.from_numpy(cat("images")), torch.from_numpy(cat("labels").astype(np.int64)),
                 torch.from_numpy(cat("votes").astype(np.int64)), [str(p) for p in cat("paths")])


def load_split(root: pathlib.Path, split: str) -> Split:
    """Loads `split` from `root`: packed .npz parts if present, else the image folders (decoded once, cached)."""
    packed = _load_packed(root, split)
    if packed is not None:
        return packed
    folder = root / split
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such split folder (expected the FER2013 image-folder layout or packed .npz parts)")
    CACHE_DIR.mkdir(exist_ok=True)
    cache = CACHE_DIR / f"{split}.npz"
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["root"]) == str(folder.resolve()):
            images, labels, paths = stored["images"], stored["labels"], [str(p) for p in stored["paths"]]
        else:
            images = None
    else:
        images = None
    if images is None:
        images, labels, paths = _decode_folder(root, split)
        np.savez(cache, images=images, labels=labels, paths=np.asarray(paths), root=str(folder.resolve()))
    votes = read_votes(root)
    vote_rows = np.asarray([votes.get(p, [0] * len(FERPLUS_COLUMNS)) for p in paths], dtype=np.int64)
    return Split(torch.from_numpy(images), torch.from_numpy(labels), torch.from_numpy(vote_rows), paths)


def vote_distribution(votes: torch.Tensor, min_votes: int = 1) -> torch.Tensor:
    """N x 10 votes -> N x 7 distribution over fercam's classes; votes below `min_votes` are dropped as noise
    (FERPlus drops single votes). Rows with no usable vote are all zero."""
    counts = torch.zeros(len(votes), len(CLASS_NAMES))
    for column, cls in enumerate(FERPLUS_TO_CLASS):
        if cls is not None:
            v = votes[:, column].float()
            counts[:, cls] += torch.where(v >= min_votes, v, torch.zeros_like(v))
    total = counts.sum(1, keepdim=True)
    return torch.where(total > 0, counts / total.clamp(min=1), counts)


def ferplus_majority(votes: torch.Tensor) -> torch.Tensor:
    """FER+ majority class per face in fercam's order, or -1 where the face has no votes or its most-voted
    column is contempt, unknown or not-a-face (ties go to the earlier column, as numpy's argmax)."""
    top = votes.argmax(1)
    mapping = torch.tensor([c if c is not None else -1 for c in FERPLUS_TO_CLASS])
    majority = mapping[top]
    return torch.where(votes.sum(1) > 0, majority, torch.full_like(majority, -1))


def training_targets(split: Split, mix: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft targets (N x 7) and per-face weights.

    mix = 1: FER+ vote distributions where a face has usable votes, its FER2013 label elsewhere;
    mix = 0: FER2013 labels only; between: the weighted sum. Faces most annotators called "not a face"
    get weight 0.
    """
    one_hot = F.one_hot(split.labels, len(CLASS_NAMES)).float()
    soft = vote_distribution(split.votes, min_votes=2)
    fallback = vote_distribution(split.votes, min_votes=1)
    soft = torch.where(soft.sum(1, keepdim=True) > 0, soft, fallback)
    has = soft.sum(1, keepdim=True) > 0
    soft = torch.where(has, soft, one_hot)
    targets = mix * soft + (1 - mix) * one_hot
    not_face = split.votes[:, 9] * 2 > split.votes.sum(1)
    weights = torch.where(not_face, 0.0, 1.0) if mix > 0 else torch.ones(len(targets))
    return targets, weights


def normalise(images_u8: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """N x H x W uint8 -> N x 1 x H x W float, the model's input convention; colour N x H x W x 3 ->
    N x 3 x H x W (one mean and std for every channel)."""
    x = (images_u8.float() / 255.0 - mean) / std
    return x.permute(0, 3, 1, 2) if x.ndim == 4 else x.unsqueeze(1)


def pixel_stats(images_u8: torch.Tensor, chunk: int = 4096) -> tuple[float, float]:
    """Mean and standard deviation of every pixel on the 0-1 scale, in chunks: a float copy of a colour training
    set at 96 pixels would be 5 GB."""
    total = total_sq = 0.0
    for start in range(0, len(images_u8), chunk):
        x = images_u8[start:start + chunk].double() / 255
        total, total_sq = total + float(x.sum()), total_sq + float((x * x).sum())
    n = images_u8.numel()
    mean = total / n
    return mean, math.sqrt(max(total_sq / n - mean * mean, 0.0) * n / max(n - 1, 1))


def grey_as_colour(images_u8: torch.Tensor) -> torch.Tensor:
    """N x H x W grey -> N x H x W x 3: FER2013 has no colour, so its faces enter a colour model as R = G = B,
    which is what a grey face is in RGB (luma weights sum to 1)."""
    return images_u8.unsqueeze(-1).expand(*images_u8.shape, 3).contiguous()


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """Ranges of the random transforms. Scale is log-uniform: a crop from 1/scale_max to 1/scale_min of the
    face's width, so that tighter and looser framings than FER2013's (a detector box with any margin) are seen."""
    rotation_degrees: float = 12
    scale_min: float = 0.8
    scale_max: float = 1.25
    shift: float = 0.1
    brightness: float = 0.15
    contrast: float = 0.3
    blur_probability: float = 0.2
    erase_probability: float = 0.5


@dataclasses.dataclass(frozen=True)
class Framing:
    """Per face: the share of the stored image that is its base crop, and the log-uniform range of the crop's
    side around it. FER2013's 48x48 images are their own framing (base 1); RAF-DB and ExpW are stored wider
    than any fercam margin (training/sources.py), so their crop can range over the detector margins
    -0.15..+0.175 (0.7 to 1.35 box sides) instead of zooming into repeated edges."""
    base: torch.Tensor
    side_min: torch.Tensor
    side_max: torch.Tensor


def augment(batch: torch.Tensor, generator: torch.Generator, spec: Augmentation = Augmentation(),
            framing: Framing | None = None, size: int | None = None) -> torch.Tensor:
    """Random affine (scale, shift, rotation, flip), brightness/contrast, down-and-up blur, random erasing.

    Works on a whole normalised batch (N x 1 x H x W) at once, so that the input
    pipeline costs little next to the network on a CPU. With `framing`, each face is cut from its stored image
    at its own base scale and range, resampled to `size` pixels.
    """
    n = batch.shape[0]
    h = w = size or batch.shape[2]
    rand = lambda *shape: torch.rand(*shape, generator=generator, device="cpu").to(batch.device)
    angle = (rand(n) * 2 - 1) * math.radians(spec.rotation_degrees)
    if framing is None:
        lo, hi = torch.full((n,), 1 / spec.scale_max), torch.full((n,), 1 / spec.scale_min)
        base = torch.ones(n)
    else:
        lo, hi, base = framing.side_min, framing.side_max, framing.base
    lo, hi, base = lo.to(batch.device), hi.to(batch.device), base.to(batch.device)
    side = torch.exp(torch.log(lo) + rand(n) * (torch.log(hi) - torch.log(lo)))  # of the base crop
    flip = torch.where(rand(n) < 0.5, -1.0, 1.0)
    shift_x = (rand(n) * 2 - 1) * spec.shift * 2 * base
    shift_y = (rand(n) * 2 - 1) * spec.shift * 2 * base
    cos, sin = torch.cos(angle) * side * base, torch.sin(angle) * side * base
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, shift_x], 1), torch.stack([sin * flip, cos, shift_y], 1)], 1
    )
    grid = F.affine_grid(theta, [n, batch.shape[1], h, w], align_corners=False)
    out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)

    # Lighting: real photographs are brighter, flatter or harsher than FER2013's web crops.
    contrast = 1 + (rand(n) * 2 - 1) * spec.contrast
    brightness = (rand(n) * 2 - 1) * spec.brightness * 4  # in units of the dataset std (about 0.25)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * contrast.view(n, 1, 1, 1) + mean + brightness.view(n, 1, 1, 1)

    # Lower effective resolution (small faces in a webcam frame): down to 24-40 px and back.
    blur = rand(n) < spec.blur_probability
    if bool(blur.any()):
        low = int(24 + float(rand(1)) * 16)
        small = F.interpolate(out[blur], size=(low, low), mode="area")
        out[blur] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)

    # Random erasing: one rectangle of 2-20% of the area, aspect 0.3-3.3.
    area = (0.02 + rand(n) * 0.18) * h * w
    log_ratio = (rand(n) * 2 - 1) * math.log(3.3)
    eh = torch.sqrt(area * torch.exp(log_ratio)).clamp(1, h - 1)
    ew = torch.sqrt(area / torch.exp(log_ratio)).clamp(1, w - 1)
    y0 = rand(n) * (h - eh)
    x0 = rand(n) * (w - ew)
    ys = torch.arange(h, device=batch.device).view(1, h, 1)
    xs = torch.arange(w, device=batch.device).view(1, 1, w)
    mask = (ys >= y0.view(n, 1, 1)) & (ys < (y0 + eh).view(n, 1, 1)) & (xs >= x0.view(n, 1, 1)) & (xs < (x0 + ew).view(n, 1, 1))
    mask &= (rand(n) < spec.erase_probability).view(n, 1, 1)
    noise = torch.randn(out.shape, generator=generator).to(batch.device)
    return torch.where(mask.unsqueeze(1), noise, out)


def mix_batch(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, kind: str, alpha: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixup (blend two faces) or CutMix (paste a rectangle of one face onto another), with the targets and
    sample weights mixed in the same proportion. The partner of each face is the batch rolled by a random
    offset, so a face is never mixed with itself when the batch has more than one face."""
    n, _, h, wd = x.shape
    if kind == "none" or n < 2:
        return x, y, w
    # Drawn through the run's generator (numpy's Beta seeded from it), so that a resumed run repeats itself.
    rng = np.random.default_rng(int(torch.randint(2**31, (1,), generator=generator)))
    lam = float(rng.beta(alpha, alpha))
    partner = torch.roll(torch.arange(n), shifts=int(rng.integers(1, n))).to(x.device)
    if kind == "mixup":
        mixed = lam * x + (1 - lam) * x[partner]
    elif kind == "cutmix":
        cut = math.sqrt(1 - lam)
        ch, cw = int(round(h * cut)), int(round(wd * cut))
        cy, cx = int(rng.integers(0, h)), int(rng.integers(0, wd))
        y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, h)
        x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, wd)
        mixed = x.clone()
        mixed[:, :, y0:y1, x0:x1] = x[partner][:, :, y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * wd)  # the share of the face that is still its own
    else:
        raise ValueError(f"unknown mix {kind!r} (none, mixup or cutmix)")
    return mixed, lam * y + (1 - lam) * y[partner], lam * w + (1 - lam) * w[partner]
