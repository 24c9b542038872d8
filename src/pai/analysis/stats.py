"""The papers' claims as tests in which seeds are the unit of evidence (docs/methods.md,
"Statistics").

One convention throughout: each claim is one-sided and tested at ALPHA = 0.05, and every interval
is the two-sided CONFIDENCE = 90% interval, whose one end is the one-sided 95% bound, so a claim
"shown" by a t test is one whose interval lies wholly on the claimed side (of -margin, or of 0).

- MtM, per method as its family's claims say (:data:`pai.config.registry.FAMILIES`): the paired
  differences (ablated minus unmodified accuracy, same seed). "No worse" is non-inferiority with
  margin delta, H1: mean > -delta; "worse" is H1: mean < 0; "descriptive" (random pruning, GraSP's
  inversion) is reported and not tested. A paired t test over seeds; with no spread (every seed
  the same difference, t infinite) the exact sign-flip test of d (+ delta) instead. Sparsity 0
  (every ablation is the identity) is left out, and so is every seed whose unmodified run is at
  chance, collapsed or diverged: its ablations cannot be worse, so "no worse" would be vacuous.
  Each family (one claim, i.e. one ablation and expectation, on one net, over its methods and
  sparsities) is corrected with Holm's method.
- Singh & Liu, per seed: the mean over layers of the trained W1 (as Table 1), layers pruned to
  nothing in either run left out. The claim is tested once per net and entry set
  (confirmatory): at the net's Table 1 sparsity, the per-seed mean over Table 1's methods of
  W1(random) - W1(shuffle) and of W1(random) - W1(reinit), each by the exact sign-flip test; the
  claim "random pruning moves the weights farther than both" is an intersection-union test, shown
  when both are (p = the larger p, no correction needed). With n unanimous seeds its p is 2^-n:
  five seeds give 1/32 < 0.05. Every other method and sparsity is exploratory: p, effect and
  interval, and no verdict.
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
NO_USABLE = "no test (unmodified at chance or collapsed)"
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


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of one family of p-values (NaN: not tested, left NaN)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (len(order) - rank) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def smallest_exact_p(seeds: int) -> float:
    """The smallest p the exact sign-flip test of ``seeds`` seeds can give: 2^-n."""
    return 2.0**-seeds


def _smallest_p(test: str, seeds: int, family_size: int) -> float:
    """The smallest adjusted p a test of this design can reach with ``seeds`` seeds, whatever
    the data: Holm's first step multiplies the smallest p by the family's size."""
    if test in (EXACT, EXACT_NO_SPREAD):
        return min(1.0, family_size * smallest_exact_p(seeds))
    return 0.0 if test == PAIRED_T else math.nan


def _verdict(p_adjusted: float, smallest: float) -> str:
    if p_adjusted < ALPHA:
        return SHOWN
    return TOO_FEW if smallest >= ALPHA else NOT_SHOWN


def _holm_verdicts(frame: pd.DataFrame, family: list[str]) -> pd.DataFrame:
    """p_adjusted (Holm within each family of tested rows), smallest_p and the verdict."""
    frame = frame.copy()
    frame["p_adjusted"] = math.nan
    frame["smallest_p"] = math.nan
    tested = frame["p_value"].notna()
    for _, rows in frame[tested].groupby(family, sort=False):
        frame.loc[rows.index, "p_adjusted"] = holm(rows["p_value"])
        frame.loc[rows.index, "smallest_p"] = [
            _smallest_p(test, seeds, len(rows))
            for test, seeds in zip(rows["test"], rows["seeds"], strict=True)
        ]
        frame.loc[rows.index, "verdict"] = [
            _verdict(p, smallest)
            for p, smallest in zip(
                frame.loc[rows.index, "p_adjusted"],
                frame.loc[rows.index, "smallest_p"],
                strict=True,
            )
        ]
    return frame


# ------------------------------------------------------------------------------------- MtM


def claim_label(ablation: str, expected: str, margin: float) -> str:
    """The claim as a sentence naming the ablation (one Holm family per claim and net)."""
    if expected == registry.NO_WORSE:
        return f"{ablation} no worse than unmodified (margin {100 * margin:g} points)"
    if expected == registry.WORSE:
        return f"{ablation} worse than unmodified"
    return f"{ablation}: no claim"


def unusable_runs(runs: pd.DataFrame, chance: Mapping[str, float | None]) -> pd.Series:
    """Per unmodified run (index: net, method, sparsity, seed), why its cell cannot count toward
    a verdict ("" when it can): at chance accuracy, a layer pruned to nothing, or diverged."""
    unmodified = runs[runs["ablation"] == "unmodified"].set_index([*KEYS, "seed"])
    floor = unmodified.index.get_level_values("net").map(
        lambda net: chance[net] + CHANCE_SLACK if chance.get(net) else -math.inf
    )
    reasons = pd.Series("", index=unmodified.index, dtype=object)
    checks = (
        ("at chance", unmodified["final_test_accuracy"].to_numpy() <= np.asarray(floor)),
        ("layer collapsed", unmodified.get("layer_collapse", False)),
        ("diverged", unmodified.get("diverged", False)),
    )
    for why, flagged in checks:
        flagged = pd.Series(flagged, index=unmodified.index).fillna(False).astype(bool)
        reasons[flagged] = reasons[flagged].map(
            lambda old, why=why: f"{old}, {why}" if old else why
        )
    return reasons


EFFECT_COLUMNS = [
    *KEYS, "family", "ablation", "expected", "claim", "seeds", "excluded", "difference", "ci_low",
    "ci_high", "seed_differences", "margin", "test", "p_value", "p_adjusted", "smallest_p",
    "verdict",
]  # fmt: skip


def ablation_effects(
    runs: pd.DataFrame,
    margin: float,
    claims: Mapping[str, Mapping[str, Any]] | None = None,
    chance: Mapping[str, float | None] | None = None,
) -> pd.DataFrame:
    """MtM's claims per net, method, sparsity and ablation, each method tested with its family's
    claims (``claims``: method -> :meth:`pai.config.registry.Method.claim_settings`; the registry's
    by
    default, and a method it lacks is tested as one at initialization): accuracy minus the
    unmodified run of the same seed, mean and CONFIDENCE t interval, test and Holm-corrected
    verdict. ``margin`` is the non-inferiority margin (accuracy as a fraction; 0.005 is half a
    point). ``chance``: net -> chance accuracy (1 / classes); seeds whose unmodified run is at
    chance, collapsed or diverged are left out and named in ``excluded``."""
    if claims is None:
        claims = {name: m.claim_settings() for name, m in registry.METHODS.items()}
    at_init = {"family": "init", "expected": dict(registry.FAMILIES["init"])}
    runs = runs[runs["sparsity"] > 0]  # every ablation of a dense mask is the identity
    accuracy = runs.pivot_table(
        index=[*KEYS, "seed"], columns="ablation", values="final_test_accuracy"
    )
    unusable = unusable_runs(runs, chance or {})
    rows = []
    if "unmodified" in accuracy:
        for ablation in [a for a in accuracy.columns if a != "unmodified"]:
            difference = (accuracy[ablation] - accuracy["unmodified"]).dropna()
            for key, values in difference.groupby(level=KEYS):
                method = claims.get(key[1], at_init)
                expected = method["expected"].get(ablation, registry.DESCRIPTIVE)
                why = unusable.reindex(values.index).fillna("")
                kept = values[why == ""].to_numpy()
                excluded = [
                    f"seed {seed}: {reason}"
                    for seed, reason in zip(values.index.get_level_values("seed"), why, strict=True)
                    if reason
                ]
                mean, low, high = t_interval(kept)
                # the verdict of a row with a p is its family's (below); these are for the rest
                if expected == registry.DESCRIPTIVE:
                    p, test, verdict = math.nan, "none", DESCRIBED
                elif len(kept) == 0:
                    p, test, verdict = math.nan, NO_USABLE, NO_USABLE
                elif expected == registry.NO_WORSE:
                    (p, test), verdict = paired_p(kept, "greater", null=-margin), NO_TEST
                else:
                    (p, test), verdict = paired_p(kept, "less"), NO_TEST
                rows.append(
                    {
                        **dict(zip(KEYS, key, strict=True)),
                        "family": method["family"],
                        "ablation": ablation,
                        "expected": expected,
                        "claim": claim_label(ablation, expected, margin),
                        "seeds": len(kept),
                        "excluded": "; ".join(excluded),
                        "difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "seed_differences": [float(d) for d in kept],
                        "margin": margin if expected == registry.NO_WORSE else 0.0,
                        "test": test,
                        "p_value": p,
                        "verdict": verdict,
                    }
                )
    if not rows:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    frame = _holm_verdicts(pd.DataFrame(rows), ["net", "claim"])
    return _in_order(frame[EFFECT_COLUMNS], ["net", "method", "sparsity", "ablation"])


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
) -> pd.DataFrame:
    """Singh & Liu's claim, W1(random) > W1(shuffle) and > W1(reinit), for both entry sets:
    confirmatory once per net at its sparsity in ``sparsities`` (the per-seed mean over the
    ``table1_methods`` in the grid), exploratory for every method and sparsity."""
    rows = []
    for entries in [e for e in ("all", "unpruned") if (distances["entries"] == e).any()]:
        per_layer, dropped = per_layer_w1(distances, entries)
        ablations = [a for a in ("shuffle", "reinit") if a in per_layer and "random" in per_layer]
        for ablation in ablations:
            # the layers both comparisons have; per seed their mean, as Table 1
            layer_pairs = per_layer[["random", ablation]].dropna()
            pairs = layer_pairs.groupby(level=[*KEYS, "seed"]).mean()
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
                chosen = pairs[
                    (pairs.index.get_level_values("net") == net)
                    & (pairs.index.get_level_values("sparsity").to_numpy().round(4)
                       == round(float(sparsity), 4))
                    & pairs.index.get_level_values("method").isin(list(table1_methods))
                ]  # fmt: skip
                if chosen.empty:
                    continue
                # the per-seed mean over the methods, from the seeds every method has
                wide = (chosen["random"] - chosen[ablation]).unstack("method").dropna()
                present = [m for m in table1_methods if m in wide.columns]
                random_w1 = chosen["random"].unstack("method").loc[wide.index, present]
                ablation_w1 = chosen[ablation].unstack("method").loc[wide.index, present]
                collapsed = sum(
                    int(dropped.get((net, m, s), 0)) for (_, m, s) in {k[:3] for k in chosen.index}
                )
                rows.append(
                    {
                        "role": "confirmatory",
                        "entries": entries,
                        "net": net,
                        "method": CONFIRMATORY_METHOD,
                        "sparsity": float(chosen.index.get_level_values("sparsity")[0]),
                        "methods": ", ".join(present),
                        "claim": f"W1(random) > W1({ablation})",
                        **_distance_row(
                            wide[present].mean(axis=1).to_numpy(),
                            random_w1.mean(axis=1),
                            ablation_w1.mean(axis=1),
                        ),
                        "collapsed_layers": collapsed,
                        "share_layers_random_larger": math.nan,
                    }
                )
    if not rows:
        return pd.DataFrame(columns=TEST_COLUMNS)
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = math.nan
    frame["smallest_p"] = math.nan
    confirmatory = frame["role"] == "confirmatory"
    for _, family in frame[confirmatory].groupby(["net", "entries"]):
        # intersection-union: "farther than both" is shown when each part is, at ALPHA each
        p = family["p_value"].max()
        smallest = max(
            _smallest_p(t, n, 1) for t, n in zip(family["test"], family["seeds"], strict=True)
        )
        frame.loc[family.index, "p_adjusted"] = p
        frame.loc[family.index, "smallest_p"] = smallest
        frame.loc[family.index, "verdict"] = NO_TEST if math.isnan(p) else _verdict(p, smallest)
    return _in_order(frame[TEST_COLUMNS], ["role", "entries", "net", "method", "sparsity", "claim"])


def _in_order(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rows sorted by ``by``: confirmatory tests first, methods in the figures' order (random, at
    initialization, the benchmarks, plugins), ablations as the registry lists them."""
    methods = registry.ordered_methods(frame["method"].unique())
    orders = {
        "role": {"confirmatory": 0, EXPLORATORY: 1},
        "method": {name: index for index, name in enumerate(methods)},
        "ablation": {name: index for index, name in enumerate(registry.ABLATIONS)},
    }
    return frame.sort_values(
        by, key=lambda c: c.map(orders[c.name]) if c.name in orders else c, kind="stable"
    ).reset_index(drop=True)
