"""The four ablations of MtM (docs/methods.md, "Ablations"), producing a run's start state.

A start state is ``{"weights": state_dict with pruned entries exactly 0, "mask": {name: bool}}``.

- ``unmodified``: the method's mask on the init it was computed from.
- ``shuffle``: each layer's mask permuted by a seeded generator; the init weights stay in place, so
  per-layer counts are kept while the survivors become other init values.
- ``reinit``: the same mask on fresh weights drawn from the same initialisation (every parameter,
  BN gamma and biases included, as MtM's fresh ``models.registry.get``; a plugin architecture's own
  initialiser if it has one), from a seed derived from the run's seed.
- ``invert``: the other end of the method's ranking. That mask comes from the scores, not from the
  unmodified mask, so the caller passes it (``scoring.method_mask(..., invert=True)``); here it is
  applied like ``unmodified``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pai import seeds
from pai.config import registry
from pai.models.nets import ArchSettings, init_weights, initialise
from pai.pruning.masks import Mask, apply_mask, check_mask

StartState = dict[str, dict[str, torch.Tensor]]


def check_ablation(ablation: str) -> None:
    if ablation not in registry.ABLATIONS:
        known = ", ".join(registry.ABLATIONS)
        raise ValueError(f"unknown ablation {ablation!r}; known ablations: {known}")


def shuffle_mask(mask: Mapping[str, torch.Tensor], seed: int) -> Mask:
    """Permute every layer's mask with one seeded generator (layers in the mask's order)."""
    gen = seeds.generator(seed, seeds.SHUFFLE)
    shuffled = {}
    for name, m in mask.items():
        flat = m.reshape(-1)
        shuffled[name] = flat[torch.randperm(flat.numel(), generator=gen)].view(m.shape).clone()
    return shuffled


def start_state(
    ablation: str,
    model: nn.Module,
    init: Mapping[str, torch.Tensor],
    mask: Mapping[str, torch.Tensor],
    seed: int,
    arch: str | ArchSettings | None = None,
    base: str | Path = ".",
) -> StartState:
    """The start state of a run.

    ``model`` is any instance of the run's net (its values are overwritten), ``init`` the dense
    init state_dict the mask was computed on, and ``mask`` the method's mask for this ablation
    (the inverted one for ``invert``). ``arch`` (a built-in name or a plugin's settings) says how
    ``reinit`` draws fresh weights; without it, open_lth's initialisation.
    """
    check_ablation(ablation)
    check_mask(mask, model)
    model.load_state_dict(init)
    if ablation == "shuffle":
        mask = shuffle_mask(mask, seed)
    elif ablation == "reinit":
        gen = seeds.generator(seed, seeds.REINIT)
        if arch is None:
            init_weights(model, gen)
        else:
            initialise(model, gen, arch, base)
    mask = {name: m.clone() for name, m in mask.items()}
    apply_mask(model, mask)
    weights = {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}
    return {"weights": weights, "mask": mask}


def start_states(
    ablations: Sequence[str],
    model: nn.Module,
    init: Mapping[str, torch.Tensor],
    masks: Mapping[str, Any],
    seed: int,
    arch: str | ArchSettings | None = None,
    base: str | Path = ".",
) -> dict[str, StartState]:
    """The start state of every ablation run of a cell, from the cell's mask file ``masks``
    (``{"unmodified": mask, "invert": mask, ...}``): ``invert`` starts from the inverted mask,
    every other ablation from the unmodified one."""
    return {
        ablation: start_state(
            ablation,
            model,
            init,
            masks["invert" if ablation == "invert" else "unmodified"],
            seed,
            arch,
            base,
        )
        for ablation in ablations
    }
