"""The papers' claims as tests in which seeds are the unit of evidence, and every other cell an
estimate with its interval (docs/methods.md, "Statistics").

One convention throughout: each claim is one-sided and tested at ALPHA = 0.05, and every interval
is the two-sided CONFIDENCE = 90% t interval over seeds (its ends the one-sided 95% bounds),
unadjusted for multiplicity. Verdicts come from exact sign-flip tests, never from a t test with
one degree of freedom.

- MtM: the verdicts are :mod:`pai.analysis.claims`' pooled confirmatory tests. Here, every
  (net, method, sparsity, ablation) is an estimate (:func:`ablation_effects`): the paired
  differences (ablated minus unmodified accuracy, same seed), mean, interval, each seed's
  difference, the range of the sparsity (declared or extreme), collapsed runs counted in, and
  the masks' effective density.
- Singh & Liu, per seed: the mean over layers of the trained W1 (as Table 1), layers pruned to
  nothing in either run left out. The claim is tested once per like-for-like net with all
  entries (confirmatory): at the net's Table 1 sparsity, the per-seed mean over Table 1's methods
  of W1(random) - W1(shuffle) and of W1(random) - W1(reinit), both over the same seeds, each by
  the exact sign-flip test; "random pruning moves the weights farther than both" is an
  intersection-union test, shown when both are (p = the larger p, no correction needed), and no
  test when a part is missing. With n unanimous seeds its p is 2^-n: five seeds give 1/32 < 0.05.
  The kept-weights variant and every other net are secondary (estimates, no verdict); every
  method and sparsity is exploratory.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pai.config import registry

KEYS = ["net", "method", "sparsity"]
ALPHA = 0.05  # one-sided
CONFIDENCE = 1 - 2 * ALPHA  # two-sided intervals; one end is the one-sided 1 - ALPHA bound
EXACT_SEEDS = 16  # 2^16 sign patterns: exact up to here
# a run is at chance when its accuracy is at most 1/classes plus this (accuracy as a fraction)
CHANCE_SLACK = 0.02
# Cohen's d_z is left out below this many seeds (with two it can be any number: 2036 was seen)
EFFECT_SIZE_SEEDS = 5

SHOWN, NOT_SHOWN = "shown", "not shown"
TOO_FEW = "cannot be shown with these seeds"
NO_TEST = "no test (one seed)"
DESCRIBED = "descriptive (no claim)"
EXPLORATORY = "exploratory"
PAIRED_T, EXACT, EXACT_NO_SPREAD = "paired t", "sign-flip (exact)", "sign-flip (exact, no spread)"


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and the two ends of its t interval (NaN ends with fewer than two values)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * stats.sem(values)
    return mean, mean - float(half), mean + float(half)


def sign_flip_p(differences, alternative: str = "greater") -> float:
    """Exact one-sided sign-flip (paired permutation) test of mean(differences) = 0: the share of
    the 2^n sign patterns whose sum is at least as extreme as the observed one."""
    d = np.asarray(differences, dtype=float)
    observed = d.sum()
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
    sums = signs @ np.abs(d)
    tolerance = 1e-12 * max(1.0, np.abs(d).sum())
    if alternative == "greater":
        extreme = sums >= observed - tolerance
    elif alternative == "less":
        extreme = sums <= observed + tolerance
    else:
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    return float(extreme.mean())


def _no_spread(values: np.ndarray) -> bool:
    return bool(np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max())))


def paired_p(differences, alternative: str, null: float = 0.0) -> tuple[float, str]:
    """One-sided p of H1: mean(differences) > null (or < null), and the test used: the paired t
    test, or, when every difference is the same (t is infinite, p would be 0), the exact
    sign-flip test of differences - null, whose p is then 2^-n at the smallest."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return math.nan, NO_TEST
    shifted = d - null
    if _no_spread(shifted):
        return sign_flip_p(shifted, alternative), EXACT_NO_SPREAD
    return float(stats.ttest_1samp(shifted, 0.0, alternative=alternative).pvalue), PAIRED_T


