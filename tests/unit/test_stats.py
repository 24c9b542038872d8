"""The claims' tests over seeds, against scipy or a brute-force enumeration."""

import itertools
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


def test_sign_flip_by_hand_and_by_brute_force():
    # the 8 sign patterns of (1, 2, 3) sum to 6, 4, 2, 0, 0, -2, -4, -6
    assert stats.sign_flip_p([1, 2, 3]) == pytest.approx(1 / 8)
    assert stats.sign_flip_p([1, -2, 3]) == pytest.approx(3 / 8)  # sum 2: 6, 4 and 2 reach it
    assert stats.sign_flip_p([1, 2, 3], "less") == pytest.approx(1.0)
    assert stats.smallest_exact_p(5) == 1 / 32
    rng = np.random.default_rng(1)
    for _ in range(5):
        d = rng.normal(0.3, 1.0, size=6)
        sums = [sum(s * abs(x) for s, x in zip(signs, d, strict=True))
                for signs in itertools.product((1, -1), repeat=6)]  # fmt: skip
        brute = np.mean([t >= d.sum() - 1e-12 for t in sums])
        assert stats.sign_flip_p(d) == pytest.approx(brute)


def test_paired_t_and_the_non_inferiority_shift_match_scipy():
    d = np.array([-0.001, 0.002, 0.0, 0.001, -0.003])
    p, test = stats.paired_p(d, "greater", null=-0.005)
    assert test == "paired t"
    assert p == pytest.approx(scipy_stats.ttest_1samp(d + 0.005, 0.0, alternative="greater").pvalue)
    assert stats.paired_p([0.1], "less") == (pytest.approx(math.nan, nan_ok=True), stats.NO_TEST)
    assert stats.paired_exact_p(np.arange(1, 20), "greater")[1] == "paired t"  # beyond 16 seeds


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04 -> kept monotone: 0.03, 0.06, 0.06
    adjusted = stats.holm([0.01, 0.04, 0.03, math.nan])
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06]) and math.isnan(adjusted[3])
    assert stats.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])  # capped at 1


def _runs(seeds):
    rows = []
    for seed, (unmodified, shuffle, invert) in enumerate(seeds):
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


def test_ablation_effects_are_paired_by_seed_and_tested_as_the_claims_are_made():
    seeds = [(0.90, 0.901, 0.5), (0.80, 0.802, 0.4), (0.85, 0.849, 0.45), (0.88, 0.881, 0.5)]
    effects = stats.ablation_effects(_runs(seeds), margin=0.005).set_index("ablation")
    shuffle, invert = effects.loc["shuffle"], effects.loc["invert"]
    assert shuffle["difference"] == pytest.approx(0.00075) and shuffle["seeds"] == 4
    assert shuffle["claim"] == "no worse than unmodified by more than 0.5 points"
    d = np.array([0.001, 0.002, -0.001, 0.001])
    expected = scipy_stats.ttest_1samp(d + 0.005, 0.0, alternative="greater").pvalue
    assert shuffle["p_value"] == pytest.approx(expected) and shuffle["verdict"] == "shown"
    assert invert["claim"] == "worse than unmodified" and invert["verdict"] == "shown"
    # the same data with a margin of zero: being no worse at all is not shown
    strict = stats.ablation_effects(_runs(seeds), margin=0.0).set_index("ablation")
    assert strict.loc["shuffle", "verdict"] == "not shown"


def test_one_seed_gives_no_test():
    effects = stats.ablation_effects(_runs([(0.9, 0.91, 0.5)]), margin=0.005)
    assert set(effects["verdict"]) == {stats.NO_TEST}
    assert effects["p_value"].isna().all() and effects["ci_low"].isna().all()


def test_the_family_is_corrected_together():
    # two sparsities with the same p each: Holm doubles the smaller
    runs = pd.concat(
        [
            _runs([(0.9, 0.9, 0.5), (0.8, 0.81, 0.4), (0.85, 0.85, 0.45)]).assign(sparsity=s)
            for s in (0.5, 0.9)
        ]
    )
    effects = stats.ablation_effects(runs, margin=0.005)
    shuffle = effects[effects["ablation"] == "shuffle"]
    assert shuffle["p_holm"].tolist() == pytest.approx((2 * shuffle["p_value"]).clip(upper=1))


def _distances(values):
    """values: seed -> comparison -> per-layer W1."""
    rows = []
    for seed, by_comparison in values.items():
        for comparison, layers in by_comparison.items():
            for index, w1 in enumerate(layers):
                rows.append(
                    {"net": "n", "method": "m", "sparsity": 0.75, "seed": seed,
                     "layer": f"l{index}", "stage": "trained", "entries": "all",
                     "comparison": comparison, "w1": w1, "tensor": "weight"}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_distance_tests_take_each_seed_as_one_observation():
    values = {
        seed: {
            "random": [0.05 + 0.001 * seed, 0.06, math.nan],  # a collapsed layer is skipped
            "shuffle": [0.01, 0.02 + 0.001 * seed, 0.5],
            "reinit": [0.09, 0.09, 0.09],
        }
        for seed in range(5)
    }
    tests = stats.distance_tests(_distances(values)).set_index("claim")
    shuffle = tests.loc["W1(random) > W1(shuffle)"]
    # per seed, as Table 1: each comparison's mean over its layers (random's NaN layer skipped)
    per_seed = [(0.11 + 0.001 * s) / 2 - (0.53 + 0.001 * s) / 3 for s in range(5)]
    assert shuffle["seeds"] == 5
    assert shuffle["difference"] == pytest.approx(np.mean(per_seed))
    assert shuffle["test"] == "sign-flip (exact)"
    assert shuffle["p_value"] == pytest.approx(stats.sign_flip_p(per_seed))
    assert shuffle["share_layers_random_larger"] == pytest.approx(1.0)  # per-layer description
    reinit = tests.loc["W1(random) > W1(reinit)"]
    assert reinit["verdict"] == "not shown"


def test_an_exact_test_with_every_seed_agreeing_says_when_it_cannot_be_shown():
    values = {
        seed: {"random": [0.05, 0.06], "shuffle": [0.01, 0.02], "reinit": [0.01, 0.02]}
        for seed in range(4)
    }
    rows = _distances(values)
    two_methods = pd.concat([rows, rows.assign(method="other")])
    tests = stats.distance_tests(two_methods)
    # 4 seeds all agree: p = 1/16, Holm over 2 methods: 1/8, above 0.05
    assert (tests["p_value"] == 1 / 16).all() and (tests["p_holm"] == 1 / 8).all()
    assert set(tests["verdict"]) == {stats.TOO_FEW}
