"""The papers' claims as tests in which seeds are the unit of evidence (docs/methods.md,
"Statistics").

- MtM: shuffling and reinitialising "do not hurt" is a claim of *no worse*, tested as
  non-inferiority: the paired differences (ablated minus unmodified accuracy, same seed) against
  a margin delta, H1: mean > -delta, a one-sided paired t-test over seeds. "Inverting hurts" is
  the one-sided H1: mean < 0.
- Singh & Liu: per seed, the mean over layers of the trained, all-entries W1 (as Table 1) for
  random pruning and for the ablation; H1: the mean over seeds of W1(random) - W1(ablation) > 0,
  by the exact sign-flip test over all 2^n sign patterns (up to EXACT_SEEDS seeds; a paired t
  test beyond). The per-layer values are kept as description only (the share of (seed, layer)
  pairs in which random pruning is farther): layers of one net are not replicates.

Each family of tests (one claim on one net, over its methods and sparsities) is corrected with
Holm's method; a verdict is "shown" when the corrected p is below ALPHA. With one seed there is
no test, and the tables say so instead of printing a p-value.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["net", "method", "sparsity"]
ALPHA = 0.05
EXACT_SEEDS = 16  # 2^16 sign patterns: exact up to here
NO_TEST = "no test (one seed)"


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
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


def paired_p(differences, alternative: str, null: float = 0.0) -> tuple[float, str]:
    """One-sided p of H1: mean(differences) > null (or < null), and the test used."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return math.nan, NO_TEST
    shifted = d - null
    if np.ptp(shifted) <= 1e-12 * max(1.0, float(np.abs(shifted).max())):
        # no spread (every seed loses the same, to rounding): t is infinite
        hit = shifted[0] > 0 if alternative == "greater" else shifted[0] < 0
        return (0.0 if hit else 1.0), "paired t"
    return float(stats.ttest_1samp(shifted, 0.0, alternative=alternative).pvalue), "paired t"


def paired_exact_p(differences, alternative: str) -> tuple[float, str]:
    """The exact sign-flip test up to EXACT_SEEDS seeds, the paired t test beyond."""
    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return math.nan, NO_TEST
    if len(d) <= EXACT_SEEDS:
        return sign_flip_p(d, alternative), "sign-flip (exact)"
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


TOO_FEW = "every seed agrees, too few seeds to show it"


def _verdicts(frame: pd.DataFrame, family: list[str]) -> pd.DataFrame:
    """Holm within each family, and a verdict per test. An exact test in which every seed agrees
    has the smallest p its n seeds allow (2^-n); when even that misses ALPHA after Holm's
    correction, the verdict says so rather than "not shown"."""
    frame = frame.copy()
    frame["p_holm"] = np.nan
    for _, rows in frame.groupby(family, sort=False):
        frame.loc[rows.index, "p_holm"] = holm(rows["p_value"])
    verdicts = np.where(frame["p_holm"] < ALPHA, "shown", "not shown").astype(object)
    exact = frame["test"].eq("sign-flip (exact)")
    floor = frame["seeds"].map(smallest_exact_p)
    unanimous = exact & np.isclose(frame["p_value"], floor) & (frame["p_holm"] >= ALPHA)
    verdicts[unanimous.to_numpy()] = TOO_FEW
    verdicts[frame["p_value"].isna().to_numpy()] = NO_TEST
    frame["verdict"] = verdicts
    return frame


EFFECT_COLUMNS = [
    *KEYS, "ablation", "claim", "seeds", "difference", "ci_low", "ci_high", "margin", "test",
    "p_value", "p_holm", "verdict",
]  # fmt: skip


