"""The model card's per-class face counts. Run by `make train-smoke`."""
import unittest

from . import model_card


class SplitCountTests(unittest.TestCase):
    def test_counts_cover_every_face_of_the_committed_list(self):
        counts = model_card.split_counts("rafdb")
        lines = [l for l in (model_card.ROOT / "training/splits/rafdb-val.txt").read_text().splitlines() if "/" in l]
        self.assertEqual(sum(counts.values()), len(lines))
        self.assertEqual(counts["fear"], 28)
        self.assertIsNone(model_card.split_counts("no-such-source"))

    def test_the_card_says_how_many_faces_a_recall_rests_on(self):
        evaluation = {"margins": [0.0], "sources": {"rafdb": {"0": {"accuracy": 0.5, "macro_f1": 0.5}}}}
        self.assertIn("a recall on 28 faces moves 3.6 points a face", model_card.sources_table(evaluation))


if __name__ == "__main__":
    unittest.main()
