"""RAF-DB (train split) and ExpW beside FER2013: faces cropped the way fercam frames them at run time.

fercam crops a face from the Haar box its detector finds (OpenCV's frontal cascade, scale 1.1, 3 neighbours; the
Swift detector returns the same boxes), a square around the box centre widened by `--margin`. Training crops
RAF-DB and ExpW from that same box, so that what the model learns is what it will see:

- RAF-DB's faces are aligned 100x100 crops that the face fills, too tight for the cascade: each is padded by
  `RAF_PAD` of its side with repeated edges first (the padding `fercam eval --pad` applies).
- ExpW's crops carry context around the labelled box; the detection that overlaps that box best is the face.
- A face the cascade misses gets the dataset's box mapped to Haar framing: the median offset and scale between the
  two boxes on the faces it does find (`framing_map`).
- `framing="auto"` (`train.py --framing auto`) finds the faces with fercam's default detector chain instead, by
  running `fercam detect --detector auto`: BlazeFace first, whose boxes fercam already moves into Haar framing and
  whose crops it turns to level the eyes (the crop here is turned the same way, `levelled`), then Haar, then
  BlazeFace's full range. That is how `fercam eval --detect` and the live window frame faces by default.

Each face is stored at `STORE_SIZE` pixels around `STORE_MARGIN`, wider than any margin fercam uses, so that the
augmentation can jitter scale and shift around the detector's framing without running out of face
(`base_scale`). Validation sets are carved once with a fixed seed and written to training/splits/ as path lists,
which `fercam eval --list` reads, so that the Swift engine scores exactly the faces held out here.

`colour=True` keeps the crops in RGB (N x S x S x 3, cached apart) for the colour-input experiment
(`train.py --colour`); detection is the same either way.
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
    """One source's faces: crops N x STORE_SIZE x STORE_SIZE uint8 (x 3, RGB, for colour) around the Haar framing
    at STORE_MARGIN, labels, paths relative to the source root, and whether fercam's detector found the face."""
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


# How the training crops are framed: "haar", OpenCV's cascade (what fercam's Haar detector finds), or "auto",
# fercam's default detector chain (BlazeFace, then Haar, then BlazeFace full range) run by the Swift binary, each
# BlazeFace face in Haar framing and turned to level the eyes, as `fercam eval --detect` crops it.
FRAMINGS = ("haar", "auto")
FERCAM = pathlib.Path(__file__).resolve().parent.parent / ".build" / "release" / "fercam"


@dataclasses.dataclass
class Found:
    """A face a detector found: its box (x, y, w, h) in Haar framing and the roll its crop is turned by."""
    box: tuple[int, int, int, int]
    roll_deg: float = 0.0


def _haar_finder():
    import cv2
    cascade = cv2.CascadeClassifier(str(cascade_path()))

    def find(paths: list[pathlib.Path], images: list[np.ndarray]) -> list[list[Found]]:
        return [[Found(tuple(int(v) for v in d)) for d in
                 cascade.detectMultiScale(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), scaleFactor=1.1, minNeighbors=3)]
                for im in images]
    return find


def _fercam_finder(fercam: pathlib.Path = FERCAM, chunk: int = 2000):
    """`fercam detect --detector auto --json` over the images, as written at `paths`."""
    import json
    import subprocess
    if not fercam.exists():
        raise SystemExit(f"{fercam} is absent: `make build` first (framing auto runs fercam's detectors)")

    def find(paths: list[pathlib.Path], images: list[np.ndarray]) -> list[list[Found]]:
        found = []
        for start in range(0, len(paths), chunk):
            part = [str(p) for p in paths[start:start + chunk]]
            done = subprocess.run([str(fercam), "detect", "--detector", "auto", "--json", "--threads", "2", *part],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"fercam detect failed: {done.stderr.strip()}")
            for line in done.stdout.splitlines():
                record = json.loads(line)
                details = record.get("details") or [{}] * len(record["faces"])
                found.append([Found(tuple(int(v) for v in box), float(d.get("roll_deg", 0.0)))
                              for box, d in zip(record["faces"], details)])
        if len(found) != len(paths):
            raise SystemExit(f"fercam detect answered for {len(found)} of {len(paths)} images")
        return found
    return find


def _finder(framing: str):
    if framing not in FRAMINGS:
        raise SystemExit(f"framing {framing!r}: expected one of {', '.join(FRAMINGS)}")
    return _haar_finder() if framing == "haar" else _fercam_finder()


