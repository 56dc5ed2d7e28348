"""Checks of training/paired.py: `python -m unittest training.test_paired` (make train-smoke)."""
import unittest

from . import paired


class PairedTests(unittest.TestCase):
    def test_the_exact_p_value_matches_the_binomial_tail(self):
        self.assertAlmostEqual(paired.binomial_two_sided(0, 5), 2 / 32)
        self.assertAlmostEqual(paired.binomial_two_sided(5, 5), 2 / 32)
        self.assertEqual(paired.binomial_two_sided(5, 10), 1.0)
        self.assertEqual(paired.binomial_two_sided(0, 0), 1.0)

    def test_only_the_discordant_faces_move_the_difference(self):
        a = {f"{i}": i < 60 for i in range(100)}             # right on faces 0-59
        b = {f"{i}": i < 50 or 90 <= i for i in range(100)}  # loses 50-59, gains 90-99
        r = paired.compare(a, b)
        self.assertEqual((r["images"], r["only_a"], r["only_b"]), (100, 10, 10))
        self.assertEqual(r["difference"], 0.0)
        self.assertEqual(r["p"], 1.0)
        b = {f"{i}": i < 50 for i in range(100)}
        r = paired.compare(a, b)
        self.assertAlmostEqual(r["difference"], -0.10)
        self.assertLess(r["high"], 0)
        self.assertLess(r["p"], 0.01)

    def test_images_without_a_label_or_a_face_are_handled(self):
        rows = {"x": {"face_found": "0", "predicted": "", "true_folder": "sad"},
                "y": {"face_found": "1", "predicted": "sad", "true_folder": "sad", "true_ferplus": ""}}
        self.assertEqual(paired.outcomes(rows, "true_folder"), {"x": False, "y": True})
        self.assertEqual(paired.outcomes(rows, "true_ferplus"), {})

    def test_no_common_image_is_refused(self):
        with self.assertRaises(SystemExit):
            paired.compare({"a": True}, {"b": True})


if __name__ == "__main__":
    unittest.main()
