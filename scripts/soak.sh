#!/usr/bin/env bash
# Soak test: SOAK_SECONDS (default 3600) of synthetic 640x480 video at 30 fps, a face photograph moving
# over a test pattern, replayed headless through the whole pipeline (detector and expression model) at
# full speed. Resident memory of fercam is sampled every 2 s; the run fails if it grows by more than
# 16 MB between the second tenth of the run and the end, or if fercam does not emit one line per frame.
# Usage: scripts/soak.sh [FACE_IMAGE]   Environment: SOAK_SECONDS, FERCAM (default .build/release/fercam).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SOAK_SECONDS:-3600}
fercam=${FERCAM:-.build/release/fercam}
face=${1:-../shared/data/faces/caltech1999/image_0001.jpg}
work=.cache/soak
mkdir -p "$work"
frames=$((seconds * 30))

# The face slides across a moving test pattern, so every frame differs and the detector finds it.
ffmpeg -loglevel error -f lavfi -i "testsrc2=size=640x480:rate=30,format=gray" -loop 1 -i "$face" \
  -filter_complex "[1:v]scale=200:-1,format=gray[f];[0:v][f]overlay=x='220+100*sin(t/3)':y=100:shortest=0,format=yuv420p" \
  -frames:v "$frames" -f yuv4mpegpipe - 2>"$work/ffmpeg.log" \
  | "$fercam" --input - --stdout >"$work/out.jsonl" 2>"$work/fercam.log" &
pipeline=$!
sleep 1
pid=$(pgrep -n -f "^$fercam --input - --stdout" || true)
[ -n "$pid" ] || { echo "soak: fercam did not start" >&2; cat "$work/fercam.log" >&2; exit 1; }

: >"$work/rss.tsv"
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && printf '%s\t%s\t%s\n' "$SECONDS" "$(wc -l <"$work/out.jsonl")" "$rss" >>"$work/rss.tsv"
  sleep 2
done
wait $pipeline || { echo "soak: the pipeline failed" >&2; tail -3 "$work/fercam.log" "$work/ffmpeg.log" >&2; exit 1; }

lines=$(wc -l <"$work/out.jsonl")
faces=$(grep -c '"label"' "$work/out.jsonl" || true)
python3 - "$work/rss.tsv" "$lines" "$frames" "$faces" <<'PY'
import sys
rows = [tuple(map(int, line.split("\t"))) for line in open(sys.argv[1]) if line.strip()]
lines, frames, faces = map(int, sys.argv[2:5])
if len(rows) < 5:
    sys.exit(f"soak: only {len(rows)} memory samples; run longer")
# Baseline: the second tenth of the run, after the model's and the detector's buffers have settled.
early = max(r[2] for r in rows[len(rows) // 10: max(len(rows) // 10 + 1, len(rows) // 5)])
late = rows[-1][2]
peak = max(r[2] for r in rows)
wall = rows[-1][0] - rows[0][0]
print(f"soak: {lines} of {frames} frames in {wall} s ({lines / max(wall, 1):.0f} fps), frames with a labelled face: {faces}; "
      f"RSS second tenth {early / 1024:.1f} MB, end {late / 1024:.1f} MB, peak {peak / 1024:.1f} MB")
if lines != frames:
    sys.exit(f"soak: {lines} JSON lines for {frames} frames")
if late - early > 16 * 1024:
    sys.exit(f"soak: resident memory grew by {(late - early) / 1024:.1f} MB")
PY
