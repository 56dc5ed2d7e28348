"""Train fercam's expression model on FER2013 with FER+ vote targets.

    python -m training.train --data ../shared/data/fer2013 --out training/runs/main

Phases: load data, build the model and optimiser, then per epoch `train_one_epoch`, `evaluate` (val against
FER2013 and FER+ majority labels, and the posed-photo dev set) and `save_checkpoint`. An exponential moving
average of the weights is what gets evaluated and saved. `last.pt` is written every epoch and `--resume`
continues from it; `best.pt` keeps the epoch with the best selection score (val FER+ accuracy and dev-set
accuracy, averaged). `--device cuda` trains on a GPU when one is present.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import math
import pathlib
import random
import socket
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import (DEFAULT_DATA, Augmentation, Framing, Split, augment, ferplus_majority, grey_as_colour,
                   load_split, mix_batch, normalise, pixel_stats, training_targets)
from . import sources as extra_sources
from .devset import DEFAULT_DEVSET, load_devset
from .metrics import confusion_matrix, summarise
from .arch import ABLATIONS, ARCHITECTURES, build, load_trained
from .arch.costs import inference_macs, inference_parameters, model_input_size
from .model import CLASS_NAMES, FerNet, ModelConfig
from .narrow import narrow


# Real-time budget per face (issue 12): every architecture must fit.
MAX_PARAMETERS, MAX_MACS = 5_000_000, 200_000_000


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA,
                   help="FER2013 image folders with ferplus.csv, or packed .npz parts (default: %(default)s)")
    p.add_argument("--devset", type=pathlib.Path, default=DEFAULT_DEVSET,
                   help="posed-photo folder scored each epoch, never trained on, or its crops file "
                        "(training/.cache/devset.npz; default: %(default)s)")
    p.add_argument("--out", type=pathlib.Path, default=pathlib.Path("training/runs/main"),
                   help="folder for last.pt, best.pt, log.jsonl and config.json")
    p.add_argument("--epochs", type=int, default=24, help="length of the one-cycle schedule")
    p.add_argument("--batch-size", type=int, default=128, help="faces per step")
    p.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate")
    p.add_argument("--weight-decay", type=float, default=0.05, help="AdamW weight decay (not on norms and biases)")
    p.add_argument("--label-mix", type=float, default=1.0,
                   help="1: FER+ vote distributions as soft targets, 0: FER2013 labels, between: a mix")
    p.add_argument("--class-weight-power", type=float, default=0.5,
                   help="loss weight per class = (share of target mass)^-power, normalised; 0 turns it off")
    p.add_argument("--class-weights-within", choices=["mix", "source"], default="mix",
                   help="class shares over the whole mix, or within each source (RAF-DB's 2%% fear then weighs as "
                        "a rare class, not at the mix's 11%%)")
    p.add_argument("--mix", choices=["none", "mixup", "cutmix"], default="none",
                   help="mix every batch: blend two faces (mixup) or paste a rectangle of one onto another (cutmix)")
    p.add_argument("--mix-alpha", type=float, default=0.2,
                   help="the mixing share is drawn from Beta(alpha, alpha) (default: %(default)s)")
    p.add_argument("--teacher", type=pathlib.Path,
                   help="a trained run's best.pt to distil from (any architecture; Hinton et al.'s soft targets)")
    p.add_argument("--distill-weight", type=float, default=0.5,
                   help="share of the loss that follows the teacher (default: %(default)s)")
    p.add_argument("--distill-temperature", type=float, default=2.0,
                   help="softens teacher and student alike; the term is scaled by its square (default: %(default)s)")
    p.add_argument("--ema", type=float, default=0.999, help="decay of the weight moving average (0: off)")
    p.add_argument("--arch", choices=list(ARCHITECTURES), default="resnet-cbam",
                   help="which seed system to train (training/arch/; default: %(default)s)")
    p.add_argument("--ablate", action="store_true",
                   help="train the architecture without its attention component (training/arch ABLATIONS)")
    p.add_argument("--width", type=float, default=1.0, help="resnet-cbam: multiplies the stem and stage widths")
    p.add_argument("--widths", default="",
                   help="resnet-cbam: stem and stage widths, e.g. 32,32,80,160 (multiples of 16 keep oneDNN's "
                        "Winograd kernels; overrides --width)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random generator")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="autocast precision while training; auto: bf16 on a GPU or a CPU whose oneDNN has bf16 "
                        "kernels (AVX-512), else fp32 (on AVX2, bf16 is emulated: 9x slower a step)")
    p.add_argument("--sources", default="rafdb,expw",
                   help="other training sources beside FER2013, comma-separated (rafdb, expw) or none; each is "
                        "cropped as --framing says (training/sources.py) with 10%% held out for validation")
    p.add_argument("--framing", choices=extra_sources.FRAMINGS, default="haar",
                   help="how the other sources' faces are found and cropped: haar (OpenCV's cascade) or auto "
                        "(fercam's default detector chain, run by .build/release/fercam; training/sources.py)")
    p.add_argument("--source-weights", default="",
                   help="loss weight per face of each source, e.g. fer2013=0.5,rafdb=1,expw=1 (default: all 1)")
    p.add_argument("--shared-data", type=pathlib.Path, default=extra_sources.SHARED_DATA,
                   help="folder holding rafdb/ and expw/ (default: %(default)s)")
    p.add_argument("--subset", type=int, default=0, help="train on the first N shuffled faces only (smoke runs)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--input-size", type=int, default=48,
                   help="resnet-cbam: face side in pixels the model sees (48: FER2013's; validation crops are resized)")
    p.add_argument("--colour", action="store_true",
                   help="resnet-cbam: RGB input (RAF-DB, ExpW and the posed set in colour, FER2013 as R = G = B); "
                        "an experiment: fercam's engine reads grey faces, so export refuses such a run")
    p.add_argument("--init", type=pathlib.Path,
                   help="start from a trained run's best.pt (same architecture): a fine-tune with a fresh schedule")
    p.add_argument("--side-range", default="",
                   help="crop sides (of the Haar box) per source, e.g. rafdb=0.7:1.35 (default: sources.SIDE_RANGE)")
    args = p.parse_args(argv)
    if args.mix_alpha <= 0:
        p.error(f"--mix-alpha must be above 0, got {args.mix_alpha}")
    if not 0 <= args.distill_weight <= 1 or args.distill_temperature <= 0:
        p.error("--distill-weight must be from 0 to 1 and --distill-temperature above 0")
    if args.teacher and not args.teacher.is_file():
        p.error(f"--teacher {args.teacher}: no such checkpoint")
    if args.precision == "auto":
        native_bf16 = args.device.startswith("cuda") or torch.ops.mkldnn._is_mkldnn_bf16_supported()
        args.precision = "bf16" if native_bf16 else "fp32"
    return args


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def at_input_size(model, x: torch.Tensor) -> torch.Tensor:
    """Faces resized to the side the model reads (48x48 validation crops for a larger input), as fercam's crop
    resamples them."""
    size = model_input_size(model)
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


# Without no_grad the EMA copy's parameters require grad, and every batch's activations stay alive until the
# probabilities are concatenated: 12 GB for FER2013 val, which the kernel's OOM killer ended (2026-12-07).
@torch.no_grad()
def predict(model: FerNet, images: torch.Tensor, mean: float, std: float, flip_tta: bool = False,
            batch: int = 512) -> torch.Tensor:
    """Softmax probabilities (on the CPU), optionally averaged with the horizontally flipped face."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(images), batch):
        x = at_input_size(model, normalise(images[start:start + batch].to(device), mean, std))
        x = x.contiguous(memory_format=torch.channels_last)
        p = F.softmax(model(x).float(), 1)
        if flip_tta:
            p = (p + F.softmax(model(torch.flip(x, dims=[3])).float(), 1)) / 2
        out.append(p.cpu())
    return torch.cat(out)


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    error = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            error += float(inside.float().mean() * (confidence[inside].mean() - correct[inside].mean()).abs())
    return error


