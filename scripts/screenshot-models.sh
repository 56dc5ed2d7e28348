#!/bin/bash
# The attention view of each seed system, side by side: the real window under Xvfb for each model (as
# scripts/screenshot.sh), cropped to the face and tiled with the model's name.
#   scripts/screenshot-models.sh ../shared/data/faces docs/screenshot-models.png
set -euo pipefail
faces=${1:?faces folder}
out=${2:?output png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tiles=()
for model in lbp-attention cnn-alstm deep-emotion manet; do
  MODEL=$model "$(dirname "$0")/screenshot.sh" "$faces" "docs/screenshot-$model.png" >/dev/null
  /usr/bin/convert "docs/screenshot-$model.png" -crop 272x290+168+100 +repage "$work/$model.png"
  tiles+=(-label "$model" "$work/$model.png")
done
montage -font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf "${tiles[@]}" -tile 4x1 -geometry +4+4 -pointsize 18 "$out"
echo "wrote $out"
