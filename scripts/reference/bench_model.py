"""Side-by-side model benchmark: each shipped model's weights in PyTorch (eager, fp32), in
ONNX Runtime (CPU provider) and in fercam's oneDNN engine (`fercam bench model`),
one thread each, at batch 1, 4 (a frame with four faces) and 8, in one run.

    python scripts/reference/bench_model.py --fercam .build/release/fercam        # every assets/fercam-*.safetensors
    python scripts/reference/bench_model.py --fercam .build/release/fercam --models assets/fercam-cnn-alstm.safetensors

Each engine is timed --rounds times, interleaved; each round reports the median of
--repeats calls, and the median round is printed. Latency is per face.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402

from training.arch import build  # noqa: E402


def median_ms(call, batch: int, repeats: int) -> float:
    for _ in range(20):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000 / batch)
    return statistics.median(times)


def load_pytorch(path: pathlib.Path):
    """The architecture the file's metadata names, its input side, and its weights (training-only modules are not
    in the file)."""
    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    arch = metadata["format"].removeprefix("fercam-").removesuffix("/1")
    config = json.loads(metadata["config"])
    model = build(arch, {"model": config} if arch == "resnet-cbam" else config)
    model.load_state_dict(state, strict=False)
    return arch, int(metadata.get("input_size", 48)), model.eval()


def bench(path: pathlib.Path, args) -> dict:
    arch, side, model = load_pytorch(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path.with_suffix(".onnx")), options, providers=["CPUExecutionProvider"])
    results: dict[str, list[float]] = {}
    isa = "?"
    for _ in range(args.rounds):
        for batch in args.batches:
            x = np.random.default_rng(0).standard_normal((batch, 1, side, side)).astype(np.float32)
            xt = torch.from_numpy(x)
            with torch.inference_mode():
                results.setdefault(f"pytorch/fp32/{batch}", []).append(median_ms(lambda: model(xt), batch, args.repeats))
            results.setdefault(f"onnxruntime/fp32/{batch}", []).append(
                median_ms(lambda: session.run(["logits"], {"faces": x}), batch, args.repeats))
        out = subprocess.run([args.fercam, "bench", "model", "--model", str(path), "--repeats", str(args.repeats)]
                             + sum((["--batch", str(b)] for b in args.batches), []), check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            row = json.loads(line)
            results.setdefault(f"fercam/{row['precision']}/{row['batch']}", []).append(row["median_ms_per_face"])
            isa = row["isa"]

    summary = {key: statistics.median(values) for key, values in results.items()}
    print(f"\n{arch}: one thread, per-face latency (ms), median of {args.rounds} rounds x {args.repeats} calls; "
          f"oneDNN ISA {isa}")
    print(f"{'engine':<28}" + "".join(f"{'batch ' + str(b):>12}" for b in args.batches))
    for engine in sorted({k.rsplit('/', 1)[0] for k in summary}):
        print(f"{engine:<28}" + "".join(f"{summary[f'{engine}/{b}']:>12.3f}" for b in args.batches))
    for engine in sorted({k.rsplit('/', 1)[0] for k in summary if k.startswith("fercam")}):
        ratios = [summary[f"onnxruntime/fp32/{b}"] / summary[f"{engine}/{b}"] for b in args.batches]
        print(f"ONNX Runtime / {engine}: " + ", ".join(f"batch {b}: {r:.2f}x" for b, r in zip(args.batches, ratios)))
    return {"arch": arch, "isa": isa, "rounds": results, "median": summary}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--fercam", required=True)
    p.add_argument("--models", type=pathlib.Path, nargs="+",
                   default=sorted((ROOT / "assets").glob("fercam-*.safetensors")))
    p.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--json", type=pathlib.Path)
    args = p.parse_args()

    torch.set_num_threads(1)
    report = [bench(path, args) for path in args.models]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
