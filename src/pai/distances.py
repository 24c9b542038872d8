"""Per-layer 1-D Wasserstein distances between two runs' weights (REFERENCE.md section 8).

Singh & Liu call ``scipy.stats.wasserstein_distance(u, v)`` on two flattened weight tensors. Their
code compares the trained weights with pruned positions holding 0 and those zeros included
(``entries="all"``); we also report each run's own kept weights only (``entries="unpruned"``), and
both at ``init`` (the start weights, right after the ablation) and ``trained``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from scipy.stats import wasserstein_distance

STAGES = ("init", "trained")
ENTRIES = ("all", "unpruned")


def layer_w1(a: torch.Tensor, b: torch.Tensor) -> float:
    """W1 between the empirical distributions of two tensors' entries (any sizes)."""
    u = a.detach().double().reshape(-1).numpy()
    v = b.detach().double().reshape(-1).numpy()
    if u.size == 0 or v.size == 0:
        return float("nan")  # a collapsed layer has no unpruned entries to compare
    return float(wasserstein_distance(u, v))


def compare_runs(
    weights_a: Mapping[str, torch.Tensor],
    mask_a: Mapping[str, torch.Tensor],
    weights_b: Mapping[str, torch.Tensor],
    mask_b: Mapping[str, torch.Tensor],
    layers: Sequence[str],
) -> list[dict[str, object]]:
    """Rows ``{layer, entries, w1}`` for every layer and both entry sets.

    Layers outside the masks (BN gamma, for the notebook-compatible variant) have no pruned
    entries, so both entry sets use the whole tensor there.
    """
    rows = []
    for layer in layers:
        a, b = weights_a[layer], weights_b[layer]
        rows.append({"layer": layer, "entries": "all", "w1": layer_w1(a, b)})
        if layer in mask_a:
            kept_a, kept_b = a[mask_a[layer]], b[mask_b[layer]]
        else:
            kept_a, kept_b = a, b
        rows.append({"layer": layer, "entries": "unpruned", "w1": layer_w1(kept_a, kept_b)})
    return rows


def mean_over_layers(values: Sequence[float]) -> float:
    """Table 1's "averaged across layers": the arithmetic mean, ignoring collapsed layers."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")
