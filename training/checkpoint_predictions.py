"""Per-face predictions of a training checkpoint on every validation source, in PyTorch on training's own crops.

    python -m training.checkpoint_predictions training/runs/NAME/best.pt preds-NAME
    python -m training.paired preds-A preds-B

For runs fercam's engine cannot read (a colour-input run, `train.py --colour`) or before exporting: it writes the
SOURCE-MARGIN.csv files `fercam eval --predictions` writes (path, true_folder, true_ferplus, predicted,
face_found), so `training.paired` compares two checkpoints face by face. The faces are the ones training
validates on (FER2013 val; RAF-DB's and ExpW's held-out faces at margins -0.15, 0, +0.15; the posed photographs
the cascade finds, at the same margins): the shipped figures still come from the Swift engine. Phases: `load`,
`predict`, `write`.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import pathlib

import torch

from . import sources as extra_sources
from .arch import load_trained
from .arch.costs import model_input_channels
from .data import DEFAULT_DATA, ferplus_majority, grey_as_colour, load_split
from .devset import DEFAULT_DEVSET, load_devset
from .model import CLASS_NAMES
from .train import predict


def write(path: pathlib.Path, paths: list[str], labels, predicted, ferplus=None) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["path", "true_folder", "true_ferplus", "predicted", "face_found"])
        for i, p in enumerate(paths):
            plus = "" if ferplus is None or int(ferplus[i]) < 0 else CLASS_NAMES[int(ferplus[i])]
            out.writerow([p, CLASS_NAMES[int(labels[i])], plus, CLASS_NAMES[int(predicted[i])], 1])
    partial.replace(path)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=pathlib.Path)
    p.add_argument("out", type=pathlib.Path, help="folder for the CSVs (created)")
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--shared-data", type=pathlib.Path, default=extra_sources.SHARED_DATA)
    p.add_argument("--devset", type=pathlib.Path, default=DEFAULT_DEVSET)
    args = p.parse_args(argv)
    if not args.checkpoint.is_file():
        raise SystemExit(f"checkpoint_predictions: {args.checkpoint}: no such checkpoint")

    # Load: the model and the crops in its own channels.
    model, state, _ = load_trained(args.checkpoint)
    colour = model_input_channels(model) == 3
    mean, std = state["mean"], state["std"]
    args.out.mkdir(parents=True, exist_ok=True)
    val = load_split(args.data, "val")
    if colour:
        val = dataclasses.replace(val, images=grey_as_colour(val.images))

    # Predict and write, source by source.
    predicted = predict(model, val.images, mean, std).argmax(1)
    write(args.out / "fer2013-0.csv", val.paths, val.labels, predicted, ferplus_majority(val.votes))
    for name, (_, held, _) in extra_sources.load_sources(args.shared_data, ("rafdb", "expw"),
                                                         colour=colour).items():
        for margin in extra_sources.VAL_MARGINS:
            crops = torch.from_numpy(extra_sources.crops_at(held.images, margin))
            write(args.out / f"{name}-{margin:g}.csv", held.paths, held.labels,
                  predict(model, crops, mean, std).argmax(1))
    devset = load_devset(args.devset, colour)
    if devset is not None:
        paths = [f"posed/{i}" for i in range(len(devset["labels"]))]
        for margin in extra_sources.VAL_MARGINS:
            write(args.out / f"posed-{margin:g}.csv", paths, devset["labels"],
                  predict(model, devset["crops"][margin], mean, std).argmax(1))
    print(f"predictions of {args.checkpoint} in {args.out}")


if __name__ == "__main__":
    main()
