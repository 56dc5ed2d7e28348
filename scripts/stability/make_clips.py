"""Writes the Y4M clips that measure label stability (docs/tracking.md), from the posed photographs.

- still-<class>-<file>.y4m: one photograph held for 4 s at 25 fps, moved as a hand-held camera would move it
  (a slow random walk of a few pixels, a slow 4% zoom, sensor noise): the face never changes, so every label
  switch is flicker.
- sequence-<performer>.y4m: one performer's seven expressions, 2 s each, with the same motion: label changes
  are real, and the delay before the shown label follows them is the cost of smoothing.

Usage: .venv-train/bin/python scripts/stability/make_clips.py [--data ../shared/data/expressions/taiwanese] OUT
Writes OUT/clips.csv (clip,kind,expected labels in order). Deterministic (fixed seeds).
"""
import argparse
import csv
import pathlib

import numpy as np
from PIL import Image

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
WIDTH, HEIGHT, FPS = 640, 480, 25


def frames_of(photo: Image.Image, count: int, rng: np.random.Generator, start: int = 0):
    """The photograph at 1.5x on a grey canvas, per frame shifted, zoomed and noised."""
    base = photo.convert("RGB")
    side = int(base.width * 1.5)
    shift = np.zeros(2)
    for i in range(count):
        t = (start + i) / FPS
        shift = np.clip(shift + rng.normal(0, 0.8, 2), -6, 6)
        scale = 1 + 0.04 * np.sin(2 * np.pi * t / 3.0)
        size = int(side * scale)
        img = base.resize((size, size), Image.BILINEAR)
        canvas = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128))
        canvas.paste(img, (int((WIDTH - size) / 2 + shift[0]), int((HEIGHT - size) / 2 + shift[1])))
        ycc = np.asarray(canvas.convert("YCbCr")).astype(np.float32)
        ycc[..., 0] += rng.normal(0, 3, ycc.shape[:2])
        ycc = np.clip(ycc, 0, 255).astype(np.uint8)
        y = ycc[..., 0]
        cb = np.asarray(Image.fromarray(ycc[..., 1]).resize((WIDTH // 2, HEIGHT // 2), Image.BILINEAR))
        cr = np.asarray(Image.fromarray(ycc[..., 2]).resize((WIDTH // 2, HEIGHT // 2), Image.BILINEAR))
        yield y.tobytes() + cb.tobytes() + cr.tobytes()


def write_clip(path: pathlib.Path, segments, rng):
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        start = 0
        for photo, count in segments:
            for frame in frames_of(photo, count, rng, start):
                out.write(b"FRAME\n" + frame)
            start += count


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=pathlib.Path)
    p.add_argument("--data", type=pathlib.Path, default=pathlib.Path("../shared/data/expressions/taiwanese"))
    p.add_argument("--stills-per-class", type=int, default=2)
    p.add_argument("--performers", type=int, default=4, help="sequence clips (performers with all seven classes)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader(open(args.data / "labels.csv")))
    rng = np.random.default_rng(0)
    listing = []
    # Stills: the first photographs of each class from different performers.
    for label in CLASSES:
        seen = set()
        for row in rows:
            if row["label"] != label or row["performer"] in seen:
                continue
            seen.add(row["performer"])
            name = f"still-{label}-{pathlib.Path(row['path']).stem}.y4m"
            write_clip(args.out / name, [(Image.open(args.data / row["path"]), 4 * FPS)], rng)
            listing.append((name, "still", label))
            if len(seen) == args.stills_per_class:
                break
    # Sequences: performers with a photograph of every class, one of each, 2 s apiece.
    by_performer = {}
    for row in rows:
        by_performer.setdefault(row["performer"], {}).setdefault(row["label"], row["path"])
    complete = [k for k in sorted(by_performer) if len(by_performer[k]) == len(CLASSES)][: args.performers]
    for performer in complete:
        order = ["neutral", "happy", "neutral", "surprise", "sad", "angry", "fear", "disgust"]
        segments = [(Image.open(args.data / by_performer[performer][c]), 2 * FPS) for c in order]
        name = f"sequence-{performer}.y4m"
        write_clip(args.out / name, segments, rng)
        listing.append((name, "sequence", " ".join(order)))
    with open(args.out / "clips.csv", "w", newline="") as f:
        csv.writer(f).writerows([("clip", "kind", "expected"), *listing])
    print(f"{len(listing)} clips in {args.out}")


if __name__ == "__main__":
    main()
