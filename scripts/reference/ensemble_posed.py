"""Would an ensemble of the exported models be a teacher worth distilling into the default one? Its score on the
posed-photo dev set, against each model alone: ONNX Runtime, one pass, temperature-scaled probabilities averaged,
faces framed as `fercam eval --detect` frames them at the shipped margin (-0.15).

  .venv-train/bin/python scripts/reference/ensemble_posed.py
"""
from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import sys

import cv2
import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # run from the repository root
from crop_framing import CASCADES, CLASSES, crop, square  # noqa: E402

# The default model's export keeps its figures in assets/metrics.json; the seed systems' beside their weights.
MODELS = {
    "resnet-cbam": ("assets/fercam-resnet-cbam.onnx", "assets/metrics.json"),
    **{name: (f"assets/fercam-{name}.onnx", f"assets/fercam-{name}.metrics.json")
       for name in ("lbp-attention", "cnn-alstm", "deep-emotion", "manet")},
}


def devset_crops(root: pathlib.Path, margin: float):
    detector = cv2.CascadeClassifier(str(CASCADES / "haarcascade_frontalface_default.xml"))
    crops, labels, total = [], [], 0
    for index, name in enumerate(CLASSES):
        for path in sorted((root / name).glob("*.jpg")):
            total += 1
            gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
            boxes = detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3)
            if len(boxes) == 0:
                continue  # no face: counted wrong, as fercam counts it
            box = tuple(int(v) for v in max(boxes, key=lambda b: b[2] * b[3]))
            crops.append(crop(gray, square(box, margin)))
            labels.append(index)
    return np.stack(crops).astype(np.float32) / 255.0, np.asarray(labels), total


def probabilities(onnx_path: str, metrics_path: str, faces: np.ndarray) -> np.ndarray:
    meta = json.loads(pathlib.Path(metrics_path).read_text())
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = (faces - meta["mean"]) / meta["std"]
    logits = np.concatenate([session.run(None, {name: x[i:i + 64, None]})[0] for i in range(0, len(x), 64)])
    z = logits / meta["temperature"]
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devset", type=pathlib.Path, default=pathlib.Path("../shared/data/expressions/taiwanese"))
    parser.add_argument("--margin", type=float, default=-0.15)
    args = parser.parse_args()
    faces, labels, total = devset_crops(args.devset, args.margin)
    probs = {name: probabilities(*paths, faces) for name, paths in MODELS.items()}

    def report(name: str, p: np.ndarray) -> None:
        predicted = p.argmax(1)
        recall = [float((predicted[labels == c] == c).mean()) for c in range(len(CLASSES))]
        print(f"{name:42s} {100 * (predicted == labels).sum() / total:5.2f}%  recall "
              + " / ".join(f"{100 * r:.0f}" for r in recall))

    for name, p in probs.items():
        report(name, p)
    for size in (2, 3):
        for combo in itertools.combinations(["resnet-cbam", "manet", "lbp-attention", "cnn-alstm"], size):
            report(" + ".join(combo), sum(probs[c] for c in combo))
    report("all five", sum(probs.values()))


if __name__ == "__main__":
    main()