def paired_exact_p(differences, alternative: str) -> tuple[float, str]:
    """The exact sign-flip test up to EXACT_SEEDS seeds, the paired t test beyond."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return math.nan, NO_TEST
    if len(d) <= EXACT_SEEDS:
        return sign_flip_p(d, alternative), EXACT
    return paired_p(d, alternative)


def smallest_exact_p(seeds: int) -> float:
    """The smallest p the exact sign-flip test of ``seeds`` seeds can give: 2^-n."""
    return 2.0**-seeds


def _smallest_p(test: str, seeds: int, family_size: int) -> float:
    """The smallest p a test of this design can reach with ``seeds`` seeds, whatever the data
    (times ``family_size`` for a family that would be corrected; Singh & Liu's has 1)."""
    if test in (EXACT, EXACT_NO_SPREAD):
        return min(1.0, family_size * smallest_exact_p(seeds))
    return 0.0 if test == PAIRED_T else math.nan


def _verdict(p_adjusted: float, smallest: float) -> str:
    if p_adjusted < ALPHA:
        return SHOWN
    return TOO_FEW if smallest >= ALPHA else NOT_SHOWN


# ------------------------------------------------------------------------------------- MtM


def claim_label(ablation: str, expected: str, margin: float) -> str:
    """The claim as a sentence naming the ablation."""
    if expected == registry.NO_WORSE:
        return f"{ablation} no worse than unmodified (margin {100 * margin:g} points)"
    if expected == registry.WORSE:
        return f"{ablation} worse than unmodified"
    return f"{ablation}: no claim"


EFFECT_COLUMNS = [
    *KEYS, "range", "family", "ablation", "expected", "claim", "seeds", "excluded", "difference",
    "ci_low", "ci_high", "seed_differences", "margin", "collapsed_runs", "effective_density",
    "ablated_effective_density", "verdict",
]  # fmt: skip
DECLARED, EXTREME, OTHER = "declared", "extreme", "below the declared range"
ESTIMATE = "estimate (no verdict)"


def sparsity_range(sparsity: float, declared: Sequence[float]) -> str:
    """Where a sparsity lies against a net's declared confirmatory sparsities: in them, beyond
    the highest (extreme), or elsewhere."""
    rounded = [round(float(s), 4) for s in declared]
    if round(float(sparsity), 4) in rounded:
        return DECLARED
    if rounded and sparsity > max(rounded):
        return EXTREME
    return OTHER


def ablation_effects(
    runs: pd.DataFrame,
    margin: float,
    claims: Mapping[str, Mapping[str, Any]] | None = None,
    chance: Mapping[str, float | None] | None = None,
    declared: Mapping[str, Sequence[float]] | None = None,
    effective: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (net, method, sparsity, ablation) as an estimate with its interval, no verdict (the
    verdicts are the pooled confirmatory tests of :mod:`pai.analysis.claims`): accuracy minus
    the unmodified run of the same seed, its mean and CONFIDENCE t interval over seeds
    (unadjusted), each seed's difference, the claim its family makes (``claims``: method ->
    :meth:`pai.config.registry.Method.claim_settings`), whether the sparsity is one the net
    declared (``declared``: net -> sparsities) or extreme, how many ablated runs collapsed,
    diverged or ended at chance (``chance``: net -> 1 / classes; counted in, never left out), and
    the masks' mean effective density over seeds (``effective``: :func:`effective_runs`; NaN
    where unknown). A seed without the ablated or the unmodified run is named in
    ``excluded``."""
    if claims is None:
        claims = {name: m.claim_settings() for name, m in registry.METHODS.items()}
    at_init = {"family": "init", "expected": dict(registry.FAMILIES["init"])}
    runs = runs[runs["sparsity"] > 0]  # every ablation of a dense mask is the identity
    accuracy = runs.pivot_table(
        index=[*KEYS, "seed"], columns="ablation", values="final_test_accuracy"
    )
    broken = broken_runs(runs, chance or {})
    density = _effective_density(effective)
    rows = []
    if "unmodified" in accuracy:
        for ablation in [a for a in accuracy.columns if a != "unmodified"]:
            for key, pair in accuracy[["unmodified", ablation]].groupby(level=KEYS):
                method = claims.get(key[1], at_init)
                expected = method["expected"].get(ablation, registry.DESCRIPTIVE)
                present = pair.notna().all(axis=1)
                seeds = pair.index.get_level_values("seed")
                excluded = [
                    f"seed {seed}: no {ablation if np.isnan(row[ablation]) else 'unmodified'} run"
                    for seed, (_, row) in zip(seeds, pair.iterrows(), strict=True)
                    if not present.loc[(*key, seed)]
                ]
                differences = (pair[ablation] - pair["unmodified"])[present].to_numpy()
                used = [s for s, ok in zip(seeds, present, strict=True) if ok]
                mean, low, high = t_interval(differences)
                rows.append(
                    {
                        **dict(zip(KEYS, key, strict=True)),
                        "range": sparsity_range(key[2], (declared or {}).get(key[0], [])),
                        "family": method["family"],
                        "ablation": ablation,
                        "expected": expected,
                        "claim": claim_label(ablation, expected, margin),
                        "seeds": len(differences),
                        "excluded": "; ".join(excluded),
                        "difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "seed_differences": [float(d) for d in differences],
                        "margin": margin if expected == registry.NO_WORSE else 0.0,
                        "collapsed_runs": sum(
                            int(broken.get((*key, seed, ablation), False)) for seed in used
                        ),
                        "effective_density": density.get((*key, "unmodified"), math.nan),
                        "ablated_effective_density": density.get((*key, ablation), math.nan),
                        "verdict": DESCRIBED if expected == registry.DESCRIPTIVE else ESTIMATE,
                    }
                )
    if not rows:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    frame = pd.DataFrame(rows)
    return _in_order(frame[EFFECT_COLUMNS], ["net", "method", "sparsity", "ablation"])


def broken_runs(runs: pd.DataFrame, chance: Mapping[str, float | None]) -> pd.Series:
    """Per run (net, method, sparsity, seed, ablation): collapsed, diverged or at chance."""
    keyed = runs.set_index([*KEYS, "seed", "ablation"])
    flags = pd.Series(False, index=keyed.index)
    for column in ("layer_collapse", "diverged"):
        if column in keyed:
            flags |= keyed[column].fillna(False).astype(bool)
    floor = keyed.index.get_level_values("net").map(
        lambda net: chance[net] + CHANCE_SLACK if chance.get(net) else -math.inf
    )
    return flags | (keyed["final_test_accuracy"].to_numpy() <= np.asarray(floor))


def effective_runs(topology: pd.DataFrame) -> pd.DataFrame:
    """Per run (net, method, sparsity, seed, ablation), its start mask's effective density: the
    share of prunable weights on an input-to-output path (1 - the topology table's effective
    sparsity), where the topology is supported."""
    columns = [*KEYS, "seed", "ablation", "effective_density"]
    if topology.empty or "effective_sparsity" not in topology:
        return pd.DataFrame(columns=columns)
    supported = (
        topology[topology["supported"].astype(bool)] if "supported" in topology else topology
    )
    runs = supported.drop_duplicates([*KEYS, "seed", "ablation"])
    return runs.assign(effective_density=1.0 - runs["effective_sparsity"])[columns].reset_index(
        drop=True
    )


def _effective_density(effective: pd.DataFrame | None) -> dict[tuple, float]:
    """(net, method, sparsity, ablation) -> the mean over seeds of the masks' effective density
    (:func:`effective_runs`)."""
    if effective is None or effective.empty:
        return {}
    means = effective.groupby([*KEYS, "ablation"])["effective_density"].mean()
    return {key: float(value) for key, value in means.items()}


# ----------------------------------------------------------------------------- Singh & Liu

TEST_COLUMNS = [
    "role", "entries", *KEYS, "methods", "claim", "seeds", "random_w1", "ablation_w1",
    "difference", "ci_low", "ci_high", "cohens_dz", "test", "p_value", "p_adjusted",
    "smallest_p", "verdict", "collapsed_layers", "share_layers_random_larger",
]  # fmt: skip
CONFIRMATORY_METHOD = "Table 1's methods"


def per_layer_w1(distances: pd.DataFrame, entries: str) -> tuple[pd.DataFrame, pd.Series]:
    """Trained W1 of the prunable weights per (net, method, sparsity, seed, layer), one column
    per comparison, the rows of layers pruned to nothing in either run left out (with all
    entries both would hold zeros there: W1 = 0, a flattering distance); and per (net, method,
    sparsity) how many (seed, layer) pairs that left out."""
    trained = distances[(distances["stage"] == "trained") & (distances["entries"] == entries)]
    if "tensor" in trained:
        trained = trained[trained["tensor"] == "weight"]
    collapsed = pd.Series(
        trained["collapsed"].astype(bool) if "collapsed" in trained else False,
        index=trained.index,
    )
    dropped = (
        trained[collapsed].drop_duplicates([*KEYS, "seed", "layer"]).groupby(KEYS).size()
        if collapsed.any()
        else pd.Series(dtype=int)
    )
    per_layer = trained[~collapsed].pivot_table(
        index=[*KEYS, "seed", "layer"], columns="comparison", values="w1", dropna=False
    )
    return per_layer, dropped


def _distance_row(differences: np.ndarray, random_w1, ablation_w1) -> dict:
    mean, low, high = t_interval(differences)
    spread = differences.std(ddof=1) if len(differences) > 1 else math.nan
    p, test = paired_exact_p(differences, "greater")
    return {
        "seeds": len(differences),
        "random_w1": float(np.mean(random_w1)),
        "ablation_w1": float(np.mean(ablation_w1)),
        "difference": mean,
        "ci_low": low,
        "ci_high": high,
        "cohens_dz": float(mean / spread)
        if spread and len(differences) >= EFFECT_SIZE_SEEDS
        else math.nan,
        "test": test,
        "p_value": p,
    }


def distance_tests(
    distances: pd.DataFrame,
    sparsities: Mapping[str, float] | None = None,
    table1_methods: Sequence[str] = (),
    primary: Sequence[str] = (),
) -> pd.DataFrame:
    """Singh & Liu's claim, W1(random) > W1(shuffle) and > W1(reinit). Confirmatory once per
    ``primary`` net (an entry trained as they trained theirs) with all entries, as their notebook
    computes W1: at its sparsity in ``sparsities``, the per-seed mean over the
    ``table1_methods`` in the grid, both parts over the same seeds (an intersection-union test:
    shown when both are; with a part missing, no test). The same test on the kept weights alone
    (``unpruned``) and on every other net is secondary: estimates and intervals, no verdict.
    Every method and sparsity is exploratory."""
    rows = []
    for entries in [e for e in ("all", "unpruned") if (distances["entries"] == e).any()]:
        per_layer, dropped = per_layer_w1(distances, entries)
        ablations = [a for a in ("shuffle", "reinit") if a in per_layer and "random" in per_layer]
        pooled: dict[str, pd.DataFrame] = {}
        for ablation in ablations:
            # the layers both comparisons have; per seed their mean, as Table 1
            layer_pairs = per_layer[["random", ablation]].dropna()
            pairs = layer_pairs.groupby(level=[*KEYS, "seed"]).mean()
            pooled[ablation] = pairs
            for key, pair in pairs.groupby(level=KEYS):
                layers = layer_pairs.xs(key, level=KEYS, drop_level=False)
                rows.append(
                    {
                        "role": EXPLORATORY,
                        "entries": entries,
                        **dict(zip(KEYS, key, strict=True)),
                        "methods": key[1],
                        "claim": f"W1(random) > W1({ablation})",
                        **_distance_row(
                            (pair["random"] - pair[ablation]).to_numpy(),
                            pair["random"],
                            pair[ablation],
                        ),
                        "verdict": EXPLORATORY,
                        "collapsed_layers": int(dropped.get(key, 0)),
                        "share_layers_random_larger": float(
                            np.mean(layers["random"] > layers[ablation])
                        ),
                    }
                )
        for net, sparsity in (sparsities or {}).items():
            role = CONFIRMATORY if net in primary and entries == "all" else SECONDARY
            rows += _pooled_distance_rows(
                pooled, dropped, net, sparsity, table1_methods, entries, role
            )
    if not rows:
        return pd.DataFrame(columns=TEST_COLUMNS)
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = math.nan
    frame["smallest_p"] = math.nan
    confirmatory = frame["role"] == CONFIRMATORY
    for _, family in frame[confirmatory].groupby(["net", "entries"]):
        # intersection-union: "farther than both" is shown when each part is, at ALPHA each;
        # both parts must be there, each with a finite p (the rows share their seeds)
        parts = set(family["claim"])
        p = family["p_value"].max(skipna=False) if len(parts) == 2 else math.nan
        smallest = max(
            _smallest_p(t, n, 1) for t, n in zip(family["test"], family["seeds"], strict=True)
        )
        frame.loc[family.index, "p_adjusted"] = p
        frame.loc[family.index, "smallest_p"] = smallest
        frame.loc[family.index, "verdict"] = (
            _missing_part(parts)
            if len(parts) < 2
            else NO_TEST
            if math.isnan(p)
            else _verdict(p, smallest)
        )
    return _in_order(frame[TEST_COLUMNS], ["role", "entries", "net", "method", "sparsity", "claim"])


CONFIRMATORY, SECONDARY = "confirmatory", "secondary"


def _missing_part(parts: set[str]) -> str:
    missing = [a for a in ("shuffle", "reinit") if f"W1(random) > W1({a})" not in parts]
    return f"no test: no {' or '.join(missing)} runs to compare"


def _pooled_distance_rows(pooled, dropped, net, sparsity, table1_methods, entries, role) -> list:
    """The per-seed mean over Table 1's methods in the grid of W1(random) − W1(ablation), for
    each ablation present, over the seeds and methods every part has."""
    wides = {}
    for ablation, pairs in pooled.items():
        chosen = pairs[
            (pairs.index.get_level_values("net") == net)
            & (pairs.index.get_level_values("sparsity").to_numpy().round(4)
               == round(float(sparsity), 4))
            & pairs.index.get_level_values("method").isin(list(table1_methods))
        ]  # fmt: skip
        if not chosen.empty:
            wides[ablation] = chosen
    if not wides:
        return []
    # the seeds and methods every part has: both parts of the claim over the same evidence
    seeds, methods = None, None
    for ablation, chosen in wides.items():
        wide = (chosen["random"] - chosen[ablation]).unstack("method").dropna()
        seeds = set(wide.index) if seeds is None else seeds & set(wide.index)
        methods = set(wide.columns) if methods is None else methods & set(wide.columns)
    present = [m for m in table1_methods if m in (methods or set())]
    rows = []
    for ablation, chosen in wides.items():
        wide = (chosen["random"] - chosen[ablation]).unstack("method")
        index = sorted(seeds or [])
        random_w1 = chosen["random"].unstack("method").loc[index, present]
        ablation_w1 = chosen[ablation].unstack("method").loc[index, present]
        collapsed = sum(
            int(dropped.get((net, m, s), 0)) for (_, m, s) in {k[:3] for k in chosen.index}
        )
        row = {
            "role": role,
            "entries": entries,
            "net": net,
            "method": CONFIRMATORY_METHOD,
            "sparsity": float(chosen.index.get_level_values("sparsity")[0]),
            "methods": ", ".join(present),
            "claim": f"W1(random) > W1({ablation})",
            **_distance_row(
                wide.loc[index, present].mean(axis=1).to_numpy(),
                random_w1.mean(axis=1),
                ablation_w1.mean(axis=1),
            ),
            "collapsed_layers": collapsed,
            "share_layers_random_larger": math.nan,
        }
        if role == SECONDARY:
            row["verdict"] = ESTIMATE
        rows.append(row)
    return rows


def _in_order(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rows sorted by ``by``: confirmatory tests first, methods in the figures' order (random, at
    initialization, the benchmarks, plugins), ablations as the registry lists them."""
    methods = registry.ordered_methods(frame["method"].unique())
    orders = {
        "role": {"confirmatory": 0, "secondary": 1, EXPLORATORY: 2},
        "method": {name: index for index, name in enumerate(methods)},
        "ablation": {name: index for index, name in enumerate(registry.ABLATIONS)},
    }
    return frame.sort_values(
        by, key=lambda c: c.map(orders[c.name]) if c.name in orders else c, kind="stable"
    ).reset_index(drop=True)
