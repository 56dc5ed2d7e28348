#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora: tiny valid inputs for every harness, made here from nothing
(no dataset images, no third-party packages), so that mutations start close to the real formats.

Usage: python3 scripts/fuzz/seeds.py OUT   (writes OUT/HARNESS/NAME for each harness)
"""
import json
import pathlib
import struct
import sys
import zlib


def y4m_seeds():
    def frame(w, h, chroma):
        return b"FRAME\n" + bytes((x * 7) % 256 for x in range(w * h)) + bytes([128]) * chroma
    yield "420.y4m", b"YUV4MPEG2 W8 H6 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n" + frame(8, 6, 2 * 4 * 3) * 2
    yield "444.y4m", b"YUV4MPEG2 W4 H4 F25:1 C444\n" + frame(4, 4, 2 * 16)
    yield "mono.y4m", b"YUV4MPEG2 W5 H3 F1000:1001 Cmono\n" + frame(5, 3, 0) * 3
    yield "422.y4m", b"YUV4MPEG2 W6 H2 F24000:1001 C422\n" + frame(6, 2, 2 * 3 * 2)


def pnm_seeds():
    yield "p5.pgm", b"P5\n# gray\n4 3\n255\n" + bytes(range(0, 240, 20))
    yield "p5-16bit.pgm", b"P5 2 2 65535\n" + bytes(range(8))
    yield "p6.ppm", b"P6\n2 2\n255\n" + bytes(range(12))
    yield "p2.pgm", b"P2\n3 2\n15\n0 1 2\n13 14 15\n"
    yield "p3.ppm", b"P3\n2 1\n255\n255 0 0  0 255 0\n"


def png(width, height, rows, color_type=0):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bmp(width, height):
    row = bytes((x * 40) % 256 for x in range(width * 3))
    row += b"\x00" * ((4 - len(row) % 4) % 4)
    pixels = row * height
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


# A 1x1 GIF and a minimal baseline JPEG (8x8 gray), written out byte by byte.
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
JPEG = bytes.fromhex(
    "ffd8ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c28"
    "37292c30313434341f27393d38323c2e333432ffc0000b080008000801011100ffc4001f0000010501010101010100000000000000"
    "000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758"
    "595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00d2cf20ffd9")


def image_seeds():
    yield "gray.png", png(4, 3, [bytes(range(r * 10, r * 10 + 4)) for r in range(3)])
    yield "rgb.png", png(2, 2, [bytes(range(6)), bytes(range(6, 12))], color_type=2)
    yield "rgb.bmp", bmp(3, 2)
    yield "dot.gif", GIF
    yield "gray.jpg", JPEG


def cascade(stages=1, side=24):
    stage = ("<_><maxWeakCount>1</maxWeakCount><stageThreshold>-1.</stageThreshold><weakClassifiers>"
             "<_><internalNodes>0 -1 0 1.5e-03</internalNodes><leafValues>-0.8 0.9</leafValues></_>"
             "</weakClassifiers></_>")
    return (f'<?xml version="1.0"?>\n<opencv_storage>\n<cascade type_id="opencv-cascade-classifier">'
            f"<stageType>BOOST</stageType><featureType>HAAR</featureType><height>{side}</height><width>{side}</width>"
            f"<stageParams><maxWeakCount>1</maxWeakCount></stageParams><featureParams><maxCatCount>0</maxCatCount>"
            f"</featureParams><stageNum>{stages}</stageNum><stages>{stage * stages}</stages>"
            f"<features><_><rects><_>0 0 4 4 -1.</_><_>0 0 2 4 2.</_></rects></_></features>"
            f"</cascade>\n</opencv_storage>\n").encode()


def cascade_seeds():
    yield "one-stage.xml", cascade()
    yield "three-stages.xml", cascade(stages=3, side=20)


def safetensors(tensors, metadata, poison=None):
    """`poison`: a value written as the first weight of the first tensor (NaN, Inf, 3e38: a damaged download)."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for index, (name, shape) in enumerate(tensors):
        count = 1
        for side in shape:
            count *= side
        values = [(i % 7) / 10 + 0.5 for i in range(count)]
        if poison is not None and index == 0:
            values[0] = poison
        data = struct.pack(f"<{count}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def tiny_model(width=4, classes=2, kernel=3, poison=None):
    """A complete fercam-resnet-cbam/1 file with one block of width 4: every tensor the loader checks."""
    tensors = []
    def conv(prefix_conv, prefix_bn, cin, cout, k):
        tensors.append((f"{prefix_conv}.weight", [cout, cin, k, k]))
        tensors.extend((f"{prefix_bn}.{p}", [cout]) for p in ("weight", "bias", "running_mean", "running_var"))
    def cbam(prefix, channels):
        hidden = max(channels // 8, 4)
        tensors.extend([(f"{prefix}.channel.fc1.weight", [hidden, channels, 1, 1]), (f"{prefix}.channel.fc1.bias", [hidden]),
                        (f"{prefix}.channel.fc2.weight", [channels, hidden, 1, 1]), (f"{prefix}.channel.fc2.bias", [channels]),
                        (f"{prefix}.spatial.conv.weight", [1, 2, kernel, kernel])])
        tensors.extend((f"{prefix}.spatial.bn.{p}", [1]) for p in ("weight", "bias", "running_mean", "running_var"))
    conv("stem.0", "stem.1", 1, width, 3)
    cbam("cbam_stem", width)
    conv("stages.0.0.conv1", "stages.0.0.bn1", width, width, 3)
    conv("stages.0.0.conv2", "stages.0.0.bn2", width, width, 3)
    conv("stages.0.0.shortcut.0", "stages.0.0.shortcut.1", width, width, 1)
    cbam("cbam_last", width)
    tensors += [("classifier.weight", [classes, width]), ("classifier.bias", [classes])]
    config = {"cbam_kernel": kernel, "cbam_reduction": 8, "in_channels": 1, "input_size": 8, "num_classes": classes,
              "stage_blocks": [1], "stage_widths": [width], "stem_width": width}
    metadata = {"format": "fercam-resnet-cbam/1", "config": json.dumps(config),
                "class_names": json.dumps(["happy", "sad"][:classes]),
                "normalisation": json.dumps({"scale": 1 / 255, "mean": 0.5, "std": 0.25}), "temperature": "1.2"}
    return safetensors(tensors, metadata, poison)


def model_seeds():
    yield "tiny.safetensors", tiny_model()
    # Non-finite and overflowing weights (issue 32): refused at load, naming the tensor.
    for label, value in (("nan", float("nan")), ("inf", float("inf")), ("huge", 3e38)):
        yield f"tiny-{label}.safetensors", tiny_model(poison=value)
    # The seed systems have fixed sizes (a real file is 0.3-5 MB, past -max_len), so these carry each one's
    # metadata and first tensors: the format, config and tensor checks up to the first missing tensor.
    common = {"class_names": json.dumps(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]),
              "normalisation": json.dumps({"scale": 1 / 255, "mean": 0.5, "std": 0.3}), "input_size": "48"}
    heads = {
        "deep-emotion": ({"classes": 7}, [("localisation.0.weight", [8, 1, 7, 7]), ("localisation.0.bias", [8])]),
        "cnn-alstm": ({"classes": 7, "size": "light", "local_attention": True},
                      [("cnn.0.weight", [16, 1, 1, 1]), ("cnn.0.bias", [16])]),
        "lbp-attention": ({"classes": 7, "width": 16}, [("raw.0.0.weight", [16, 1, 3, 3])]),
        "manet": ({"classes": 7, "widths": [32, 64, 128, 256]}, [("front.0.0.weight", [32, 1, 3, 3])]),
    }
    for arch, (config, tensors) in heads.items():
        yield f"{arch}-head.safetensors", safetensors(tensors, {**common, "format": f"fercam-{arch}/1",
                                                                 "config": json.dumps(config)})
    # BlazeFace detector files (issue 33) go through the same harness.
    yield "detector.safetensors", tiny_detector()
    yield "detector-nan.safetensors", tiny_detector(poison=float("nan"))


def tiny_detector(poison=None, size=16):
    """A complete fercam-blazeface-1 file: a 3x3 stride-2 convolution, a depthwise one with a channel-padded
    residual, max pooling, and score and regressor heads on an 8x8 map (one anchor a cell)."""
    graph = [
        {"op": "conv", "input": 0, "output": 1, "weights": "t1", "kernel": 3, "stride": 2, "padding": [0, 0, 1, 1],
         "groups": 1, "channels": 4, "relu": True, "residual": None},
        {"op": "conv", "input": 1, "output": 2, "weights": "t2", "kernel": 3, "stride": 1, "padding": [1, 1, 1, 1],
         "groups": 4, "channels": 4, "relu": True, "residual": 1},
        {"op": "maxpool", "input": 2, "output": 3, "kernel": 2},
        {"op": "resize", "input": 3, "output": 4, "align_corners": False, "half_pixel": True},
        {"op": "conv", "input": 4, "output": 5, "weights": "t5", "kernel": 1, "stride": 1, "padding": [0, 0, 0, 0],
         "groups": 1, "channels": 1, "relu": False, "residual": None},
        {"op": "conv", "input": 4, "output": 6, "weights": "t6", "kernel": 1, "stride": 1, "padding": [0, 0, 0, 0],
         "groups": 1, "channels": 16, "relu": False, "residual": None},
    ]
    half = size // 2
    shapes = [[size, size, 3], [half, half, 4], [half, half, 4], [half // 2, half // 2, 4], [half, half, 4],
              [half, half, 1], [half, half, 16]]
    tensors = [("t1.weight", [4, 3, 3, 3]), ("t1.bias", [4]), ("t2.weight", [4, 1, 3, 3]), ("t2.bias", [4]),
               ("t5.weight", [1, 4, 1, 1]), ("t5.bias", [1]), ("t6.weight", [16, 4, 1, 1]), ("t6.bias", [16]),
               ("anchors", [half * half, 2])]
    metadata = {"format": "fercam-blazeface-1", "architecture": "blazeface", "input_size": str(size),
                "graph": json.dumps(graph), "tensor_shapes": json.dumps(shapes),
                "outputs": json.dumps({"scores": [5], "regressors": [6]}),
                "decode": json.dumps({"scale": float(size), "min_score": 0.5, "score_clip": 100.0, "keypoints": 6,
                                      "suppression_iou": 0.3}),
                "keypoints": json.dumps(["right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear_tragion",
                                         "left_ear_tragion"])}
    return safetensors(tensors, metadata, poison)


def labels_seeds():
    yield "ferplus.csv", (b"Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF,"
                          b"split,index\nTraining,fer0000000.png,4,0,0,1,3,2,0,0,0,0,train,0\n"
                          b"PublicTest,fer0028638.png,0,10,0,0,0,0,0,0,0,0,val,1\n")
    yield "paths.csv", b"path,label\nval/happy/00001.png,happy\nval/sad/00002.png,sad\n"


def run_log_seeds():
    scores = b'"scores":{"angry":0.1,"disgust":0.0,"fear":0.05,"happy":0.7,"sad":0.05,"surprise":0.05,"neutral":0.05}'
    tracked = b'{"box":[10,20,80,80],"id":1,"age":3,"age_s":0.08,"label":"happy","score":0.7,' + scores + \
        b',"uncertain":false,"raw":{"label":"happy","score":0.7,' + scores + b'}}'
    still = b'{"box":[1,2,50,50],"label":"happy","score":0.7,' + scores + b'}'
    yield "tracked.jsonl", b"".join(
        b'{"frame":%d,"pts":%.2f,"source":"clip.mp4","width":640,"height":480,"faces":[%s],"ms":{"total":3.1}}\n'
        % (i, i * 0.04, tracked) for i in range(3))
    # Absurd numbers (issue 32): a pts of 1e19 once trapped converting a tick to Int; scores past 1.
    yield "far-pts.jsonl", b'{"frame":0,"pts":0.0,"faces":[%s]}\n{"frame":1,"pts":1e19,"faces":[%s]}\n' % (tracked, tracked)
    yield "huge-score.jsonl", b'{"frame":0,"pts":0.0,"faces":[%s]}\n' % tracked.replace(b'"happy":0.7', b'"happy":1e300')
    yield "stills.jsonl", b'{"frame":0,"pts":0.0,"source":"a.jpg","width":64,"height":64,"faces":[' + still + b',' + \
        still + b']}\n{"frame":1,"pts":0.0,"source":"b.jpg","width":64,"height":64,"faces":[]}\n'


def flags_seeds():
    for argv in (["run", "--input", "clip.y4m", "--headless", "--frames", "10", "--scale-factor", "1.2"],
                 ["eval", "photos", "--detect", "--margin", "0.1", "--json"],
                 ["detect", "a.jpg", "--min-neighbors", "3", "--min-size", "30", "--max-size", "300"],
                 ["bench", "--repeats", "5", "--batch", "8", "--threads", "1"],
                 ["--input", "-", "--stdout", "--precision", "bf16", "--record", "out.y4m"],
                 ["--input", "clip.mp4", "--render", "out.mp4", "--smoothing", "0.5", "--precision", "auto"],
                 ["report", "run.jsonl", "-o", "r.png", "--summary", "s.csv", "--width", "900"],
                 ["--version", "--verbose"],
                 ["--model", "cnn-alstm", "--input", "a.jpg", "--stdout", "--attention"],
                 ["models", "--json", "--no-timing"],
                 ["eval", "photos", "--margin", "-0.2", "--list", "l.txt", "--pad", "0.5", "--predictions", "p.csv"],
                 ["--input", "a.mp4", "--csv", "f.csv", "--start", "1:02.5", "--duration", "-3", "--every", "-2"],
                 ["--input", "a.mp4", "--stdout", "--format", "csv", "--end", "99999999999", "--recursive"]):
        yield "-".join(argv[:2]).strip("-") + ".args", b"\0".join(a.encode() for a in argv)


HARNESSES = {"FuzzY4M": y4m_seeds, "FuzzPNM": pnm_seeds, "FuzzImageFile": image_seeds, "FuzzCascade": cascade_seeds,
             "FuzzModelFile": model_seeds, "FuzzLabels": labels_seeds, "FuzzRunLog": run_log_seeds,
             "FuzzFlags": flags_seeds}


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    for harness, seeds in HARNESSES.items():
        folder = out / harness
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds():
            (folder / name).write_bytes(data)
    # PNM seeds also feed the image path, which reads Netpbm natively.
    for name, data in pnm_seeds():
        (out / "FuzzImageFile" / name).write_bytes(data)


if __name__ == "__main__":
    main()
