"""Golden rectangles from OpenCV 4.x's CascadeClassifier for the Swift parity tests.

    python scripts/reference/haar_golden.py --faces ../shared/data/faces \
        --gray-out .cache/faces-gray [--fixture Tests/FaceDetectionTests/Fixtures/haar_golden.json]

Always writes the gray images OpenCV saw (PGM, under --gray-out, an ignored folder), so
that the Swift detector is fed exactly the same pixels. With --fixture it also runs
detectMultiScale for every parameter set and writes the rectangles; the fixture keeps a
checksum of each gray image so that a test notices when the pixels differ.
"""
import argparse
import json
import pathlib
import sys

import cv2
import numpy as np

CASCADES = "/usr/share/opencv4/haarcascades"

# name, cascade, scaleFactor, minNeighbors, minSize, maxSize
PARAMETER_SETS = [
    ("opencv-defaults", "haarcascade_frontalface_default.xml", 1.1, 3, (0, 0), (0, 0)),
    ("raw-candidates", "haarcascade_frontalface_default.xml", 1.1, 0, (0, 0), (0, 0)),
    ("live", "haarcascade_frontalface_default.xml", 1.1, 5, (30, 30), (0, 0)),
    ("coarse", "haarcascade_frontalface_default.xml", 1.2, 5, (80, 80), (0, 0)),
    ("fine-bounded", "haarcascade_frontalface_default.xml", 1.05, 4, (40, 40), (200, 200)),
    ("alt2-trees", "haarcascade_frontalface_alt2.xml", 1.1, 3, (0, 0), (0, 0)),
]


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def write_pgm(path: pathlib.Path, gray: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(f"P5\n{gray.shape[1]} {gray.shape[0]}\n255\n".encode())
        f.write(gray.tobytes())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--faces", type=pathlib.Path, required=True)
    p.add_argument("--gray-out", type=pathlib.Path, required=True)
    p.add_argument("--fixture", type=pathlib.Path)
    args = p.parse_args()
    if not cv2.__version__.startswith("4."):
        sys.exit(f"haar_golden: needs OpenCV 4.x, found {cv2.__version__}")
    cv2.setNumThreads(1)
    images = sorted(q.relative_to(args.faces).as_posix() for q in args.faces.rglob("*.jpg"))
    if not images:
        sys.exit(f"haar_golden: no JPEG images under {args.faces}")
    grays, checksums = {}, {}
    for name in images:
        bgr = cv2.imread(str(args.faces / name), cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        grays[name] = gray
        checksums[name] = fnv1a64(gray.tobytes())
        write_pgm(args.gray_out / (name[:-4] + ".pgm"), gray)
    print(f"wrote {len(images)} gray images under {args.gray_out}", file=sys.stderr)
    if not args.fixture:
        return
    cases = []
    for name, cascade, scale, neighbours, min_size, max_size in PARAMETER_SETS:
        classifier = cv2.CascadeClassifier(f"{CASCADES}/{cascade}")
        results = {}
        for image in images:
            rects = classifier.detectMultiScale(grays[image], scaleFactor=scale, minNeighbors=neighbours,
                                                minSize=min_size, maxSize=max_size)
            results[image] = sorted([int(v) for v in r] for r in rects)
        total = sum(len(r) for r in results.values())
        print(f"{name}: {total} rectangles", file=sys.stderr)
        cases.append({"name": name, "cascade": cascade, "scaleFactor": scale, "minNeighbors": neighbours,
                      "minSize": list(min_size), "maxSize": list(max_size), "rects": results})
    fixture = {"opencv": cv2.__version__, "checksums": checksums, "cases": cases}
    args.fixture.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {args.fixture} ({args.fixture.stat().st_size // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
