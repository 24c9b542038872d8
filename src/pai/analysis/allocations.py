"""Is a per-layer fraction all that matters? Every method at initialization against the data-free
allocations at the same sparsity and seed (docs/methods.md, "Statistics", "Data-free
allocations").

- **Estimates** (:func:`allocation_effects`): per net, method, sparsity and allocation, the
  method's accuracy minus the allocation's, paired by seed (the same init), with its 90% t
  interval; once for the method's own mask and once for its shuffle (its own per-layer fractions,
  random positions). ``best`` marks, per net and sparsity, the allocation with the highest mean
  accuracy: the three side by side (the method, random at its fractions, the best formula) say
  whether the per-weight choice, the per-layer fractions, or neither beats a formula.
- **One confirmatory test per net and method** (:func:`allocation_claims`), declared before
  training: against :data:`pai.config.registry.ALLOCATION_BASELINE` (erk), per seed the mean over
  the net's confirmatory sparsities of (method - erk), then the exact sign-flip test over seeds,
  each direction one-sided at ALPHA (a two-sided test at 2 ALPHA, as the 90% intervals). Cells
  whose mask (the method's or erk's) has no effective weight are excluded, decided from the masks
  before training; the unrestricted test is beside it. Collapsed runs are counted, never left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pai.analysis.claims import NO_TEST, SHOWN_WORSE, pooled_estimate, pooled_p
from pai.analysis.stats import (
    ALPHA,
    EXACT_SEEDS,
    NOT_SHOWN,
    TOO_FEW,
    broken_runs,
    smallest_exact_p,
    t_interval,
)
from pai.config import registry

OWN_MASK, OWN_FRACTIONS = "own mask", "own fractions, random positions"
VARIANTS = {"unmodified": OWN_MASK, "shuffle": OWN_FRACTIONS}
SHOWN_BETTER = "shown better"
EFFECT_COLUMNS = [
    "net", "method", "sparsity", "range", "variant", "allocation", "best", "seeds",
    "method_accuracy", "allocation_accuracy", "difference", "ci_low", "ci_high",
    "seed_differences", "method_effective_density", "allocation_effective_density",
]  # fmt: skip
CLAIM_COLUMNS = [
    "net", "method", "baseline", "claim", "sparsities", "cells", "seeds", "excluded",
    "difference", "ci_low", "ci_high", "seed_means", "test", "p_better", "p_worse", "verdict",
    "smallest_p", "collapsed_runs", "unrestricted_difference", "unrestricted_verdict",
]  # fmt: skip


def roles(claims: Mapping[str, Mapping]) -> tuple[list[str], list[str]]:
    """The methods at initialization and the allocations, from each method's family
    (:meth:`pai.config.registry.Method.claim_settings`)."""
    at_init = [m for m, spec in claims.items() if spec["family"] == "init"]
    allocations = [m for m, spec in claims.items() if spec["family"] == "allocation"]
    return registry.ordered_methods(at_init), registry.ordered_methods(allocations)


Runs = dict[tuple, pd.Series]  # (net, method, sparsity, ablation) -> a value per seed
KEYS = ["net", "method", "sparsity", "ablation"]


def _by_run(frame: pd.DataFrame | None, column: str) -> Runs:
    """``column`` per seed of each (net, method, sparsity, ablation); sparsities rounded to the
    labels' 4 decimals."""
    if frame is None or frame.empty or column not in frame:
        return {}
    frame = frame.assign(sparsity=frame["sparsity"].astype(float).round(4))
    return {
        key: group.set_index("seed")[column].sort_index()
        for key, group in frame.groupby(KEYS, sort=False)
    }


def _accuracy(runs: pd.DataFrame) -> Runs:
    return _by_run(runs, "final_test_accuracy")


def _effective(effective: pd.DataFrame | None) -> Runs:
    return _by_run(effective, "effective_density")


def _seeds(found: Runs, net: str, method: str, sparsity: float, ablation: str) -> pd.Series:
    return found.get((net, method, sparsity, ablation), pd.Series(dtype=float))


