#!/usr/bin/env python3
"""BlazeFace parity frames and fixtures: real photographs as 640x480 RGB, and what MediaPipe finds in them.

    python scripts/blazeface/reference.py --frames-out .cache/blazeface-frames            # frames only (OpenCV)
    python scripts/blazeface/reference.py --frames-out DIR --fixture Tests/.../blazeface-parity.json   # + MediaPipe

The frames are ../shared/data/faces photos (every dlib photo, every 20th Caltech one) and three frames of the crowd
clip, resized to 640x480 with OpenCV's INTER_AREA and written as binary PPM (the photos stay out of the repository;
`make test` writes the frames with this script and the reference venv's OpenCV). With --fixture, MediaPipe 0.10.14's
Python solution (`mp.solutions.face_detection`, model_selection 0 and 1, min_detection_confidence 0.5, in .venv-mp)
runs on each frame and its detections are written in pixels, with each frame's SHA-256 so that the Swift test knows
its input is the one MediaPipe saw.
"""
import argparse
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

import cv2
import numpy as np

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"
SIZE = (640, 480)
CROWD_FRAMES = (0, 50, 100)


def sources(shared: pathlib.Path) -> list[tuple[str, np.ndarray]]:
    """(name, RGB image at 640x480) for every parity frame."""
    faces = shared / "faces"
    paths = sorted((faces / "dlib").glob("*.jpg")) + sorted((faces / "caltech1999").glob("*.jpg"))[::20]
    frames = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise SystemExit(f"{path}: OpenCV cannot read it")
        frames.append((f"{path.parent.name}-{path.stem}", bgr))
    clip = shared / "video" / "walking-crowd-1080p.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        for index in CROWD_FRAMES:
            png = pathlib.Path(tmp) / f"{index}.png"
            subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-vf", f"select=eq(n\\,{index}),scale=960:540",
                            "-frames:v", "1", str(png)], check=True)
            frames.append((f"crowd-{index}", cv2.imread(str(png), cv2.IMREAD_COLOR)))
    return [(name, cv2.cvtColor(cv2.resize(bgr, SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
            for name, bgr in frames]


def write_ppm(path: pathlib.Path, rgb: np.ndarray) -> None:
    path.write_bytes(f"P6\n{rgb.shape[1]} {rgb.shape[0]}\n255\n".encode() + rgb.tobytes())


def detections(model_selection: int, rgb: np.ndarray) -> list[dict]:
    import mediapipe as mp
    with mp.solutions.face_detection.FaceDetection(model_selection=model_selection,
                                                   min_detection_confidence=0.5) as detector:
        result = detector.process(rgb)
    h, w = rgb.shape[:2]
    found = []
    for d in result.detections or []:
        box = d.location_data.relative_bounding_box
        found.append({"score": round(float(d.score[0]), 6),
                      "box": [round(v, 3) for v in (box.xmin * w, box.ymin * h, box.width * w, box.height * h)],
                      "keypoints": [[round(k.x * w, 3), round(k.y * h, 3)]
                                    for k in d.location_data.relative_keypoints]})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=pathlib.Path, default=SHARED)
    parser.add_argument("--frames-out", type=pathlib.Path, required=True)
    parser.add_argument("--fixture", type=pathlib.Path, help="run MediaPipe and write its detections here")
    args = parser.parse_args()
    args.frames_out.mkdir(parents=True, exist_ok=True)
    fixture = {"mediapipe": "0.10.14", "size": list(SIZE), "frames": []}
    for name, rgb in sources(args.shared):
        write_ppm(args.frames_out / f"{name}.ppm", rgb)
        entry = {"name": name, "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}
        if args.fixture:
            entry["blazeface"] = detections(0, rgb)
            entry["blazeface-full"] = detections(1, rgb)
        fixture["frames"].append(entry)
    print(f"wrote {len(fixture['frames'])} frames to {args.frames_out}", file=sys.stderr)
    if args.fixture:
        args.fixture.write_text(json.dumps(fixture, indent=1) + "\n")
        counts = {m: sum(len(f[m]) for f in fixture["frames"]) for m in ("blazeface", "blazeface-full")}
        print(f"wrote {args.fixture}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
