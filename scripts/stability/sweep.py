"""Measures label stability and smoothing delay for several smoothing time constants (docs/tracking.md).

Runs `fercam stability` on the crowd clip and on every still clip of make_clips.py, and `fercam --stdout` on
the sequence clips to time how long the shown label takes to follow a real change of expression.
Usage: python3 scripts/stability/sweep.py CLIPS_DIR [--crowd crowd.y4m] [--fercam .build/release/fercam]
       [--compare 0 0.25 0.5 1] [fercam flags, e.g. --switch-margin 0.2]
"""
import argparse
import csv
import json
import pathlib
import statistics
import subprocess


def stability(fercam, clip, compare, extra, expect=None, detector=()):
    cmd = [fercam, "stability", str(clip), "--json", "--compare", *map(str, compare), *detector, *extra]
    if expect:
        cmd += ["--expect", expect]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def sequence_delays(fercam, clip, expected, seconds, extra, fps=25, segment=50):
    """Per change of photograph: seconds until the shown label settles on what the model says there
    (the raw majority of the segment's second half), and the share of frames showing the true class."""
    cmd = [fercam, "--input", str(clip), "--stdout", "--no-timings", "--smoothing", str(seconds), *extra]
    lines = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    shown, raw = [], []
    for line in lines:
        faces = json.loads(line)["faces"]
        face = max(faces, key=lambda f: f["box"][2], default=None)
        shown.append(face["label"] if face else None)
        raw.append(face["raw"]["label"] if face else None)
    delays, correct = [], 0
    for s, truth in enumerate(expected):
        part_shown, part_raw = shown[s * segment:(s + 1) * segment], raw[s * segment:(s + 1) * segment]
        correct += sum(label == truth for label in part_shown)
        if s == 0:
            continue
        steady = [r for r in part_raw[segment // 2:] if r]
        if not steady:
            continue
        target = max(set(steady), key=steady.count)
        previous = [r for r in raw[(s - 1) * segment + segment // 2:s * segment] if r]
        if previous and max(set(previous), key=previous.count) == target:
            continue  # the model saw no change here
        settle = next((i for i in range(len(part_shown)) if all(x == target for x in part_shown[i:])), len(part_shown))
        delays.append(settle / fps)
    return delays, correct / max(1, len(shown))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("clips", type=pathlib.Path)
    p.add_argument("--crowd", type=pathlib.Path)
    p.add_argument("--fercam", default=".build/release/fercam")
    p.add_argument("--compare", type=float, nargs="+", default=[0, 0.1, 0.25, 0.5, 0.75, 1.0])
    a, a.extra = p.parse_known_args()  # unknown flags go to every fercam run
    rows = list(csv.DictReader(open(a.clips / "clips.csv")))
    table = {c: {} for c in a.compare}
    if a.crowd:
        for r in stability(a.fercam, a.crowd, a.compare, a.extra, detector=["--min-size", "30"]):
            table[r["smoothing_s"]]["crowd"] = r
    stills = [r for r in rows if r["kind"] == "still"]
    for row in stills:
        for r in stability(a.fercam, a.clips / row["clip"], a.compare, a.extra, expect=row["expected"]):
            table[r["smoothing_s"]].setdefault("stills", []).append(r)
    for c in a.compare:
        for row in (r for r in rows if r["kind"] == "sequence"):
            delays, accuracy = sequence_delays(a.fercam, a.clips / row["clip"], row["expected"].split(), c, a.extra)
            table[c].setdefault("delays", []).extend(delays)
            table[c].setdefault("sequence_accuracy", []).append(accuracy)
    print("| smoothing | crowd switches/s | crowd off-majority | crowd uncertain | stills switches/s | stills off-majority "
          "| stills showing their class | sequence delay, median (max) | sequence frames showing the true class |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in a.compare:
        t = table[c]
        crowd = t.get("crowd")
        stills_s = t.get("stills", [])
        frames = sum(s["frames"] for s in stills_s) or 1
        seconds = sum(s["track_seconds"] for s in stills_s) or 1
        switches = sum(s["switches"] for s in stills_s)
        off = sum(s["off_majority"] * s["frames"] for s in stills_s) / frames
        shows = sum(s["shows_expected"] * s["frames"] for s in stills_s) / frames
        delays = t.get("delays", [])
        cells = [f"{c:g} s"]
        cells += [f"{crowd['switches_per_s']:.2f}", f"{100 * crowd['off_majority']:.1f}%", f"{100 * crowd['uncertain']:.1f}%"] \
            if crowd else ["", "", ""]
        cells += [f"{switches / seconds:.2f}", f"{100 * off:.1f}%", f"{100 * shows:.1f}%"]
        cells += [f"{statistics.median(delays):.2f} s ({max(delays):.2f} s)" if delays else "",
                  f"{100 * statistics.mean(t.get('sequence_accuracy', [0])):.1f}%"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