def source_validation(others: dict) -> dict:
    """{source: {"crops": {margin: N x 48 x 48}, "labels": N}} from each source's held-out faces (their Haar
    framing; faces the cascade missed are framed by the mapped dataset box here, and count as wrong in fercam)."""
    return {name: {"crops": {m: torch.from_numpy(extra_sources.crops_at(val.images, m))
                             for m in extra_sources.VAL_MARGINS},
                   "labels": torch.from_numpy(val.labels)} for name, (_, val, _) in others.items()}


def combine(train: Split, others: dict, source_weights: dict,
            side_ranges: dict | None = None) -> tuple[Split, Framing, torch.Tensor, list[str]]:
    """FER2013 and the other sources in one training set at the sources' stored size. FER2013's 48x48 faces are
    repeated 2x2 (nearest), which bilinear sampling at the identity reads back exactly; their framing is their
    own. Returns the set, each face's framing, its source weight and the source of each face."""
    size = extra_sources.STORE_SIZE
    factor = size // train.images.shape[1]
    images = [train.images.repeat_interleave(factor, 1).repeat_interleave(factor, 2)]
    labels, votes, paths = [train.labels], [train.votes], list(train.paths)
    names = ["fer2013"] * len(train.labels)
    base = [torch.ones(len(train.labels))]
    spec = Augmentation()
    side_min, side_max = [torch.full((len(train.labels),), 1 / spec.scale_max)], \
        [torch.full((len(train.labels),), 1 / spec.scale_min)]
    for name, (faces, _, _) in others.items():
        n = len(faces.labels)
        images.append(torch.from_numpy(faces.images))
        labels.append(torch.from_numpy(faces.labels))
        votes.append(torch.zeros(n, train.votes.shape[1], dtype=train.votes.dtype))
        paths += [f"{name}/{p}" for p in faces.paths]
        names += [name] * n
        # Around the margin-0 framing: sides from 0.7 (margin -0.15) to 1.35 (margin +0.175) of the box. RAF-DB's
        # aligned photo ends at 0.9 box sides: wider crops would be mostly repeated edges, which no camera shows.
        low, high = (side_ranges or {}).get(name, extra_sources.SIDE_RANGE[name])
        base.append(torch.full((n,), extra_sources.base_scale(0.0)))
        side_min.append(torch.full((n,), low))
        side_max.append(torch.full((n,), high))
    combined = Split(torch.cat(images), torch.cat(labels), torch.cat(votes), paths)
    framing = Framing(torch.cat(base), torch.cat(side_min), torch.cat(side_max))
    weight = torch.tensor([source_weights.get(n, 1.0) for n in names])
    return combined, framing, weight, names


