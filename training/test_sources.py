"""Checks of training/sources.py that need no data: `python -m unittest training.test_sources` (make train-smoke)."""
import math
import unittest

import numpy as np

from . import sources


class LevelledTests(unittest.TestCase):
    def eyes(self, image: np.ndarray) -> list[tuple[float, float]]:
        """Centroids (x, y) of the left and right halves' bright pixels."""
        ys, xs = np.nonzero(image > 128)
        left = xs < image.shape[1] / 2
        return [(xs[m].mean(), ys[m].mean()) for m in (left, ~left)]

    def test_a_clockwise_eye_line_comes_out_level(self):
        # Two bright dots 40 px apart whose line slopes 20 degrees clockwise on screen (y grows to the right).
        image = np.zeros((120, 120), np.uint8)
        angle = math.radians(20)
        for sign in (-1, 1):
            x, y = 60 + sign * 20 * math.cos(angle), 60 + sign * 20 * math.sin(angle)
            image[int(round(y)) - 2:int(round(y)) + 3, int(round(x)) - 2:int(round(x)) + 3] = 255
        (_, y0), (_, y1) = self.eyes(image)
        self.assertGreater(y1 - y0, 10)
        face = sources.Found(box=(30, 30, 60, 60), roll_deg=20.0)
        (_, y0), (_, y1) = self.eyes(sources.levelled(image, face))
        self.assertLess(abs(y1 - y0), 1.0)

    def test_an_upright_face_is_left_alone(self):
        image = np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)
        self.assertIs(sources.levelled(image, sources.Found(box=(0, 0, 64, 64))), image)

    def test_an_unknown_framing_is_refused(self):
        with self.assertRaises(SystemExit):
            sources._finder("blazeface")


if __name__ == "__main__":
    unittest.main()
