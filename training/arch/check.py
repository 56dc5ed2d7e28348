"""Checks every architecture against the interface and the real-time budget, on random faces:

    python -m training.arch.check

Prints parameters and MACs per face (inference) and fails if a model breaks the interface, exceeds 5 M
parameters or 200 M MACs, or gives different logits for a face alone and in a batch (eval mode). It also checks
the batch mixing every architecture trains with (`--mix`): targets stay distributions, a seed repeats itself;
and distillation (`--teacher`): the teacher sees faces in its own normalisation, the loss is 0 only on agreement;
and the GPU sweep's arithmetic (a group's epochs follow its slowest job; results split and rejoin whole);
and narrowing (`--init` at fewer channels): a network whose dropped channels are silent gives the same logits
narrowed; and the weight average of two runs (`training.soup`): the mean of their tensors, the geometric mean of
their class weights, their logs tagged, runs of other widths refused.
"""
from __future__ import annotations

import json
import pathlib
import sys
import tempfile

import torch

from . import ABLATIONS, ARCHITECTURES, SEED_PAPER, build
from .costs import inference_macs, inference_parameters
from ..data import mix_batch
from ..model import FerNet, ModelConfig
from ..narrow import narrow
from ..soup import average, check_compatible, load_runs, write_soup
from ..train import MAX_MACS, MAX_PARAMETERS, Teacher, distillation_loss, model_config


def check(name: str, ablated: bool = False) -> str:
    torch.manual_seed(0)
    model = build(name, ABLATIONS[name][0] if ablated else None).eval()
    x = torch.randn(4, 1, 48, 48)
    with torch.no_grad():
        logits, attention = model.forward_with_attention(x)
        alone = model(x[1:2])
    if logits.shape != (4, 7):
        raise ValueError(f"{name}: logits of shape {tuple(logits.shape)}, expected (4, 7)")
    if not attention:
        raise ValueError(f"{name}: no attention outputs")
    if not torch.allclose(alone, logits[1:2], atol=1e-4):
        raise ValueError(f"{name}: a face alone and in a batch give different logits")
    model.train()
    train_logits, extra = model.training_outputs(x)
    (train_logits.sum() + extra).backward()
    parameters, macs = inference_parameters(model), inference_macs(model)
    if parameters > MAX_PARAMETERS or macs > MAX_MACS:
        raise ValueError(f"{name}: {parameters:,} parameters, {macs / 1e6:.1f} M MACs: over the budget")
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in attention.items())
    label = f"{name} (ablated)" if ablated else name
    return f"{label:24s} seed {SEED_PAPER[name]}  {parameters:>9,} parameters  {macs / 1e6:7.2f} M MACs  {shapes}"


def check_mixing() -> str:
    x = torch.randn(7, 1, 48, 48)
    y, w = torch.eye(7), torch.ones(7)  # one face per class, so a face's own share is its own class's
    for kind in ("mixup", "cutmix"):
        mixed, my, mw = mix_batch(x, y, w, kind, 0.4, torch.Generator().manual_seed(1))
        again, _, _ = mix_batch(x, y, w, kind, 0.4, torch.Generator().manual_seed(1))
        if not torch.equal(mixed, again):
            raise ValueError(f"{kind}: the same seed mixed differently")
        if not torch.allclose(my.sum(1), torch.ones(7)) or not torch.allclose(mw, w):
            raise ValueError(f"{kind}: mixed targets are not distributions")
        # Each face keeps share lam of its own target and gets 1-lam of its partner's: the pixels agree.
        own = my.diagonal()
        if kind == "mixup":
            partner = (my - torch.diag(own)).argmax(1)
            expected = own.view(7, 1, 1, 1) * x + (1 - own.view(7, 1, 1, 1)) * x[partner]
            if not bool((own < 1).all()) or not torch.allclose(mixed, expected, atol=1e-5):
                raise ValueError("mixup: pixels and targets disagree on the share")
        else:
            kept = (mixed == x).float().mean(dim=(1, 2, 3))
            if not torch.allclose(kept, own, atol=1e-6):
                raise ValueError("cutmix: the pasted area and the target share disagree")
    unmixed = mix_batch(x, y, w, "none", 0.4, torch.Generator())
    if unmixed[0] is not x:
        raise ValueError("--mix none changed the batch")
    return "batch mixing (mixup, cutmix)     targets and pixels agree, seeded"


