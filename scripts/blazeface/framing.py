#!/usr/bin/env python3
"""How BlazeFace's box relates to the Haar box on the same upright face: the offset and scale fercam applies so
that a BlazeFace face is cropped the way the expression model was trained (Pipeline/FaceFinder.swift).

    python3 scripts/blazeface/framing.py [--fercam .build/release/fercam] [--faces ../shared/data/faces/caltech1999]

Runs `fercam detect --json` with Haar (OpenCV's defaults) and with each BlazeFace model (--no-level, so that the
box is the detector's own, mapped with the constants in use), pairs the largest face of each photo where both
find one with IoU >= 0.3, and prints the median centre offset (in BlazeFace box sides) and side ratio. Run it with
the constants at 0 offset and scale 1 to measure them from scratch.
"""
import argparse
import json
import pathlib
import statistics
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def detect(fercam: str, faces: pathlib.Path, detector: str) -> dict:
    args = [fercam, "detect", str(faces), "--recursive", "--json", "--detector", detector, "--min-neighbors", "3",
            "--min-size", "0", "--no-level"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        record = json.loads(line)
        if record["faces"]:
            found[record["image"]] = max(record["faces"], key=lambda b: b[2] * b[3])
    return found


def iou(a, b) -> float:
    w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fercam", default=str(ROOT / ".build/release/fercam"))
    parser.add_argument("--faces", type=pathlib.Path, default=ROOT.parent / "shared/data/faces/caltech1999")
    args = parser.parse_args()
    haar = detect(args.fercam, args.faces, "haar")
    for model in ("blazeface", "blazeface-full"):
        blaze = detect(args.fercam, args.faces, model)
        pairs = [(haar[p], blaze[p]) for p in haar if p in blaze and iou(haar[p], blaze[p]) >= 0.3]
        dx = statistics.median((h[0] + h[2] / 2 - b[0] - b[2] / 2) / b[2] for h, b in pairs)
        dy = statistics.median((h[1] + h[3] / 2 - b[1] - b[3] / 2) / b[2] for h, b in pairs)
        scale = statistics.median(h[2] / b[2] for h, b in pairs)
        agree = statistics.median(iou(h, b) for h, b in pairs)
        print(f"{model}: {len(pairs)} faces paired (Haar found {len(haar)}, {model} {len(blaze)}); median centre "
              f"offset ({dx:+.4f}, {dy:+.4f}) sides, side ratio Haar/{model} {scale:.4f}, median IoU {agree:.3f}")


if __name__ == "__main__":
    main()
