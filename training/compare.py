"""Compares trained runs of any architecture under one protocol (issue 12):

    python -m training.compare training/runs/main training/runs/deep-emotion ... [--markdown out.md]

For each run's best checkpoint: val accuracy and macro-F1 against FER2013 labels and the FER+ majority, the
posed-photo dev set (OpenCV Haar crops, the best of the candidate margins, as training selects), parameters and
MACs per face at inference, and PyTorch's median latency per face (batch 1, one thread, eval mode, fp32).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import torch

from .arch import SEED_PAPER, load_trained
from .arch.costs import inference_macs, inference_parameters
from .data import DEFAULT_DATA, load_split
from .devset import DEFAULT_DEVSET, load_devset
from .train import evaluate


def load_run(run: pathlib.Path):
    """The run's best model, its architecture name and the normalisation it was trained with."""
    model, state, name = load_trained(run / "best.pt")
    return model, name, state["mean"], state["std"], state.get("epoch", -1) + 1


def latency_ms(model, repeats: int = 200) -> float:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    face = torch.randn(1, 1, 48, 48)
    times = []
    with torch.no_grad():
        for _ in range(20):
            model(face)
        for _ in range(repeats):
            began = time.perf_counter()
            model(face)
            times.append((time.perf_counter() - began) * 1000)
    torch.set_num_threads(threads)
    return sorted(times)[len(times) // 2]


def plot_curves(runs: list[pathlib.Path], path: pathlib.Path) -> None:
    """Val accuracy per epoch against both label sets and the best posed-photo score, one line per run: whether
    each run had flattened by its last epoch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), dpi=110, sharex=True)
    panels = [("val FER2013 labels", lambda r: r["val_fer2013"]), ("val FER+ majority", lambda r: r["val_ferplus"]),
              ("posed photographs (Python, best margin)", lambda r: max(r.get("devset", {"-": float("nan")}).values()))]
    colours = {}
    for run in runs:
        # A run folder, or a log kept in docs/training-runs by the export.
        log = run / "log.jsonl" if run.is_dir() else run
        rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        name = run.stem if run.is_file() else run.name
        # An ablation is drawn dashed in its full run's colour, so that each pair reads as one.
        base = name.removesuffix("-ablated")
        colour = colours.setdefault(base, f"C{len(colours) % 10}")
        for ax, (title, value) in zip(axes, panels):
            ax.plot([r["epoch"] for r in rows], [100 * value(r) for r in rows], marker="." if base == name else None,
                    linestyle="-" if base == name else "--", color=colour, label=name)
            ax.set_title(title)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (%)")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=pathlib.Path,
                   help="run folders holding best.pt; with --curves alone, also the logs in docs/training-runs")
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="FER2013 folders or packed parts")
    p.add_argument("--devset", type=pathlib.Path, default=DEFAULT_DEVSET, help="posed-photo dev set")
    p.add_argument("--markdown", type=pathlib.Path, help="also write the table here")
    p.add_argument("--curves", type=pathlib.Path, help="also plot every run's val curves (log.jsonl) to this PNG")
    args = p.parse_args(argv)
    if args.curves:
        plot_curves(args.runs, args.curves)
        if not all(run.is_dir() for run in args.runs):
            return  # logs only: nothing to evaluate
    for run in args.runs:
        if not (run / "best.pt").is_file():
            p.error(f"{run}: no best.pt here (a run folder is needed; a log alone is plotted with --curves FILE.png)")
    val = load_split(args.data, "val")
    devset = load_devset(args.devset)
    rows = ["| run | arch (seed) | epoch | parameters | MACs | val FER2013 (F1) | val FER+ (F1) | val FER+ recall "
            "A/D/F/H/Sa/Su/N | posed (margin) | PyTorch ms/face |", "|---|---|---|---|---|---|---|---|---|---|"]
    for run in args.runs:
        model, name, mean, std, epoch = load_run(run)
        result = evaluate(model, val, devset, mean, std)
        margin, dev = max(result.get("devset", {"-": {"accuracy": float("nan")}}).items(),
                          key=lambda item: item[1]["accuracy"])
        fer, plus = result["fer2013"], result["ferplus"]
        rows.append(
            f"| {run.name} | {name} ({SEED_PAPER[name]}) | {epoch} | {inference_parameters(model):,} | "
            f"{inference_macs(model) / 1e6:.1f} M | {fer['accuracy']:.2%} ({fer['macro_f1']:.3f}) | "
            f"{plus['accuracy']:.2%} ({plus['macro_f1']:.3f}) | "
            f"{' / '.join(f'{r:.0%}' for r in plus['recall'].values())} | {dev['accuracy']:.2%} ({margin}) | "
            f"{latency_ms(model):.3f} |")
        print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join(rows) + "\n"
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


if __name__ == "__main__":
    main()
