"""Export a trained checkpoint of any seed system: assets/ (safetensors + ONNX), val metrics (FER2013 and FER+
majority labels, flip test-time augmentation, calibration), and reference fixtures (inputs, logits and every
attention output) for the Swift engine's parity tests. The default model (resnet-cbam) also gets the
confusion-matrix plot and `assets/metrics.json` for the model card.

    python -m training.export --checkpoint training/runs/main/best.pt --data ../shared/data/fer2013
    python -m training.export --checkpoint training/runs/deep-emotion/best.pt   # -> assets/fercam-deep-emotion.*

The safetensors metadata names the architecture (`format`: `fercam-ARCH/1`) and holds the config that rebuilds
it (`config`: the resnet-cbam ModelConfig, or the architecture's `arch_config`), so a loader knows what to build.

With `--logit-adjust TAU` the classifier's bias loses TAU x log(class weight) (the weights the run trained with,
from its config.json): class weighting moves every decision towards the rare classes by log(weight), and TAU = 1
takes that back (Menon et al., "Long-tail learning via logit adjustment", 2021), measured in docs/training-log.md.
`--margin M` writes the crop margin the model was chosen at into the metadata, which fercam uses unless `--margin`
is given.

Phases: `load_trained` (training/arch), `adjust_logits`, `measure` (with `fit_temperature`), `export_weights`, `export_onnx`,
`export_fixtures`, `plot_confusion`, `write_metrics`.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from .data import DEFAULT_DATA, ferplus_majority, load_split, normalise
from .arch import load_trained
from .arch.costs import inference_macs, inference_parameters, model_input_channels, model_input_size
from .metrics import confusion_matrix, summarise
from .model import CLASS_NAMES
from .train import at_input_size, expected_calibration_error, predict

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
RUN_LOGS = ROOT / "docs" / "training-runs"
MARGINS = (-0.25, 1.0)  # the crop margins fercam accepts (FaceCropping.margins)
FIXTURES = ROOT / "Tests" / "ExpressionModelTests" / "Fixtures"


# The default model's attention outputs keep the names its version-1 files and fixtures have always used.
OUTPUT_NAMES = {"stem_spatial": "stem_attention", "last_spatial": "last_attention"}


def attention_outputs(model, x) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    logits, attention = model.forward_with_attention(x)
    return logits, {OUTPUT_NAMES.get(k, k): v for k, v in attention.items()}


class ExportWrapper(torch.nn.Module):
    """Logits plus every attention output, in the model's order, for ONNX."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        logits, attention = attention_outputs(self.model, x)
        return (logits, *attention.values())


def stored_config(model, arch: str) -> str:
    """What the `config` metadata holds: the default model keeps its version-1 ModelConfig."""
    return model.config.to_json() if arch == "resnet-cbam" else json.dumps(model.arch_config, sort_keys=True)


@torch.no_grad()
def logits_of(model, images: torch.Tensor, mean: float, std: float, flip: bool = False) -> torch.Tensor:
    out = []
    for start in range(0, len(images), 512):
        x = at_input_size(model, normalise(images[start:start + 512], mean, std))
        out.append(model(torch.flip(x, dims=[3]) if flip else x).float())
    return torch.cat(out)


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature that minimises the negative log-likelihood (Guo et al., 2017), by a fine grid search."""
    grid = torch.linspace(0.5, 3.0, 251)
    losses = torch.stack([F.cross_entropy(logits / t, labels) for t in grid])
    return float(grid[losses.argmin()])


def summarise_probabilities(probabilities: torch.Tensor, labels: torch.Tensor) -> dict:
    summary = summarise(confusion_matrix(probabilities.argmax(1), labels))
    summary["ece"] = expected_calibration_error(probabilities, labels)
    summary["images"] = int(len(labels))
    return summary


def run_config(checkpoint: pathlib.Path) -> dict | None:
    """The config.json `train.py` (or `training.soup`) wrote beside the checkpoint; None for runs without one."""
    config = checkpoint.parent / "config.json"
    return json.loads(config.read_text()) if config.exists() else None


def trained_on_votes(checkpoint: pathlib.Path) -> bool:
    """Whether the run leaned on FER+ votes (`--label-mix` above 0.5, read from its config.json) rather than
    FER2013's labels; runs without a config are the FER+ recipe of 2026-12."""
    config = run_config(checkpoint)
    return config is None or float(config.get("label_mix", 1.0)) > 0.5


