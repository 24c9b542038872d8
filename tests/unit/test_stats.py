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


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04 -> kept monotone: 0.03, 0.06, 0.06
    adjusted = stats.holm([0.01, 0.04, 0.03, math.nan])
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06]) and math.isnan(adjusted[3])
    assert stats.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])  # capped at 1


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


def test_a_method_at_initialization_is_tested_for_no_worse_and_for_worse_when_inverted():
    effects = stats.ablation_effects(_runs(SEEDS), margin=0.005).set_index("ablation")
    shuffle, invert = effects.loc["shuffle"], effects.loc["invert"]
    assert shuffle["family"] == "init" and shuffle["seeds"] == 4
    assert shuffle["difference"] == pytest.approx(0.00075)
    assert shuffle["claim"] == "shuffle no worse than unmodified (margin 0.5 points)"
    d = np.array([0.001, 0.002, -0.001, 0.001])
    expected = scipy_stats.ttest_1samp(d + 0.005, 0.0, alternative="greater").pvalue
    assert shuffle["p_value"] == pytest.approx(expected) and shuffle["verdict"] == stats.SHOWN
    assert invert["claim"] == "invert worse than unmodified" and invert["verdict"] == stats.SHOWN
    # the same data with a margin of zero: being no worse at all is not shown
    strict = stats.ablation_effects(_runs(SEEDS), margin=0.0).set_index("ablation")
    assert strict.loc["shuffle", "verdict"] == stats.NOT_SHOWN


def test_each_family_is_tested_with_its_own_claims():
    runs = pd.concat(
        [
            _runs(SEEDS, method=method, ablations=("unmodified", "shuffle", "invert"))
            for method in ("random", "snip", "grasp", "magnitude_trained")
        ]
    )
    effects = stats.ablation_effects(runs, margin=0.005).set_index(["method", "ablation"])
    # random pruning: the reference, no claim at all
    assert set(effects.loc["random", "verdict"]) == {stats.DESCRIBED}
    assert effects.loc["random", "p_value"].isna().all()
    # GraSP: shuffle no worse like every method at initialization, invert descriptive (MtM)
    assert effects.loc[("grasp", "shuffle"), "expected"] == "no worse"
    assert effects.loc[("grasp", "invert"), "verdict"] == stats.DESCRIBED
    # MtM's benchmarks: shuffling is claimed to hurt; these seeds do not lose, so not shown
    benchmark = effects.loc[("magnitude_trained", "shuffle")]
    assert benchmark["family"] == "after_training"
    assert benchmark["claim"] == "shuffle worse than unmodified"
    assert benchmark["verdict"] == stats.NOT_SHOWN
    assert effects.loc[("magnitude_trained", "invert"), "verdict"] == stats.SHOWN
    # a plugin's declared family decides its claims
    plugin = {"mine": {"family": "after_training", "expected": {"shuffle": "worse"}}}
    mine = stats.ablation_effects(_runs(SEEDS, method="mine"), 0.005, claims=plugin)
    assert mine.set_index("ablation").loc["shuffle", "claim"] == "shuffle worse than unmodified"
    assert mine.set_index("ablation").loc["invert", "verdict"] == stats.DESCRIBED


def test_shuffle_and_reinit_are_families_of_their_own():
    seeds = [(0.9, 0.9, 0.9), (0.8, 0.81, 0.8), (0.85, 0.85, 0.86)]
    runs = pd.concat(
        [
            _runs(seeds, sparsity=s, ablations=("unmodified", "shuffle", "reinit"))
            for s in (0.5, 0.9)
        ]
    )
    effects = stats.ablation_effects(runs, margin=0.005)
    assert effects["claim"].nunique() == 2
    for _, family in effects.groupby("claim"):
        # two sparsities with the same p each: Holm doubles it within the claim only
        assert family["p_adjusted"].tolist() == pytest.approx((2 * family["p_value"]).clip(upper=1))


def test_sparsity_zero_and_cells_at_chance_or_collapsed_do_not_count():
    runs = pd.concat([_runs(SEEDS), _runs(SEEDS, sparsity=0.0)])
    # seed 1 at chance (10 classes: 0.1 + the slack), seed 2 with an emptied layer
    runs.loc[(runs["seed"] == 1) & (runs["ablation"] == "unmodified"), "final_test_accuracy"] = 0.11
    runs.loc[(runs["seed"] == 2) & (runs["ablation"] == "unmodified"), "layer_collapse"] = True
    effects = stats.ablation_effects(runs, margin=0.005, chance={"n": 0.1})
    assert set(effects["sparsity"]) == {0.9}  # every ablation of sparsity 0 is the identity
    shuffle = effects.set_index("ablation").loc["shuffle"]
    assert shuffle["seeds"] == 2
    assert shuffle["excluded"] == "seed 1: at chance; seed 2: layer collapsed"
    assert shuffle["difference"] == pytest.approx(np.mean([0.001, 0.001]))
    # every unmodified run at chance: no test, and it counts toward no verdict
    dead = _runs([(0.1, 0.1, 0.1)] * 3)
    effects = stats.ablation_effects(dead, margin=0.005, chance={"n": 0.1})
    assert set(effects["verdict"]) == {stats.NO_USABLE} and effects["p_value"].isna().all()


def test_one_seed_gives_no_test():
    effects = stats.ablation_effects(_runs([(0.9, 0.91, 0.5)]), margin=0.005)
    assert set(effects["verdict"]) == {stats.NO_TEST}
    assert effects["p_value"].isna().all() and effects["ci_low"].isna().all()


def test_too_few_seeds_say_so_with_the_smallest_p():
    # two seeds that both lose exactly the same: the exact test's p is 1/4 at best
    effects = stats.ablation_effects(_runs([(0.9, 0.9, 0.5), (0.8, 0.8, 0.4)]), margin=0.005)
    shuffle = effects.set_index("ablation").loc["shuffle"]
    assert shuffle["test"] == stats.EXACT_NO_SPREAD
    assert shuffle["smallest_p"] == pytest.approx(0.25) and shuffle["verdict"] == stats.TOO_FEW


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
        pd.concat(frames), sparsities={"n": 0.75}, table1_methods=("magnitude", "snip", "synflow")
    )
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
    # both entry sets are tested, each a family of its own
    assert set(tests.loc[tests["role"] == "confirmatory", "entries"]) == {"all", "unpruned"}


def test_five_unanimous_seeds_show_singh_and_liu_s_claim():
    # the effect measured on MNIST: random about 0.05 against shuffle and reinit about 0.015
    values = {
        seed: {"random": [0.05, 0.051], "shuffle": [0.015, 0.016], "reinit": [0.014, 0.015]}
        for seed in range(5)
    }
    frames = [_distances(values, method=m) for m in ("magnitude", "snip", "graspabs", "synflow")]
    tests = stats.distance_tests(
        pd.concat(frames), sparsities={"n": 0.75}, table1_methods=("magnitude", "snip", "synflow")
    )
    confirmatory = tests[tests["role"] == "confirmatory"]
    assert (confirmatory["p_adjusted"] == 1 / 32).all()
    assert set(confirmatory["verdict"]) == {stats.SHOWN}
    # with four seeds the design cannot reach 0.05, and says so
    four = pd.concat(frames)
    four = four[four["seed"] < 4]
    tests = stats.distance_tests(four, sparsities={"n": 0.75}, table1_methods=("snip",))
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
