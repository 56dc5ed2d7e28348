"""Render assets/MODEL.md from its template, the export's figures and fercam's own evaluations.

    python -m training.model_card

Reads assets/MODEL.md.in, assets/metrics.json (training/export.py), assets/eval-val.json and
assets/fercam-resnet-cbam.posed.json (`fercam eval ... --json`, written by `make export`) and the training log,
and fills @FIGURES@, @POSED@, @LOG@ and @HOURS@.
"""
from __future__ import annotations

import argparse
import json
import pathlib

from .export import RUN_LOGS
from .model import CLASS_NAMES

ROOT = pathlib.Path(__file__).resolve().parent.parent


def confusion_table(confusion: list[list[int]], recall: dict, missed: list[int] | None = None) -> str:
    head = "| true \\ predicted | " + " | ".join(CLASS_NAMES) + (" | no face" if missed else "") + " | recall |"
    lines = [head, "|---" * (len(CLASS_NAMES) + 2 + (1 if missed else 0)) + "|"]
    for i, (name, row) in enumerate(zip(CLASS_NAMES, confusion)):
        extra = f" | {missed[i]}" if missed else ""
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + extra + f" | {recall[name]:.1%} |")
    return "\n".join(lines)


def figures(summary: dict, swift: dict | None) -> str:
    val = summary["val"]
    out = [
        f"- parameters: {summary['parameters']:,}; multiply-accumulates per face: {summary['macs'] / 1e6:.1f} M",
        f"- checkpoint epoch: {summary['checkpoint_epoch']}; temperature {summary['temperature']:.2f} (fitted on val, "
        f"{'FER2013' if summary.get('temperature_fitted_on') == 'fer2013' else 'FER+'} labels)",
        f"- val against FER2013 labels ({val['plain']['images']} faces): accuracy **{val['plain']['accuracy']:.2%}**, "
        f"macro-F1 {val['plain']['macro_f1']:.3f}, ECE {val['plain']['ece']:.3f} "
        f"(before temperature scaling {val['raw']['fer2013']['ece']:.3f})",
        f"- val against FER+ majority labels ({val['ferplus']['images']} faces): accuracy **{val['ferplus']['accuracy']:.2%}**, "
        f"macro-F1 {val['ferplus']['macro_f1']:.3f}, ECE {val['ferplus']['ece']:.3f} "
        f"(before temperature scaling {val['raw']['ferplus']['ece']:.3f})",
        f"- with flip test-time augmentation (not shipped): FER+ {val['ferplus_flip_tta']['accuracy']:.2%}, "
        f"FER2013 {val['flip_tta']['accuracy']:.2%}",
        f"- ONNX Runtime vs PyTorch, max |logit difference|: {summary['onnx_max_abs_logit_difference']:.1e}",
    ]
    if swift:
        ferplus = swift["label_sets"].get("FER+ majority", {})
        out.append(f"- fercam's Swift engine (`fercam eval`): FER2013 {swift['accuracy']:.2%} (ECE {swift['ece']:.3f}), "
                   f"FER+ majority {ferplus.get('accuracy', float('nan')):.2%} (ECE {ferplus.get('ece', float('nan')):.3f})")
    out += ["", "FER2013 labels:", "", confusion_table(val["plain"]["confusion"], val["plain"]["recall"]),
            "", "FER+ majority labels:", "", confusion_table(val["ferplus"]["confusion"], val["ferplus"]["recall"])]
    return "\n".join(out)


def posed(evaluation: dict | None) -> str:
    if not evaluation:
        return "(not measured: run `make export` with ../shared/data/expressions/taiwanese present)"
    return "\n".join([
        f"{evaluation['images']} photographs, accuracy **{evaluation['accuracy']:.2%}**, macro-F1 {evaluation['macro_f1']:.3f}, "
        f"no face found in {evaluation['no_face']} (counted as wrong), ECE {evaluation['ece']:.3f}.", "",
        confusion_table(evaluation["confusion"], evaluation["recall"], evaluation["no_face_by_class"])])


def log_table(log: pathlib.Path) -> tuple[str, float]:
    if not log.exists():
        return "(no training log)", float("nan")
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    # The margins the run watched (five on the CPU runs; fercam's -0.15 and 0 on the GPU sweep).
    margins = sorted({m for r in rows for m in r.get("devset", {})}, key=float)
    lines = [f"| epoch | train loss | val FER+ | val FER2013 | posed photos (margin {' / '.join(margins)}) | seconds |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        dev = r.get("devset", {})
        posed_cells = " / ".join(f"{dev[k]:.1%}" if k in dev else "-" for k in margins)
        lines.append(f"| {r['epoch']} | {r['loss']:.3f} | {r.get('val_ferplus', float('nan')):.2%} | "
                     f"{r.get('val_fer2013', r.get('val_accuracy', float('nan'))):.2%} | {posed_cells} | {r['seconds']:.0f} |")
    return "\n".join(lines), sum(r["seconds"] for r in rows)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # The copy `make export` keeps beside the shipped weights: the run folder may be gone, or retrained since.
    p.add_argument("--log", type=pathlib.Path, default=RUN_LOGS / "fercam-resnet-cbam.jsonl",
                   help="training log of the shipped model (log.jsonl)")
    args = p.parse_args(argv)
    read = lambda name: json.loads((ROOT / "assets" / name).read_text()) if (ROOT / "assets" / name).exists() else None
    table, seconds = log_table(args.log)
    text = (ROOT / "assets/MODEL.md.in").read_text()
    text = (text.replace("@FIGURES@", figures(read("metrics.json"), read("eval-val.json")))
                .replace("@POSED@", posed(read("fercam-resnet-cbam.posed.json")))
                .replace("@LOG@", table).replace("@HOURS@", f"{seconds / 3600:.1f}"))
    (ROOT / "assets/MODEL.md").write_text(text)


if __name__ == "__main__":
    main()