def adjust_logits(model, checkpoint: pathlib.Path, tau: float) -> list[float]:
    """Subtract tau x log(class weight) from the classifier's bias, in place; returns the weights used."""
    weights = (run_config(checkpoint) or {}).get("class_weights")
    if weights is None:
        raise SystemExit(f"--logit-adjust: {checkpoint.parent / 'config.json'} does not record the run's class weights")
    classifier = getattr(model, "classifier", None)
    if not isinstance(classifier, torch.nn.Linear) or classifier.out_features != len(weights):
        raise SystemExit(f"--logit-adjust: this model has no {len(weights)}-class linear classifier to adjust")
    with torch.no_grad():
        classifier.bias -= tau * torch.log(torch.tensor(weights, dtype=classifier.bias.dtype))
    return weights


def measure(model, val, mean: float, std: float, votes: bool = True) -> dict:
    """Val figures against both label sets, plain and with flip TTA, before and after temperature scaling.
    The temperature is fitted on the labels the model was trained toward: the FER+ majority when `votes`,
    else FER2013's own."""
    logits = logits_of(model, val.images, mean, std)
    flipped = logits_of(model, val.images, mean, std, flip=True)
    majority = ferplus_majority(val.votes)
    keep = majority >= 0
    temperature = fit_temperature(logits[keep], majority[keep]) if votes else fit_temperature(logits, val.labels)
    result = {"temperature": temperature, "temperature_fitted_on": "ferplus" if votes else "fer2013"}
    for name, t in (("raw", 1.0), ("scaled", temperature)):
        plain = F.softmax(logits / t, 1)
        tta = (plain + F.softmax(flipped / t, 1)) / 2
        result[name] = {
            "fer2013": summarise_probabilities(plain, val.labels),
            "ferplus": summarise_probabilities(plain[keep], majority[keep]),
            "fer2013_flip_tta": summarise_probabilities(tta, val.labels),
            "ferplus_flip_tta": summarise_probabilities(tta[keep], majority[keep]),
        }
    return result


def export_weights(model, arch: str, state: dict, path: pathlib.Path, temperature: float, val: dict,
                   margin: float | None = None) -> None:
    """`val`: the shipped (temperature-scaled) figures of `measure`; both accuracies go into the metadata for
    `fercam models`, with the inference size."""
    # Training-only modules (the LBP model's decoder) stay out of the file.
    skipped = tuple(f"{name}." for name in getattr(model, "training_only", ()))
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()
               if not k.endswith("num_batches_tracked") and not k.startswith(skipped)}
    metadata = {
        "format": f"fercam-{arch}/1",
        "config": stored_config(model, arch),
        "class_names": json.dumps(CLASS_NAMES),
        "input_size": str(model_input_size(model)),
        "input_channels": "1",
        "normalisation": json.dumps({"scale": 1 / 255, "mean": state["mean"], "std": state["std"]}),
        "temperature": f"{temperature:.4f}",
        "val_accuracy": f"{val['ferplus']['accuracy']:.4f}",
        "val_ferplus": f"{val['ferplus']['accuracy']:.4f}",
        "val_fer2013": f"{val['fer2013']['accuracy']:.4f}",
        "parameters": str(inference_parameters(model)),
        "macs": str(inference_macs(model)),
        "epoch": str(state["epoch"] + 1),
    }
    if margin is not None:  # the crop fercam uses for this model unless --margin says otherwise
        metadata["margin"] = f"{margin:g}"
    save_file(tensors, str(path), metadata=metadata)


