#!/usr/bin/env python3
"""BlazeFace speed: fercam against MediaPipe's own Python pipeline, one core each, in the same run.

    .venv-mp/bin/python scripts/blazeface/bench.py [--frames .cache/blazeface-frames] [--repeats 7]

Both run pinned to CPU 0 (`taskset -c 0`): MediaPipe 0.10.14's `mp.solutions.face_detection.process` (image to
tensor, TFLite with XNNPACK, decoding, suppression), and `fercam bench detect --detector MODEL` (letterbox from the
RGB frame, oneDNN, decoding, suppression). The frames are the 640x480 parity frames. Each pass times every frame
once; the median pass is reported, in ms a frame.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def mediapipe_ms(frames: list, model_selection: int, repeats: int) -> float:
    import mediapipe as mp
    passes = []
    with mp.solutions.face_detection.FaceDetection(model_selection=model_selection,
                                                   min_detection_confidence=0.5) as detector:
        for frame in frames[:3]:
            detector.process(frame)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            for frame in frames:
                detector.process(frame)
            passes.append((time.perf_counter() - start) * 1000 / len(frames))
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=pathlib.Path, default=ROOT / ".cache/blazeface-frames")
    parser.add_argument("--fercam", default=str(ROOT / ".build/release/fercam"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=pathlib.Path)
    parser.add_argument("--pinned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.pinned:  # re-run on one core
        os.execvp("taskset", ["taskset", "-c", "0", sys.executable, *sys.argv, "--pinned"])
    import cv2
    frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in sorted(args.frames.glob("*.ppm"))]
    results = []
    for selection, model in enumerate(("blazeface", "blazeface-full")):
        theirs = mediapipe_ms(frames, selection, args.repeats)
        out = subprocess.run([args.fercam, "bench", "detect", str(args.frames), "--detector", model, "--repeats",
                              str(args.repeats)], check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)["median_ms_per_frame"]
        results.append({"model": model, "frames": len(frames), "fercam_ms": ours, "mediapipe_ms": round(theirs, 3),
                        "speedup": round(theirs / ours, 2)})
        print(f"{model:15} 640x480, one core: fercam {ours:.3f} ms a frame, MediaPipe {theirs:.3f} ms "
              f"({theirs / ours:.2f}x)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
