#!/usr/bin/env bash
# Fills assets/MODEL.md from its template and the exported figures (run after `make export`).
set -euo pipefail
cd "$(dirname "$0")/.."
figures=$(.venv-train/bin/python -m training.model_card)
python3 - "$figures" <<'PY'
import sys, pathlib
template = pathlib.Path("assets/MODEL.md.in").read_text()
pathlib.Path("assets/MODEL.md").write_text(template.replace("@FIGURES@", sys.argv[1]))
PY
