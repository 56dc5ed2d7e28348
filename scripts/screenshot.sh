#!/bin/bash
# Screenshot of the real fercam window under Xvfb, replaying shared face photographs.
#   scripts/screenshot.sh ../shared/data/faces docs/screenshot.png
#   MODEL=deep-emotion scripts/screenshot.sh ../shared/data/faces docs/screenshot-deep-emotion.png
set -euo pipefail
faces=${1:?faces folder}
out=${2:?output png}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# A 640x480 stream of photographs, one every half second.
ffmpeg -loglevel error -y -framerate 2 -start_number 1 -i "$faces/caltech1999/image_%04d.jpg" -frames:v 12 \
  -vf "scale=640:480:force_original_aspect_ratio=increase,crop=640:480" -pix_fmt yuv420p -f yuv4mpegpipe "$work/faces.y4m"

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 640x480x24 >/dev/null 2>&1 &
sleep 1
DISPLAY=$display .build/release/fercam --input "$work/faces.y4m" ${MODEL:+--model "$MODEL"} &
sleep ${SHOT_DELAY:-3.0}
DISPLAY=$display import -window root "$out"
echo "wrote $out"
