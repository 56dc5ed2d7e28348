"""Many training runs at once on one lent GPU, inside a fixed number of seconds.

A lent machine comes with minutes, not hours, and only the work tree travels to it (64 MiB a call). So:

    python -m training.sweep pack --into .cache/sweep           # here: data in carryable parts
    python -m training.sweep unpack .cache/sweep/part-a.tar.xz --into /tmp/fer     # there, one call per part
    python -m training.sweep run --plan training/sweeps/NAME.json --data /tmp/fer --seconds 540 --pack $OUT

`pack` writes FER2013 and the dev-set crops as part-a/b/c, and RAF-DB's and ExpW's cached crops (the Haar
framing's, training/.cache/NAME-faces.npz) split into NAME-faces-K.tar.xz of at most `PART_LIMIT` each; `unpack`
joins a source's parts back into training/.cache/ once its last part has arrived, and training uses those crops
when ../shared/data is not there.

Phases of `run`: calibrate (every job of the plan starts at once and steps 1-50 are timed: the rate each has
beside the others), plan (each group, e.g. the seed systems and their ablations, gets the epochs its slowest
job fits in the time left), train (every job restarts with its epochs; any still running at the end is stopped,
its checkpoints whole since they are written by rename) and pack (each run's best.pt, log and config, in at most
8 parts of 15 MiB; then each run's last-epoch weights in fp16, as many as the lease can return). Start CUDA MPS
first (`nvidia-cuda-mps-control -d`): on an H200 it doubled the throughput of a dozen runs sharing the GPU. Every
job is an ordinary `python -m training.train` command: the same run reproduces on the CPU with its printed
arguments.
"""
from __future__ import annotations

import argparse
import io
import json
import lzma
import math
import pathlib
import signal
import subprocess
import sys
import tarfile
import threading
import time

import numpy as np

PART_BYTES = 15 * 1024 * 1024
# A carried part travels beside the ~34 MiB work tree in one 64 MiB call.
PART_LIMIT = 28 * 1024 * 1024
SOURCE_CACHES = ("rafdb-faces", "expw-faces")
PER_FACE = ("images", "labels", "paths", "detected")  # a source cache's arrays with one entry per face
CALIBRATION_FACES = 12800  # 100 steps of 128: step 0 pays the warm-up, steps 1-50 are timed
TRAIN_FACES = 28709
KEPT_FILES = ("best.pt", "log.jsonl", "config.json", "stderr.log")
RETURNED_BYTES = 60 * 1024 * 1024  # a lease returns 64 MiB in all; the rest is the sweep's log


def load_plan(path: pathlib.Path) -> list[dict]:
    """[{"name", "group", "max_epochs", "args": [...]}, ...]: see training/sweeps/."""
    jobs = json.loads(path.read_text())["jobs"]
    names = [job["name"] for job in jobs]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path}: job names repeat")
    return jobs


def train_command(job: dict, data: pathlib.Path, out: pathlib.Path, device: str, devset: pathlib.Path | None,
                  extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "training.train", *job["args"], "--data", str(data), "--out", str(out),
               "--device", device, "--threads", "1", *extra]
    return command + (["--devset", str(devset)] if devset else [])


class Job:
    """One child process whose stderr is copied to a file, each line stamped with the time it arrived."""

    def __init__(self, name: str, command: list[str], log: pathlib.Path):
        log.parent.mkdir(parents=True, exist_ok=True)
        self.name, self.lines = name, []
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, args=(log,), daemon=True)
        self.reader.start()

    def _read(self, log: pathlib.Path) -> None:
        with log.open("w") as fh:
            for line in self.process.stderr:
                self.lines.append((time.monotonic(), line.rstrip()))
                fh.write(line)
                fh.flush()

    def seconds_per_step(self) -> float | None:
        """Time from the step-0 line to the step-50 line, over 50 steps."""
        stamps = {int(line.split()[3].split("/")[0]): t for t, line in self.lines if line.startswith("  epoch 1 step")}
        return (stamps[50] - stamps[0]) / 50 if 0 in stamps and 50 in stamps else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)


def wait_all(jobs: list[Job], deadline: float) -> None:
    while any(j.process.poll() is None for j in jobs) and time.monotonic() < deadline:
        time.sleep(1)
    for job in jobs:
        job.stop()
    for job in jobs:
        try:
            job.process.wait(10)
        except subprocess.TimeoutExpired:
            job.process.kill()
        job.reader.join(5)


