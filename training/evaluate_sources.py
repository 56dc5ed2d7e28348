"""Score a model on every validation source through fercam's Swift engine, at fercam's margins.

    python -m training.evaluate_sources --model assets/fercam-resnet-cbam.safetensors --out assets/eval-sources.json

Runs `fercam eval --json` on FER2013 val (both label sets), and with `--detect` at each margin on the posed
photographs (the dev set, never trained on), RAF-DB's held-out 10% (`--list training/splits/rafdb-val.txt
--pad 0.5`) and ExpW's held-out 10% (`--list training/splits/expw-val.txt`), finding faces with fercam's default
detector (`auto`, recorded as `detector`). A face the detector misses counts
as wrong. Sources whose folder is absent are left out. The model card (`training.model_card`) renders the result.
With `--predictions DIR` every call also writes its per-image rows (DIR/SOURCE-MARGIN.csv, `fercam eval
--predictions`), which `training.paired` compares between two models face by face.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

from .sources import SHARED_DATA, SPLITS_DIR, VAL_MARGINS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def detected_sources(data: pathlib.Path) -> dict:
    """name: (folder, extra fercam flags)."""
    return {
        "posed": (data / "expressions" / "taiwanese", []),
        "rafdb": (data / "rafdb" / "train", ["--list", str(SPLITS_DIR / "rafdb-val.txt"), "--pad", "0.5"]),
        "expw": (data / "expw", ["--list", str(SPLITS_DIR / "expw-val.txt")]),
    }


def run(fercam: pathlib.Path, arguments: list[str]) -> dict:
    done = subprocess.run([str(fercam), "eval", *arguments, "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"fercam eval {' '.join(arguments)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def summary(result: dict) -> dict:
    keep = ("images", "accuracy", "macro_f1", "ece", "no_face", "recall")
    return {k: result[k] for k in keep if k in result}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fercam", type=pathlib.Path, default=ROOT / ".build/release/fercam")
    p.add_argument("--model", type=pathlib.Path, default=ROOT / "assets/fercam-resnet-cbam.safetensors")
    p.add_argument("--data", type=pathlib.Path, default=SHARED_DATA)
    p.add_argument("--margins", type=float, nargs="+", default=list(VAL_MARGINS))
    p.add_argument("--precision", choices=("fp32", "bf16", "auto"), default="fp32",
                   help="fercam's arithmetic (default fp32: `auto` times both at start-up, and on a busy machine the "
                        "choice can flip between calls, moving a few borderline faces)")
    p.add_argument("--out", type=pathlib.Path, required=True)
    p.add_argument("--predictions", type=pathlib.Path,
                   help="folder for each call's per-image CSV (SOURCE-MARGIN.csv), for training.paired")
    args = p.parse_args(argv)
    model = ["--model", str(args.model), "--precision", args.precision]
    if args.predictions:
        args.predictions.mkdir(parents=True, exist_ok=True)

    def rows(name: str) -> list[str]:
        return ["--predictions", str(args.predictions / f"{name}.csv")] if args.predictions else []

    out = {"model": args.model.name, "margins": args.margins, "sources": {}}
    fer = args.data / "fer2013" / "val"
    if fer.is_dir():
        result = run(args.fercam, [str(fer), "--labels", str(args.data / "fer2013" / "ferplus.csv"), *model,
                                   *rows("fer2013-none")])
        out["sources"]["fer2013"] = {"none": summary(result)}
        ferplus = result.get("label_sets", {}).get("FER+ majority")
        if ferplus:
            out["sources"]["ferplus"] = {"none": summary(ferplus)}
    for name, (folder, extra) in detected_sources(args.data).items():
        if not folder.is_dir():
            print(f"note: {folder} is absent; {name} left out", file=sys.stderr)
            continue
        out["sources"][name] = {}
        for margin in args.margins:
            result = run(args.fercam, [str(folder), "--detect", f"--margin={margin}", *extra, *model,
                                       *rows(f"{name}-{margin:g}")])
            out["sources"][name][f"{margin:g}"] = summary(result)
            out["detector"] = result.get("detector", "haar")
            print(f"{name} margin {margin:g}: {result['accuracy']:.2%} (macro-F1 {result['macro_f1']:.3f}, "
                  f"no face {result.get('no_face', 0)})", file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".partial")
    partial.write_text(json.dumps(out, indent=1) + "\n")
    partial.replace(args.out)


if __name__ == "__main__":
    main()
