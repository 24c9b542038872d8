"""The claims' tests over seeds, against scipy or a brute-force enumeration."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from pai.analysis import stats
from pai.reporting import tables


def test_t_interval_by_hand():
    mean, low, high = stats.t_interval([1.0, 2.0, 3.0], confidence=0.95)
    half = scipy_stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)  # sd 1
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert math.isnan(stats.t_interval([0.5])[1])
    # the default is the 90% interval: its ends are the one-sided 95% bounds the tests use
    assert stats.CONFIDENCE == pytest.approx(1 - 2 * stats.ALPHA) == pytest.approx(0.90)
    low90 = stats.t_interval([1.0, 2.0, 3.0])[1]
    assert low90 == pytest.approx(2.0 - scipy_stats.t.ppf(0.95, 2) / math.sqrt(3))


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
    assert test == stats.PAIRED_T
    assert p == pytest.approx(scipy_stats.ttest_1samp(d + 0.005, 0.0, alternative="greater").pvalue)
    assert stats.paired_p([0.1], "less") == (pytest.approx(math.nan, nan_ok=True), stats.NO_TEST)
    assert stats.paired_exact_p(np.arange(1, 20), "greater")[1] == stats.PAIRED_T  # > 16 seeds


def test_no_spread_is_the_exact_test_of_the_shifted_differences():
    # every seed loses exactly 0.002: t is infinite; the sign-flip test of d + margin is exact
    p, test = stats.paired_p([-0.002] * 4, "greater", null=-0.005)
    assert test == stats.EXACT_NO_SPREAD and p == pytest.approx(1 / 16)
    # the same for "worse": every seed loses the same 0.3
    assert stats.paired_p([-0.3] * 3, "less") == (pytest.approx(1 / 8), stats.EXACT_NO_SPREAD)
    # identical runs and no margin: nothing is shown (p = 1), not p = 0 as an infinite t gave
    assert stats.paired_p([0.0] * 5, "greater")[0] == pytest.approx(1.0)


def _runs(seeds, method="snip", sparsity=0.9, ablations=("unmodified", "shuffle", "invert")):
    """seeds: per seed, the accuracies of ``ablations`` in order."""
    rows = []
    for seed, accuracies in enumerate(seeds):
        for ablation, accuracy in zip(ablations, accuracies, strict=True):
            rows.append(
                {"net": "n", "method": method, "sparsity": sparsity, "seed": seed,
                 "ablation": ablation, "final_test_accuracy": accuracy,
                 "layer_collapse": False, "diverged": False}
            )  # fmt: skip
    return pd.DataFrame(rows)


SEEDS = [(0.90, 0.901, 0.5), (0.80, 0.802, 0.4), (0.85, 0.849, 0.45), (0.88, 0.881, 0.5)]


def test_every_cell_is_an_estimate_with_its_interval_and_no_verdict():
    effects = stats.ablation_effects(_runs(SEEDS), margin=0.005).set_index("ablation")
    shuffle, invert = effects.loc["shuffle"], effects.loc["invert"]
    assert shuffle["family"] == "init" and shuffle["seeds"] == 4
    assert shuffle["difference"] == pytest.approx(0.00075)
    assert shuffle["claim"] == "shuffle no worse than unmodified (margin 0.5 points)"
    d = np.array([0.001, 0.002, -0.001, 0.001])
    half = scipy_stats.t.ppf(0.95, 3) * scipy_stats.sem(d)
    assert (shuffle["ci_low"], shuffle["ci_high"]) == pytest.approx(
        (d.mean() - half, d.mean() + half)
    )
    assert shuffle["seed_differences"] == pytest.approx(list(d))
    assert shuffle["verdict"] == stats.ESTIMATE and invert["verdict"] == stats.ESTIMATE
    assert "p_value" not in effects and "p_adjusted" not in effects


def test_each_family_carries_its_own_claims():
    runs = pd.concat(
        [
            _runs(SEEDS, method=method, ablations=("unmodified", "shuffle", "invert"))
            for method in ("random", "snip", "grasp", "magnitude_trained")
        ]
    )
    effects = stats.ablation_effects(runs, margin=0.005).set_index(["method", "ablation"])
    assert set(effects.loc["random", "verdict"]) == {stats.DESCRIBED}
    assert effects.loc[("grasp", "shuffle"), "expected"] == "no worse"
    assert effects.loc[("grasp", "invert"), "verdict"] == stats.DESCRIBED
    benchmark = effects.loc[("magnitude_trained", "shuffle")]
    assert benchmark["family"] == "after_training"
    assert benchmark["claim"] == "shuffle worse than unmodified"
    plugin = {"mine": {"family": "after_training", "expected": {"shuffle": "worse"}}}
    mine = stats.ablation_effects(_runs(SEEDS, method="mine"), 0.005, claims=plugin)
    assert mine.set_index("ablation").loc["shuffle", "claim"] == "shuffle worse than unmodified"
    assert mine.set_index("ablation").loc["invert", "verdict"] == stats.DESCRIBED


def test_no_seed_is_left_out_for_its_unmodified_outcome_and_collapsed_runs_are_counted():
    # selection on one arm's outcome would remove pairs with d >= 0: a seed whose unmodified
    # run ends at chance stays; collapsed ablated runs are counted in, and counted
    runs = pd.concat([_runs(SEEDS), _runs(SEEDS, sparsity=0.0)])
    runs.loc[(runs["seed"] == 1) & (runs["ablation"] == "unmodified"), "final_test_accuracy"] = 0.11
    collapsed = (runs["seed"] == 2) & (runs["ablation"] == "shuffle")
    runs.loc[collapsed, "layer_collapse"] = True
    effects = stats.ablation_effects(runs, margin=0.005, chance={"n": 0.1})
    assert set(effects["sparsity"]) == {0.9}  # every ablation of sparsity 0 is the identity
    shuffle = effects.set_index("ablation").loc["shuffle"]
    assert shuffle["seeds"] == 4 and shuffle["excluded"] == ""
    assert shuffle["collapsed_runs"] == 1
    # the seed whose unmodified run ended at chance is in the estimate: 0.802 - 0.11
    assert shuffle["seed_differences"][1] == pytest.approx(0.802 - 0.11)


def test_a_seed_missing_a_run_is_named_not_dropped_silently():
    runs = _runs(SEEDS)
    runs = runs[~((runs["seed"] == 3) & (runs["ablation"] == "shuffle"))]
    shuffle = stats.ablation_effects(runs, margin=0.005).set_index("ablation").loc["shuffle"]
    assert shuffle["seeds"] == 3 and shuffle["excluded"] == "seed 3: no shuffle run"


def test_the_range_and_the_effective_density_of_each_cell():
    runs = pd.concat([_runs(SEEDS, sparsity=s) for s in (0.5, 0.9, 0.98)])
    effective = pd.DataFrame(
        [{"net": "n", "method": "snip", "sparsity": s, "seed": seed, "ablation": a,
          "effective_density": (1 - s) * (0.5 if a == "shuffle" else 1.0)}
         for s in (0.5, 0.9, 0.98) for seed in range(4) for a in ("unmodified", "shuffle")]
    )  # fmt: skip
    effects = stats.ablation_effects(runs, 0.005, declared={"n": [0.9]}, effective=effective)
    shuffle = effects[effects["ablation"] == "shuffle"].set_index("sparsity")
    assert shuffle["range"].to_dict() == {0.5: stats.OTHER, 0.9: stats.DECLARED,
                                          0.98: stats.EXTREME}  # fmt: skip
    assert shuffle.loc[0.98, "effective_density"] == pytest.approx(0.02)
    assert shuffle.loc[0.98, "ablated_effective_density"] == pytest.approx(0.01)
    invert = effects[effects["ablation"] == "invert"].set_index("sparsity")
    assert np.isnan(invert.loc[0.98, "ablated_effective_density"])  # unknown: NaN


def test_one_seed_gives_no_interval():
    effects = stats.ablation_effects(_runs([(0.9, 0.91, 0.5)]), margin=0.005)
    assert effects["ci_low"].isna().all() and (effects["seeds"] == 1).all()


def _distances(values, method="m", sparsity=0.75, entries=("all",)):
    """values: seed -> comparison -> per-layer W1 (NaN: a collapsed layer)."""
    rows = []
    for seed, by_comparison in values.items():
        for comparison, layers in by_comparison.items():
            for index, w1 in enumerate(layers):
                for entry in entries:
                    rows.append(
                        {"net": "n", "method": method, "sparsity": sparsity, "seed": seed,
                         "layer": f"l{index}", "stage": "trained", "entries": entry,
                         "comparison": comparison, "w1": w1, "tensor": "weight",
                         "collapsed": bool(np.isnan(w1))}
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_exploratory_tests_take_each_seed_as_one_observation():
    values = {
        seed: {
            "random": [0.05 + 0.001 * seed, 0.06, math.nan],  # a collapsed layer is left out
            "shuffle": [0.01, 0.02 + 0.001 * seed, 0.5],
            "reinit": [0.09, 0.09, 0.09],
        }
        for seed in range(5)
    }
    tests = stats.distance_tests(_distances(values)).set_index("claim")
    shuffle = tests.loc["W1(random) > W1(shuffle)"]
    # per seed, as Table 1: each comparison's mean over the layers collapsed in neither run
    per_seed = [(0.11 + 0.001 * s) / 2 - (0.03 + 0.001 * s) / 2 for s in range(5)]
    assert shuffle["role"] == stats.EXPLORATORY and shuffle["verdict"] == stats.EXPLORATORY
    assert shuffle["seeds"] == 5 and shuffle["collapsed_layers"] == 5
    assert shuffle["difference"] == pytest.approx(np.mean(per_seed))
    assert shuffle["test"] == stats.EXACT
    assert shuffle["p_value"] == pytest.approx(stats.sign_flip_p(per_seed))
    assert math.isnan(shuffle["p_adjusted"])  # exploratory: no correction, no verdict
    assert shuffle["share_layers_random_larger"] == pytest.approx(1.0)


def test_the_confirmatory_test_against_brute_force():
    rng = np.random.default_rng(3)
    frames, per_method = [], {}
    for method in ("magnitude", "snip", "other"):
        values = {
            seed: {
                "random": list(0.05 + 0.01 * rng.random(3)),
                "shuffle": list(0.015 + 0.04 * rng.random(3)),
                "reinit": list(0.01 + 0.01 * rng.random(3)),
            }
            for seed in range(5)
        }
        per_method[method] = values
        frames.append(_distances(values, method=method, entries=("all", "unpruned")))
    tests = stats.distance_tests(
        pd.concat(frames), sparsities={"n": 0.75}, table1_methods=("magnitude", "snip", "synflow"),
        primary=["n"],
    )  # fmt: skip
    confirmatory = tests[(tests["role"] == "confirmatory") & (tests["entries"] == "all")]
    assert len(confirmatory) == 2 and set(confirmatory["methods"]) == {"magnitude, snip"}
    p_by_hand = {}
    for ablation in ("shuffle", "reinit"):
        # per seed: the mean over Table 1's methods in the grid of the layer-mean differences
        d = [
            np.mean(
                [
                    np.mean(per_method[m][s]["random"]) - np.mean(per_method[m][s][ablation])
                    for m in ("magnitude", "snip")
                ]
            )
            for s in range(5)
        ]
        patterns = itertools.product((1, -1), repeat=5)
        sums = [sum(sign * abs(x) for sign, x in zip(p, d, strict=True)) for p in patterns]
        p_by_hand[ablation] = np.mean([t >= sum(d) - 1e-12 for t in sums])
        row = confirmatory.set_index("claim").loc[f"W1(random) > W1({ablation})"]
        assert row["difference"] == pytest.approx(np.mean(d))
        assert row["p_value"] == pytest.approx(p_by_hand[ablation])
    # intersection-union: the claim's p is the larger one, no Holm
    assert (confirmatory["p_adjusted"] == max(p_by_hand.values())).all()
    assert (confirmatory["smallest_p"] == 1 / 32).all()
    # one primary test: all entries; the kept weights alone are secondary, no verdict
    assert set(tests.loc[tests["role"] == "confirmatory", "entries"]) == {"all"}
    secondary = tests[tests["role"] == "secondary"]
    assert set(secondary["entries"]) == {"unpruned"}
    assert set(secondary["verdict"]) == {stats.ESTIMATE}


def test_five_unanimous_seeds_show_singh_and_liu_s_claim():
    # the effect measured on MNIST: random about 0.05 against shuffle and reinit about 0.015
    values = {
        seed: {"random": [0.05, 0.051], "shuffle": [0.015, 0.016], "reinit": [0.014, 0.015]}
        for seed in range(5)
    }
    frames = [_distances(values, method=m) for m in ("magnitude", "snip", "graspabs", "synflow")]
    tests = stats.distance_tests(
        pd.concat(frames), sparsities={"n": 0.75}, table1_methods=("magnitude", "snip", "synflow"),
        primary=["n"],
    )  # fmt: skip
    confirmatory = tests[tests["role"] == "confirmatory"]
    assert (confirmatory["p_adjusted"] == 1 / 32).all()
    assert set(confirmatory["verdict"]) == {stats.SHOWN}
    # with four seeds the design cannot reach 0.05, and says so
    four = pd.concat(frames)
    four = four[four["seed"] < 4]
    tests = stats.distance_tests(
        four, sparsities={"n": 0.75}, table1_methods=("snip",), primary=["n"]
    )
    confirmatory = tests[tests["role"] == "confirmatory"]
    assert set(confirmatory["verdict"]) == {stats.TOO_FEW}
    assert (confirmatory["smallest_p"] == 1 / 16).all()
    # exploratory rows carry no verdict, and no Cohen's d_z below EFFECT_SIZE_SEEDS seeds
    assert set(tests.loc[tests["role"] == "exploratory", "verdict"]) == {stats.EXPLORATORY}
    assert tests["cohens_dz"].isna().all()


def test_a_layer_collapsed_in_either_run_is_left_out_of_table1():
    values = {
        seed: {"random": [0.05, 0.2], "shuffle": [0.01, 0.0], "reinit": [0.01, 0.0]}
        for seed in range(2)
    }
    distances = _distances(values, method="snip")
    # layer l1 pruned to nothing: with all entries shuffle's W1 there is 0 (zeros against zeros)
    distances.loc[distances["layer"] == "l1", "collapsed"] = True
    table = tables.table1(distances, {"n": 0.75})
    row = table[table["layer_set"] == "weights"].iloc[0]
    assert row["random"] == pytest.approx(0.05) and row["shuffle"] == pytest.approx(0.01)


def test_a_missing_part_or_a_part_on_other_seeds_is_no_test_not_shown():
    # Singh & Liu's intersection-union test needs both parts, over the same seeds
    values = {
        seed: {"random": [0.05, 0.051], "shuffle": [0.015, 0.016], "reinit": [0.014, 0.015]}
        for seed in range(5)
    }
    distances = _distances(values, method="snip")
    no_reinit = distances[distances["comparison"] != "reinit"]
    tests = stats.distance_tests(no_reinit, {"n": 0.75}, ("snip",), primary=["n"])
    confirmatory = tests[tests["role"] == "confirmatory"]
    assert list(confirmatory["verdict"]) == ["no test: no reinit runs to compare"]
    assert np.isnan(confirmatory["p_adjusted"]).all()
    # reinit on one seed only: both parts are tested over that seed alone, and say so
    one_seed = distances[(distances["comparison"] != "reinit") | (distances["seed"] == 0)]
    tests = stats.distance_tests(one_seed, {"n": 0.75}, ("snip",), primary=["n"])
    confirmatory = tests[tests["role"] == "confirmatory"]
    assert (confirmatory["seeds"] == 1).all()
    assert set(confirmatory["verdict"]) == {stats.NO_TEST}
