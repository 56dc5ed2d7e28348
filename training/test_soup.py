"""Checks of training/soup.py that need no data: `python -m unittest training.test_soup` (make train-smoke)."""
import unittest

import torch

from . import soup
from .model import FerNet, ModelConfig


class RebaseTests(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.model = FerNet(ModelConfig(input_size=32, stem_width=8, stage_widths=(8, 16), stage_blocks=(1, 1)))
        for m in self.model.modules():  # trained-looking batch-norm statistics, not the identity
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        self.model.eval()
        self.faces = torch.rand(4, 1, 32, 32)
        # Copies: load_state_dict writes into the live tensors that state_dict() hands out.
        self.state = {"model": {k: v.clone() for k, v in self.model.state_dict().items()}, "mean": 0.49, "std": 0.30}

    def logits(self, state: dict) -> torch.Tensor:
        self.model.load_state_dict(state["model"])
        with torch.no_grad():
            return self.model((self.faces - state["mean"]) / state["std"])

    def test_without_padding_the_rebased_model_gives_the_same_logits(self):
        self.model.stem[0].padding = (0, 0)  # the fold is exact away from the zero-padded border
        before = self.logits(self.state)
        rebased = soup.rebase(self.state, 0.60, 0.20)
        self.assertEqual((rebased["mean"], rebased["std"]), (0.60, 0.20))
        error = (self.logits(rebased) - before).abs().max().item()
        unfolded = {**self.state, "mean": 0.60, "std": 0.20}  # the new normalisation without the fold
        self.assertLess(error, 1e-6 + 1e-4 * before.abs().max().item())
        self.assertGreater((self.logits(unfolded) - before).abs().max().item(), 100 * error)

    def test_with_padding_a_thousandth_of_a_mean_moves_the_logits_by_little(self):
        before = self.logits(self.state)
        after = self.logits(soup.rebase(self.state, 0.491, 0.2985))
        self.assertLess((after - before).abs().max().item(), 1e-2)

    def test_the_same_normalisation_is_left_alone(self):
        self.assertIs(soup.rebase(self.state, 0.49, 0.30), self.state)


if __name__ == "__main__":
    unittest.main()
