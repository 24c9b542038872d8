"""MtM's claims as pre-declared confirmatory tests, pooled within each seed (docs/methods.md,
"Statistics").

One test per net, claim and set of methods: per seed, the mean over the claim's methods and the
net's declared sparsities of (ablated − unmodified accuracy), then the exact sign-flip test over
seeds (with the margin for "no worse"). The claims are MtM's (:data:`pai.config.registry.FAMILIES`):
at initialization shuffle and reinit no worse and invert worse (GraSP's inversion: no claim);
after training (MtM's benchmarks) every ablation worse. Two sets never pooled: the
**reproduction**, MtM's own methods (:data:`pai.config.registry.MTM_METHODS`), and the
**extension**, every other method of the family (FORCE, Iter-SNIP, ProsPr, NTK-SAP, GraspAbs,
plugins).

- Sparsities are declared before training (the net's ``confirmatory_sparsities``); every other
  sparsity is an exploratory estimate (:func:`pai.analysis.stats.ablation_effects`).
- Exclusions are decided from the masks, before training: a (method, sparsity) whose unmodified
  or ablated mask, for some seed, has no effective weight (no weight on an input-to-output path)
  has no test; the unrestricted analysis (every cell) is given beside the restricted one. Runs
  that collapse or diverge in training are counted, never excluded (``collapsed_runs``).
- A seed lacking any run the claim needs is left out, and named.
- "No worse" is non-inferiority with margin delta: shown when the per-seed means lie above
  -delta (H1: mean > -delta); shown *worse* when they lie below it (H1: mean < -delta);
  otherwise not shown. "Worse": H1 mean < 0.
- Negative controls, where an ablation cannot matter by construction (random pruning's shuffle
  and reinit; NTK-SAP's reinit, but for the biases), are pooled the same way as the test's
  calibration: their estimates, no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from pai.analysis.stats import (
    ALPHA,
    EXACT,
    EXACT_SEEDS,
    NOT_SHOWN,
    PAIRED_T,
    SHOWN,
    TOO_FEW,
    broken_runs,
    claim_label,
    paired_exact_p,
    smallest_exact_p,
    t_interval,
)
from pai.config import registry

REPRODUCTION, EXTENSION = "reproduction", "extension"
CONFIRMATORY, CALIBRATION = "confirmatory", "calibration"
SHOWN_WORSE = "shown worse (inferior)"  # beside stats' SHOWN, NOT_SHOWN and TOO_FEW
NO_TEST = "no test"
# the seeds the exact sign-flip test needs to reach p < ALPHA when every seed agrees
SEEDS_NEEDED = math.ceil(math.log2(1 / ALPHA))

CLAIM_COLUMNS = [
    "role", "net", "set", "family", "ablation", "expected", "claim", "methods", "sparsities",
    "cells", "seeds", "excluded", "difference", "ci_low", "ci_high", "seed_means", "margin",
    "test", "p_value", "verdict", "smallest_p", "seeds_needed", "detectable", "collapsed_runs",
    "unrestricted_difference", "unrestricted_p", "unrestricted_verdict",
]  # fmt: skip


def method_set(method: str) -> str:
    return REPRODUCTION if method in registry.MTM_METHODS else EXTENSION


def _claim_text(ablation: str, expected: str, margin: float) -> str:
    if expected == "none":
        return f"{ablation}: no effect by construction (calibration)"
    return claim_label(ablation, expected, margin)


def pooled_p(seed_means: Sequence[float], alternative: str, null: float = 0.0) -> float:
    """The one-sided p of H1: mean(seed_means) > null ("greater") or < null ("less"):
    :func:`pai.analysis.stats.paired_exact_p` of the means shifted by ``null``."""
    return paired_exact_p(np.asarray(seed_means, dtype=float) - null, alternative)[0]


def verdict(seed_means: Sequence[float], expected: str, margin: float) -> tuple[float, str]:
    """The claim's p and verdict; "no worse" reads "shown worse" when the seeds lie below the
    margin (shown inferiority), and a design whose seeds cannot reach ALPHA says so."""
    n = len(seed_means)
    if n < 2:
        return math.nan, NO_TEST
    if expected == registry.NO_WORSE:
        p = pooled_p(seed_means, "greater", null=-margin)
        if p < ALPHA:
            return p, SHOWN
        if pooled_p(seed_means, "less", null=-margin) < ALPHA:
            return p, SHOWN_WORSE
    else:
        p = pooled_p(seed_means, "less")
        if p < ALPHA:
            return p, SHOWN
    return p, TOO_FEW if n <= EXACT_SEEDS and smallest_exact_p(n) >= ALPHA else NOT_SHOWN


def _per_seed(
    accuracy: pd.DataFrame, ablation: str, cells: list[tuple[str, float]]
) -> tuple[pd.Series, list[str]]:
    """Per seed, the mean over ``cells`` (method, sparsity) of ablated − unmodified; the seeds
    lacking a run, named."""
    seeds = sorted(accuracy.index.get_level_values("seed").unique())
    means, excluded = {}, []
    for seed in seeds:
        differences, missing = [], []
        for method, sparsity in cells:
            key = (method, sparsity, seed)
            row = accuracy.loc[key] if key in accuracy.index else None
            if (
                row is None
                or not np.isfinite(row.get(ablation, np.nan))
                or not np.isfinite(row.get("unmodified", np.nan))
            ):
                missing.append(f"{method} at {sparsity:g}")
                continue
            differences.append(row[ablation] - row["unmodified"])
        if missing:
            excluded.append(f"seed {seed}: no {ablation} or unmodified run of {', '.join(missing)}")
        else:
            means[seed] = float(np.mean(differences))
    return pd.Series(means, dtype=float), excluded


def pooled_estimate(seed_means: np.ndarray) -> dict[str, Any]:
    """The columns every pooled test reports of its per-seed means: their count, mean and 90% t
    interval, the means themselves, the test used and the smallest p the design can reach."""
    mean, low, high = t_interval(seed_means)
    n = len(seed_means)
    return {
        "seeds": n,
        "difference": mean,
        "ci_low": low,
        "ci_high": high,
        "seed_means": [float(v) for v in seed_means],
        "test": EXACT if n <= EXACT_SEEDS else PAIRED_T,
        "smallest_p": smallest_exact_p(n) if n else math.nan,
    }


def _detectable(seed_means: np.ndarray) -> float:
    """The smallest mean shift a one-sided t test at ALPHA could show at the observed spread of
    the per-seed means: t(1 - ALPHA, n - 1) * sd / sqrt(n) (beyond the margin for "no worse")."""
    n = len(seed_means)
    if n < 2:
        return math.nan
    return float(scipy_stats.t.ppf(1 - ALPHA, n - 1) * np.std(seed_means, ddof=1) / math.sqrt(n))


def pooled_claims(
    runs: pd.DataFrame,
    declared: Mapping[str, Sequence[float]],
    margin: float,
    claims: Mapping[str, Mapping[str, Any]] | None = None,
    effective: pd.DataFrame | None = None,
    chance: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """MtM's claims, one confirmatory test per net, set, family and claimed ablation, and the
    negative controls' calibration rows. ``declared``: net -> its confirmatory sparsities;
    ``claims``: method -> :meth:`pai.config.registry.Method.claim_settings` (the registry's by
    default; an unknown method is tested as one at initialization); ``effective``: per run
    (net, method, sparsity, seed, ablation) its mask's ``effective_density``
    (:func:`pai.analysis.stats.effective_runs`; None: unknown, no cell excluded); ``chance``:
    net -> chance accuracy, for counting collapsed runs."""
    if claims is None:
        claims = {name: m.claim_settings() for name, m in registry.METHODS.items()}
    at_init = {"family": "init", "expected": dict(registry.FAMILIES["init"])}
    rows = []
    runs = runs[runs["sparsity"] > 0]
    for net, by_net in runs.groupby("net", sort=True):
        sparsities = [round(float(s), 4) for s in declared.get(net, [])]
        chosen = by_net[by_net["sparsity"].round(4).isin(sparsities)]
        accuracy = chosen.pivot_table(
            index=["method", "sparsity", "seed"], columns="ablation", values="final_test_accuracy"
        )
        broken = broken_runs(chosen, chance or {})
        ablations = [a for a in registry.ABLATIONS if a != "unmodified" and a in accuracy.columns]
        methods = registry.ordered_methods(chosen["method"].unique())
        for ablation in ablations:
            groups: dict[tuple[str, str, str, str], list[str]] = {}
            for method in methods:
                spec = claims.get(method, at_init)
                expected = spec["expected"].get(ablation, registry.DESCRIPTIVE)
                if ablation in registry.NEGATIVE_CONTROLS.get(method, ()):
                    groups.setdefault((CALIBRATION, method, spec["family"], "none"), []).append(
                        method
                    )
                if expected != registry.DESCRIPTIVE and spec["family"] != "reference":
                    key = (CONFIRMATORY, method_set(method), spec["family"], expected)
                    groups.setdefault(key, []).append(method)
            for (role, group_set, family, expected), members in groups.items():
                rows.append(
                    _claim_row(
                        role,
                        net,
                        group_set,
                        family,
                        ablation,
                        expected,
                        members,
                        accuracy,
                        broken,
                        _disconnected(effective, net, ablation),
                        margin,
                    )
                )
    if not rows:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    frame = pd.DataFrame(rows)[CLAIM_COLUMNS]
    order = {
        "role": {CONFIRMATORY: 0, CALIBRATION: 1},
        "set": {REPRODUCTION: 0, EXTENSION: 1},
        "family": {name: i for i, name in enumerate(registry.FAMILIES)},
        "ablation": {name: i for i, name in enumerate(registry.ABLATIONS)},
    }
    return frame.sort_values(
        ["role", "net", "set", "family", "ablation"],
        key=lambda c: c.map(order[c.name]) if c.name in order else c,
        kind="stable",
    ).reset_index(drop=True)


def _disconnected(
    effective: pd.DataFrame | None, net: str, ablation: str
) -> set[tuple[str, float]]:
    """(method, sparsity) of ``net`` whose unmodified or ``ablation`` mask has no effective
    weight for some seed: decided from the masks, before training."""
    if effective is None or effective.empty:
        return set()
    own = effective[
        (effective["net"] == net)
        & effective["ablation"].isin(["unmodified", ablation])
        & (effective["effective_density"] == 0)
    ]
    return {(m, round(float(s), 4)) for m, s in zip(own["method"], own["sparsity"], strict=True)}


def _claim_row(role, net, group_set, family, ablation, expected, members, accuracy, broken, dead,
               margin) -> dict:  # fmt: skip
    present = dict.fromkeys((m, s) for m, s, _ in accuracy.index)
    every = [(m, s) for m, s in present if m in members]  # the declared sparsities it ran
    kept = [(m, s) for m, s in every if (m, round(float(s), 4)) not in dead]
    means, excluded = _per_seed(accuracy, ablation, kept)
    excluded = [
        f"{m} at {s:g}: a mask with no effective weight" for m, s in every if (m, s) not in kept
    ] + excluded
    values = means.to_numpy()
    row_margin = margin if expected == registry.NO_WORSE else 0.0
    all_means, _ = _per_seed(accuracy, ablation, every)
    if role == CALIBRATION:
        (p, said), (all_p, all_said) = (math.nan, "calibration (no claim)"), (math.nan, "")
    else:
        p, said = verdict(values, expected, row_margin)
        all_p, all_said = verdict(all_means.to_numpy(), expected, row_margin)
    # runs that collapsed or diverged in training are counted in, and counted here
    collapsed = sum(
        int(broken.get((net, m, s, seed, ablation), False)) for m, s in kept for seed in means.index
    )
    return {
        "role": role,
        "net": net,
        "set": group_set if role == CONFIRMATORY else CALIBRATION,
        "family": family,
        "ablation": ablation,
        "expected": expected if role != CALIBRATION else "no effect",
        "claim": _claim_text(ablation, expected if role != CALIBRATION else "none", row_margin),
        "methods": ", ".join(members),
        "sparsities": ", ".join(f"{s:g}" for s in sorted({s for _, s in kept})),
        "cells": len(kept),
        "excluded": "; ".join(excluded),
        **pooled_estimate(values),
        "margin": row_margin,
        "p_value": p,
        "verdict": said,
        "seeds_needed": SEEDS_NEEDED,
        "detectable": _detectable(values),
        "collapsed_runs": collapsed,
        "unrestricted_difference": float(all_means.mean()) if len(all_means) else math.nan,
        "unrestricted_p": all_p,
        "unrestricted_verdict": all_said,
    }
