#!/bin/bash
# Screenshot of the real fercam window under Xvfb on the crowd clip (tracks, labels, the selected face's bars).
#   scripts/screenshot-crowd.sh ../shared/data/video/walking-crowd-1080p.mp4 docs/screenshot-crowd.png
set -euo pipefail
clip=${1:?video clip}
out=${2:?output png}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ffmpeg -loglevel error -y -i "$clip" -vf scale=960:540 -pix_fmt yuv420p -f yuv4mpegpipe "$work/crowd.y4m"
display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 960x540x24 >/dev/null 2>&1 &
sleep 1
DISPLAY=$display .build/release/fercam --input "$work/crowd.y4m" --min-size 30 &
sleep ${SHOT_DELAY:-3.2}
DISPLAY=$display /usr/bin/import -window root "$out"
echo "wrote $out"