def allocation_effects(
    runs: pd.DataFrame,
    claims: Mapping[str, Mapping],
    declared: Mapping[str, Sequence[float]],
    effective: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (net, method at initialization, sparsity, variant, allocation): the method's
    accuracy minus the allocation's unmodified accuracy, paired by seed, with its interval."""
    at_init, allocations = roles(claims)
    accuracy, density = _accuracy(runs), _effective(effective)
    rows = []
    for (net, sparsity), _ in runs.groupby(["net", runs["sparsity"].round(4)], sort=True):
        if sparsity == 0:
            continue
        ranges = {round(float(s), 4) for s in declared.get(net, [])}
        means = {a: _seeds(accuracy, net, a, sparsity, "unmodified").mean() for a in allocations}
        present = {a: m for a, m in means.items() if np.isfinite(m)}
        best = max(present, key=present.get) if present else None
        for method in at_init:
            for ablation, variant in VARIANTS.items():
                own = _seeds(accuracy, net, method, sparsity, ablation)
                if own.empty:
                    continue
                for name in present:
                    theirs = _seeds(accuracy, net, name, sparsity, "unmodified")
                    paired = pd.concat([own, theirs], axis=1, join="inner").dropna()
                    differences = (paired.iloc[:, 0] - paired.iloc[:, 1]).to_numpy()
                    mean, low, high = t_interval(differences)
                    rows.append(
                        {
                            "net": net,
                            "method": method,
                            "sparsity": sparsity,
                            "range": "declared" if sparsity in ranges else "extreme",
                            "variant": variant,
                            "allocation": name,
                            "best": name == best,
                            "seeds": len(differences),
                            "method_accuracy": float(paired.iloc[:, 0].mean()),
                            "allocation_accuracy": float(paired.iloc[:, 1].mean()),
                            "difference": mean,
                            "ci_low": low,
                            "ci_high": high,
                            "seed_differences": [float(d) for d in differences],
                            "method_effective_density": float(
                                _seeds(density, net, method, sparsity, ablation).mean()
                            ),
                            "allocation_effective_density": float(
                                _seeds(density, net, name, sparsity, "unmodified").mean()
                            ),
                        }
                    )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _verdict(seed_means: np.ndarray) -> tuple[float, float, str]:
    """p of "better" and of "worse" (each one-sided) and the verdict."""
    n = len(seed_means)
    if n < 2:
        return math.nan, math.nan, NO_TEST
    better, worse = pooled_p(seed_means, "greater"), pooled_p(seed_means, "less")
    if better < ALPHA:
        return better, worse, SHOWN_BETTER
    if worse < ALPHA:
        return better, worse, SHOWN_WORSE
    too_few = n <= EXACT_SEEDS and smallest_exact_p(n) >= ALPHA
    return better, worse, TOO_FEW if too_few else NOT_SHOWN


def allocation_claims(
    runs: pd.DataFrame,
    claims: Mapping[str, Mapping],
    declared: Mapping[str, Sequence[float]],
    effective: pd.DataFrame | None = None,
    chance: Mapping[str, float | None] | None = None,
    baseline: str = registry.ALLOCATION_BASELINE,
) -> pd.DataFrame:
    """One confirmatory test per net and method at initialization: its unmodified accuracy
    against ``baseline``'s, pooled within seeds over the net's declared sparsities."""
    at_init, _ = roles(claims)
    accuracy, density = _accuracy(runs), _effective(effective)
    broken = broken_runs(runs, chance or {})
    rows = []
    for net in sorted(runs["net"].unique()):
        sparsities = sorted(round(float(s), 4) for s in declared.get(net, []) if float(s) > 0)
        ran = [s for s in sparsities if not _seeds(accuracy, net, baseline, s, "unmodified").empty]
        if not ran:
            continue
        for method in at_init:
            cells = [s for s in ran if not _seeds(accuracy, net, method, s, "unmodified").empty]
            if not cells:
                continue
            dead = [
                s
                for s in cells
                for m in (method, baseline)
                if (_seeds(density, net, m, s, "unmodified") == 0).any()
            ]
            kept = [s for s in cells if s not in dead]
            means, excluded = _seed_means(accuracy, net, method, baseline, kept)
            every, _ = _seed_means(accuracy, net, method, baseline, cells)
            excluded = [
                f"{s:g}: a mask with no effective weight" for s in sorted(set(dead))
            ] + excluded
            values = means.to_numpy()
            p_better, p_worse, said = _verdict(values)
            collapsed = sum(
                int(broken.get((net, m, s, seed, "unmodified"), False))
                for m in (method, baseline)
                for s in kept
                for seed in means.index
            )
            rows.append(
                {
                    "net": net,
                    "method": method,
                    "baseline": baseline,
                    "claim": f"{method}'s masks against {baseline}'s",
                    "sparsities": ", ".join(f"{s:g}" for s in kept),
                    "cells": len(kept),
                    "excluded": "; ".join(excluded),
                    **pooled_estimate(values),
                    "p_better": p_better,
                    "p_worse": p_worse,
                    "verdict": said,
                    "collapsed_runs": collapsed,
                    "unrestricted_difference": float(every.mean()) if len(every) else math.nan,
                    "unrestricted_verdict": _verdict(every.to_numpy())[2],
                }
            )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _seed_means(
    accuracy: Runs, net: str, method: str, baseline: str, sparsities: Sequence[float]
) -> tuple[pd.Series, list[str]]:
    """Per seed, the mean over ``sparsities`` of method - baseline; the seeds lacking a run."""
    per_seed: dict[int, list[float]] = {}
    seeds: set[int] = set()
    for s in sparsities:
        own = _seeds(accuracy, net, method, s, "unmodified")
        theirs = _seeds(accuracy, net, baseline, s, "unmodified")
        seeds |= set(own.index) | set(theirs.index)
        for seed in set(own.index) & set(theirs.index):
            per_seed.setdefault(seed, []).append(float(own[seed] - theirs[seed]))
    complete = {s: float(np.mean(d)) for s, d in per_seed.items() if len(d) == len(sparsities)}
    missing = sorted(seeds - set(complete))
    excluded = [f"seed {s}: a run missing" for s in missing]
    return pd.Series(complete, dtype=float).sort_index(), excluded
