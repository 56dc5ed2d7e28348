"""Which framing of a detector box suits the model on real photographs? Measurements for docs/expression-model.md.

Scores an exported model (ONNX, one pass) on the posed-photo dev set, as `fercam eval --detect` frames it (largest
frontal-cascade box, a square widened by `--margin`, area-resampled to 48x48), against the same crops moved up or
down by a share of their side (`--shifts`), and taken after rotating the photo about the face centre so that the
two eyes found by OpenCV's eye cascade inside the box are level, and optionally re-centred on the eyes. Python and OpenCV, so the absolute figures differ slightly from
fercam's own; the differences between framings are the result.

  .venv-train/bin/python scripts/reference/crop_framing.py --model assets/fercam-resnet-cbam.onnx \
      --metrics assets/metrics.json [--tilt 10] [--shifts -0.1 -0.05 0.05 0.1]
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib

import cv2
import numpy as np
import onnxruntime as ort

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
CASCADES = pathlib.Path("/usr/share/opencv4/haarcascades")


def square(box, margin, centre=None, shift=0.0):
    """fercam's crop region; `shift` moves it down by that share of its side (negative: up)."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = centre if centre else (x + w / 2, y + h / 2)
    return cx - side / 2, cy - side / 2 + shift * side, side


def crop(gray, region, size=48):
    x0, y0, side = region
    pad = int(side) + 2
    padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    left, top, s = int(round(x0)) + pad, int(round(y0)) + pad, max(1, int(round(side)))
    return cv2.resize(padded[top:top + s, left:left + s], (size, size), interpolation=cv2.INTER_AREA)


def find_eyes(gray, box, eye_cascade):
    """The two eye detections in the upper half of the face box, one each side of its centre line, or None."""
    x, y, w, h = box
    upper = gray[y:y + h // 2 + h // 10, x:x + w]
    eyes = eye_cascade.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=3, minSize=(w // 10, w // 10),
                                        maxSize=(w // 2, w // 2))
    centres = [(x + ex + ew / 2, y + ey + eh / 2, ew * eh) for ex, ey, ew, eh in eyes]
    left = [c for c in centres if c[0] < x + w / 2]
    right = [c for c in centres if c[0] >= x + w / 2]
    if not left or not right:
        return None
    a, b = max(left, key=lambda c: c[2]), max(right, key=lambda c: c[2])
    return (a[0], a[1]), (b[0], b[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--metrics", required=True, help="the export's metrics JSON (mean, std)")
    parser.add_argument("--devset", default="../shared/data/expressions/taiwanese")
    parser.add_argument("--margins", type=float, nargs="+", default=[-0.1, -0.15])
    parser.add_argument("--tilt", type=float, default=0,
                        help="rotate every photo by this many degrees first (alternately each way): a tilted head")
    parser.add_argument("--max-angle", type=float, default=20, help="eye angles beyond this are detection errors")
    parser.add_argument("--flip", action="store_true",
                        help="also score every framing with flip averaging (the crop and its mirror image)")
    parser.add_argument("--shifts", type=float, nargs="*", default=[],
                        help="vertical offsets of the crop to score too, as shares of its side (positive: down)")
    args = parser.parse_args()
    meta = json.loads(pathlib.Path(args.metrics).read_text())
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    faces = cv2.CascadeClassifier(str(CASCADES / "haarcascade_frontalface_default.xml"))
    eye_cascade = cv2.CascadeClassifier(str(CASCADES / "haarcascade_eye.xml"))

    framings = [f"box {m:+.2f}" for m in args.margins] + [f"levelled {m:+.2f}" for m in args.margins] + \
        [f"levelled, eye-centred {m:+.2f}" for m in args.margins] + \
        [f"box {m:+.2f}, shifted {d:+.2f}" for m in args.margins for d in args.shifts]
    crops = {f: [] for f in framings}
    labels, total, missed, with_eyes, angles = [], 0, 0, 0, []
    for index, name in enumerate(CLASSES):
        for path in sorted((pathlib.Path(args.devset) / name).glob("*.jpg")):
            total += 1
            gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
            if args.tilt:
                h, w = gray.shape
                tilt = cv2.getRotationMatrix2D((w / 2, h / 2), args.tilt if total % 2 else -args.tilt, 1.0)
                gray = cv2.warpAffine(gray, tilt, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            boxes = faces.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3)
            if len(boxes) == 0:
                missed += 1
                continue
            box = tuple(int(v) for v in max(boxes, key=lambda b: b[2] * b[3]))
            eyes = find_eyes(gray, box, eye_cascade)
            angle = 0.0
            if eyes:
                (lx, ly), (rx, ry) = eyes
                angle = math.degrees(math.atan2(ry - ly, rx - lx))
                if abs(angle) > args.max_angle:
                    eyes, angle = None, 0.0
            with_eyes += eyes is not None
            angles.append(angle)
            cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
            rotation = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
            levelled = cv2.warpAffine(gray, rotation, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
            # Eye-centred: the eyes' midpoint at the box's mean eye position (35% down the box, centred).
            centre = None
            if eyes:
                mx, my = (eyes[0][0] + eyes[1][0]) / 2, (eyes[0][1] + eyes[1][1]) / 2
                mx, my = rotation @ np.array([mx, my, 1.0])
                centre = (mx, my + (0.5 - 0.35) * box[3])
            for m in args.margins:
                crops[f"box {m:+.2f}"].append(crop(gray, square(box, m)))
                crops[f"levelled {m:+.2f}"].append(crop(levelled, square(box, m)))
                crops[f"levelled, eye-centred {m:+.2f}"].append(crop(levelled, square(box, m, centre)))
                for d in args.shifts:
                    crops[f"box {m:+.2f}, shifted {d:+.2f}"].append(crop(gray, square(box, m, shift=d)))
            labels.append(index)
    labels = np.asarray(labels)
    print(f"{total} photos, {missed} without a face (counted wrong), eyes found in {with_eyes} "
          f"({100 * with_eyes / (total - missed):.1f}%), median |angle| {np.median(np.abs(angles)):.1f} deg")
    def probabilities(x):
        logits = np.concatenate([session.run(None, {input_name: x[i:i + 64, None]})[0] for i in range(0, len(x), 64)])
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    for framing in framings:
        x = (np.stack(crops[framing]).astype(np.float32) / 255.0 - meta["mean"]) / meta["std"]
        scored = [(framing, probabilities(x))]
        if args.flip:
            scored.append((f"{framing}, flip-averaged", (scored[0][1] + probabilities(x[:, :, ::-1].copy())) / 2))
        for name, p in scored:
            predicted = p.argmax(1)
            recall = [float((predicted[labels == c] == c).mean()) for c in range(len(CLASSES))]
            accuracy = float((predicted == labels).sum()) / total
            print(f"{name:32s} accuracy {100 * accuracy:5.2f}%  recall " + " / ".join(f"{100 * r:.0f}" for r in recall))


if __name__ == "__main__":
    main()
