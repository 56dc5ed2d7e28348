"""Compare two models face by face on the same validation images: is a difference in accuracy more than chance?

    python -m training.evaluate_sources --model A.safetensors --out a.json --predictions preds-a
    python -m training.evaluate_sources --model B.safetensors --out b.json --predictions preds-b
    python -m training.paired preds-a preds-b

Two models scored on the same 1,223 posed photographs differ mostly on the faces both find hard, so the standard
error of their difference is smaller than either accuracy's; this reads it from the faces where exactly one model
is right (McNemar's test). For every SOURCE-MARGIN.csv both folders hold (`fercam eval --predictions` rows), it
prints both accuracies, B minus A with its 95% interval, the two discordant counts and the exact two-sided p-value.
FER2013 val is also scored against FER+ majority labels where its rows carry them. Phases: `read_rows`, `outcomes`,
`compare`.
"""
from __future__ import annotations

import argparse
import csv
import math
import pathlib


def read_rows(path: pathlib.Path) -> dict[str, dict]:
    with path.open(newline="") as f:
        return {row["path"]: row for row in csv.DictReader(f)}


def outcomes(rows: dict[str, dict], label: str) -> dict[str, bool]:
    """path: right or wrong, against column `label`; images without that label are left out."""
    return {path: row["face_found"] == "1" and row["predicted"] == row[label]
            for path, row in rows.items() if row.get(label)}


def binomial_two_sided(k: int, n: int) -> float:
    """P(at least as far from n/2 as k) for k ~ Binomial(n, 1/2): the exact McNemar p-value."""
    if n == 0:
        return 1.0
    low = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(low + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def compare(a: dict[str, bool], b: dict[str, bool]) -> dict:
    common = sorted(a.keys() & b.keys())
    n = len(common)
    if n == 0:
        raise SystemExit("paired: the two prediction files share no image")
    only_a = sum(a[p] and not b[p] for p in common)
    only_b = sum(b[p] and not a[p] for p in common)
    diff = (only_b - only_a) / n
    # Variance of the mean of per-image differences (each -1, 0 or +1).
    se = math.sqrt(max(0.0, (only_a + only_b) / n - diff ** 2) / n)
    return {"images": n, "a": sum(a[p] for p in common) / n, "b": sum(b[p] for p in common) / n,
            "difference": diff, "low": diff - 1.96 * se, "high": diff + 1.96 * se,
            "only_a": only_a, "only_b": only_b, "p": binomial_two_sided(only_b, only_a + only_b)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", type=pathlib.Path, help="folder of model A's prediction CSVs (the reference)")
    p.add_argument("b", type=pathlib.Path, help="folder of model B's prediction CSVs")
    args = p.parse_args(argv)
    for folder in (args.a, args.b):
        if not folder.is_dir():
            raise SystemExit(f"paired: {folder} is not a folder of prediction CSVs")
    names = sorted({f.name for f in args.a.glob("*.csv")} & {f.name for f in args.b.glob("*.csv")})
    if not names:
        raise SystemExit(f"paired: {args.a} and {args.b} hold no CSV of the same name")
    print("| source | images | A | B | B - A (95% interval) | only A right | only B right | p |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        rows_a, rows_b = read_rows(args.a / name), read_rows(args.b / name)
        labels = [("", "true_folder")]
        if any(row.get("true_ferplus") for row in rows_a.values()):
            labels.append((" (FER+)", "true_ferplus"))
        for suffix, label in labels:
            r = compare(outcomes(rows_a, label), outcomes(rows_b, label))
            print(f"| {name[:-4]}{suffix} | {r['images']} | {r['a']:.2%} | {r['b']:.2%} | "
                  f"{r['difference']:+.2%} ({r['low']:+.2%} to {r['high']:+.2%}) | {r['only_a']} | {r['only_b']} | "
                  f"{r['p']:.3f} |")


if __name__ == "__main__":
    main()