def parse_side_ranges(text: str) -> dict:
    """`rafdb=0.7:1.35,expw=0.7:1.35` -> {name: (low, high)}."""
    ranges = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        low, _, high = value.partition(":")
        if name not in extra_sources.SIDE_RANGE or not 0 < float(low) < float(high):
            raise SystemExit(f"--side-range: {item!r} is not SOURCE=LOW:HIGH with 0 < LOW < HIGH")
        ranges[name] = (float(low), float(high))
    return ranges


def parse_source_weights(text: str) -> dict:
    weights = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        if name not in ("fer2013", "rafdb", "expw") or not value:
            raise SystemExit(f"--source-weights: expected NAME=WEIGHT with NAME fer2013, rafdb or expw, got {item!r}")
        weights[name] = float(value)
    return weights


def evaluate(model, val, devset, mean, std, flip_tta=False, others=None) -> dict:
    """Val against both label sets, the dev set at every candidate margin (missed faces count as wrong), and
    each other source's held-out faces at fercam's margins."""
    probabilities = predict(model, val.images, mean, std, flip_tta)
    predicted = probabilities.argmax(1)
    result = {"fer2013": summarise(confusion_matrix(predicted, val.labels))}
    result["fer2013"]["ece"] = expected_calibration_error(probabilities, val.labels)
    majority = ferplus_majority(val.votes)
    keep = majority >= 0
    result["ferplus"] = summarise(confusion_matrix(predicted[keep], majority[keep]))
    result["ferplus"]["ece"] = expected_calibration_error(probabilities[keep], majority[keep])
    if devset is not None:
        result["devset"] = {}
        for margin, crops in devset["crops"].items():
            dev_predicted = predict(model, crops, mean, std, flip_tta).argmax(1)
            summary = summarise(confusion_matrix(dev_predicted, devset["labels"]))
            summary["accuracy"] = float((dev_predicted == devset["labels"]).sum()) / devset["total"]
            result["devset"][str(margin)] = summary
    for name, held in (others or {}).items():
        result[name] = {}
        for margin, crops in held["crops"].items():
            predicted_source = predict(model, crops, mean, std, flip_tta).argmax(1)
            result[name][str(margin)] = summarise(confusion_matrix(predicted_source, held["labels"]))
    return result


