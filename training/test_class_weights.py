"""Class weights over the whole mix and within each source. Run by `make train-smoke`."""
import unittest

import torch
import torch.nn.functional as F

from .train import class_weights, class_weights_by_group


class ClassWeightTests(unittest.TestCase):
    def test_a_class_rare_in_one_source_weighs_more_there(self):
        # Source 0: class 0 is a tenth of its faces; source 1: nine tenths. Over the mix it is half.
        labels = torch.tensor([0] * 1 + [1] * 9 + [0] * 9 + [1] * 1)
        groups = torch.tensor([0] * 10 + [1] * 10)
        targets, weights = F.one_hot(labels, 2).float(), torch.ones(20)
        rows, mean = class_weights_by_group(targets, weights, 0.5, groups)
        torch.testing.assert_close(class_weights(targets, weights, 0.5), torch.ones(2))
        self.assertAlmostEqual(float(rows[0, 0] / rows[0, 1]), 3.0, places=5)  # (0.1 / 0.9) ** -0.5
        self.assertAlmostEqual(float(rows[1, 1] / rows[1, 0]), 3.0, places=5)
        for g in range(2):  # each source keeps its share of the loss
            chosen = groups == g
            self.assertAlmostEqual(float((targets[chosen] * rows[g]).sum()), 10.0, places=4)
        torch.testing.assert_close(mean, torch.ones(2))  # the mix's prior shift: none, by symmetry

    def test_one_source_is_the_mix_weighting(self):
        labels = torch.tensor([0, 0, 0, 1, 2, 2])
        targets, weights = F.one_hot(labels, 3).float(), torch.tensor([1.0, 1, 1, 2, 1, 1])
        rows, mean = class_weights_by_group(targets, weights, 0.5, torch.zeros(6, dtype=torch.long))
        torch.testing.assert_close(rows[0], class_weights(targets, weights, 0.5))
        torch.testing.assert_close(mean, rows[0])


if __name__ == "__main__":
    unittest.main()
