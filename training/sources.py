"""RAF-DB (train split) and ExpW beside FER2013: faces cropped the way fercam frames them at run time.

fercam crops a face from the Haar box its detector finds (OpenCV's frontal cascade, scale 1.1, 3 neighbours; the
Swift detector returns the same boxes), a square around the box centre widened by `--margin`. Training crops
RAF-DB and ExpW from that same box, so that what the model learns is what it will see:

- RAF-DB's faces are aligned 100x100 crops that the face fills, too tight for the cascade: each is padded by
  `RAF_PAD` of its side with repeated edges first (the padding `fercam eval --pad` applies).
- ExpW's crops carry context around the labelled box; the detection that overlaps that box best is the face.
- A face the cascade misses gets the dataset's box mapped to Haar framing: the median offset and scale between the
  two boxes on the faces it does find (`framing_map`).

Each face is stored at `STORE_SIZE` pixels around `STORE_MARGIN`, wider than any margin fercam uses, so that the
augmentation can jitter scale and shift around the detector's framing without running out of face
(`base_scale`). Validation sets are carved once with a fixed seed and written to training/splits/ as path lists,
which `fercam eval --list` reads, so that the Swift engine scores exactly the faces held out here.
"""
from __future__ import annotations

import csv
import dataclasses
import pathlib
import sys

import numpy as np

from .devset import cascade_path
from .model import CLASS_NAMES

SHARED_DATA = pathlib.Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SPLITS_DIR = pathlib.Path(__file__).resolve().parent / "splits"
CACHE_DIR = pathlib.Path(__file__).resolve().parent / ".cache"
STORE_SIZE, STORE_MARGIN = 96, 0.25
RAF_PAD = 0.5
VAL_SHARE, SPLIT_SEED = 0.10, 20261206
# Margins the in-training validation reads from the stored crops (fercam's default and the range).
VAL_MARGINS = (-0.15, 0.0, 0.15)
# Crop sides (of the Haar box) the augmentation ranges over, per source: margin -0.15 to +0.175 where the photo
# has context (ExpW); RAF-DB's aligned crops end at 0.9 box sides (framing_map's 1.11), so up to margin 0 there.
SIDE_RANGE = {"rafdb": (0.7, 1.0), "expw": (0.7, 1.35)}


@dataclasses.dataclass
class SourceFaces:
    """One source's faces: crops N x STORE_SIZE x STORE_SIZE uint8 around the Haar framing at STORE_MARGIN,
    labels, paths relative to the source root, and whether fercam's detector found the face."""
    name: str
    images: np.ndarray
    labels: np.ndarray
    paths: list[str]
    detected: np.ndarray

    def take(self, index: np.ndarray) -> "SourceFaces":
        return SourceFaces(self.name, self.images[index], self.labels[index], [self.paths[i] for i in index],
                           self.detected[index])


def base_scale(margin: float = -0.15) -> float:
    """Share of a stored crop's side that fercam's crop at `margin` covers."""
    return (1 + 2 * margin) / (1 + 2 * STORE_MARGIN)


def store_crop(gray: np.ndarray, box) -> np.ndarray:
    from .devset import crop
    return crop(gray, box, STORE_MARGIN, STORE_SIZE)


def crops_at(images: np.ndarray, margin: float, size: int = 48) -> np.ndarray:
    """fercam's crop at `margin` from stored crops (the centred square of `base_scale`), area-resampled."""
    import cv2
    side = STORE_SIZE * base_scale(margin)
    lo = (STORE_SIZE - side) / 2
    a, b = int(round(lo)), int(round(lo + side))
    return np.stack([cv2.resize(im[a:b, a:b], (size, size), interpolation=cv2.INTER_AREA) for im in images])


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def framing_map(dataset_boxes: np.ndarray, haar_boxes: np.ndarray) -> np.ndarray:
    """Median (dx, dy, scale) taking a dataset box (x, y, w, h) to the Haar box of the same face: centre offsets
    in units of the dataset box side, and the ratio of sides."""
    d, h = dataset_boxes.astype(float), haar_boxes.astype(float)
    dside, hside = np.maximum(d[:, 2], d[:, 3]), np.maximum(h[:, 2], h[:, 3])
    dx = ((h[:, 0] + h[:, 2] / 2) - (d[:, 0] + d[:, 2] / 2)) / dside
    dy = ((h[:, 1] + h[:, 3] / 2) - (d[:, 1] + d[:, 3] / 2)) / dside
    return np.median(np.stack([dx, dy, hside / dside], 1), 0)


def apply_map(box, mapping) -> tuple[int, int, int, int]:
    x, y, w, h = (float(v) for v in box)
    side = max(w, h)
    cx, cy, s = x + w / 2 + mapping[0] * side, y + h / 2 + mapping[1] * side, side * mapping[2]
    return int(round(cx - s / 2)), int(round(cy - s / 2)), int(round(s)), int(round(s))


def _detector():
    import cv2
    return cv2.CascadeClassifier(str(cascade_path()))