def selection_score(result: dict) -> float:
    """The mean over validation sources: FER+ majority on FER2013 val; each other source and the posed dev set
    averaged over fercam's margins -0.15, 0 and +0.15, so that a model whose label hinges on the crop loses.
    Without other sources: FER+ and the dev set's best margin, as the FER2013-only recipe chose."""
    sources = [k for k in ("rafdb", "expw") if k in result]
    if not sources:
        dev = max((d["accuracy"] for d in result.get("devset", {}).values()), default=None)
        return result["ferplus"]["accuracy"] if dev is None else (result["ferplus"]["accuracy"] + dev) / 2
    margins = [str(m) for m in extra_sources.VAL_MARGINS]
    parts = [result["ferplus"]["accuracy"]]
    if "devset" in result:
        parts.append(sum(result["devset"][m]["accuracy"] for m in margins if m in result["devset"]) / len(margins))
    parts += [sum(result[k][m]["accuracy"] for m in margins) / len(margins) for k in sources]
    return sum(parts) / len(parts)


def warmed_up_ema(decay: float):
    """EMA whose decay grows as (1+n)/(10+n) up to `decay`: a plain 0.999 average still remembers the random
    initial weights after four epochs (0.999^880 = 0.41), which made early evaluations meaningless. It updates
    a whole list of tensors in one foreach call: one kernel per step instead of several per tensor, which is
    what a GPU shared by many runs is short of."""
    def average(averaged: list[torch.Tensor], current: list[torch.Tensor], count: torch.Tensor) -> None:
        n = float(count)
        d = min(decay, (1 + n) / (10 + n))
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (batch-norm step counts) are counts, not weights
            torch._foreach_copy_(averaged, current)
    return average


def class_weights(targets: torch.Tensor, weights: torch.Tensor, power: float) -> torch.Tensor:
    mass = (targets * weights[:, None]).sum(0)
    w = (mass / mass.sum()).clamp(min=1e-4) ** -power
    return w / (w * mass / mass.sum()).sum()


def class_weights_by_group(targets: torch.Tensor, weights: torch.Tensor, power: float,
                           groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Class weights computed within each group of faces (a source), one row per group, each keeping its group's
    loss mass; and the mass-weighted mean per class, the prior shift `training.export --logit-adjust` undoes."""
    members = [groups == g for g in range(int(groups.max()) + 1)]
    rows = torch.stack([class_weights(targets[m], weights[m], power) for m in members])
    mass = torch.stack([(targets[m] * weights[m, None]).sum(0) for m in members])
    return rows, (rows * mass).sum(0) / mass.sum(0).clamp(min=1e-8)


class Teacher(torch.nn.Module):
    """A trained model fed the student's normalised faces, renormalised to what it was trained on (a subset
    run, or other data, has another mean and std)."""

    def __init__(self, model, mean: float, std: float, teacher_mean: float, teacher_std: float):
        super().__init__()
        self.model, self.scale, self.shift = model, std / teacher_std, (mean - teacher_mean) / teacher_std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x * self.scale + self.shift)


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per face KL(teacher || student) at `temperature`, times its square so that the gradient's scale does not
    depend on it (Hinton, Vinyals and Dean, 2015)."""
    target = F.softmax(teacher.float() / temperature, 1)
    log_student = F.log_softmax(student.float() / temperature, 1)
    return (target * (target.clamp(min=1e-8).log() - log_student)).sum(1) * temperature ** 2


