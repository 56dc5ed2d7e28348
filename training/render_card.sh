#!/usr/bin/env bash
# Fills assets/MODEL.md from its template and the exported figures (run after `make export`).
set -euo pipefail
cd "$(dirname "$0")/.."
figures=$(.venv-train/bin/python -m training.model_card)
python3 - "$figures" <<'PY'
import sys, pathlib
import json
template = pathlib.Path("assets/MODEL.md.in").read_text()
log = pathlib.Path("training/runs/main/log.jsonl")
seconds = sum(json.loads(line)["seconds"] for line in log.read_text().splitlines()) if log.exists() else float("nan")
text = template.replace("@FIGURES@", sys.argv[1]).replace("@HOURS@", f"{seconds / 3600:.1f}")
pathlib.Path("assets/MODEL.md").write_text(text)
PY
