"""Would int8 bring the default model inside the 1.5 ms budget on a CPU without AVX-512? A probe in ONNX Runtime,
whose int8 convolutions (MLAS, u8 x s8) are the mature reference on such CPUs, before building anything in fercam.

    python scripts/reference/int8_probe.py [--model assets/fercam-resnet-cbam.onnx] [--rounds 5]

Quantises the shipped ONNX model statically (weights per output channel, activations per tensor, min-max over 512
FER2013 training faces), in ONNX Runtime's two forms (QDQ and QOperator), then prints each form's FER2013 val
accuracy, its agreement with fp32, and the median latency at batch 1 on one thread (median of --rounds rounds of
200 calls, the three forms interleaved). Needs training/.cache/{train,val}.npz (any training run writes them).
"""
import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,  # noqa: E402
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402
from safetensors import safe_open  # noqa: E402


def preprocess(images: np.ndarray, side: int, mean: float, std: float) -> np.ndarray:
    """FER2013's 48x48 faces at the model's side, normalised as the model file says."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
    x = torch.nn.functional.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return ((x - mean) / std).numpy()


class Batches(CalibrationDataReader):
    def __init__(self, faces: np.ndarray, name: str):
        self.faces, self.name, self.start = faces, name, 0

    def get_next(self):
        if self.start >= len(self.faces):
            return None
        batch = self.faces[self.start:self.start + 32]
        self.start += 32
        return {self.name: batch}


def median_ms(session, face: np.ndarray, name: str, repeats: int = 200) -> float:
    for _ in range(20):
        session.run(None, {name: face})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {name: face})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=pathlib.Path, default=ROOT / "assets/fercam-resnet-cbam.onnx")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with safe_open(str(args.model.with_suffix(".safetensors")), "np") as f:
        metadata = f.metadata()
    norm, side = json.loads(metadata["normalisation"]), int(metadata.get("input_size", 48))
    cache = ROOT / "training/.cache"
    train, val = np.load(cache / "train.npz"), np.load(cache / "val.npz")
    pick = np.random.default_rng(0).choice(len(train["images"]), 512, replace=False)
    calibration = preprocess(train["images"][pick], side, norm["mean"], norm["std"])
    faces, labels = preprocess(val["images"], side, norm["mean"], norm["std"]), val["labels"]

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as scratch:
        prepared = pathlib.Path(scratch) / "prepared.onnx"
        quant_pre_process(str(args.model), str(prepared))
        paths = {"fp32": args.model}
        for form in (QuantFormat.QDQ, QuantFormat.QOperator):
            paths[f"int8 {form.name}"] = pathlib.Path(scratch) / f"{form.name}.onnx"
            quantize_static(str(prepared), str(paths[f"int8 {form.name}"]), Batches(calibration, "faces"),
                            quant_format=form, per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
        sessions = {name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    for name, path in paths.items()}
        predicted = {name: np.concatenate([s.run(None, {"faces": faces[i:i + 256]})[0].argmax(1)
                                           for i in range(0, len(faces), 256)]) for name, s in sessions.items()}
        rounds = {name: [] for name in sessions}
        for _ in range(args.rounds):
            for name, session in sessions.items():
                rounds[name].append(median_ms(session, faces[:1], "faces"))
    for name in sessions:
        print(f"{name}: FER2013 val {100 * (predicted[name] == labels).mean():.2f}%, agrees with fp32 on "
              f"{100 * (predicted[name] == predicted['fp32']).mean():.1f}%, batch 1 "
              f"{statistics.median(rounds[name]):.3f} ms (rounds {', '.join(f'{r:.2f}' for r in rounds[name])})")


if __name__ == "__main__":
    sys.exit(main())
