"""How close our masks are to an authors' loop's run on the same init: the figures the
same-init comparisons of docs/methods.md report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pai.pruning import masks


def layer_names(model: nn.Module) -> list[str]:
    """The prunable weights in the order of ``model.modules()``, the authors' order."""
    return [f"{n}.weight" for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def agreement(
    ours: Mapping[str, torch.Tensor], theirs: Sequence[torch.Tensor], names: Sequence[str]
) -> tuple[float, float, int]:
    """The Jaccard index of the kept weights, the largest per-layer density gap and how many
    weights only one of the two keeps; ``theirs`` in the order of ``names``."""
    assert sorted(names) == sorted(ours)
    a = masks.flatten(ours, names)
    b = torch.cat([m.flatten() for m in theirs]).bool()
    jaccard = int((a & b).sum()) / int((a | b).sum())
    gap = max(
        abs(ours[n].float().mean().item() - m.float().mean().item())
        for n, m in zip(names, theirs, strict=True)
    )
    return jaccard, gap, int((a ^ b).sum())