def _read_rows(path: pathlib.Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def load_rafdb(root: pathlib.Path) -> tuple[SourceFaces, dict]:
    """RAF-DB train, padded and detected; the stats say how often the cascade found the face."""
    import cv2
    detector = _detector()
    rows = _read_rows(root / "labels.csv")
    gray_images, boxes = [], []
    for row in rows:
        gray = cv2.cvtColor(cv2.imread(str(root / row["path"])), cv2.COLOR_BGR2GRAY)
        pad = int(round(gray.shape[0] * RAF_PAD))
        padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        detections = detector.detectMultiScale(padded, scaleFactor=1.1, minNeighbors=3)
        gray_images.append(padded)
        boxes.append(tuple(int(v) for v in max(detections, key=lambda b: b[2] * b[3])) if len(detections) else None)
    # The aligned crop is the dataset's box: the whole original image inside the padding.
    side = [g.shape[0] / (1 + 2 * RAF_PAD) for g in gray_images]
    dataset_boxes = [(int(round(s * RAF_PAD)),) * 2 + (int(round(s)),) * 2 for s in side]
    return _crop_faces("rafdb", rows, gray_images, boxes, dataset_boxes)


def _crop_faces(name: str, rows: list[dict], gray_images, boxes, dataset_boxes) -> tuple[SourceFaces, dict]:
    """Stored crops around each face's Haar box, or, where the cascade missed it (box None), around its dataset
    box mapped to Haar framing by `framing_map` over the faces it found."""
    hit = np.asarray([b is not None for b in boxes])
    mapping = framing_map(np.asarray(dataset_boxes)[hit], np.asarray([b for b in boxes if b is not None]))
    crops = [store_crop(g, b if b is not None else apply_map(d, mapping))
             for g, b, d in zip(gray_images, boxes, dataset_boxes)]
    labels = np.asarray([CLASS_NAMES.index(r["label"]) for r in rows], np.int64)
    stats = {"faces": len(rows), "detected": int(hit.sum()), "map": [round(float(v), 4) for v in mapping]}
    return SourceFaces(name, np.stack(crops), labels, [r["path"] for r in rows], hit), stats


def load_expw(root: pathlib.Path) -> tuple[SourceFaces, dict, list[str]]:
    """ExpW: the detection overlapping the labelled box best (IoU >= 0.3) is the face; the stats count the rest."""
    import cv2
    detector = _detector()
    rows = _read_rows(root / "labels.csv")
    gray_images, boxes, dataset_boxes = [], [], []
    for row in rows:
        gray = cv2.cvtColor(cv2.imread(str(root / row["path"])), cv2.COLOR_BGR2GRAY)
        labelled = tuple(int(row[k]) for k in "xywh")
        detections = detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3)
        scored = [(iou(tuple(int(v) for v in d), labelled), tuple(int(v) for v in d)) for d in detections]
        best = max(scored, default=(0.0, None))
        gray_images.append(gray)
        dataset_boxes.append(labelled)
        boxes.append(best[1] if best[0] >= 0.3 else None)
    faces, stats = _crop_faces("expw", rows, gray_images, boxes, dataset_boxes)
    return faces, stats, [r["source_image"] for r in rows]


def rafdb_val_index(labels: np.ndarray) -> np.ndarray:
    """A fixed, stratified VAL_SHARE of every class."""
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for cls in range(len(CLASS_NAMES)):
        members = np.flatnonzero(labels == cls)
        chosen.extend(rng.permutation(members)[:int(round(len(members) * VAL_SHARE))])
    return np.sort(np.asarray(chosen))


def expw_val_index(sources: list[str]) -> np.ndarray:
    """VAL_SHARE of the source photographs (all their faces together), fixed seed."""
    photos = sorted(set(sources))
    rng = np.random.default_rng(SPLIT_SEED)
    held = set(rng.permutation(photos)[:int(round(len(photos) * VAL_SHARE))])
    return np.asarray([i for i, s in enumerate(sources) if s in held])


def write_list(path: pathlib.Path, paths: list[str]) -> None:
    path.parent.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text("".join(p + "\n" for p in paths))
    partial.replace(path)


def load_sources(data: pathlib.Path = SHARED_DATA, names=("rafdb", "expw")) -> dict:
    """{name: (train SourceFaces, val SourceFaces, stats)}, decoded once and cached; the val lists are
    (re)written to training/splits/NAME-val.txt."""
    CACHE_DIR.mkdir(exist_ok=True)
    out = {}
    for name in names:
        root = data / name / ("train" if name == "rafdb" else "")
        if not (root / "labels.csv").exists():
            print(f"note: {root} is absent; training without {name}", file=sys.stderr)
            continue
        cache = CACHE_DIR / f"{name}-faces.npz"
        if cache.exists() and str(np.load(cache)["root"]) == str(root.resolve()):
            stored = np.load(cache, allow_pickle=False)
            faces = SourceFaces(name, stored["images"], stored["labels"], [str(p) for p in stored["paths"]],
                                stored["detected"])
            val_index, stats = stored["val"], {"faces": len(faces.labels), "detected": int(faces.detected.sum()),
                                               "map": stored["map"].tolist()}
        else:
            print(f"{name}: detecting and cropping {root} (once; cached in {cache})", file=sys.stderr, flush=True)
            if name == "rafdb":
                faces, stats = load_rafdb(root)
                val_index = rafdb_val_index(faces.labels)
            else:
                faces, stats, photos = load_expw(root)
                val_index = expw_val_index(photos)
            np.savez(cache, images=faces.images, labels=faces.labels, paths=np.asarray(faces.paths),
                     detected=faces.detected, val=val_index, map=np.asarray(stats["map"]), root=str(root.resolve()))
        held = np.zeros(len(faces.labels), bool)
        held[val_index] = True
        write_list(SPLITS_DIR / f"{name}-val.txt", [faces.paths[i] for i in np.flatnonzero(held)])
        out[name] = (faces.take(np.flatnonzero(~held)), faces.take(np.flatnonzero(held)), stats)
        print(f"{name}: {stats['faces']} faces, detector found {stats['detected']} "
              f"({100 * stats['detected'] / stats['faces']:.1f}%), framing map {stats['map']}; "
              f"train {int((~held).sum())}, val {int(held.sum())}", file=sys.stderr, flush=True)
    return out


if __name__ == "__main__":
    load_sources()