def check_distillation() -> str:
    teacher = build("deep-emotion").eval()
    pixels = torch.rand(5, 1, 48, 48)
    # The student normalises with (0.4, 0.2), the teacher was trained with (0.5, 0.25): same pixels, same logits.
    with torch.no_grad():
        direct = teacher((pixels - 0.5) / 0.25)
        wrapped = Teacher(teacher, 0.4, 0.2, 0.5, 0.25)((pixels - 0.4) / 0.2)
    if not torch.allclose(direct, wrapped, atol=1e-5):
        raise ValueError("distillation: the teacher saw the student's normalisation, not its own")
    logits = torch.randn(5, 7)
    same, other = distillation_loss(logits, logits, 2.0), distillation_loss(logits, logits.flip(1), 2.0)
    if same.abs().max() > 1e-5 or not bool((other > 0).all()):
        raise ValueError("distillation: the loss is not 0 on agreement and positive elsewhere")
    return "distillation (--teacher)          teacher inputs renormalised, loss 0 only on agreement"


def check_sweep() -> str:
    import io
    import json
    import shutil
    import tarfile
    import tempfile
    from .. import sweep
    from . import load_trained
    plan = [{"name": "fast", "group": "g", "max_epochs": 100}, {"name": "slow", "group": "g", "max_epochs": 100},
            {"name": "alone", "group": "h", "max_epochs": 10}]
    epochs = sweep.epochs_for(plan, {"fast": 0.01, "slow": 0.04, "alone": 0.001}, 450)
    steps = -(-sweep.TRAIN_FACES // 128)
    if epochs != {"fast": int(0.85 * 450 / (0.04 * steps)), "slow": int(0.85 * 450 / (0.04 * steps)), "alone": 10}:
        raise ValueError(f"sweep: epochs {epochs} do not follow each group's slowest job and the caps")
    job = object.__new__(sweep.Job)
    job.lines = [(10.0, "  epoch 1 step 0/100 loss 2"), (11.0, "  epoch 1 step 50/100 loss 1.9")]
    if abs(job.seconds_per_step() - 0.02) > 1e-9:
        raise ValueError("sweep: seconds per step misread from the step lines")
    with tempfile.TemporaryDirectory() as folder:
        runs, out = pathlib.Path(folder) / "runs", pathlib.Path(folder) / "out"
        (runs / "a").mkdir(parents=True)
        payload = bytes(range(256)) * 40
        (runs / "a" / "best.pt").write_bytes(payload)
        sweep.collect(runs, out, part_bytes=4096)
        joined = b"".join((out / f"runs.tar.{i}").read_bytes() for i in range(len(list(out.iterdir()))))
        with tarfile.open(fileobj=io.BytesIO(joined)) as tar:
            if tar.extractfile("a/best.pt").read() != payload:
                raise ValueError("sweep: the packed parts do not rejoin into the run's files")
        # A run's last checkpoint: its EMA weights come back as final.pt (fp16) while they fit, and load.
        model = build("deep-emotion").eval()
        ema = torch.optim.swa_utils.AveragedModel(model, use_buffers=True)
        torch.save({"ema": ema.state_dict(), "arch": "deep-emotion", "arch_config": json.dumps(model.arch_config),
                    "mean": 0.5, "std": 0.25, "epoch": 3}, runs / "a" / "last.pt")
        for budget, expected in ((2**30, True), (len(payload), False)):
            shutil.rmtree(out)
            sweep.collect(runs, out, budget=budget)
            joined = b"".join((out / f"runs.tar.{i}").read_bytes() for i in range(len(list(out.iterdir()))))
            with tarfile.open(fileobj=io.BytesIO(joined)) as tar:
                if ("a/final.pt" in tar.getnames()) != expected:
                    raise ValueError(f"sweep: final weights {'missing' if expected else 'over the budget'}")
                if expected:
                    tar.extract("a/final.pt", folder, filter="data")
        final, state, _ = load_trained(pathlib.Path(folder) / "a" / "final.pt")
        x = torch.randn(2, 1, 48, 48)
        with torch.no_grad():
            if state["epoch"] != 3 or (final(x) - model(x)).abs().max() > 1e-2:
                raise ValueError("sweep: final.pt does not hold the run's EMA weights")
    return "GPU sweep (training.sweep)        epochs per group, step timing, parts rejoin, final weights fit"


def check_narrowing() -> str:
    """Silence the channels narrowing should drop (zero batch-norm scale and shift, zero MLP columns): the
    narrowed network must then compute exactly what the wide one does, at another input size too."""
    torch.manual_seed(0)
    wide_config, small_config = ModelConfig(), model_config(1.0, 64, "16,32,64,160")
    state = {k: v.clone() for k, v in FerNet(wide_config).state_dict().items()}

    def silence(norm: str, channels: torch.Tensor) -> None:
        state[f"{norm}.weight"] = torch.rand(len(state[f"{norm}.weight"])) + 1
        state[f"{norm}.weight"][channels], state[f"{norm}.bias"][channels] = 0, 0

    def some(width: int, kept: int) -> torch.Tensor:
        return torch.randperm(width)[kept:]

    silence("stem.1", some(32, 16))
    for stage, (width, kept) in enumerate([(32, 32), (96, 64), (192, 160)]):
        joined = some(width, kept)  # a stage's block outputs and shortcut share their channels
        for block in range(wide_config.stage_blocks[stage]):
            silence(f"stages.{stage}.{block}.bn1", some(width, kept))
            silence(f"stages.{stage}.{block}.bn2", joined)
        silence(f"stages.{stage}.0.shortcut.1", joined)
    state["cbam_last.channel.fc2.weight"][:, some(24, 20)] = 0
    wide, small = FerNet(wide_config).eval(), FerNet(small_config).eval()
    wide.load_state_dict(state)
    small.load_state_dict(narrow(state, wide_config, small_config))
    x = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        difference = (wide(x) - small(x)).abs().max().item()
    if difference > 1e-4:
        raise ValueError(f"narrowing: the narrowed network differs by {difference:.2e} on silent channels")
    return f"narrowing 32,32,96,192 -> 16,32,64,160: logits within {difference:.1e} of the wide network"


def check_soup() -> str:
    """Two runs of one architecture average tensor by tensor; the class weights the export adjusts by are their
    geometric mean (the mean log prior); a run of other widths is refused, not averaged."""
    torch.manual_seed(0)
    config = model_config(1.0, 64, "16,32,64,160")
    with tempfile.TemporaryDirectory() as tmp:
        folders = [pathlib.Path(tmp, name) for name in ("labels", "votes", "other")]
        for folder, weights, mix, widths in zip(folders, ([1.0] * 6 + [4.0], [4.0] + [1.0] * 6, [1.0] * 7),
                                                (0, 1, 0), (config, config, ModelConfig())):
            folder.mkdir()
            state = {"model": FerNet(widths).state_dict(), "arch": "resnet-cbam", "config": widths.to_json(),
                     "arch_config": {"model": widths.to_json()}, "mean": 0.5, "std": 0.25, "epoch": 3}
            torch.save(state, folder / "best.pt")
            (folder / "config.json").write_text(json.dumps({"label_mix": str(float(mix)), "class_weights": weights}))
            (folder / "log.jsonl").write_text(json.dumps({"epoch": 1}) + "\n")
        runs = load_runs(folders[:2])
        check_compatible(runs, folders[:2])
        soup_config = write_soup(pathlib.Path(tmp, "soup"), runs, folders[:2])
        soup = torch.load(pathlib.Path(tmp, "soup/best.pt"), weights_only=False)["model"]
        expected = {k: (runs[0][0]["model"][k].float() + runs[1][0]["model"][k].float()) / 2 for k in soup}
        gap = max((soup[k].float() - expected[k]).abs().max().item() for k in soup if soup[k].is_floating_point())
        if gap > 1e-6 or average([runs[0][0]["model"]])["stem.0.weight"].ne(runs[0][0]["model"]["stem.0.weight"]).any():
            raise ValueError(f"soup: the average is off by {gap:.2e}")
        if soup_config["class_weights"][0] != 2.0 or soup_config["class_weights"][6] != 2.0 \
                or float(soup_config["label_mix"]) != 0.5:
            raise ValueError(f"soup: class weights {soup_config['class_weights']}, label mix {soup_config['label_mix']}"
                             " (expected 2.0 at both ends, 0.5)")
        tags = [json.loads(line)["run"] for line in pathlib.Path(tmp, "soup/log.jsonl").read_text().splitlines()]
        if tags != ["labels", "votes"]:
            raise ValueError(f"soup: the log's runs are {tags}")
        try:
            check_compatible(load_runs([folders[0], folders[2]]), [folders[0], folders[2]])
        except SystemExit:
            return "soup: two runs averaged tensor by tensor, class weights by geometric mean; other widths refused"
        raise ValueError("soup: runs of different widths were accepted")


def main() -> None:
    failed = False
    try:
        print(check_mixing())
        print(check_distillation())
        print(check_sweep())
        print(check_narrowing())
        print(check_soup())
    except ValueError as error:
        print(error, file=sys.stderr)
        failed = True
    for name in ARCHITECTURES:
        for ablated in (False, True):
            try:
                print(check(name, ablated))
            except ValueError as error:
                print(error, file=sys.stderr)
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
