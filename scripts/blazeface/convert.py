#!/usr/bin/env python3
"""Converts MediaPipe's BlazeFace detectors (TFLite) into safetensors that fercam's engine runs.

Run once, at conversion time only (`make blazeface-convert`, in .venv-mp: scripts/blazeface/requirements.txt):

    python scripts/blazeface/convert.py WHEEL_DIR assets/

WHEEL_DIR is the unpacked `mediapipe==0.10.14` wheel (`pip download --no-deps mediapipe==0.10.14`, unzip). The two
models are read from mediapipe/modules/face_detection/. Phases:

1. `read_graph`: the TFLite flatbuffer's operators and options (the `tflite` package), and every constant tensor's
   value after TFLite itself has dequantised (fp16) and densified (the full-range model's sparse weights) it: one
   interpreter run with all tensors preserved.
2. `lower`: the operators become fercam's small op set: convolutions (depthwise ones are grouped) with their
   padding made explicit (TF's SAME puts the odd pixel at the end; explicit PAD ops fold in), a residual add and a
   ReLU fused into the convolution that feeds them, max pooling, bilinear resizing, depth-to-space. Channel padding
   before a residual add becomes an add into the first channels. Reshape and concatenation at the end are the
   heads' order.
3. `check`: a NumPy run of the lowered graph against the TFLite interpreter on random input (max difference printed;
   a difference above 1e-3 stops the conversion).
4. `write`: weights in PyTorch's OIHW order, the graph, the anchors and the decoding constants (MediaPipe's
   face_detection_{short,full}_range.pbtxt) as JSON metadata, and a SHA-256 of the source .tflite.
"""
import argparse
import hashlib
import json
import pathlib
import sys

import numpy as np
import tflite
import tflite_runtime.interpreter as tflite_runtime

# MediaPipe 0.10.14's face detection graphs (mediapipe/modules/face_detection/face_detection_*_range.pbtxt):
# SsdAnchorsCalculator, TensorsToDetectionsCalculator and NonMaxSuppressionCalculator options.
MODELS = {
    "blazeface": {
        "file": "face_detection_short_range.tflite",
        "anchors": {"num_layers": 4, "strides": [8, 16, 16, 16], "min_scale": 0.1484375, "max_scale": 0.75,
                    "offset": 0.5, "interpolated_scale_aspect_ratio": 1.0},
        "decode": {"scale": 128.0, "min_score": 0.5, "score_clip": 100.0, "keypoints": 6,
                   "suppression_iou": 0.3},
    },
    "blazeface-full": {
        "file": "face_detection_full_range_sparse.tflite",
        "anchors": {"num_layers": 1, "strides": [4], "min_scale": 0.1484375, "max_scale": 0.75,
                    "offset": 0.5, "interpolated_scale_aspect_ratio": 0.0},
        "decode": {"scale": 192.0, "min_score": 0.6, "score_clip": 100.0, "keypoints": 6,
                   "suppression_iou": 0.3},
    },
}
KEYPOINT_NAMES = ["right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion", "left_ear_tragion"]
OPS = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}


