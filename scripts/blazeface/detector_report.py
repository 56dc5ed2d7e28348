#!/usr/bin/env python3
"""Haar against both BlazeFace models on annotated photos and on the crowd clip (docs/detectors.md).

    python3 scripts/blazeface/detector_report.py [--fercam .build/release/fercam]

1. Recall and precision at IoU 0.5 on ../shared/data/faces/dlib/boxes.csv (43 boxes in 9 photos; boxes marked
   ignore neither count as misses nor make a detection a false positive). Every detector runs with no size limit,
   Haar with OpenCV's defaults (scale 1.1, 3 neighbours). BlazeFace boxes are mapped to Haar framing, as fercam
   crops them.
2. Faces found per frame on the crowd clip at 960x540 (ffmpeg-decoded, all 105 frames), with each detector's video
   defaults and, for Haar, with --min-size 30.
"""
import argparse
import csv
import json
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared/data"


def iou(a, b) -> float:
    w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


def photo_scores(fercam: str, detector: str) -> dict:
    truth = {}
    with open(SHARED / "faces/dlib/boxes.csv") as f:
        for row in csv.DictReader(f):
            truth.setdefault(row["image"], []).append(
                ([int(row[k]) for k in ("x", "y", "w", "h")], row["ignore"] not in ("0", "", "false", "False")))
    images = [str(SHARED / "faces/dlib" / name) for name in sorted(truth)]
    out = subprocess.run([fercam, "detect", *images, "--json", "--detector", detector, "--min-size", "0",
                          "--min-neighbors", "3"], check=True, capture_output=True, text=True).stdout
    hits = misses = false = 0
    for line in out.splitlines():
        record = json.loads(line)
        boxes = truth[pathlib.Path(record["image"]).name]
        used = set()
        for d in sorted(record["faces"], key=lambda b: -b[2] * b[3]):
            best = max(range(len(boxes)), key=lambda i: -1 if i in used else iou(d, boxes[i][0]), default=None)
            if best is not None and best not in used and iou(d, boxes[best][0]) >= 0.5:
                used.add(best)
                hits += not boxes[best][1]
            elif not any(ignore and iou(d, box) >= 0.5 for box, ignore in boxes):
                false += 1
        misses += sum(1 for i, (_, ignore) in enumerate(boxes) if not ignore and i not in used)
    return {"found": hits, "missed": misses, "false": false, "recall": hits / max(1, hits + misses),
            "precision": hits / max(1, hits + false)}


def crowd_counts(fercam: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        clip = pathlib.Path(tmp) / "crowd.y4m"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(SHARED / "video/walking-crowd-1080p.mp4"), "-vf",
                        "scale=960:540", "-f", "yuv4mpegpipe", str(clip)], check=True)
        out = subprocess.run([fercam, "--input", str(clip), "--stdout", "--no-expressions", *extra], check=True,
                             capture_output=True, text=True).stdout
    counts = [len(json.loads(line)["faces"]) for line in out.splitlines() if line.startswith("{")]
    return {"frames": len(counts), "mean_faces": sum(counts) / max(1, len(counts)),
            "frames_without_face": sum(1 for c in counts if c == 0), "most": max(counts, default=0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fercam", default=str(ROOT / ".build/release/fercam"))
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    report = {"photos": {}, "crowd": {}}
    for detector in ("haar", "blazeface", "blazeface-full"):
        s = report["photos"][detector] = photo_scores(args.fercam, detector)
        print(f"dlib photos, {detector:15}: recall {100 * s['recall']:.1f}% ({s['found']} of "
              f"{s['found'] + s['missed']}), precision {100 * s['precision']:.1f}% ({s['false']} false)")
    for name, extra in (("haar", []), ("haar --min-size 30", ["--min-size", "30"]),
                        ("blazeface", ["--detector", "blazeface"]),
                        ("blazeface-full", ["--detector", "blazeface-full"])):
        c = report["crowd"][name] = crowd_counts(args.fercam, extra)
        print(f"crowd clip 960x540, {name:19}: {c['mean_faces']:.2f} faces a frame (most {c['most']}), "
              f"{c['frames_without_face']} of {c['frames']} frames without a face")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
