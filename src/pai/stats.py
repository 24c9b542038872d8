"""Uncertainty over seeds and the two papers' claims as tests (issue: statistics across seeds).

- MtM: per net, method, sparsity and ablation, the accuracy difference from the unmodified run of
  the same seed, with a 95% t interval over seeds (shuffle and reinit should not hurt, invert
  should).
- Singh & Liu: per net, method and sparsity, a one-sided Wilcoxon signed-rank test over every
  (seed, layer) pair that W1(random pruning) > W1(shuffle) and > W1(reinit), trained weights,
  with two effect sizes: the matched-pairs rank-biserial correlation (-1..1) and Cohen's d_z.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["net", "method", "sparsity"]


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


def ablation_effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Accuracy of each ablation minus the unmodified run of the same net, method, sparsity and
    seed: n seeds, mean difference and its 95% t interval."""
    accuracy = runs.pivot_table(
        index=[*KEYS, "seed"], columns="ablation", values="final_test_accuracy"
    )
    rows = []
    if "unmodified" not in accuracy:
        return pd.DataFrame(columns=[*KEYS, "ablation", "seeds", "difference", "ci_low", "ci_high"])
    for ablation in [a for a in accuracy.columns if a != "unmodified"]:
        difference = (accuracy[ablation] - accuracy["unmodified"]).dropna()
        for key, values in difference.groupby(level=KEYS):
            mean, low, high = t_interval(values)
            rows.append(
                {
                    **dict(zip(KEYS, key, strict=True)),
                    "ablation": ablation,
                    "seeds": len(values),
                    "difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows).sort_values([*KEYS, "ablation"], ignore_index=True)


def rank_biserial(differences: np.ndarray) -> float:
    """Matched-pairs rank-biserial correlation: (R+ - R-) / (R+ + R-), zeros dropped."""
    differences = differences[differences != 0]
    if len(differences) == 0:
        return math.nan
    ranks = stats.rankdata(np.abs(differences))
    return float((ranks[differences > 0].sum() - ranks[differences < 0].sum()) / ranks.sum())


def distance_tests(distances: pd.DataFrame, entries: str = "all") -> pd.DataFrame:
    """Singh & Liu's claim per net, method and sparsity: W1(random) > W1(shuffle), > W1(reinit)."""
    trained = distances[(distances["stage"] == "trained") & (distances["entries"] == entries)]
    wide = trained.pivot_table(
        index=[*KEYS, "seed", "layer"], columns="comparison", values="w1", dropna=False
    )
    rows = []
    for ablation in ("shuffle", "reinit"):
        if "random" not in wide or ablation not in wide:
            continue
        pairs = wide[["random", ablation]].dropna()
        for key, pair in pairs.groupby(level=KEYS):
            difference = (pair["random"] - pair[ablation]).to_numpy()
            n = len(difference)
            spread = difference.std(ddof=1) if n > 1 else math.nan
            p_value = (
                float(stats.wilcoxon(difference, alternative="greater").pvalue)
                if n > 1 and np.any(difference != 0)
                else math.nan
            )
            rows.append(
                {
                    **dict(zip(KEYS, key, strict=True)),
                    "claim": f"W1(random) > W1({ablation})",
                    "pairs": n,
                    "random_w1": float(pair["random"].mean()),
                    "ablation_w1": float(pair[ablation].mean()),
                    "share_random_larger": float(np.mean(difference > 0)),
                    "rank_biserial": rank_biserial(difference),
                    "cohens_dz": float(difference.mean() / spread) if spread else math.nan,
                    "p_value": p_value,
                }
            )
    columns = [*KEYS, "claim", "pairs", "random_w1", "ablation_w1", "share_random_larger"]
    columns += ["rank_biserial", "cohens_dz", "p_value"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows)[columns].sort_values([*KEYS, "claim"], ignore_index=True)
