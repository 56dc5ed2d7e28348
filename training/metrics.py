"""Classification metrics shared by training, evaluation and the model card."""
from __future__ import annotations

import torch

from .model import CLASS_NAMES


def confusion_matrix(predicted: torch.Tensor, truth: torch.Tensor, classes: int = len(CLASS_NAMES)) -> torch.Tensor:
    """Rows are true classes, columns predicted classes."""
    return torch.bincount(truth * classes + predicted, minlength=classes * classes).view(classes, classes)


def summarise(confusion: torch.Tensor) -> dict:
    confusion = confusion.double()
    correct = confusion.diag()
    recall = correct / confusion.sum(1).clamp(min=1)
    precision = correct / confusion.sum(0).clamp(min=1)
    f1 = torch.where(recall + precision > 0, 2 * recall * precision / (recall + precision), torch.zeros_like(recall))
    return {
        "accuracy": float(correct.sum() / confusion.sum()),
        "macro_f1": float(f1.mean()),
        "recall": {name: float(r) for name, r in zip(CLASS_NAMES, recall)},
        "confusion": confusion.long().tolist(),
    }
