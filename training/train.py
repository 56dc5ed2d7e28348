"""Train fercam's expression model on FER2013.

    python -m training.train --data ../shared/data/fer2013 --out training/runs/main

Checkpoints every epoch (last.pt) and keeps the best on val (best.pt); --resume
continues from last.pt. Model selection uses val only.
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .data import DEFAULT_DATA, augment, load_split, normalise
from .metrics import confusion_matrix, summarise
from .model import FerNet, ModelConfig, count_macs, count_parameters


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=pathlib.Path, default=pathlib.Path("training/runs/main"))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    p.add_argument("--subset", type=int, default=0, help="train on the first N shuffled faces only (smoke runs)")
    p.add_argument("--resume", action="store_true")
    return p.parse_args(argv)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def predict(model: FerNet, images: torch.Tensor, mean: float, std: float, flip_tta: bool, batch: int = 512) -> torch.Tensor:
    """Returns softmax probabilities, optionally averaged with the horizontally flipped face."""
    model.eval()
    out = []
    for start in range(0, len(images), batch):
        x = normalise(images[start:start + batch], mean, std).contiguous(memory_format=torch.channels_last)
        p = F.softmax(model(x).float(), 1)
        if flip_tta:
            p = (p + F.softmax(model(torch.flip(x, dims=[3])).float(), 1)) / 2
        out.append(p)
    return torch.cat(out)


def evaluate(model, images, labels, mean, std, flip_tta=False) -> dict:
    predicted = predict(model, images, mean, std, flip_tta).argmax(1)
    return summarise(confusion_matrix(predicted, labels))


def main(argv=None) -> None:
    args = parse_args(argv)
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    train_x, train_y, _ = load_split(args.data, "train")
    val_x, val_y, _ = load_split(args.data, "val")
    if args.subset:
        keep = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(args.seed))[: args.subset]
        train_x, train_y = train_x[keep], train_y[keep]
    mean = float(train_x.float().mean() / 255)
    std = float(train_x.float().std() / 255)

    config = ModelConfig()
    model = FerNet(config).to(memory_format=torch.channels_last)
    print(f"model: {count_parameters(model):,} parameters, {count_macs(model) / 1e6:.1f} M MACs per face; "
          f"train {len(train_x)} faces, val {len(val_x)}; mean {mean:.4f} std {std:.4f}", file=sys.stderr)

    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim <= 1 else decay).append(param)
    optimiser = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr,
    )
    steps_per_epoch = math.ceil(len(train_x) / args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.2,
        div_factor=10, final_div_factor=100,
    )
    start_epoch, best_acc = 0, 0.0
    last_path, best_path = args.out / "last.pt", args.out / "best.pt"
    if args.resume and last_path.exists():
        state = torch.load(last_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        start_epoch, best_acc = state["epoch"] + 1, state["best_acc"]
        print(f"resumed from {last_path} at epoch {start_epoch}", file=sys.stderr)

    generator = torch.Generator().manual_seed(args.seed + start_epoch)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16")
    log = (args.out / "log.jsonl").open("a")
    for epoch in range(start_epoch, args.epochs):
        model.train()
        began = time.time()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, file=sys.stderr)
        for step in bar:
            index = order[step * args.batch_size:(step + 1) * args.batch_size]
            x = augment(normalise(train_x[index], mean, std), generator).contiguous(memory_format=torch.channels_last)
            y = train_y[index]
            with autocast:
                loss = F.cross_entropy(model(x), y, label_smoothing=args.label_smoothing)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(index)
            seen += len(index)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}")
        with autocast:
            val = evaluate(model, val_x, val_y, mean, std)
        record = {"epoch": epoch + 1, "loss": total_loss / seen, "val_accuracy": val["accuracy"],
                  "val_macro_f1": val["macro_f1"], "lr": schedule.get_last_lr()[0], "seconds": time.time() - began}
        log.write(json.dumps(record) + "\n")
        log.flush()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {record['loss']:.4f}, val acc {val['accuracy']:.4f}, "
              f"macro-F1 {val['macro_f1']:.4f}, {record['seconds']:.0f} s", file=sys.stderr)
        extra = {"config": config.to_json(), "mean": mean, "std": std}
        if val["accuracy"] > best_acc:
            best_acc = val["accuracy"]
            torch.save({"model": model.state_dict(), "epoch": epoch, "val_accuracy": best_acc, **extra}, best_path)
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                    "rng": torch.get_rng_state(), "epoch": epoch, "best_acc": best_acc, **extra}, last_path)
    print(f"best val accuracy {best_acc:.4f} ({best_path})", file=sys.stderr)


if __name__ == "__main__":
    main()