def write_archive(target: pathlib.Path, members: dict[str, dict[str, np.ndarray]]) -> None:
    """An xz tar of .npz members, each stored uncompressed inside so that xz sees the pixels rather than
    deflate's output. Written whole or not at all (by rename)."""
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:xz", preset=9) as tar:
        for name, arrays in members.items():
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            info = tarfile.TarInfo(name)
            info.size = buffer.tell()
            buffer.seek(0)
            tar.addfile(info, buffer)
    partial.replace(target)
    print(f"{target}: {target.stat().st_size / 2**20:.1f} MiB", file=sys.stderr)


def read_npz(path: pathlib.Path, remedy: str) -> dict[str, np.ndarray]:
    if not path.exists():
        raise SystemExit(f"{path}: missing ({remedy})")
    with np.load(path, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def faces_per_part(images: np.ndarray, limit: int) -> int:
    """How many faces xz packs into about 0.85 of `limit`, from a sample of every n-th face: RAF-DB's padded crops
    shrink to 0.29 of their bytes, ExpW's to 0.65."""
    sample = images[::max(1, len(images) // 400)]
    ratio = len(lzma.compress(sample.tobytes(), preset=9)) / max(1, sample.nbytes)
    return max(1, int(0.85 * limit / (ratio * images[0].nbytes)))


def split_cache(arrays: dict[str, np.ndarray], stem: str, rows: int) -> dict[str, dict[str, np.ndarray]]:
    """A source cache as parts STEM.part-K-of-N.npz of `rows` faces each (the last fewer); the first part also
    holds the arrays that are not per face (the val index, the framing map, the source root)."""
    faces = len(arrays["labels"])
    count = max(1, math.ceil(faces / rows))
    parts = {}
    for k in range(count):
        part = {key: arrays[key][k * rows:(k + 1) * rows] for key in PER_FACE}
        if k == 0:
            part.update({key: value for key, value in arrays.items() if key not in PER_FACE})
        parts[f"{stem}.part-{k + 1}-of-{count}.npz"] = part
    return parts


def join_caches(folder: pathlib.Path, into: pathlib.Path) -> list[pathlib.Path]:
    """Every source cache whose parts are all in `folder`, joined into `into` (written whole, by rename); its
    parts are removed. Caches with parts still to come are left for the next call."""
    groups: dict[tuple[str, int], dict[int, pathlib.Path]] = {}
    for path in folder.glob("*.part-*-of-*.npz"):
        stem, _, numbering = path.name[:-len(".npz")].rpartition(".part-")
        k, _, count = numbering.partition("-of-")
        groups.setdefault((stem, int(count)), {})[int(k)] = path
    joined = []
    for (stem, count), paths in sorted(groups.items()):
        if sorted(paths) != list(range(1, count + 1)):
            print(f"{stem}: {len(paths)} of {count} parts here; joined when the rest arrive", file=sys.stderr)
            continue
        parts = [read_npz(paths[k], "a part went missing") for k in range(1, count + 1)]
        arrays = {key: value for key, value in parts[0].items() if key not in PER_FACE}
        arrays.update({key: np.concatenate([part[key] for part in parts]) for key in PER_FACE})
        into.mkdir(parents=True, exist_ok=True)
        target = into / f"{stem}.npz"
        partial = into / f"{stem}.partial.npz"
        np.savez(partial, **arrays)
        partial.replace(target)
        for path in paths.values():
            path.unlink()
        print(f"{target}: {len(arrays['labels'])} faces joined from {count} parts", file=sys.stderr)
        joined.append(target)
    return joined


def pack(args) -> None:
    """Here: FER2013 (packed by ../shared/tools/pack_fer2013.py) and the dev-set crops at fercam's margin and at
    0, as three xz archives that each fit beside the work tree in one call; then the other sources' cached crops
    in parts of at most PART_LIMIT."""
    from .devset import load_devset, write_crops
    from .sources import CACHE_DIR
    args.into.mkdir(parents=True, exist_ok=True)
    devset = load_devset(args.devset)
    if devset is None:
        raise SystemExit(f"{args.devset}: no dev set (photos and OpenCV's cascade are needed)")
    write_crops(args.into / "devset.npz", devset, margins=(-0.15, 0.0))
    fer = f"run python3 ../shared/tools/pack_fer2013.py {args.packed}"
    parts = {"part-a": [args.packed / "train-1.npz"], "part-b": [args.packed / "train-2.npz", args.into / "devset.npz"],
             "part-c": [args.packed / "val.npz"]}
    for name, files in parts.items():
        write_archive(args.into / f"{name}.tar.xz", {path.name: read_npz(path, fer) for path in files})
    (args.into / "devset.npz").unlink()
    for stem in args.sources:
        arrays = read_npz(CACHE_DIR / f"{stem}.npz", "run python -m training.sources, or any training run, first")
        write_source_parts(arrays, stem, args.into, faces_per_part(arrays["images"], PART_LIMIT), PART_LIMIT)


def write_source_parts(arrays: dict[str, np.ndarray], stem: str, into: pathlib.Path, rows: int,
                       limit: int) -> list[pathlib.Path]:
    """A source cache as archives STEM-K.tar.xz of at most `limit` bytes each. `rows` faces a part is the
    compression sample's guess; where a part comes out larger, this source's parts are removed and written again
    with proportionally fewer faces, so that --into never holds an archive that cannot be carried."""
    for _ in range(4):
        targets, largest = [], 0
        for k, (name, part) in enumerate(split_cache(arrays, stem, rows).items(), 1):
            targets.append(into / f"{stem}-{k}.tar.xz")
            write_archive(targets[-1], {name: part})
            largest = max(largest, targets[-1].stat().st_size)
        if largest <= limit:
            return targets
        for target in targets:
            target.unlink()
        print(f"{stem}: a part of {rows} faces came to {largest / 2**20:.1f} MiB, over {limit / 2**20:.0f} MiB; "
              "writing smaller parts", file=sys.stderr)
        rows = max(1, int(rows * 0.9 * limit / largest))
    raise SystemExit(f"{into}/{stem}-*.tar.xz: parts stay over {limit / 2**20:.0f} MiB a call carries beside the "
                     "work tree")


def unpack(args) -> None:
    args.into.mkdir(parents=True, exist_ok=True)
    for archive in args.archives:
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(args.into, filter="data")
    join_caches(args.into, args.caches)
    print(f"{args.into}: {sorted(p.name for p in args.into.iterdir())}", file=sys.stderr)


def calibrate(plan: list[dict], args, seconds: float) -> dict[str, float]:
    """Every job at once until each has timed steps 1-50 (or failed); seconds per step by job."""
    jobs = [Job(job["name"], train_command(job, args.data, args.runs / "calibration" / job["name"], args.device,
                                           None, ["--epochs", "1", "--subset", str(CALIBRATION_FACES)]),
                args.runs / "calibration" / job["name"] / "stderr.log") for job in plan]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(j.seconds_per_step() is None and j.process.poll() is None for j in jobs):
        time.sleep(1)
    wait_all(jobs, time.monotonic())
    rates = {}
    for job in jobs:
        rate = job.seconds_per_step()
        print(f"calibration {job.name}: " + (f"{rate * 1000:.1f} ms a step" if rate else
                                             f"no rate, dropped; last lines {[l for _, l in job.lines[-3:]]}"),
              file=sys.stderr, flush=True)
        if rate:
            rates[job.name] = rate
    return rates


def epochs_for(plan: list[dict], rates: dict, seconds: float) -> dict[str, int]:
    """Per group: as many epochs as its slowest job fits in 85% of `seconds`, at most each job's max_epochs."""
    steps = math.ceil(TRAIN_FACES / 128)
    groups: dict[str, float] = {}
    for job in plan:
        groups[job["group"]] = max(groups.get(job["group"], 0.0), rates[job["name"]] * steps)
    return {job["name"]: max(1, min(job["max_epochs"], int(0.85 * seconds / groups[job["group"]]))) for job in plan}


def final_weights(run: pathlib.Path) -> bytes | None:
    """The last epoch's EMA weights in fp16 (half of best.pt's size): the selection can keep an early epoch on a
    posed-photo peak, and the end of the schedule is worth having beside it."""
    import torch
    last = run / "last.pt"
    if not last.exists():
        return None
    state = torch.load(last, weights_only=False, map_location="cpu")
    if state.get("ema") is None:
        return None
    weights = {k.removeprefix("module."): v.half() if v.is_floating_point() else v
               for k, v in state["ema"].items() if k.startswith("module.")}
    buffer = io.BytesIO()
    keep = ("config", "arch", "arch_config", "mean", "std", "epoch")
    torch.save({"model": weights, **{k: state[k] for k in keep if k in state}}, buffer)
    return buffer.getvalue()


def collect(runs: pathlib.Path, into: pathlib.Path, part_bytes: int = PART_BYTES,
            budget: int = RETURNED_BYTES) -> None:
    """Each run's kept files in one tar, then each run's final weights while they fit in `budget`, cut into
    parts of at most 15 MiB (a lent machine returns 8 files)."""
    buffer = io.BytesIO()
    folders = sorted(p for p in runs.iterdir() if p.is_dir())
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for run in folders:
            for name in KEPT_FILES:
                if (run / name).exists():
                    tar.add(run / name, arcname=f"{run.name}/{name}")
        if (runs / "sweep.json").exists():
            tar.add(runs / "sweep.json", arcname="sweep.json")
        for run in folders:
            final = final_weights(run)
            if final is None or buffer.tell() + len(final) + 2048 > budget:
                continue
            info = tarfile.TarInfo(f"{run.name}/final.pt")
            info.size = len(final)
            tar.addfile(info, io.BytesIO(final))
    data = buffer.getvalue()
    into.mkdir(parents=True, exist_ok=True)
    count = math.ceil(len(data) / part_bytes)
    if count > 8:
        raise SystemExit(f"{len(data) / 2**20:.0f} MiB of results: more than 8 parts of {part_bytes / 2**20:.0f} MiB")
    for index in range(count):
        (into / f"runs.tar.{index}").write_bytes(data[index * part_bytes:(index + 1) * part_bytes])
    print(f"{into}: {count} parts, {len(data) / 2**20:.1f} MiB (cat runs.tar.* | tar x)", file=sys.stderr)


def run(args) -> None:
    began = time.monotonic()
    deadline = began + args.seconds - args.reserve
    plan = load_plan(args.plan)
    rates = calibrate(plan, args, args.calibration_seconds)
    plan = [job for job in plan if job["name"] in rates]
    epochs = epochs_for(plan, rates, deadline - time.monotonic() - 20)  # 20 s: each job's start-up
    jobs = []
    for job in plan:
        command = train_command(job, args.data, args.runs / job["name"], args.device, args.devset,
                                ["--epochs", str(epochs[job["name"]])])
        print(f"{job['name']}: {epochs[job['name']]} epochs: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        jobs.append(Job(job["name"], command, args.runs / job["name"] / "stderr.log"))
    wait_all(jobs, deadline)
    for job in jobs:
        last = [line for _, line in job.lines if line.startswith("epoch ")][-1:]
        print(f"{job.name}: exit {job.process.returncode}; {last}", file=sys.stderr, flush=True)
    (args.runs / "sweep.json").write_text(json.dumps({"rates": rates, "epochs": epochs}, indent=1) + "\n")
    if args.pack:
        collect(args.runs, args.pack)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="verb", required=True)
    v = verbs.add_parser("pack", help="data, dev-set and source crops as archives that travel")
    v.add_argument("--packed", type=pathlib.Path, default=pathlib.Path(".cache/fer-packed"),
                   help="pack_fer2013.py's output (default: %(default)s)")
    from .devset import DEFAULT_DEVSET
    v.add_argument("--devset", type=pathlib.Path, default=DEFAULT_DEVSET, help="posed photographs (default: %(default)s)")
    v.add_argument("--into", type=pathlib.Path, required=True, help="folder for the .tar.xz parts")
    v.add_argument("--sources", type=lambda text: [] if text == "none" else text.split(","),
                   default=list(SOURCE_CACHES),
                   help="cached crops to pack from training/.cache, comma-separated, or none (default: %(default)s)")
    v = verbs.add_parser("unpack", help="extract archives into a data folder; join the sources' parts")
    v.add_argument("archives", type=pathlib.Path, nargs="+")
    v.add_argument("--into", type=pathlib.Path, required=True)
    from .sources import CACHE_DIR
    v.add_argument("--caches", type=pathlib.Path, default=CACHE_DIR,
                   help="where a source's joined crops go (default: %(default)s, where training looks)")
    v = verbs.add_parser("run", help="calibrate, then train every job of a plan at once, then pack")
    v.add_argument("--plan", type=pathlib.Path, required=True, help="training/sweeps/NAME.json")
    v.add_argument("--data", type=pathlib.Path, required=True, help="folder with the unpacked parts")
    v.add_argument("--device", default="cuda")
    v.add_argument("--seconds", type=float, required=True, help="wall-clock budget of the whole run")
    v.add_argument("--calibration-seconds", type=float, default=120, help="at most this long to time the jobs")
    v.add_argument("--reserve", type=float, default=20, help="seconds kept for stopping and packing")
    v.add_argument("--devset", type=pathlib.Path, help="dev-set crops file (devset.npz in the data folder)")
    v.add_argument("--runs", type=pathlib.Path, required=True, help="where the run folders go")
    v.add_argument("--pack", type=pathlib.Path, help="folder for the packed results ($OUT on a lent machine)")
    args = p.parse_args(argv)
    {"pack": pack, "unpack": unpack, "run": run}[args.verb](args)


if __name__ == "__main__":
    main()
