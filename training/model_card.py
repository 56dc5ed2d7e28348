"""Render the numeric sections of assets/MODEL.md from assets/metrics.json and the training log.

    python -m training.model_card > /tmp/figures.md
"""
import json
import pathlib

from .model import CLASS_NAMES

ROOT = pathlib.Path(__file__).resolve().parent.parent


def table(metrics: dict) -> str:
    lines = ["| true \\ predicted | " + " | ".join(CLASS_NAMES) + " | recall |", "|---" * (len(CLASS_NAMES) + 2) + "|"]
    for name, row in zip(CLASS_NAMES, metrics["confusion"]):
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + f" | {metrics['recall'][name]:.1%} |")
    return "\n".join(lines)


def main() -> None:
    summary = json.loads((ROOT / "assets/metrics.json").read_text())
    plain, tta = summary["val"]["plain"], summary["val"]["flip_tta"]
    print(f"- parameters: {summary['parameters']:,}")
    print(f"- multiply-accumulates per face: {summary['macs'] / 1e6:.1f} M ({2 * summary['macs'] / 1e6:.0f} MFLOPs counting multiplies and adds separately)")
    print(f"- checkpoint epoch: {summary['checkpoint_epoch']}")
    print(f"- val accuracy: {plain['accuracy']:.2%}, macro-F1 {plain['macro_f1']:.3f}")
    print(f"- with flip test-time augmentation: {tta['accuracy']:.2%}, macro-F1 {tta['macro_f1']:.3f}")
    print(f"- ONNX Runtime vs PyTorch, max |logit difference|: {summary['onnx_max_abs_logit_difference']:.1e}")
    print()
    print(table(plain))
    log = ROOT / "training/runs/main/log.jsonl"
    if log.exists():
        print()
        print("| epoch | train loss | val accuracy | val macro-F1 | seconds |")
        print("|---|---|---|---|---|")
        for line in log.read_text().splitlines():
            r = json.loads(line)
            print(f"| {r['epoch']} | {r['loss']:.3f} | {r['val_accuracy']:.2%} | {r['val_macro_f1']:.3f} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main()