def ablation_effects(runs: pd.DataFrame, margin: float) -> pd.DataFrame:
    """MtM's claims per net, method, sparsity and ablation: accuracy minus the unmodified run of
    the same seed (n seeds, mean, 95% t interval). Shuffle and reinit: non-inferiority with
    ``margin`` (accuracy as a fraction; 0.005 is half a point). Invert: inferiority."""
    accuracy = runs.pivot_table(
        index=[*KEYS, "seed"], columns="ablation", values="final_test_accuracy"
    )
    rows = []
    if "unmodified" in accuracy:
        for ablation in [a for a in accuracy.columns if a != "unmodified"]:
            difference = (accuracy[ablation] - accuracy["unmodified"]).dropna()
            for key, values in difference.groupby(level=KEYS):
                mean, low, high = t_interval(values)
                if ablation == "invert":
                    claim = "worse than unmodified"
                    p, test = paired_p(values.to_numpy(), "less")
                else:
                    claim = f"no worse than unmodified by more than {100 * margin:g} points"
                    p, test = paired_p(values.to_numpy(), "greater", null=-margin)
                rows.append(
                    {
                        **dict(zip(KEYS, key, strict=True)),
                        "ablation": ablation,
                        "claim": claim,
                        "seeds": len(values),
                        "difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "margin": margin if ablation != "invert" else 0.0,
                        "test": test,
                        "p_value": p,
                    }
                )
    if not rows:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    frame = _verdicts(pd.DataFrame(rows), ["net", "ablation"])
    return frame[EFFECT_COLUMNS].sort_values([*KEYS, "ablation"], ignore_index=True)


TEST_COLUMNS = [
    *KEYS, "claim", "seeds", "random_w1", "ablation_w1", "difference", "ci_low", "ci_high",
    "cohens_dz", "test", "p_value", "p_holm", "verdict", "share_layers_random_larger",
]  # fmt: skip


def distance_tests(distances: pd.DataFrame, entries: str = "all") -> pd.DataFrame:
    """Singh & Liu's claim per net, method and sparsity: W1(random) > W1(shuffle), > W1(reinit),
    each seed's mean over the prunable layers one observation."""
    trained = distances[(distances["stage"] == "trained") & (distances["entries"] == entries)]
    if "tensor" in trained:
        trained = trained[trained["tensor"] == "weight"]
    per_layer = trained.pivot_table(
        index=[*KEYS, "seed", "layer"], columns="comparison", values="w1", dropna=False
    )
    # Table 1's per-seed value: the mean over layers, a collapsed (NaN) layer skipped
    per_seed = per_layer.groupby(level=[*KEYS, "seed"]).mean()
    rows = []
    for ablation in ("shuffle", "reinit"):
        if "random" not in per_seed or ablation not in per_seed:
            continue
        pairs = per_seed[["random", ablation]].dropna()
        layer_pairs = per_layer[["random", ablation]].dropna()
        for key, pair in pairs.groupby(level=KEYS):
            difference = (pair["random"] - pair[ablation]).to_numpy()
            mean, low, high = t_interval(difference)
            spread = difference.std(ddof=1) if len(difference) > 1 else math.nan
            p, test = paired_exact_p(difference, "greater")
            layers = layer_pairs.xs(key, level=KEYS, drop_level=False)
            rows.append(
                {
                    **dict(zip(KEYS, key, strict=True)),
                    "claim": f"W1(random) > W1({ablation})",
                    "seeds": len(difference),
                    "random_w1": float(pair["random"].mean()),
                    "ablation_w1": float(pair[ablation].mean()),
                    "difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "cohens_dz": float(mean / spread) if spread else math.nan,
                    "test": test,
                    "p_value": p,
                    "share_layers_random_larger": float(
                        np.mean(layers["random"] > layers[ablation])
                    ),
                }
            )
    if not rows:
        return pd.DataFrame(columns=TEST_COLUMNS)
    frame = _verdicts(pd.DataFrame(rows), ["net", "claim"])
    return frame[TEST_COLUMNS].sort_values([*KEYS, "claim"], ignore_index=True)


def smallest_exact_p(seeds: int) -> float:
    """The smallest p the exact sign-flip test of ``seeds`` seeds can give: 2^-n."""
    return 2.0**-seeds
