"""Per-layer 1-D Wasserstein distances between two runs' weights (docs/methods.md, "Distances").

Singh & Liu call ``scipy.stats.wasserstein_distance(u, v)`` on two flattened weight tensors. Their
code compares the trained weights with pruned positions holding 0 and those zeros included
(``entries="all"``); we also report each run's own kept weights only (``entries="unpruned"``), and
both at ``init`` (the start weights, right after the ablation) and ``trained``.

Which runs are compared is Singh & Liu's rule (:func:`comparisons`): every ablated run against its
method's unmodified run, and random pruning's unmodified run against every other method's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from scipy.stats import wasserstein_distance

STAGES = ("init", "trained")
ENTRIES = ("all", "unpruned")
# what a row's tensor is: a prunable weight (the default layer set), or another ``*.weight``
# tensor (BatchNorm gamma in the built-in nets), which Singh & Liu's ResNet-20 notebook includes
TENSORS = ("weight", "bn_gamma")
COLUMNS = [
    "net", "method", "sparsity", "seed", "comparison", "layer", "tensor", "stage", "entries",
    "collapsed", "w1",
]  # fmt: skip
Run = tuple[str, str]  # (method, ablation) within one (net, sparsity, seed)
Pair = tuple[str, Run, Run]  # (comparison, reference run, compared run)


def comparisons(runs: Sequence[Run]) -> dict[Run, Pair | None]:
    """For each run, what its distances compare (Singh & Liu's pairs): an ablated run against
    its method's unmodified run (comparison = the ablation), and the random method's unmodified
    run against each other method's unmodified run, stored with the latter (comparison =
    "random"). None where the grid lacks the reference."""
    present = set(runs)
    pairs: dict[Run, Pair | None] = {}
    for method, ablation in runs:
        reference = (method, "unmodified")
        pairs[(method, ablation)] = None
        if reference not in present:
            continue
        if ablation != "unmodified":
            pairs[(method, ablation)] = (ablation, reference, (method, ablation))
        elif method != "random" and ("random", "unmodified") in present:
            pairs[(method, ablation)] = ("random", reference, ("random", "unmodified"))
    return pairs


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
    """Rows ``{layer, tensor, entries, collapsed, w1}`` for every layer: both entry sets of a
    prunable weight; for a tensor outside the masks (BN gamma, Singh & Liu's notebook variant),
    which has no pruned entries, the ``all`` row alone. ``collapsed``: the layer is pruned to
    nothing in either run. With all entries its W1 is then that of zeros against the other run
    (0 when both collapsed), which Table 1 and the tests leave out; with unpruned entries NaN."""
    rows = []
    for layer in layers:
        a, b = weights_a[layer], weights_b[layer]
        pruned = layer in mask_a
        tensor = "weight" if pruned else "bn_gamma"
        collapsed = pruned and not (bool(mask_a[layer].any()) and bool(mask_b[layer].any()))
        common = {"layer": layer, "tensor": tensor, "collapsed": collapsed}
        rows.append({**common, "entries": "all", "w1": layer_w1(a, b)})
        if pruned:
            kept = layer_w1(a[mask_a[layer]], b[mask_b[layer]])
            rows.append({**common, "entries": "unpruned", "w1": kept})
    return rows


def notebook_extra_layers(state: Mapping[str, torch.Tensor], mask: Mapping[str, torch.Tensor]):
    """The tensors Singh & Liu's notebooks add to the prunable weights: every other state-dict
    entry named ``*.weight`` (BatchNorm gamma in the built-in nets), in state-dict order."""
    return [name for name in state if name.endswith(".weight") and name not in mask]


def group_rows(
    keys: Mapping[str, Any],
    runs: Sequence[Run],
    load: Callable[[Run], tuple[Mapping[str, Any], Mapping[str, torch.Tensor]]],
) -> list[dict[str, Any]]:
    """Every distance row of one (net, sparsity, seed): for each pair of :func:`comparisons`,
    both stages, every prunable layer and both entry sets. ``load(run)`` gives the run's start
    state and trained weights. At most three runs are held at once (random pruning's reference,
    the current method's unmodified run and the run compared): a VGG-16 group holds 32 runs of
    120 MB each."""
    held: dict[Run, tuple] = {}

    def states(run: Run, keep: set[Run]):
        for old in [r for r in held if r not in keep]:
            del held[old]
        if run not in held:
            held[run] = load(run)
        return held[run]

    rows = []
    for run, pair in comparisons(runs).items():
        if pair is None:
            continue
        comparison, reference, other = pair
        keep = {reference, other, ("random", "unmodified")}
        ref_start, ref_trained = states(reference, keep)
        start, trained = states(other, keep)
        layers = list(ref_start["mask"]) + notebook_extra_layers(ref_trained, ref_start["mask"])
        stages = (
            ("init", ref_start["weights"], start["weights"]),
            ("trained", ref_trained, trained),
        )
        for stage, ref_w, w in stages:
            for row in compare_runs(ref_w, ref_start["mask"], w, start["mask"], layers):
                rows.append(
                    {**keys, "method": run[0], "comparison": comparison, "stage": stage, **row}
                )
    return [{column: row[column] for column in COLUMNS} for row in rows]