def export_onnx(model, arch: str, path: pathlib.Path) -> None:
    # affine_grid (the spatial transformer) exists in ONNX from opset 20 on; the others keep 17.
    opset = 20 if arch == "deep-emotion" else 17
    example = torch.zeros(1, 1, model_input_size(model), model_input_size(model))
    with torch.no_grad():
        names = ["logits", *attention_outputs(model, example)[1]]
    torch.onnx.export(ExportWrapper(model).eval(), (example,), str(path), input_names=["faces"], output_names=names,
                      dynamic_axes={name: {0: "batch"} for name in ["faces", *names]}, opset_version=opset, dynamo=False)


def fixture_path(name: str) -> pathlib.Path:
    """The shipped default's fixture is reference.json; every other export's is named after its file."""
    return FIXTURES / ("reference.json" if name == "fercam-resnet-cbam" else f"{name.removeprefix('fercam-')}.json")


def export_fixtures(model, arch: str, val, mean: float, std: float, onnx_path: pathlib.Path, name: str) -> float:
    """Eight val faces (one per class, plus one) and two synthetic inputs with PyTorch's outputs (logits and
    each attention output, flattened per face), as numbers. Returns ONNX Runtime's largest logit difference
    from PyTorch on them."""
    picks = [int((val.labels == c).nonzero()[0]) for c in range(len(CLASS_NAMES))] + [int(len(val.labels) // 2)]
    size = model_input_size(model)
    inputs = [val.images[i].numpy().astype(np.uint8) for i in picks]
    if size != 48:  # FER2013's faces resized to the model's input, as the Swift test feeds them
        import cv2
        inputs = [cv2.resize(face, (size, size), interpolation=cv2.INTER_LINEAR) for face in inputs]
    ramp = np.add.outer(np.arange(size), np.arange(size)).astype(np.float64) * (255 / (2 * size - 2))
    inputs.append(ramp.round().astype(np.uint8))
    inputs.append(np.random.default_rng(0).integers(0, 256, (size, size)).astype(np.uint8))
    batch = normalise(torch.from_numpy(np.stack(inputs)), mean, std)
    with torch.no_grad():
        logits, attention = attention_outputs(model, batch)
    import onnxruntime as ort
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ort_gap = float(np.abs(session.run(["logits"], {"faces": batch.numpy()})[0] - logits.numpy()).max())
    sources = [val.paths[i] for i in picks] + ["synthetic ramp", "synthetic noise"]
    fixture = {
        "model": f"assets/{name}.safetensors",
        "architecture": arch,
        "cases": [{
            "source": sources[i],
            "pixels": inputs[i].flatten().tolist(),
            "logits": [round(float(v), 6) for v in logits[i]],
            **{key: [round(float(v), 6) for v in value[i].flatten()] for key, value in attention.items()},
        } for i in range(len(inputs))],
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    fixture_path(name).write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    return ort_gap


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


def write_metrics(path: pathlib.Path, model, arch: str, state: dict, measured: dict, ort_gap: float,
                  logit_adjustment: float = 0.0) -> dict:
    shipped = measured["scaled"]
    summary = {
        "architecture": arch, "checkpoint_epoch": state["epoch"] + 1, "parameters": inference_parameters(model),
        "macs": inference_macs(model),
        "mean": state["mean"], "std": state["std"], "temperature": measured["temperature"],
        "temperature_fitted_on": measured["temperature_fitted_on"], "logit_adjustment": logit_adjustment,
        "onnx_max_abs_logit_difference": ort_gap,
        # `plain` is what the shipped file gives (temperature applied); `raw` is before temperature scaling.
        "val": {"plain": shipped["fer2013"], "ferplus": shipped["ferplus"], "flip_tta": shipped["fer2013_flip_tta"],
                "ferplus_flip_tta": shipped["ferplus_flip_tta"], "raw": measured["raw"]},
    }
    path.write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=pathlib.Path, default=ROOT / "training/runs/main/best.pt", help="checkpoint to export")
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="FER2013 folders with ferplus.csv, or packed parts")
    p.add_argument("--name", help="file name of the exported model, without extension (default: fercam-ARCH)")
    p.add_argument("--logit-adjust", type=float, default=0.0,
                   help="take this share of the class weighting's log-prior shift out of the logits (default: 0)")
    p.add_argument("--margin", type=float,
                   help="the crop margin fercam should use with this model, chosen on validation (default: none "
                        "stated, fercam's default applies)")
    args = p.parse_args(argv)
    if args.margin is not None and not MARGINS[0] <= args.margin <= MARGINS[1]:
        raise SystemExit(f"--margin must be from {MARGINS[0]:g} to {MARGINS[1]:g} (got {args.margin})")
    torch.manual_seed(0)
    model, state, arch = load_trained(args.checkpoint)
    if model_input_channels(model) != 1:
        raise SystemExit(f"{args.checkpoint}: a colour-input run (train.py --colour); fercam's engine reads grey "
                         f"faces, so it cannot be exported")
    if args.logit_adjust:
        weights = adjust_logits(model, args.checkpoint, args.logit_adjust)
        print(f"logits adjusted by -{args.logit_adjust} x log{[round(w, 2) for w in weights]}", file=sys.stderr)
    name = args.name or f"fercam-{arch}"
    val = load_split(args.data, "val")
    measured = measure(model, val, state["mean"], state["std"], votes=trained_on_votes(args.checkpoint))
    shipped = measured["scaled"]
    fitted = measured["temperature_fitted_on"]
    print(f"temperature {measured['temperature']:.3f}; val FER2013 {shipped['fer2013']['accuracy']:.4f} "
          f"(macro-F1 {shipped['fer2013']['macro_f1']:.4f}), FER+ majority {shipped['ferplus']['accuracy']:.4f} "
          f"(macro-F1 {shipped['ferplus']['macro_f1']:.4f}); ECE against the {fitted} labels the temperature was "
          f"fitted on {measured['raw'][fitted]['ece']:.4f} -> {shipped[fitted]['ece']:.4f}", file=sys.stderr)

    ASSETS.mkdir(exist_ok=True)
    export_weights(model, arch, state, ASSETS / f"{name}.safetensors", measured["temperature"], shipped, args.margin)
    onnx_path = ASSETS / f"{name}.onnx"
    export_onnx(model, arch, onnx_path)
    ort_gap = export_fixtures(model, arch, val, state["mean"], state["std"], onnx_path, name)
    print(f"ONNX Runtime vs PyTorch max |logit difference| {ort_gap:.2e}", file=sys.stderr)
    if name == "fercam-resnet-cbam":
        # Against the labels it was trained toward.
        labels, title = ("ferplus", "FER+ majority") if measured["temperature_fitted_on"] == "ferplus" else (
            "fer2013", "FER2013")
        plot_confusion(shipped[labels]["confusion"], ASSETS / "confusion.png",
                       f"FER2013 val, {title} labels: accuracy {shipped[labels]['accuracy']:.1%}")
    metrics = ASSETS / ("metrics.json" if name == "fercam-resnet-cbam" else f"{name}.metrics.json")
    summary = write_metrics(metrics, model, arch, state, measured, ort_gap, args.logit_adjust)
    # The per-epoch log goes in the repo beside the model: run folders live on one machine and have been lost.
    log = args.checkpoint.parent / "log.jsonl"
    if log.exists():
        RUN_LOGS.mkdir(exist_ok=True)
        shutil.copyfile(log, RUN_LOGS / f"{name}.jsonl")
    print(json.dumps({k: v for k, v in summary.items() if k != "val"}), file=sys.stderr)


if __name__ == "__main__":
    main()
