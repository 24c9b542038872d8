"""Global masks from scores: exact counts, deterministic ties, per-layer reporting.

One ranking over every prunable weight of the net (docs/methods.md, "Exact counts"). Exactly
``round((1 - sparsity) * N)`` weights are kept. Ties are broken by position in the flattened order
(layers in registration order, then row-major): keeping the highest scores keeps the earliest of
tied weights, keeping the lowest keeps the latest, i.e. both ends of one fixed total order, so an
inverted mask overlaps the unmodified one as little as the counts allow.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from pai.models.nets import prunable_names

Mask = dict[str, torch.Tensor]
KEEP_ENDS = ("highest", "lowest")
# what select does with the entries tied with the last one kept
TIES = ("split", "kept", "dropped")


class MaskError(ValueError):
    """A mask does not fit the net it is applied to."""


def check_sparsity(sparsity: float) -> None:
    if isinstance(sparsity, bool) or not isinstance(sparsity, (int, float)):
        raise ValueError(f"sparsity must be a number in [0, 1), got {sparsity!r}")
    if not 0.0 <= float(sparsity) < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")


def keep_count(total: int, sparsity: float) -> int:
    """How many of ``total`` weights a mask at ``sparsity`` keeps."""
    check_sparsity(sparsity)
    return round((1.0 - float(sparsity)) * total)


def select(
    scores: torch.Tensor,
    count: int,
    keep: str = "highest",
    eligible: torch.Tensor | None = None,
    ties: str = "split",
) -> torch.Tensor:
    """Boolean vector marking exactly ``count`` entries of the 1-D ``scores`` to keep.

    ``eligible`` (bool) restricts the choice to those entries (iterative pruning ranks only the
    weights still alive). Runs in O(N) with ``kthvalue`` instead of a full sort, which matters for
    SynFlow's 100 rounds over VGG-16's 14.7 M weights. ``ties``: the entries tied with the last one
    kept are "split" (as many kept as make ``count``), all "kept" (so more than ``count`` may be:
    de Jorge et al.'s intermediate steps keep every score at least the count-th largest) or all
    "dropped" (fewer: Tanaka et al.'s loop, NTK-SAP's, prunes every score at most the threshold).
    """
    if keep not in KEEP_ENDS:
        raise ValueError(f"keep must be one of {KEEP_ENDS}, got {keep!r}")
    if scores.dim() != 1:
        raise ValueError("scores must be flattened to one dimension")
    if torch.isnan(scores).any():
        raise ValueError("scores contain NaN; a ranking of them would be meaningless")
    positions = eligible.nonzero().flatten() if eligible is not None else None
    pool = scores[positions] if positions is not None else scores
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    if not 0 <= count <= pool.numel():
        raise ValueError(f"cannot keep {count} of {pool.numel()} weights")
    chosen = torch.zeros(pool.numel(), dtype=torch.bool, device=scores.device)
    if ties == "dropped" and count < pool.numel():
        # keep what ranks above the last one pruned: its ties are pruned with it
        ranked = pool if keep == "highest" else -pool
        chosen = ranked > torch.kthvalue(ranked, pool.numel() - count).values
    elif ties == "dropped":
        chosen[:] = True
    elif count > 0:
        # view "lowest" as "highest of the negated scores", ties then taken from the far end
        ranked = pool if keep == "highest" else -pool
        threshold = torch.kthvalue(ranked, pool.numel() - count + 1).values
        above = ranked > threshold
        tied = ranked == threshold
        missing = count - int(above.sum())
        if keep == "highest":
            tie_rank = torch.cumsum(tied, 0)  # 1 for the first tie, 2 for the second, ...
        else:
            tie_rank = torch.cumsum(tied.flip(0), 0).flip(0)  # 1 for the last tie
        chosen = above | (tied if ties == "kept" else tied & (tie_rank <= missing))
    if positions is None:
        return chosen
    result = torch.zeros(scores.numel(), dtype=torch.bool, device=scores.device)
    result[positions] = chosen
    return result


def flatten(tensors: Mapping[str, torch.Tensor], names: list[str]) -> torch.Tensor:
    return torch.cat([tensors[name].reshape(-1) for name in names])


def unflatten(flat: torch.Tensor, like: Mapping[str, torch.Tensor], names: list[str]) -> Mask:
    out, start = {}, 0
    for name in names:
        n = like[name].numel()
        out[name] = flat[start : start + n].view(like[name].shape).clone()
        start += n
    return out


def global_mask(scores: Mapping[str, torch.Tensor], sparsity: float, keep: str = "highest") -> Mask:
    """Keep the ``round((1 - sparsity) * N)`` best-ranked weights across all layers."""
    names = list(scores)
    flat = flatten(scores, names)
    chosen = select(flat, keep_count(flat.numel(), sparsity), keep)
    return unflatten(chosen, scores, names)


def ones_mask(model: nn.Module) -> Mask:
    params = dict(model.named_parameters())
    return {name: torch.ones_like(params[name], dtype=torch.bool) for name in prunable_names(model)}


def layer_counts(mask: Mapping[str, torch.Tensor]) -> dict[str, tuple[int, int]]:
    """name -> (kept, total) for each layer."""
    return {name: (int(m.sum()), m.numel()) for name, m in mask.items()}


def density(mask: Mapping[str, torch.Tensor]) -> float:
    kept = sum(int(m.sum()) for m in mask.values())
    total = sum(m.numel() for m in mask.values())
    return kept / total


def collapsed_layers(mask: Mapping[str, torch.Tensor]) -> list[str]:
    """Layers left with no weight at all: the net cannot pass a signal (docs/methods.md, "Layer
    collapse")."""
    return [name for name, m in mask.items() if not bool(m.any())]


def check_mask(mask: Mapping[str, torch.Tensor], model: nn.Module) -> None:
    """Raise :class:`MaskError` naming the first key or shape that does not fit ``model``."""
    params = dict(model.named_parameters())
    expected = prunable_names(model)
    missing = [name for name in expected if name not in mask]
    extra = [name for name in mask if name not in expected]
    if missing or extra:
        raise MaskError(
            "mask does not fit the net: "
            f"missing {missing or 'nothing'}, unexpected {extra or 'nothing'}"
        )
    for name in expected:
        m = mask[name]
        if m.dtype != torch.bool:
            raise MaskError(f"mask entry {name!r} has dtype {m.dtype}, expected torch.bool")
        if m.shape != params[name].shape:
            raise MaskError(
                f"mask entry {name!r} has shape {tuple(m.shape)}, "
                f"the net's weight has {tuple(params[name].shape)}"
            )


def apply_mask(model: nn.Module, mask: Mapping[str, torch.Tensor]) -> None:
    """Zero the pruned weights of ``model`` in place (+0.0, never -0.0)."""
    check_mask(mask, model)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, m in mask.items():
            params[name].masked_fill_(~m.to(params[name].device), 0.0)