def train_one_epoch(model, ema, optimiser, schedule, train, targets, weights, class_rows, class_row, mean, std,
                    args, generator, epoch, teacher=None, framing=None) -> float:
    """One pass over the training set. `class_rows` holds rows of class weights (one for the mix, or one per
    source) and `class_row` each face's row."""
    model.train()
    device = torch.device(args.device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16")
    steps = math.ceil(len(train.images) / args.batch_size)
    order = torch.randperm(len(train.images), generator=generator)
    total_loss, seen = 0.0, 0
    for step in range(steps):
        index = order[step * args.batch_size:(step + 1) * args.batch_size]
        face_framing = None if framing is None else Framing(framing.base[index], framing.side_min[index],
                                                             framing.side_max[index])
        x = augment(normalise(train.images[index].to(device), mean, std), generator, framing=face_framing, size=args.input_size)
        y, w = targets[index].to(device), weights[index].to(device)
        x, y, w = mix_batch(x, y, w, args.mix, args.mix_alpha, generator)
        x = x.contiguous(memory_format=torch.channels_last)
        with autocast:
            logits, extra = model.training_outputs(x)
            if teacher is not None:
                with torch.no_grad():
                    teacher_logits = teacher(x)  # the same augmented (and mixed) faces the student sees
        log_p = F.log_softmax(logits.float(), 1)
        loss = -((y * log_p) * class_rows[class_row[index]]).sum(1)
        if teacher is not None:
            loss = (1 - args.distill_weight) * loss + args.distill_weight * distillation_loss(
                logits, teacher_logits, args.distill_temperature)
        # The architecture's own term (reconstruction, L2 on the last layers), 0 for most.
        loss = (loss * w).sum() / w.sum().clamp(min=1) + extra.float()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if ema is not None:
            ema.update_parameters(model)
        total_loss += float(loss.detach()) * len(index)
        seen += len(index)
        if step % 50 == 0:
            print(f"  epoch {epoch + 1} step {step}/{steps} loss {total_loss / seen:.4f}", file=sys.stderr, flush=True)
    return total_loss / seen


def save_checkpoint(path: pathlib.Path, **state) -> None:
    """Write to a temporary file and rename, so an interrupted save never leaves a broken checkpoint."""
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)


def make_optimiser(model, args, steps_per_epoch):
    decay, no_decay = [], []
    for param in model.parameters():
        (no_decay if param.ndim <= 1 else decay).append(param)
    optimiser = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr,
        fused=args.device.startswith("cuda"))  # one kernel for the whole step on a GPU
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15,
        div_factor=10, final_div_factor=100)
    return optimiser, schedule


def resume(path: pathlib.Path, model, ema, optimiser, schedule, device) -> tuple[int, float]:
    """Restores a run from its last checkpoint; returns the next epoch and the best score so far."""
    state = torch.load(path, weights_only=False, map_location=device)
    model.load_state_dict(state["model"])
    if ema is not None and "ema" in state:
        ema.load_state_dict(state["ema"])
    optimiser.load_state_dict(state["optimiser"])
    schedule.load_state_dict(state["schedule"])
    torch.set_rng_state(state["rng"])
    print(f"resumed from {path} at epoch {state['epoch'] + 1}", file=sys.stderr)
    return state["epoch"] + 1, state["best_score"]


def log_epoch(log, epoch: int, args, loss: float, result: dict, score: float, lr: float, seconds: float) -> dict:
    """One line of log.jsonl (the model card's training table) and one line on stderr."""
    dev = {m: round(d["accuracy"], 4) for m, d in result.get("devset", {}).items()}
    record = {"epoch": epoch + 1, "loss": loss, "val_fer2013": result["fer2013"]["accuracy"],
              "val_fer2013_macro_f1": result["fer2013"]["macro_f1"], "val_ferplus": result["ferplus"]["accuracy"],
              "val_ferplus_macro_f1": result["ferplus"]["macro_f1"], "devset": dev, "score": score,
              "lr": lr, "seconds": seconds, "device": args.device}
    for name in ("rafdb", "expw"):
        if name in result:
            record[f"val_{name}"] = {m: round(d["accuracy"], 4) for m, d in result[name].items()}
            record[f"val_{name}_macro_f1"] = {m: round(d["macro_f1"], 4) for m, d in result[name].items()}
    log.write(json.dumps(record) + "\n")
    log.flush()
    print(f"epoch {epoch + 1}/{args.epochs}: loss {loss:.4f}, val FER2013 {record['val_fer2013']:.4f}, "
          f"FER+ {record['val_ferplus']:.4f}, dev {dev}, RAF {record.get('val_rafdb')}, "
          f"ExpW {record.get('val_expw')}, score {score:.4f}, {seconds:.0f} s", file=sys.stderr, flush=True)
    return record


