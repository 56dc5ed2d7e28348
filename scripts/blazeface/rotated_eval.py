#!/usr/bin/env python3
"""The posed set upright and tilted, through `fercam eval --detect` with each detector (docs/detectors.md).

    .venv-ref/bin/python scripts/blazeface/rotated_eval.py [--angles 0 15 -15 25 -25 30 -30] [--json out.json]

Each photo of ../shared/data/expressions/taiwanese is turned about its centre by each angle (OpenCV, bilinear,
edges repeated) into .cache/rotated/ANGLE/ as PNG (never committed), then evaluated with Haar, BlazeFace with
and without levelled crops, and BlazeFace full range. Prints accuracy, macro-F1 and photos without a face; a
photo without a face counts as wrong, as in every fercam eval figure.
"""
import argparse
import json
import pathlib
import subprocess

import cv2

ROOT = pathlib.Path(__file__).resolve().parents[2]
POSED = ROOT.parent / "shared/data/expressions/taiwanese"
DETECTORS = {"haar": ["--detector", "haar"], "blazeface": ["--detector", "blazeface"],
             "blazeface --no-level": ["--detector", "blazeface", "--no-level"],
             "blazeface-full": ["--detector", "blazeface-full"]}


def rotated(angle: float, out: pathlib.Path) -> pathlib.Path:
    folder = out / f"{angle:+g}"
    if (folder / ".done").exists():
        return folder
    for path in sorted(POSED.glob("*/*.jpg")):
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        # OpenCV's angle is counter-clockwise on screen; fercam's roll is clockwise: a +15 photo has roll -15.
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        turned = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        target = folder / path.parent.name / (path.stem + ".png")
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), turned)
    (folder / ".done").touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--angles", type=float, nargs="+", default=[0, 15, -15, 25, -25, 30, -30])
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--fercam", default=str(ROOT / ".build/release/fercam"))
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / ".cache/rotated")
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    results = []
    print(f"{'detector':22} {'angle':>6} {'accuracy':>9} {'macro-F1':>9} {'no face':>8}")
    for angle in args.angles:
        folder = rotated(angle, args.out)
        for name in args.detectors:
            out = subprocess.run([args.fercam, "eval", str(folder), "--detect", "--json", "--precision", "fp32",
                                  *DETECTORS[name]], check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            results.append({"detector": name, "angle": angle, "accuracy": r["accuracy"], "macro_f1": r["macro_f1"],
                            "no_face": r["no_face"], "images": r["images"]})
            print(f"{name:22} {angle:+6g} {100 * r['accuracy']:8.2f}% {100 * r['macro_f1']:8.2f}% "
                  f"{r['no_face']:8d}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
