"""Render assets/MODEL.md from its template, the export's figures and fercam's own evaluations.

    python -m training.model_card

Reads assets/MODEL.md.in, assets/metrics.json (training/export.py), assets/eval-val.json,
assets/fercam-resnet-cbam.posed.json (`fercam eval ... --json`) and assets/eval-sources.json
(`training.evaluate_sources`, with assets/eval-sources-previous.json: the default it replaced), written by
`make export`, and the training log, and fills @FIGURES@, @POSED@, @SOURCES@, @LOG@ and @HOURS@.
"""
from __future__ import annotations

import argparse
import json
import pathlib

from .export import RUN_LOGS
from .model import CLASS_NAMES
from .sources import SPLITS_DIR

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


SOURCE_NAMES = {"fer2013": "FER2013 val, FER2013 labels", "ferplus": "FER2013 val, FER+ majority",
                "posed": "posed photographs (dev set)", "rafdb": "RAF-DB held-out 10%", "expw": "ExpW held-out 10%"}


def split_counts(source: str) -> dict[str, int] | None:
    """Faces per class in a committed held-out list (CLASS/FILE per line)."""
    path = SPLITS_DIR / f"{source}-val.txt"
    if not path.exists():
        return None
    classes = [line.split("/", 1)[0] for line in path.read_text().splitlines() if "/" in line]
    return {name: classes.count(name) for name in CLASS_NAMES}


def sources_table(evaluation: dict | None, previous: dict | None = None) -> str:
    """Accuracy and macro-F1 per validation source and margin through fercam (`training.evaluate_sources`),
    beside the previous default's where its evaluation is kept."""
    if not evaluation:
        return "(not measured: run `make export` with ../shared/data present)"
    margins = [f"{m:g}" for m in evaluation["margins"]]
    head = "| source | " + " | ".join(f"margin {m}" for m in margins) + " | spread | per-class recall (margin " \
        + margins[len(margins) // 2] + ") |"
    lines = [head, "|---" * (len(margins) + 3) + "|"]
    for name, by_margin in evaluation["sources"].items():
        cells, accuracies = [], []
        for m in margins:
            r = by_margin.get(m) or by_margin.get("none")
            accuracies.append(r["accuracy"])
            old = ((previous or {}).get("sources", {}).get(name, {}).get(m)
                   or (previous or {}).get("sources", {}).get(name, {}).get("none"))
            was = f" (was {old['accuracy']:.1%})" if old else ""
            cells.append(f"{r['accuracy']:.2%}, F1 {r['macro_f1']:.3f}{was}")
        if "none" in by_margin:
            cells = [cells[0]] + ["same (no detection)"] * (len(margins) - 1)
        middle = by_margin.get(margins[len(margins) // 2]) or by_margin.get("none")
        recall = " / ".join(f"{middle['recall'][c]:.0%}" for c in CLASS_NAMES) if "recall" in middle else ""
        lines.append(f"| {SOURCE_NAMES.get(name, name)} | " + " | ".join(cells) +
                     f" | {100 * (max(accuracies) - min(accuracies)):.1f} points | {recall} |")
    lines.append("")
    lines.append("Per-class recall in the order " + ", ".join(CLASS_NAMES) + "; \"was\": "
                 + (f"{previous['model']}, the default this one replaced, by the same command" if previous
                    else "no earlier evaluation kept."))
    if previous:
        # Evaluations written before `auto` carry no detector: they were Haar's.
        now, then = (evaluation or {}).get("detector", "haar"), previous.get("detector", "haar")
        lines[-1] += "." if now == then else f", its faces found by `--detector {then}` (these by `{now}`)."
    counts = {name: split_counts(name) for name in ("rafdb", "expw")}
    if all(counts.values()):
        fewest = min(counts["rafdb"].values())
        lines[-1] += (" Faces per class in the held-out lists (training/splits/): RAF-DB "
                      + " / ".join(str(counts["rafdb"][c]) for c in CLASS_NAMES) + ", ExpW "
                      + " / ".join(str(counts["expw"][c]) for c in CLASS_NAMES)
                      + f"; a recall on {fewest} faces moves {100 / fewest:.1f} points a face.")
    lines.append("")
    lines.append("Faces are found by fercam's default `--detector auto` (BlazeFace's short range, then Haar, then "
                 "BlazeFace's full range: docs/detectors.md) unless the line above says otherwise.")
    return "\n".join(lines)


def log_table(log: pathlib.Path) -> tuple[str, float]:
    if not log.exists():
        return "(no training log)", float("nan")
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    # The margins the run watched (five on the CPU runs; fercam's -0.15 and 0 on the GPU sweep).
    margins = sorted({m for r in rows for m in r.get("devset", {})}, key=float)
    others = [k for k in ("val_rafdb", "val_expw") if any(k in r for r in rows)]
    other_margins = sorted({m for r in rows for k in others for m in r.get(k, {})}, key=float)
    extra_heads = "".join(f" {k[4:].replace('rafdb', 'RAF-DB').replace('expw', 'ExpW')} (margin "
                          f"{' / '.join(other_margins)}) |" for k in others)
    lines = [f"| epoch | train loss | val FER+ | val FER2013 | posed photos (margin {' / '.join(margins)}) |{extra_heads}"
             f" seconds |", "|---" * (6 + len(others)) + "|"]
    for r in rows:
        dev = r.get("devset", {})
        posed_cells = " / ".join(f"{dev[k]:.1%}" if k in dev else "-" for k in margins)
        extra = "".join(" " + " / ".join(f"{r.get(k, {})[m]:.1%}" if m in r.get(k, {}) else "-"
                                         for m in other_margins) + " |" for k in others)
        # A weight average's log holds every averaged run's epochs, each tagged with its run (training.soup).
        epoch = f"{r['run']}: {r['epoch']}" if "run" in r else r["epoch"]
        lines.append(f"| {epoch} | {r['loss']:.3f} | {r.get('val_ferplus', float('nan')):.2%} | "
                     f"{r.get('val_fer2013', r.get('val_accuracy', float('nan'))):.2%} | {posed_cells} |{extra}"
                     f" {r['seconds']:.0f} |")
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
                .replace("@SOURCES@", sources_table(read("eval-sources.json"), read("eval-sources-previous.json")))
                .replace("@LOG@", table).replace("@HOURS@", f"{seconds / 3600:.1f}"))
    (ROOT / "assets/MODEL.md").write_text(text)


if __name__ == "__main__":
    main()
