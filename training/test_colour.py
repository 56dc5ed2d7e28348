"""Checks of the colour-input experiment (`train.py --colour`) that need no data:
`python -m unittest training.test_colour` (make train-smoke)."""
import unittest

import numpy as np
import torch

from . import sources
from .arch.costs import inference_macs
from .data import grey_as_colour, normalise, pixel_stats
from .model import FerNet, ModelConfig


class ColourInputTests(unittest.TestCase):
    def test_a_grey_face_enters_a_colour_model_as_three_equal_channels(self):
        grey = torch.randint(0, 256, (5, 48, 48), dtype=torch.uint8)
        colour = normalise(grey_as_colour(grey), 0.5, 0.25)
        self.assertEqual(tuple(colour.shape), (5, 3, 48, 48))
        for channel in range(3):
            self.assertTrue(torch.equal(colour[:, channel:channel + 1], normalise(grey, 0.5, 0.25)))

    def test_colour_crops_keep_their_channels_and_agree_with_grey_ones(self):
        # A smooth colour picture: cropping then converting to grey is converting then cropping, to rounding.
        import cv2
        ys, xs = np.mgrid[0:160, 0:160]
        bgr = np.stack([xs, ys, (xs + ys) // 2], -1).astype(np.uint8)
        found = [sources.Found(box=(40, 40, 80, 80))]
        rows = [{"label": "happy", "path": "a.jpg"}]
        colour, _ = sources._crop_faces("x", rows, [sources.pixels(bgr, True)], found, [(40, 40, 80, 80)])
        grey, _ = sources._crop_faces("x", rows, [sources.pixels(bgr, False)], found, [(40, 40, 80, 80)])
        self.assertEqual(colour.images.shape, (1, sources.STORE_SIZE, sources.STORE_SIZE, 3))
        self.assertEqual(grey.images.shape, (1, sources.STORE_SIZE, sources.STORE_SIZE))
        regrey = cv2.cvtColor(colour.images[0], cv2.COLOR_RGB2GRAY).astype(int)
        self.assertLessEqual(np.abs(regrey - grey.images[0].astype(int)).max(), 1)
        # Channels are RGB, not OpenCV's BGR: red grows with y here.
        self.assertGreater(int(colour.images[0, -1, 0, 0]), int(colour.images[0, 0, 0, 0]))
        self.assertEqual(sources.crops_at(colour.images, 0.0).shape, (1, 48, 48, 3))

    def test_pixel_stats_match_the_whole_set_at_once(self):
        images = torch.randint(0, 256, (10_000, 8, 8, 3), dtype=torch.uint8)
        mean, std = pixel_stats(images, chunk=999)
        x = images.double() / 255
        self.assertAlmostEqual(mean, float(x.mean()), places=9)
        self.assertAlmostEqual(std, float(x.std()), places=7)

    def test_a_colour_network_reads_three_channels_and_counts_them(self):
        grey, colour = FerNet(ModelConfig()), FerNet(ModelConfig(in_channels=3))
        self.assertEqual(tuple(colour.eval()(torch.zeros(2, 3, 48, 48)).shape), (2, 7))
        # Only the stem convolution sees the extra channels: 32 x 2 x 9 more MACs per pixel.
        self.assertEqual(inference_macs(colour) - inference_macs(grey), 48 * 48 * 32 * 2 * 9)


if __name__ == "__main__":
    unittest.main()
