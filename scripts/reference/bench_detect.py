"""Side-by-side detector benchmark: OpenCV's detectMultiScale and `fercam bench detect`
on the same 640x480 gray frames with the same parameters, in one run.

    python scripts/reference/bench_detect.py --faces ../shared/data/faces --fercam .build/release/fercam

Frames: every shared face photograph, letterboxed into 640x480 and written as PGM
(under --frames, an ignored folder), so that both sides read identical pixels. Each
round times one OpenCV pass and one `fercam bench detect` run (the median of 3 passes);
rounds alternate, and the median of --repeats rounds is reported for each side. The
rectangle sets are compared too.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np

SETS = [  # scaleFactor, minNeighbors, minSize
    (1.1, 5, 30),
    (1.1, 3, 0),
    (1.2, 5, 80),
    (1.1, 5, 60),
]


def make_frames(faces: pathlib.Path, out: pathlib.Path, limit: int) -> list[np.ndarray]:
    out.mkdir(parents=True, exist_ok=True)
    frames = []
    for i, path in enumerate(sorted(faces.rglob("*.jpg"))[:limit]):
        gray = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)
        scale = min(640 / gray.shape[1], 480 / gray.shape[0])
        w, h = round(gray.shape[1] * scale), round(gray.shape[0] * scale)
        canvas = np.full((480, 640), 96, np.uint8)
        y0, x0 = (480 - h) // 2, (640 - w) // 2
        canvas[y0:y0 + h, x0:x0 + w] = cv2.resize(gray, (w, h), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(out / f"frame_{i:04d}.pgm"), canvas)
        frames.append(canvas)
    return frames


def opencv_pass(classifier, frames, params) -> tuple[float, list]:
    scale, neighbours, min_size = params
    start = time.perf_counter()
    found = [classifier.detectMultiScale(f, scaleFactor=scale, minNeighbors=neighbours, minSize=(min_size, min_size)) for f in frames]
    return (time.perf_counter() - start) * 1000 / len(frames), found


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--faces", type=pathlib.Path, required=True)
    p.add_argument("--fercam", required=True)
    p.add_argument("--frames", type=pathlib.Path, default=pathlib.Path(".cache/bench-frames"))
    p.add_argument("--count", type=int, default=24, help="frames to use")
    p.add_argument("--repeats", type=int, default=7, help="alternating rounds")
    p.add_argument("--json", type=pathlib.Path, help="also write the results here")
    args = p.parse_args()
    frames = make_frames(args.faces, args.frames, args.count)
    classifier = cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
    cores = os.cpu_count() or 1
    rows = []
    print(f"{len(frames)} frames 640x480, median of {args.repeats} alternating rounds, ms per frame", file=sys.stderr)
    print(f"| scale, neighbours, min | OpenCV 1 thread | fercam 1 thread | ratio | OpenCV {cores} threads | fercam {cores} threads | ratio "
          f"| fercam {cores} threads vs OpenCV 1 | same rects |")
    print("|---|---|---|---|---|---|---|---|---|")
    for params in SETS:
        result = {"params": params}
        for threads in (1, cores):
            cv2.setNumThreads(threads)
            cmd = [args.fercam, "bench", "detect", str(args.frames), "--repeats", "3", "--threads", str(threads),
                   "--scale-factor", str(params[0]), "--min-neighbors", str(params[1]), "--min-size", str(params[2])]
            # Rounds alternate between the two, so that a burst of load on this shared machine hits both sides.
            cv_times, our_times = [], []
            for _ in range(args.repeats):
                ms, found = opencv_pass(classifier, frames, params)
                cv_times.append(ms)
                ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                our_times.append(ours["median_ms_per_frame"])
            result[threads] = (statistics.median(cv_times), statistics.median(our_times))
            result["opencv_faces"] = sum(len(f) for f in found)
            result["fercam_faces"] = ours["faces"]
        # Rectangle sets, per frame, through `fercam detect --json`.
        cmd = [args.fercam, "detect", "--json", "--scale-factor", str(params[0]), "--min-neighbors", str(params[1]),
               "--min-size", str(params[2])] + [str(args.frames / f"frame_{i:04d}.pgm") for i in range(len(frames))]
        ours = [json.loads(line)["faces"] for line in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()]
        same = all(sorted(map(list, map(lambda r: [int(v) for v in r], f))) == sorted(o) for f, o in zip(found, ours))
        one, many = result[1], result[cores]
        print(f"| {params[0]}, {params[1]}, {params[2]} | {one[0]:.1f} | {one[1]:.1f} | {one[0] / one[1]:.1f}x "
              f"| {many[0]:.1f} | {many[1]:.1f} | {many[0] / many[1]:.1f}x | {one[0] / many[1]:.1f}x | {'yes' if same else 'NO'} |")
        rows.append({"scaleFactor": params[0], "minNeighbors": params[1], "minSize": params[2], "cores": cores,
                     "opencv_ms_1": one[0], "fercam_ms_1": one[1], "opencv_ms_all": many[0], "fercam_ms_all": many[1],
                     "identical": same})
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
