"""Average the weights of fine-tunes that share a starting point into one run folder (a "model soup").

Runs fine-tuned from the same weights tend to stay in one basin of the loss, where their average is a better model
than either (Wortsman et al., "Model soups", 2022). The shipped model averages two fine-tunes of one narrowed
network: one toward FER2013's labels, one toward FER+ votes; measured in docs/training-log.md.

    python -m training.soup --out training/runs/main training/runs/main-64-labels training/runs/main-64-votes

The folder gets what `training.export` reads: `best.pt` (the first run's best checkpoint with every float tensor
averaged, batch-norm statistics included; counters kept from the first), `config.json` (the first run's, with the
geometric mean of the runs' class weights, so that `--logit-adjust` takes out the mean log prior, and the mean
`label_mix`, which picks the labels the temperature is fitted on) and `log.jsonl` (every run's epochs, each line
tagged with its run). Phases: `load_runs`, `check_compatible`, `rebase`, `average`, `write_soup`.

Runs whose training sets differ (e.g. one cropped by Haar, one by fercam's detector chain) end with slightly
different input normalisations. `rebase` first re-expresses each run in the first run's mean and std, folded into
its first convolution and the batch norm after it: exact but for the zero padding at the image border, which stands
for a slightly different grey (the two means differ by about 1/1000 in practice).
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib

import torch


def load_runs(folders: list[pathlib.Path]) -> list[tuple[dict, dict]]:
    """Each run's best checkpoint and config.json."""
    runs = []
    for folder in folders:
        checkpoint, config = folder / "best.pt", folder / "config.json"
        for path in (checkpoint, config):
            if not path.exists():
                raise SystemExit(f"soup: {path} is missing (is {folder} a finished training run?)")
        runs.append((torch.load(checkpoint, map_location="cpu", weights_only=False), json.loads(config.read_text())))
    return runs


def check_compatible(runs: list[tuple[dict, dict]], folders: list[pathlib.Path]) -> None:
    """Same architecture, same config and the same tensors: anything else has no meaningful average."""
    def shapes(state: dict) -> dict:
        return {k: tuple(v.shape) for k, v in state["model"].items()}

    first, _ = runs[0]
    first_shapes = shapes(first)
    for (state, config), folder in zip(runs, folders):
        for field in ("arch", "arch_config", "config"):
            if state.get(field) != first.get(field):
                raise SystemExit(f"soup: {folder} differs from {folders[0]} in {field}")
        if shapes(state) != first_shapes:
            raise SystemExit(f"soup: {folder}'s tensors differ from {folders[0]}'s")
        if "class_weights" not in config:
            raise SystemExit(f"soup: {folder}/config.json does not record its class weights")


def rebase(state: dict, mean: float, std: float) -> dict:
    """`state`'s model, taking input normalised with (mean, std) instead of its own, with the same outputs.

    The run saw x' = (x - m) / s; fed x'' = (x - mean) / std it must see x' = a x'' + c with a = std / s and
    c = (mean - m) / s. The first convolution absorbs a into its weights; its response to the constant c (c times
    the sum of each filter) moves into the following batch norm's running mean, or the convolution's bias.
    """
    m, s = state["mean"], state["std"]
    if (m, s) == (mean, std):
        return state
    model = dict(state["model"])
    keys = list(model)
    conv = next((k for k in keys if k.endswith(".weight") and model[k].dim() == 4), None)
    if conv is None:
        raise SystemExit("soup: no convolution to fold the input normalisation into")
    prefix = conv[:-len("weight")]
    a, c = std / s, (mean - m) / s
    weight = model[conv]
    shift = c * weight.sum(dim=(1, 2, 3))  # per output channel
    model[conv] = weight * a
    if prefix + "bias" in model:
        model[prefix + "bias"] = model[prefix + "bias"] + shift
    else:
        following = keys[keys.index(conv) + 1].rsplit(".", 1)[0] + ".running_mean"
        if following not in model or model[following].shape != shift.shape:
            raise SystemExit(f"soup: {conv} has no bias and no batch norm after it to fold the input shift into")
        model[following] = model[following] - shift
    return {**state, "model": model, "mean": mean, "std": std}


def average(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The mean of every float tensor; integer buffers (batch-norm step counters) from the first."""
    return {key: torch.stack([s[key] for s in states]).mean(0) if value.is_floating_point() else value.clone()
            for key, value in states[0].items()}


def write_soup(out: pathlib.Path, runs: list[tuple[dict, dict]], folders: list[pathlib.Path]) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    state = dict(runs[0][0])
    state["model"] = average([s["model"] for s, _ in runs])
    state["soup"] = [str(f) for f in folders]
    state["score"] = None  # the ingredients' selection scores do not describe the average
    torch.save(state, out / "best.pt")
    configs = [c for _, c in runs]
    config = dict(configs[0])
    config.update(
        out=str(out), soup=[str(f) for f in folders],
        label_mix=str(sum(float(c.get("label_mix", 1.0)) for c in configs) / len(configs)),
        class_weights=[round(math.exp(sum(math.log(c["class_weights"][i]) for c in configs) / len(configs)), 4)
                       for i in range(len(configs[0]["class_weights"]))])
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    with (out / "log.jsonl").open("w") as log:
        for folder in folders:
            path = folder / "log.jsonl"
            for line in path.read_text().splitlines() if path.exists() else []:
                log.write(json.dumps({"run": folder.name, **json.loads(line)}) + "\n")
    return config


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=pathlib.Path, help="training run folders (each with best.pt)")
    p.add_argument("--out", type=pathlib.Path, required=True, help="run folder for the average")
    args = p.parse_args(argv)
    if len(args.runs) < 2:
        raise SystemExit("soup: give at least two runs to average")
    if args.out.resolve() in {r.resolve() for r in args.runs}:
        raise SystemExit(f"soup: --out {args.out} is one of the runs it averages")
    runs = load_runs(args.runs)
    check_compatible(runs, args.runs)
    first = runs[0][0]
    runs = [(rebase(state, first["mean"], first["std"]), config) for state, config in runs]
    config = write_soup(args.out, runs, args.runs)
    print(f"averaged {len(runs)} runs into {args.out}/best.pt; class weights {config['class_weights']}, "
          f"label mix {config['label_mix']}")


if __name__ == "__main__":
    main()
