"""Export a trained checkpoint: assets/ (safetensors + ONNX), val metrics for the model
card, a confusion-matrix plot, and reference fixtures for the Swift engine.

    python -m training.export --checkpoint training/runs/main/best.pt --data ../shared/data/fer2013
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from .data import DEFAULT_DATA, load_split, normalise
from .metrics import confusion_matrix, summarise
from .model import CLASS_NAMES, FerNet, ModelConfig, count_macs, count_parameters
from .train import predict

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FIXTURES = ROOT / "Tests" / "ExpressionModelTests" / "Fixtures"


class ExportWrapper(torch.nn.Module):
    """Logits plus both CBAM spatial attention maps, for ONNX."""

    def __init__(self, model: FerNet):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_with_attention(x)


def plot_confusion(confusion: list[list[int]], path: pathlib.Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matrix = np.asarray(confusion, dtype=float)
    normalised = matrix / matrix.sum(1, keepdims=True).clip(min=1)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), dpi=120)
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=45, ha="right")
    ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(len(CLASS_NAMES)):
        for j in range(len(CLASS_NAMES)):
            ax.text(j, i, f"{int(matrix[i, j])}\n{normalised[i, j]:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if normalised[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--checkpoint", type=pathlib.Path, default=ROOT / "training/runs/main/best.pt")
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--name", default="fercam-resnet-cbam")
    args = p.parse_args()
    state = torch.load(args.checkpoint, weights_only=False)
    config = ModelConfig.from_json(state["config"])
    mean, std = state["mean"], state["std"]
    model = FerNet(config)
    model.load_state_dict(state["model"])
    model.eval()
    torch.manual_seed(0)

    val_x, val_y, val_paths = load_split(args.data, "val")
    metrics = {}
    for tta in (False, True):
        probs = predict(model, val_x, mean, std, flip_tta=tta)
        metrics["flip_tta" if tta else "plain"] = summarise(confusion_matrix(probs.argmax(1), val_y))
    plain = metrics["plain"]
    print(f"val accuracy {plain['accuracy']:.4f} macro-F1 {plain['macro_f1']:.4f}; with flip TTA "
          f"{metrics['flip_tta']['accuracy']:.4f} / {metrics['flip_tta']['macro_f1']:.4f}", file=sys.stderr)

    ASSETS.mkdir(exist_ok=True)
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    metadata = {
        "format": "fercam-resnet-cbam/1",
        "config": config.to_json(),
        "class_names": json.dumps(CLASS_NAMES),
        "input_size": str(config.input_size),
        "input_channels": str(config.in_channels),
        "normalisation": json.dumps({"scale": 1 / 255, "mean": mean, "std": std}),
        "val_accuracy": f"{plain['accuracy']:.4f}",
        "epoch": str(state["epoch"] + 1),
    }
    save_file(tensors, str(ASSETS / f"{args.name}.safetensors"), metadata=metadata)

    wrapper = ExportWrapper(model).eval()
    example = torch.zeros(1, config.in_channels, config.input_size, config.input_size)
    onnx_path = ASSETS / f"{args.name}.onnx"
    torch.onnx.export(wrapper, (example,), str(onnx_path), input_names=["faces"],
                      output_names=["logits", "stem_attention", "last_attention"],
                      dynamic_axes={"faces": {0: "batch"}, "logits": {0: "batch"}, "stem_attention": {0: "batch"},
                                    "last_attention": {0: "batch"}}, opset_version=17, dynamo=False)

    # Reference fixtures: eight val faces (one per class, plus one) and two synthetic inputs, as numbers.
    picks = [int((val_y == c).nonzero()[0]) for c in range(len(CLASS_NAMES))] + [int(len(val_y) // 2)]
    inputs = [val_x[i].numpy().astype(np.uint8) for i in picks]
    ramp = np.add.outer(np.arange(48), np.arange(48)).astype(np.float64) * (255 / 94)
    inputs.append(ramp.round().astype(np.uint8))
    inputs.append(np.random.default_rng(0).integers(0, 256, (48, 48)).astype(np.uint8))
    batch = normalise(torch.from_numpy(np.stack(inputs)), mean, std)
    with torch.no_grad():
        logits, stem_attention, last_attention = model.forward_with_attention(batch)
    import onnxruntime as ort
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ort_logits = session.run(["logits"], {"faces": batch.numpy()})[0]
    ort_gap = float(np.abs(ort_logits - logits.numpy()).max())
    print(f"ONNX Runtime vs PyTorch max |logit difference| {ort_gap:.2e}", file=sys.stderr)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    fixture = {
        "model": f"assets/{args.name}.safetensors",
        "cases": [{
            "source": (val_paths[picks[i]] if i < len(picks) else ("synthetic ramp" if i == len(picks) else "synthetic noise")),
            "pixels": inputs[i].flatten().tolist(),
            "logits": [round(float(v), 6) for v in logits[i]],
            "stem_attention": [round(float(v), 6) for v in stem_attention[i, 0].flatten()],
            "last_attention": [round(float(v), 6) for v in last_attention[i, 0].flatten()],
        } for i in range(len(inputs))],
    }
    (FIXTURES / "reference.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")

    plot_confusion(plain["confusion"], ASSETS / "confusion.png",
                   f"FER2013 val, accuracy {plain['accuracy']:.1%}, macro-F1 {plain['macro_f1']:.3f}")
    summary = {
        "checkpoint_epoch": state["epoch"] + 1, "parameters": count_parameters(model), "macs": count_macs(model),
        "mean": mean, "std": std, "onnx_max_abs_logit_difference": ort_gap, "val": metrics,
    }
    (ASSETS / "metrics.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "val"}), file=sys.stderr)


if __name__ == "__main__":
    main()
