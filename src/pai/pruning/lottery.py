"""Lottery-ticket rewinding: iterative magnitude pruning (IMP) as open_lth's ``lottery`` runner.

open_lth (``lottery/runner.py``, ``pruning/sparse_global.py``): level 0 trains the dense net; each
later level takes the previous level's trained weights, removes 20% of the weights still kept, by
global magnitude, and trains the survivors again from the rewind point (the state after
``rewinding_steps``, with the learning rate schedule resumed from there).

Here a round's mask comes from a *ranking* of every prunable weight, kept with the mask:

    R_r = where(M_{r-1}, r + rank(|W_{r-1}|) / n_{r-1}, R_{r-1}),     R_0 = 0, M_0 = all ones

``W_{r-1}`` are round r-1's trained weights (round 0: the dense run), ``rank`` orders the
``n_{r-1}`` weights round r-1 kept by magnitude (0 = smallest; equal magnitudes in flattened layer
order). So a weight pruned in round j ranks below every weight that survived it, and within a round
by its magnitude then. Keeping the top of R_r:

- at round r's own sparsity 1 - 0.8^r gives exactly IMP's mask, which is nested in round r-1's (the
  survivors of r-1 hold every value >= r);
- at a sparsity between two rounds gives the last step of IMP cut short (a final partial round);
- at the bottom (``invert``) keeps the weights IMP dropped first: the other end of its ranking.

Departures from open_lth, as for the other methods: exact counts (open_lth removes ceil(0.2 n)
plus one plus ties; docs/methods.md, "Exact counts"), round r keeps round(0.8^r N) with the
4-decimal sparsity label of the grid, and the output layer is pruned (open_lth's LeNet and VGG
lottery defaults skip ``fc.weight``; the pruning-at-initialization branch prunes it, and one
prunable set keeps the methods comparable at equal sparsity).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from pai.pruning.masks import flatten, unflatten

# the round arithmetic (1 - 0.8^r, which round a sparsity needs) is torch-free, in pai.config.grid


def first_ranking(mask: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """R_0: zeros over the prunable weights of ``mask`` (round 0, the dense run, keeps all)."""
    return {name: torch.zeros(m.shape, dtype=torch.float64) for name, m in mask.items()}


def next_ranking(
    round_index: int,
    trained: Mapping[str, torch.Tensor],
    previous_mask: Mapping[str, torch.Tensor],
    previous_ranking: Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """R_r from round r-1's trained weights, mask and ranking (round 1: the dense run's weights,
    a mask of ones and :func:`first_ranking`). Keys and order are those of ``previous_mask``."""
    if round_index < 1:
        raise ValueError(f"pruning rounds start at 1, got {round_index}")
    names = list(previous_mask)
    magnitudes = flatten({n: trained[n].detach().abs().to(torch.float64) for n in names}, names)
    alive = flatten({n: previous_mask[n].bool() for n in names}, names)
    base = flatten({n: previous_ranking[n].to(torch.float64) for n in names}, names)
    survivors = alive.nonzero().flatten()
    if torch.isnan(magnitudes[survivors]).any():
        raise ValueError("trained weights contain NaN (a diverged run): IMP cannot rank them")
    order = torch.argsort(magnitudes[survivors], stable=True)
    ranks = torch.empty(len(survivors), dtype=torch.float64)
    ranks[order] = torch.arange(len(survivors), dtype=torch.float64)
    base[survivors] = round_index + ranks / max(len(survivors), 1)
    return unflatten(base, previous_mask, names)
