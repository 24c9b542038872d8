"""MtM's scoring subset: a class-balanced sample of the training set that data-driven methods
score on (docs/methods.md, "SNIP")."""

from __future__ import annotations

from typing import NamedTuple

import torch

from pai import seeds
from pai.data.tensors import TensorData


def class_balanced_subset(
    images: torch.Tensor, labels: torch.Tensor, per_class: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` examples of every class, as MtM's scoring set (docs/methods.md, "SNIP").

    The set is shuffled with a generator from ``seed`` and the first ``per_class`` examples of each
    class are kept, in shuffled order. No augmentation.
    """
    if per_class < 1:
        raise ValueError(f"examples per class must be at least 1, got {per_class}")
    order = torch.randperm(len(labels), generator=seeds.generator(seed, seeds.SCORING_SUBSET))
    shuffled = labels[order]
    chosen = []
    for cls in torch.unique(labels).tolist():
        positions = (shuffled == cls).nonzero().flatten()
        if len(positions) < per_class:
            raise ValueError(
                f"class {cls} has {len(positions)} training examples, fewer than {per_class}"
            )
        chosen.append(positions[:per_class])
    keep = order[torch.sort(torch.cat(chosen)).values]
    return images[keep], labels[keep]


class ScoringData(NamedTuple):
    """The class-balanced scoring subset a data-driven method scores on: images N x C x H x W
    and int64 labels."""

    images: torch.Tensor
    labels: torch.Tensor


def scoring_subset(dataset: TensorData, per_class: int, seed: int) -> ScoringData:
    """MtM's scoring subset of the training set (:func:`class_balanced_subset`)."""
    return ScoringData(*class_balanced_subset(dataset.train_x, dataset.train_y, per_class, seed))