def read_graph(path: pathlib.Path):
    """Operators as (name, inputs, outputs, options), tensor shapes, and every tensor's value after one run."""
    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    graph = model.Subgraphs(0)
    shapes = {i: list(graph.Tensors(i).ShapeAsNumpy()) if graph.Tensors(i).ShapeLength() else []
              for i in range(graph.TensorsLength())}
    interpreter = tflite_runtime.Interpreter(model_path=str(path), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    rng = np.random.default_rng(0)
    sample = rng.uniform(-1, 1, source["shape"]).astype(np.float32)
    interpreter.set_tensor(source["index"], sample)
    interpreter.invoke()
    values = {}
    for i in range(graph.TensorsLength()):
        try:
            values[i] = np.array(interpreter.get_tensor(i))
        except ValueError:
            pass
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = OPS[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        table = op.BuiltinOptions()
        options = {}
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            o = tflite.Conv2DOptions() if name == "CONV_2D" else tflite.DepthwiseConv2DOptions()
            o.Init(table.Bytes, table.Pos)
            options = {"stride": (o.StrideH(), o.StrideW()), "same": o.Padding() == tflite.Padding.SAME,
                       "relu": o.FusedActivationFunction() == tflite.ActivationFunctionType.RELU,
                       "dilation": (o.DilationHFactor(), o.DilationWFactor())}
            if o.FusedActivationFunction() not in (0, 1):
                raise SystemExit(f"{path.name}: operator {i} has activation {o.FusedActivationFunction()}")
        elif name == "ADD":
            o = tflite.AddOptions()
            o.Init(table.Bytes, table.Pos)
            options = {"relu": o.FusedActivationFunction() == tflite.ActivationFunctionType.RELU}
        elif name == "MAX_POOL_2D":
            o = tflite.Pool2DOptions()
            o.Init(table.Bytes, table.Pos)
            options = {"kernel": (o.FilterHeight(), o.FilterWidth()), "stride": (o.StrideH(), o.StrideW()),
                       "same": o.Padding() == tflite.Padding.SAME}
        elif name == "RESIZE_BILINEAR":
            o = tflite.ResizeBilinearOptions()
            o.Init(table.Bytes, table.Pos)
            options = {"align_corners": bool(o.AlignCorners()), "half_pixel": bool(o.HalfPixelCenters())}
        elif name == "DEPTH_TO_SPACE":
            o = tflite.DepthToSpaceOptions()
            o.Init(table.Bytes, table.Pos)
            options = {"block": o.BlockSize()}
        ops.append((name, [int(t) for t in op.InputsAsNumpy() if t >= 0], [int(t) for t in op.OutputsAsNumpy()],
                    options))
    return ops, shapes, values, int(graph.Inputs(0)), [int(graph.Outputs(i)) for i in range(graph.OutputsLength())], \
        sample


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def lower(ops, shapes, values, input_id, output_ids, name):
    """fercam's op list (see the module docstring). Tensor ids stay TFLite's."""
    producer, consumers = {}, {}
    for index, (_, inputs, outputs, _) in enumerate(ops):
        for t in outputs:
            producer[t] = index
        for t in inputs:
            consumers.setdefault(t, []).append(index)
    alias = {}  # tensor -> (tensor it is, kind): spatial or channel padding, reshape
    weights, graph = {}, []

    def resolve(t):
        return alias.get(t, (t, None))

    for index, (kind, inputs, outputs, options) in enumerate(ops):
        if kind in ("DEQUANTIZE", "DENSIFY"):
            continue
        if kind == "PAD":
            pads = values[inputs[1]].tolist()
            source, _ = resolve(inputs[0])
            if pads[0] != [0, 0]:
                raise SystemExit(f"{name}: operator {index} pads the batch")
            if pads[3] != [0, 0] and (pads[1] != [0, 0] or pads[2] != [0, 0] or pads[3][0] != 0):
                raise SystemExit(f"{name}: operator {index} pads channels and space together")
            alias[outputs[0]] = (source, ("channels", pads[3][1]) if pads[3] != [0, 0]
                                 else ("space", pads[1][0], pads[2][0], pads[1][1], pads[2][1]))
            continue
        if kind == "RESHAPE":
            alias[outputs[0]] = (resolve(inputs[0])[0], None)
            continue
        if kind == "CONCATENATION":
            continue
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            source, padding = resolve(inputs[0])
            w, b = values[inputs[1]].astype(np.float32), values[inputs[2]].astype(np.float32)
            _, height, width, channels = shapes[source]
            if padding and padding[0] != "space":
                raise SystemExit(f"{name}: operator {index} convolves channel-padded input")
            if options["dilation"] != (1, 1):
                raise SystemExit(f"{name}: operator {index} is dilated")
            if kind == "CONV_2D":
                oihw, groups = w.transpose(0, 3, 1, 2), 1
            else:
                oihw, groups = w.transpose(3, 0, 1, 2), channels  # [1, kh, kw, C] -> [C, 1, kh, kw]
            kernel = oihw.shape[2]
            if oihw.shape[2] != oihw.shape[3] or options["stride"][0] != options["stride"][1]:
                raise SystemExit(f"{name}: operator {index} is not square")
            stride = options["stride"][0]
            top, left, bottom, right = (padding[1], padding[3], padding[2], padding[4]) if padding else (0, 0, 0, 0)
            if options["same"]:
                (pt, pb), (pl, pr) = same_padding(height + top + bottom, kernel, stride), \
                    same_padding(width + left + right, kernel, stride)
                top, bottom, left, right = top + pt, bottom + pb, left + pl, right + pr
            key = f"t{outputs[0]}"
            weights[f"{key}.weight"], weights[f"{key}.bias"] = np.ascontiguousarray(oihw), b
            graph.append({"op": "conv", "input": source, "output": outputs[0], "weights": key,
                          "kernel": kernel, "stride": stride, "padding": [top, left, bottom, right],
                          "groups": groups, "channels": int(oihw.shape[0]), "relu": options["relu"],
                          "residual": None})
            continue
        if kind in ("ADD", "RELU"):
            if kind == "RELU":
                last = graph[-1]
                if last["output"] != inputs[0] or len(consumers.get(inputs[0], [])) != 1:
                    raise SystemExit(f"{name}: operator {index}: a ReLU not after the op it follows")
                last["relu"], last["output"] = True, outputs[0]
                continue
            a, b = (resolve(t) for t in inputs)
            # Fuse into the convolution that made one operand, when nothing else reads that result.
            fused = False
            for conv_side, other in ((a, b), (b, a)):
                last = graph[-1] if graph else None
                if last and last["op"] == "conv" and last["output"] == conv_side[0] and conv_side[1] is None \
                        and len(consumers.get(conv_side[0], [])) == 1 and not last["relu"] \
                        and (other[1] is None or other[1][0] == "channels"):
                    last["residual"], last["relu"], last["output"] = other[0], options["relu"], outputs[0]
                    fused = True
                    break
            if not fused:
                if a[1] is not None or b[1] is not None:
                    raise SystemExit(f"{name}: operator {index} adds padded operands")
                graph.append({"op": "add", "input": a[0], "other": b[0], "output": outputs[0],
                              "relu": options["relu"]})
            continue
        source, padding = resolve(inputs[0])
        if padding:
            raise SystemExit(f"{name}: operator {index} ({kind}) reads padded input")
        if kind == "MAX_POOL_2D":
            if options["kernel"] != options["stride"] or options["kernel"][0] != options["kernel"][1]:
                raise SystemExit(f"{name}: operator {index}: pooling other than non-overlapping squares")
            graph.append({"op": "maxpool", "input": source, "output": outputs[0], "kernel": options["kernel"][0]})
        elif kind == "RESIZE_BILINEAR":
            size = values[inputs[1]].tolist()
            graph.append({"op": "resize", "input": source, "output": outputs[0], "size": size,
                          "align_corners": options["align_corners"], "half_pixel": options["half_pixel"]})
        elif kind == "DEPTH_TO_SPACE":
            graph.append({"op": "depth_to_space", "input": source, "output": outputs[0], "block": options["block"]})
        else:
            raise SystemExit(f"{name}: operator {index} is {kind}, which fercam's engine does not run")

    # The two outputs: scores (N x 1) and regressors (N x 16), each a concatenation of flattened heads.
    def heads(t):
        if t in producer and ops[producer[t]][0] == "CONCATENATION":
            return [resolve(i)[0] for i in ops[producer[t]][1]]
        return [resolve(t)[0]]
    outputs = {}
    for t in output_ids:
        last_dim = shapes[t][-1]
        outputs["scores" if last_dim == 1 else "regressors"] = heads(t)
    # Renumber tensors densely, in order of first appearance.
    ids = {input_id: 0}
    for op in graph:
        for key in ("input", "other", "residual", "output"):
            if op.get(key) is not None:
                ids.setdefault(op[key], len(ids))
    shape_of = {ids[t]: [int(d) for d in shapes[t][1:]] for t in ids}
    for op in graph:
        for key in ("input", "other", "residual", "output"):
            if op.get(key) is not None:
                op[key] = ids[op[key]]
    outputs = {k: [ids[t] for t in v] for k, v in outputs.items()}
    return graph, weights, [shape_of[i] for i in range(len(ids))], outputs


def run_numpy(graph, weights, tensor_shapes, outputs, x):
    """The lowered graph in NumPy (NHWC, batch 1): the specification the Swift engine follows."""
    values = {0: x[0].astype(np.float64)}
    for op in graph:
        a = values[op["input"]]
        if op["op"] == "conv":
            w, b = weights[op["weights"] + ".weight"].astype(np.float64), weights[op["weights"] + ".bias"]
            top, left, bottom, right = op["padding"]
            a = np.pad(a, ((top, bottom), (left, right), (0, 0)))
            k, s, g = op["kernel"], op["stride"], op["groups"]
            oh, ow = (a.shape[0] - k) // s + 1, (a.shape[1] - k) // s + 1
            out = np.zeros((oh, ow, w.shape[0]))
            if g != 1 and (g != a.shape[2] or g != w.shape[0]):
                raise SystemExit("grouped convolutions other than depthwise ones are not supported")
            for dy in range(k):
                for dx in range(k):
                    patch = a[dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s, :]
                    out += patch @ w[:, :, dy, dx].T if g == 1 else patch * w[:, 0, dy, dx]
            out += b
            if op["residual"] is not None:
                r = values[op["residual"]]
                out[:, :, :r.shape[2]] += r
            if op["relu"]:
                out = np.maximum(out, 0)
        elif op["op"] == "add":
            out = a + values[op["other"]]
            if op["relu"]:
                out = np.maximum(out, 0)
        elif op["op"] == "maxpool":
            k = op["kernel"]
            h, w_ = a.shape[0] // k, a.shape[1] // k
            out = a[:h * k, :w_ * k].reshape(h, k, w_, k, -1).max(axis=(1, 3))
        elif op["op"] == "resize":
            out = resize_bilinear(a, *op["size"], op["align_corners"], op["half_pixel"])
        elif op["op"] == "depth_to_space":
            bs = op["block"]
            h, w_, c = a.shape
            out = a.reshape(h, w_, bs, bs, c // (bs * bs)).transpose(0, 2, 1, 3, 4).reshape(h * bs, w_ * bs, -1)
        values[op["output"]] = out
    return {k: np.concatenate([values[t].reshape(-1, 1 if k == "scores" else 16) for t in v])
            for k, v in outputs.items()}


def resize_bilinear(a, out_h, out_w, align_corners, half_pixel):
    """TFLite's RESIZE_BILINEAR (reference kernel) for one NHWC image."""
    in_h, in_w = a.shape[:2]

    def axis(out_size, in_size):
        scale = (in_size - 1) / (out_size - 1) if align_corners and out_size > 1 else in_size / out_size
        pos = (np.arange(out_size) + 0.5) * scale - 0.5 if half_pixel else np.arange(out_size) * scale
        lo = np.floor(pos).astype(int)
        frac = pos - lo
        return np.clip(lo, 0, in_size - 1), np.clip(lo + 1, 0, in_size - 1), frac, pos
    y0, y1, fy, py = axis(out_h, in_h)
    x0, x1, fx, px = axis(out_w, in_w)
    if half_pixel:  # positions below 0 read row 0 with their own weight (TFLite clamps the index, not the weight)
        y0, fy = np.where(py < 0, 0, y0), np.where(py < 0, 0, fy)
        x0, fx = np.where(px < 0, 0, x0), np.where(px < 0, 0, fx)
    top = a[y0][:, x0] * (1 - fx)[None, :, None] + a[y0][:, x1] * fx[None, :, None]
    bottom = a[y1][:, x0] * (1 - fx)[None, :, None] + a[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]


def anchors(config: dict, size: int) -> np.ndarray:
    """Anchor centres (x, y) of MediaPipe's SsdAnchorsCalculator with fixed_anchor_size (every anchor 1 x 1)."""
    centres, layer, strides = [], 0, config["strides"]
    while layer < len(strides):
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 1 + (config["interpolated_scale_aspect_ratio"] > 0)  # aspect ratio 1, plus the interpolated
            last += 1
        cells = -(-size // strides[layer])
        for y in range(cells):
            for x in range(cells):
                for _ in range(per_cell):
                    centres.append(((x + config["offset"]) / cells, (y + config["offset"]) / cells))
        layer = last
    return np.array(centres, dtype=np.float32)


def write_safetensors(path: pathlib.Path, tensors: dict, metadata: dict) -> None:
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(len(encoded).to_bytes(8, "little") + encoded + b"".join(blobs))
    tmp.rename(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", type=pathlib.Path, help="the unpacked mediapipe==0.10.14 wheel")
    parser.add_argument("out", type=pathlib.Path, help="folder for the .safetensors files")
    args = parser.parse_args()
    for name, spec in MODELS.items():
        source = args.wheel / "mediapipe" / "modules" / "face_detection" / spec["file"]
        ops, shapes, values, input_id, output_ids, sample = read_graph(source)
        graph, weights, tensor_shapes, outputs = lower(ops, shapes, values, input_id, output_ids, name)
        ours = run_numpy(graph, weights, tensor_shapes, outputs, sample)
        theirs = {("scores" if shapes[t][-1] == 1 else "regressors"): values[t][0] for t in output_ids}
        worst = max(float(np.abs(ours[k] - theirs[k]).max()) for k in ours)
        print(f"{name}: {len(graph)} ops, {sum(w.size for w in weights.values()):,} weights, "
              f"largest difference from TFLite {worst:.2e}", file=sys.stderr)
        if worst > 1e-3:
            raise SystemExit(f"{name}: the lowered graph does not reproduce TFLite ({worst})")
        size = tensor_shapes[0][0]
        centres = anchors(spec["anchors"], size)
        if len(centres) != sum(int(np.prod(tensor_shapes[t][:2])) * tensor_shapes[t][2] for t in outputs["scores"]):
            raise SystemExit(f"{name}: {len(centres)} anchors do not match the score heads")
        weights["anchors"] = centres
        metadata = {
            "format": "fercam-blazeface-1", "architecture": name, "input_size": str(size),
            "graph": json.dumps(graph, separators=(",", ":"), default=int),
            "tensor_shapes": json.dumps(tensor_shapes, separators=(",", ":")),
            "outputs": json.dumps(outputs), "decode": json.dumps(spec["decode"]),
            "anchor_config": json.dumps(spec["anchors"]), "keypoints": json.dumps(KEYPOINT_NAMES),
            "source": f"mediapipe==0.10.14 mediapipe/modules/face_detection/{spec['file']}",
            "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
            "license": "Apache-2.0 (assets/LICENSE.mediapipe)",
        }
        target = args.out / f"detector-{name}.safetensors"
        write_safetensors(target, weights, metadata)
        print(f"wrote {target} ({target.stat().st_size:,} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
