"""Carrying RAF-DB's and ExpW's cached crops to a lent machine: split into parts, joined back face for face, and
used by training where the photographs are not. Run by `make train-smoke`."""
import pathlib
import tarfile
import tempfile
import unittest
from unittest import mock

import numpy as np

from . import sources, sweep


def fake_cache(faces: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"images": rng.integers(0, 256, (faces, 96, 96), dtype=np.uint8),
            "labels": rng.integers(0, 7, faces), "paths": np.asarray([f"photo-{i}.jpg" for i in range(faces)]),
            "detected": rng.random(faces) < 0.8, "val": np.asarray([1, 4]), "map": np.asarray([0.0, -0.03, 1.1]),
            "root": np.asarray("/shared/data/rafdb/train")}


def write_parts(folder: pathlib.Path, parts: dict) -> None:
    for name, arrays in parts.items():
        np.savez(folder / name, **arrays)


class SplitJoinTests(unittest.TestCase):
    def test_parts_join_back_face_for_face(self):
        cache = fake_cache()
        parts = sweep.split_cache(cache, "rafdb-faces", rows=3)
        self.assertEqual(list(parts), [f"rafdb-faces.part-{k}-of-4.npz" for k in range(1, 5)])
        self.assertEqual([len(p["labels"]) for p in parts.values()], [3, 3, 3, 1])
        with tempfile.TemporaryDirectory() as scratch:
            folder, into = pathlib.Path(scratch) / "data", pathlib.Path(scratch) / "cache"
            folder.mkdir()
            write_parts(folder, parts)
            self.assertEqual(sweep.join_caches(folder, into), [into / "rafdb-faces.npz"])
            with np.load(into / "rafdb-faces.npz") as joined:
                self.assertEqual(sorted(joined.files), sorted(cache))
                for key, value in cache.items():
                    np.testing.assert_array_equal(joined[key], value, key)
            self.assertEqual(list(folder.iterdir()), [])

    def test_a_cache_waits_for_its_last_part(self):
        parts = sweep.split_cache(fake_cache(), "expw-faces", rows=5)
        with tempfile.TemporaryDirectory() as scratch:
            folder, into = pathlib.Path(scratch) / "data", pathlib.Path(scratch) / "cache"
            folder.mkdir()
            first = dict(list(parts.items())[:1])
            write_parts(folder, first)
            self.assertEqual(sweep.join_caches(folder, into), [])
            self.assertFalse((into / "expw-faces.npz").exists())
            write_parts(folder, dict(list(parts.items())[1:]))
            self.assertEqual(sweep.join_caches(folder, into), [into / "expw-faces.npz"])

    def test_parts_are_sized_by_how_well_the_faces_compress(self):
        flat = np.full((1000, 96, 96), 128, np.uint8)  # compresses to almost nothing
        noise = np.random.default_rng(0).integers(0, 256, (1000, 96, 96), dtype=np.uint8)  # not at all
        limit = 20 * 96 * 96
        self.assertEqual(sweep.faces_per_part(noise, limit), 16)  # 0.85 of the limit, at ~1.0 of the bytes
        self.assertGreater(sweep.faces_per_part(flat, limit), 1000)


    def test_a_misjudged_part_is_written_again_smaller(self):
        cache = fake_cache(faces=12)  # noise: a 96x96 face is 9 KiB of xz
        limit = 40 * 1024
        with tempfile.TemporaryDirectory() as scratch:
            into, folder = pathlib.Path(scratch) / "into", pathlib.Path(scratch) / "data"
            into.mkdir()
            targets = sweep.write_source_parts(cache, "rafdb-faces", into, rows=12, limit=limit)  # one part: too big
            self.assertGreater(len(targets), 2)
            self.assertEqual(sorted(into.iterdir()), sorted(targets))  # the oversized first try is gone
            self.assertTrue(all(t.stat().st_size <= limit for t in targets))
            for target in targets:
                with tarfile.open(target, "r:xz") as tar:
                    tar.extractall(folder, filter="data")
            with np.load(sweep.join_caches(folder, into)[0]) as joined:
                np.testing.assert_array_equal(joined["images"], cache["images"])

    def test_parts_that_cannot_fit_leave_nothing_behind(self):
        with tempfile.TemporaryDirectory() as scratch:
            into = pathlib.Path(scratch)
            with self.assertRaises(SystemExit):
                sweep.write_source_parts(fake_cache(faces=2), "expw-faces", into, rows=1, limit=1024)
            self.assertEqual(list(into.iterdir()), [])


class CarriedCacheTests(unittest.TestCase):
    def test_training_uses_carried_crops_where_the_photographs_are_absent(self):
        with tempfile.TemporaryDirectory() as scratch:
            cache_dir, splits = pathlib.Path(scratch) / "cache", pathlib.Path(scratch) / "splits"
            cache_dir.mkdir()
            np.savez(cache_dir / "rafdb-faces.npz", **fake_cache())
            with mock.patch.object(sources, "CACHE_DIR", cache_dir), mock.patch.object(sources, "SPLITS_DIR", splits):
                loaded = sources.load_sources(pathlib.Path(scratch) / "no-shared-data", names=("rafdb", "expw"))
            self.assertEqual(list(loaded), ["rafdb"])  # ExpW has neither photographs nor crops: left out
            train, val, stats = loaded["rafdb"]
            self.assertEqual((len(train.labels), len(val.labels), stats["faces"]), (8, 2, 10))
            self.assertEqual((splits / "rafdb-val.txt").read_text().split(), ["photo-1.jpg", "photo-4.jpg"])


if __name__ == "__main__":
    unittest.main()