def model_config(width: float, input_size: int = 48, widths: str = "") -> ModelConfig:
    base = dataclasses.replace(ModelConfig(), input_size=input_size)
    if widths:
        stem, *stages = (int(w) for w in widths.split(","))
        if len(stages) != len(base.stage_widths) or min(stem, *stages) < 8:
            raise SystemExit(f"--widths {widths}: want a stem and {len(base.stage_widths)} stage widths, each 8 or more")
        return dataclasses.replace(base, stem_width=stem, stage_widths=tuple(stages))
    scale = lambda c: int(round(c * width / 8)) * 8
    return dataclasses.replace(base, stem_width=scale(base.stem_width),
                               stage_widths=tuple(scale(c) for c in base.stage_widths))


def main(argv=None) -> None:
    args = parse_args(argv)
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    args.out.mkdir(parents=True, exist_ok=True)

    # Data.
    train, val = load_split(args.data, "train"), load_split(args.data, "val")
    if args.colour:
        train, val = (dataclasses.replace(s, images=grey_as_colour(s.images)) for s in (train, val))
    names = [n for n in args.sources.split(",") if n and n != "none"]
    others = extra_sources.load_sources(args.shared_data, names, args.framing, args.colour) if names else {}
    framing, source_weight, source_names = None, None, None
    if others:
        train, framing, source_weight, source_names = combine(
            train, others, parse_source_weights(args.source_weights), parse_side_ranges(args.side_range))
    if args.subset:
        keep = torch.randperm(len(train.images), generator=torch.Generator().manual_seed(args.seed))[:args.subset]
        train = train.subset(keep)
        if framing is not None:
            framing = Framing(framing.base[keep], framing.side_min[keep], framing.side_max[keep])
            source_weight = source_weight[keep]
            source_names = [source_names[i] for i in keep.tolist()]
    devset = load_devset(args.devset, args.colour)
    held_out = source_validation(others)
    targets, weights = training_targets(train, args.label_mix)
    if source_weight is not None:
        weights = weights * source_weight
    # Class weights: one row over the mix, or one per source; `per_class` is what config.json records.
    if args.class_weights_within == "source":
        if source_names is None:
            raise SystemExit("--class-weights-within source: FER2013 is the only source (--sources none)")
        order = list(dict.fromkeys(source_names))
        class_row = torch.tensor([order.index(n) for n in source_names])
        class_rows, per_class = class_weights_by_group(targets, weights, args.class_weight_power, class_row)
        print("class weights within each source: " + "; ".join(
            f"{name} {[round(float(w), 2) for w in row]}" for name, row in zip(order, class_rows)), file=sys.stderr)
    else:
        per_class = class_weights(targets, weights, args.class_weight_power)
        class_rows, class_row = per_class[None], torch.zeros(len(targets), dtype=torch.long)
    class_rows, per_class = class_rows.to(device), per_class.to(device)
    mean, std = pixel_stats(train.images)

    # Model, optimiser, schedule.
    if (args.input_size != 48 or args.colour) and args.arch != "resnet-cbam":
        raise SystemExit(f"--input-size, --colour: {args.arch} is built for grey 48x48 faces; only resnet-cbam "
                         f"reads its size and channels")
    config = dataclasses.replace(model_config(args.width, args.input_size, args.widths),
                                 in_channels=3 if args.colour else 1)
    arch_config = {"model": dataclasses.asdict(config)} if args.arch == "resnet-cbam" else {}
    if args.ablate:
        arch_config.update(ABLATIONS[args.arch][0])
    model = build(args.arch, arch_config)
    parameters, macs = inference_parameters(model), inference_macs(model)
    if parameters > MAX_PARAMETERS or macs > MAX_MACS:
        raise SystemExit(f"{args.arch}: {parameters:,} parameters and {macs / 1e6:.1f} M MACs per face exceed the "
                         f"real-time budget ({MAX_PARAMETERS / 1e6:.0f} M, {MAX_MACS / 1e6:.0f} M)")
    if args.init:
        _, init_state, init_arch = load_trained(args.init)
        if init_arch != args.arch:
            raise SystemExit(f"--init {args.init}: a {init_arch} run, not {args.arch}")
        init_weights, how = init_state["model"], ""
        if args.arch == "resnet-cbam":
            init_config = ModelConfig.from_json(init_state["config"])
            if (init_config.stem_width, tuple(init_config.stage_widths)) != (config.stem_width, tuple(config.stage_widths)):
                init_weights = narrow(init_weights, init_config, config)
                how = f", narrowed from {init_config.stem_width},{','.join(map(str, init_config.stage_widths))}"
        model.load_state_dict(init_weights)
        print(f"initialised from {args.init} (epoch {init_state['epoch'] + 1}{how})", file=sys.stderr)
    model = model.to(device).to(memory_format=torch.channels_last)
    teacher = None
    if args.teacher:
        teacher, teacher_state, teacher_arch = load_trained(args.teacher)
        teacher = Teacher(teacher.to(device).to(memory_format=torch.channels_last), mean, std,
                          teacher_state["mean"], teacher_state["std"])
        print(f"teacher {teacher_arch} from {args.teacher} (epoch {teacher_state['epoch'] + 1})", file=sys.stderr)
    ema = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=warmed_up_ema(args.ema), use_buffers=True) \
        if args.ema else None
    steps_per_epoch = math.ceil(len(train.images) / args.batch_size)
    optimiser, schedule = make_optimiser(model, args, steps_per_epoch)
    print(f"model {args.arch}: {parameters:,} parameters, {macs / 1e6:.1f} M MACs per face; "
          f"train {len(train.images)} faces, val {len(val.images)}, dev set "
          f"{devset['total'] if devset else 'absent'}; class weights {[round(float(w), 2) for w in per_class]}",
          file=sys.stderr)
    (args.out / "config.json").write_text(json.dumps(
        {**{k: str(v) for k, v in vars(args).items()}, "model": config.to_json(),
         "class_weights": [round(float(w), 4) for w in per_class],
         "augmentation": dataclasses.asdict(Augmentation()), "host": socket.gethostname()}, indent=1) + "\n")

    # Resume.
    last_path, best_path = args.out / "last.pt", args.out / "best.pt"
    start_epoch, best_score = resume(last_path, model, ema, optimiser, schedule, device) \
        if args.resume and last_path.exists() else (0, -1.0)

    # Epochs: train, evaluate, log, keep the best and the last.
    generator = torch.Generator().manual_seed(args.seed + start_epoch)
    with (args.out / "log.jsonl").open("a") as log:
        for epoch in range(start_epoch, args.epochs):
            began = time.time()
            loss = train_one_epoch(model, ema, optimiser, schedule, train, targets, weights, class_rows, class_row,
                                   mean, std, args, generator, epoch, teacher, framing)
            evaluated = ema.module if ema is not None else model
            result = evaluate(evaluated, val, devset, mean, std, others=held_out)
            score = selection_score(result)
            log_epoch(log, epoch, args, loss, result, score, schedule.get_last_lr()[0], time.time() - began)
            extra = {"config": config.to_json(), "arch": args.arch, "arch_config": json.dumps(model.arch_config),
                     "mean": mean, "std": std, "epoch": epoch}
            if score > best_score:
                best_score = score
                save_checkpoint(best_path, model=evaluated.state_dict(), score=score, result=result, **extra)
            save_checkpoint(last_path, model=model.state_dict(), ema=ema.state_dict() if ema is not None else None,
                            optimiser=optimiser.state_dict(), schedule=schedule.state_dict(),
                            rng=torch.get_rng_state(), best_score=best_score, **extra)
    print(f"best selection score {best_score:.4f} ({best_path})", file=sys.stderr)


if __name__ == "__main__":
    main()
