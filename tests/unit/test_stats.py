import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from pai import stats


def test_t_interval_by_hand():
    mean, low, high = stats.t_interval([1.0, 2.0, 3.0])
    half = scipy_stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd 1
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert math.isnan(stats.t_interval([0.5])[1])


def _runs():
    rows = []
    for seed, (unmodified, shuffle, invert) in enumerate([(0.9, 0.91, 0.5), (0.8, 0.82, 0.4)]):
        for ablation, accuracy in (
            ("unmodified", unmodified),
            ("shuffle", shuffle),
            ("invert", invert),
        ):
            rows.append(
                {
                    "net": "n",
                    "method": "snip",
                    "sparsity": 0.9,
                    "seed": seed,
                    "ablation": ablation,
                    "final_test_accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)


def test_ablation_effects_are_paired_by_seed():
    effects = stats.ablation_effects(_runs()).set_index("ablation")
    assert effects.loc["shuffle", "difference"] == pytest.approx(0.015)
    assert effects.loc["invert", "difference"] == pytest.approx(-0.4)
    assert effects.loc["invert", "ci_low"] == pytest.approx(-0.4)  # both seeds lose exactly 0.4
    assert effects.loc["shuffle", "seeds"] == 2
    assert effects.loc["shuffle", "ci_low"] < 0.015 < effects.loc["shuffle", "ci_high"]


def test_rank_biserial_by_hand():
    # |d| ranks 1, 2, 3; positive ranks 2 + 3, negative 1: (5 - 1) / 6
    assert stats.rank_biserial(np.array([-0.1, 0.2, 0.3])) == pytest.approx(4 / 6)
    assert stats.rank_biserial(np.array([1.0, 2.0])) == 1.0


def test_distance_test_finds_random_far_and_shuffle_near():
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(3):
        for layer in range(4):
            for comparison, w1 in (("random", 0.05), ("shuffle", 0.01), ("reinit", 0.06)):
                rows.append(
                    {
                        "net": "n",
                        "method": "m",
                        "sparsity": 0.75,
                        "seed": seed,
                        "layer": f"l{layer}",
                        "stage": "trained",
                        "entries": "all",
                        "comparison": comparison,
                        "w1": w1 + rng.normal(0, 0.002),
                    }
                )
    tests = stats.distance_tests(pd.DataFrame(rows)).set_index("claim")
    shuffle = tests.loc["W1(random) > W1(shuffle)"]
    assert shuffle["pairs"] == 12 and shuffle["share_random_larger"] == 1.0
    assert shuffle["rank_biserial"] == 1.0 and shuffle["p_value"] < 0.001
    reinit = tests.loc["W1(random) > W1(reinit)"]
    assert reinit["rank_biserial"] < 0 and reinit["p_value"] > 0.5
    expected = scipy_stats.wilcoxon(
        [r["w1"] for r in rows if r["comparison"] == "random"],
        [r["w1"] for r in rows if r["comparison"] == "shuffle"],
        alternative="greater",
    ).pvalue
    assert shuffle["p_value"] == pytest.approx(expected)
