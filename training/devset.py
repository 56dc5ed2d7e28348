"""The posed-photo development set (../shared/data/expressions/taiwanese) as detector crops, for model selection.

fercam scores these photographs with `fercam eval DIR --detect`: the largest face OpenCV's frontal cascade finds
(scale 1.1, 3 neighbours, no size limits), a square around the box widened by a margin, area-resampled to 48x48.
This module reproduces that framing with OpenCV (the Swift detector returns the same boxes) so that training can
watch the figure epoch by epoch; the shipped figure always comes from the Swift engine.
"""
from __future__ import annotations

import pathlib

import numpy as np
import torch

from .model import CLASS_NAMES

DEFAULT_DEVSET = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "expressions" / "taiwanese"
CASCADE_NAME = "haarcascade_frontalface_default.xml"
SYSTEM_CASCADE = pathlib.Path("/usr/share/opencv4/haarcascades") / CASCADE_NAME


def cascade_path() -> pathlib.Path:
    """Debian's cascade (the one fercam reads); before `make deps` has installed it, the identical file that
    opencv-python ships, so that a fresh machine's first training run still watches the posed photographs."""
    if SYSTEM_CASCADE.exists():
        return SYSTEM_CASCADE
    import cv2
    return pathlib.Path(cv2.data.haarcascades) / CASCADE_NAME
CACHE_DIR = pathlib.Path(__file__).resolve().parent / ".cache"
# -0.15 is fercam's default (FaceCropping); the others show which way the framing pays.
MARGINS = (-0.15, 0.0, 0.05, 0.1, 0.15, 0.2)


def crop(gray: np.ndarray, box: tuple[int, int, int, int], margin: float, size: int = 48) -> np.ndarray:
    """The Swift `FaceCropping` region (square on the box centre, edges repeated), area-resampled."""
    import cv2
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    x0, y0 = x + w / 2 - side / 2, y + h / 2 - side / 2
    pad = int(side) + 2
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    left, top, s = int(round(x0)) + pad, int(round(y0)) + pad, max(1, int(round(side)))
    return cv2.resize(padded[top:top + s, left:left + s], (size, size), interpolation=cv2.INTER_AREA)


def read_crops(path: pathlib.Path) -> dict:
    """A devset file as `load_devset` caches it (also what `training.sweep pack` carries to a lent GPU)."""
    stored = np.load(path, allow_pickle=False)
    margins = sorted(float(key[1:]) for key in stored.files if key.startswith("m") and key != "missed")
    return {"crops": {m: torch.from_numpy(stored[f"m{m}"]) for m in margins},
            "labels": torch.from_numpy(stored["labels"]), "missed": int(stored["missed"]),
            "total": int(stored["total"])}


def write_crops(path: pathlib.Path, devset: dict, margins=None) -> None:
    arrays = {f"m{m}": c.numpy() for m, c in devset["crops"].items() if margins is None or m in margins}
    np.savez(path, labels=devset["labels"].numpy(), missed=devset["missed"], total=devset["total"], **arrays)


def load_devset(root: pathlib.Path = DEFAULT_DEVSET, colour: bool = False) -> dict | None:
    """{"crops": {margin: N x 48 x 48 uint8}, "labels": N, "missed": count, "total": count}, or None when the
    folder is absent. `root` may also be a crops file (`read_crops`). Photos without a detected face are left
    out here and counted in `missed` (fercam counts them as wrong). `colour`: RGB crops, N x 48 x 48 x 3."""
    if root.suffix == ".npz" and root.is_file():
        return read_crops(root)
    cascade = cascade_path()
    if not root.is_dir() or not cascade.exists():
        return None
    CACHE_DIR.mkdir(exist_ok=True)
    cache = CACHE_DIR / ("devset-colour.npz" if colour else "devset.npz")
    if cache.exists():
        cached = read_crops(cache)
        if set(cached["crops"]) == set(MARGINS):
            return cached
    import cv2
    detector = cv2.CascadeClassifier(str(cascade))
    crops = {m: [] for m in MARGINS}
    labels, missed, total = [], 0, 0
    for index, name in enumerate(CLASS_NAMES):
        for path in sorted((root / name).glob("*.jpg")):
            total += 1
            bgr = cv2.imread(str(path))
            gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            boxes = detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3)
            if len(boxes) == 0:
                missed += 1
                continue
            box = max(boxes, key=lambda b: b[2] * b[3])
            for m in MARGINS:
                crops[m].append(crop(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if colour else gray,
                                     tuple(int(v) for v in box), m))
            labels.append(index)
    write_crops(cache, {"crops": {m: torch.from_numpy(np.stack(c)) for m, c in crops.items()},
                        "labels": torch.from_numpy(np.asarray(labels, np.int64)), "missed": missed, "total": total})
    return read_crops(cache)