def levelled(gray: np.ndarray, face: Found) -> np.ndarray:
    """The image turned about the box centre by the face's roll (clockwise on screen), edges repeated: the
    crop fercam cuts at that angle, as an upright crop of this image."""
    if face.roll_deg == 0:
        return gray
    import cv2
    x, y, w, h = face.box
    # OpenCV's positive angle turns the picture anticlockwise on screen, which levels a clockwise eye line.
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), face.roll_deg, 1.0)
    return cv2.warpAffine(gray, matrix, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _read_rows(path: pathlib.Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def pixels(bgr: np.ndarray, colour: bool) -> np.ndarray:
    """What the crops are cut from: grey, as fercam reads faces, or RGB."""
    import cv2
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB if colour else cv2.COLOR_BGR2GRAY)


def load_rafdb(root: pathlib.Path, framing: str = "haar", scratch: pathlib.Path | None = None,
               colour: bool = False) -> tuple[SourceFaces, dict]:
    """RAF-DB train, padded and detected; the stats say how often the detector found the face. Framing auto
    writes the padded photographs to `scratch` for fercam to read."""
    import cv2
    rows = _read_rows(root / "labels.csv")
    images = []
    for row in rows:
        image = cv2.imread(str(root / row["path"]))
        pad = int(round(image.shape[0] * RAF_PAD))
        images.append(cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
    paths = [root / r["path"] for r in rows]
    if framing != "haar":
        paths = [scratch / f"{i}.png" for i in range(len(rows))]
        for path, image in zip(paths, images):
            cv2.imwrite(str(path), image)
    # The largest face, as `fercam eval --detect` classifies it.
    faces = [max(f, key=lambda d: d.box[2] * d.box[3]) if f else None for f in _finder(framing)(paths, images)]
    # The aligned crop is the dataset's box: the whole original image inside the padding.
    side = [im.shape[0] / (1 + 2 * RAF_PAD) for im in images]
    dataset_boxes = [(int(round(s * RAF_PAD)),) * 2 + (int(round(s)),) * 2 for s in side]
    return _crop_faces("rafdb", rows, [pixels(im, colour) for im in images], faces, dataset_boxes)


def _crop_faces(name: str, rows: list[dict], images, faces, dataset_boxes) -> tuple[SourceFaces, dict]:
    """Stored crops around each face's detector box (turned by its roll), or, where the detector missed it (None),
    around its dataset box mapped to the detector's framing by `framing_map` over the faces it found."""
    hit = np.asarray([f is not None for f in faces])
    mapping = framing_map(np.asarray(dataset_boxes)[hit], np.asarray([f.box for f in faces if f is not None]))
    crops = [store_crop(levelled(g, f), f.box) if f is not None else store_crop(g, apply_map(d, mapping))
             for g, f, d in zip(images, faces, dataset_boxes)]
    labels = np.asarray([CLASS_NAMES.index(r["label"]) for r in rows], np.int64)
    stats = {"faces": len(rows), "detected": int(hit.sum()), "map": [round(float(v), 4) for v in mapping]}
    return SourceFaces(name, np.stack(crops), labels, [r["path"] for r in rows], hit), stats


def load_expw(root: pathlib.Path, framing: str = "haar", colour: bool = False) -> tuple[SourceFaces, dict, list[str]]:
    """ExpW: the detection overlapping the labelled box best (IoU >= 0.3) is the face; the stats count the rest."""
    import cv2
    rows = _read_rows(root / "labels.csv")
    paths = [root / r["path"] for r in rows]
    images = [cv2.imread(str(p)) for p in paths]
    dataset_boxes = [tuple(int(row[k]) for k in "xywh") for row in rows]
    faces = []
    for labelled, found in zip(dataset_boxes, _finder(framing)(paths, images)):
        best = max(((iou(f.box, labelled), f) for f in found), default=(0.0, None), key=lambda t: t[0])
        faces.append(best[1] if best[0] >= 0.3 else None)
    result, stats = _crop_faces("expw", rows, [pixels(im, colour) for im in images], faces, dataset_boxes)
    return result, stats, [r["source_image"] for r in rows]


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


def load_sources(data: pathlib.Path = SHARED_DATA, names=("rafdb", "expw"), framing: str = "haar",
                 colour: bool = False) -> dict:
    """{name: (train SourceFaces, val SourceFaces, stats)}, decoded once per framing and cached; the val lists
    (the same faces whatever the framing) are (re)written to training/splits/NAME-val.txt."""
    import tempfile
    CACHE_DIR.mkdir(exist_ok=True)
    out = {}
    for name in names:
        root = data / name / ("train" if name == "rafdb" else "")
        # Haar keeps the cache name it had before framings were a choice.
        cache = CACHE_DIR / (f"{name}-faces{'' if framing == 'haar' else '-' + framing}"
                             f"{'-colour' if colour else ''}.npz")
        present = (root / "labels.csv").exists()
        if not present and not cache.exists():
            print(f"note: {root} is absent; training without {name}", file=sys.stderr)
            continue
        # Without the photographs (a lent GPU: `training.sweep unpack` carried the crops), the cache is all there is.
        if cache.exists() and (not present or str(np.load(cache)["root"]) == str(root.resolve())):
            if not present:
                print(f"{name}: {root} is absent; using the carried crops in {cache}", file=sys.stderr)
            stored = np.load(cache, allow_pickle=False)
            faces = SourceFaces(name, stored["images"], stored["labels"], [str(p) for p in stored["paths"]],
                                stored["detected"])
            val_index, stats = stored["val"], {"faces": len(faces.labels), "detected": int(faces.detected.sum()),
                                               "map": stored["map"].tolist()}
        else:
            print(f"{name}: detecting ({framing}) and cropping {root} (once; cached in {cache})", file=sys.stderr,
                  flush=True)
            if name == "rafdb":
                with tempfile.TemporaryDirectory(prefix="fercam-rafdb-") as scratch:
                    faces, stats = load_rafdb(root, framing, pathlib.Path(scratch), colour)
                val_index = rafdb_val_index(faces.labels)
            else:
                faces, stats, photos = load_expw(root, framing, colour)
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
    import argparse
    parser = argparse.ArgumentParser(description="Detect, crop and cache RAF-DB and ExpW (training does it too).")
    parser.add_argument("--framing", choices=FRAMINGS, default="haar")
    load_sources(framing=parser.parse_args().framing)
