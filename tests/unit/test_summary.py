"""The study page's verdicts as sentences, and Table 1 beside the paper when the grid is not like
for like (pai.reporting.summary), on tables small enough to read."""

import pandas as pd

from pai.analysis import claims, stats
from pai.reporting import summary


def _runs(table):
    """table: (method, sparsity, seed, ablation) -> accuracy, on net n."""
    return pd.DataFrame(
        [{"net": "n", "method": m, "sparsity": s, "seed": seed, "ablation": a,
          "final_test_accuracy": acc, "layer_collapse": False, "diverged": False}
         for (m, s, seed, a), acc in table.items()]
    )  # fmt: skip


def _two_seeds():
    table = {}
    for seed in range(2):
        for method in ("snip", "lottery", "random"):
            for sparsity in (0.75, 0.98):
                table[(method, sparsity, seed, "unmodified")] = 0.9
                table[(method, sparsity, seed, "shuffle")] = 0.9 - 0.02 * (seed + 1)
    return _runs(table)


def test_each_claim_is_a_sentence_that_says_what_the_design_can_show():
    pooled = claims.pooled_claims(_two_seeds(), {"n": [0.75]}, margin=0.005)
    text = summary.mtm_claim_sentences(pooled)
    assert text == (
        "- n, reproduction (snip), pruned at initialization, at 0.75: shuffle no worse than "
        "unmodified (margin 0.5 points): cannot be shown with these seeds; mean -3.0 [-9.3, "
        "+3.3] points over 2 seeds; with 2 seeds the exact test's smallest p is 0.25: it needs "
        "5 seeds that all agree.\n"
        "- n, reproduction (lottery), pruned after training (MtM's benchmarks), at 0.75: shuffle "
        "worse than unmodified: cannot be shown with these seeds; mean -3.0 [-9.3, +3.3] points "
        "over 2 seeds; with 2 seeds the exact test's smallest p is 0.25: it needs 5 seeds that "
        "all agree.\n"
    )  # random pruning makes no claim: a calibration row, no sentence
    table = summary.mtm_claims_table(pooled, "calibration")
    assert table[["methods at sparsities", "claim"]].values.tolist() == [
        ["random at 0.75", "shuffle: no effect by construction (calibration)"]
    ]
    confirmatory = summary.mtm_claims_table(pooled)
    assert confirmatory.columns.tolist() == [
        "net", "set", "claim", "methods at sparsities", "seeds",
        "estimate (points, 90% interval)", "verdict", "p",
    ]  # fmt: skip


def test_the_estimates_are_per_method_and_sparsity_with_collapse_counted_apart():
    runs = _two_seeds()
    cell = (runs["seed"] == 1) & (runs["ablation"] == "shuffle") & (runs["sparsity"] == 0.98)
    runs.loc[cell & (runs["method"] == "snip"), ["final_test_accuracy", "layer_collapse"]] = (
        0.1,
        True,
    )
    effects = stats.ablation_effects(runs, 0.005, chance={"n": 0.1}, declared={"n": [0.75]})
    declared = summary.estimates(effects, stats.DECLARED)
    assert declared[["method", "sparsity", "shuffle"]].values.tolist() == [
        ["random", 0.75, "-3.0 [-9.3, +3.3] (2 seeds)"],
        ["snip", 0.75, "-3.0 [-9.3, +3.3] (2 seeds)"],
        ["lottery", 0.75, "-3.0 [-9.3, +3.3] (2 seeds)"],
    ]
    extreme = summary.estimates(effects, stats.EXTREME).set_index("method")
    assert extreme.loc["snip", "shuffle"].endswith("(2 seeds; 1 collapsed)")


def test_the_page_says_what_a_grid_cannot_show():
    nets = {"n": {"arch": "lenet300", "dataset": "digits", "epochs": 3},
            "m": {"arch": "lenet300", "dataset": "mnist", "epochs": 40}}  # fmt: skip
    runs = pd.concat([_two_seeds(), _two_seeds().assign(net="m")])
    assert summary.grid_caveats(runs, nets) == (
        "- n (lenet300 on digits) is not one of MtM's nets: its numbers reproduce nothing of MtM "
        "and say nothing about MNIST or CIFAR.\n"
        "- m has 2 seeds: the exact test cannot reach p < 0.05 below 5 seeds, so no claim can be "
        "shown on it; everything about it here is an estimate.\n"
        "- n has 2 seeds: the exact test cannot reach p < 0.05 below 5 seeds, so no claim can be "
        "shown on it; everything about it here is an estimate.\n"
    )


def test_singh_and_liu_s_verdict_reads_as_a_sentence():
    row = {"role": "confirmatory", "net": "n", "sparsity": 0.75, "methods": "snip, synflow",
           "seeds": 5, "random_w1": 0.05, "ablation_w1": 0.01, "difference": 0.04,
           "ci_low": 0.03, "ci_high": 0.05, "p_value": 1 / 32, "p_adjusted": 1 / 32,
           "verdict": stats.SHOWN, "entries": "all"}  # fmt: skip
    tests = pd.DataFrame(
        [
            {**row, "claim": "W1(random) > W1(shuffle)"},
            {**row, "claim": "W1(random) > W1(reinit)"},
            {**row, "role": "secondary", "entries": "unpruned", "claim": "W1(random) > W1(reinit)",
             "verdict": stats.ESTIMATE},
        ]
    )  # fmt: skip
    assert summary.singh_liu_sentences(tests) == (
        "- n, all entries, as Table 1, sparsity 0.75: random pruning moves the trained weights "
        "farther than shuffle and reinit (the mean over snip, synflow): shown, p = 0.0312 with 5 "
        "seeds.\n"
    )  # the secondary rows give no sentence
    # a missing part: the sentence names what was tested, and says there is no test
    missing = tests.iloc[[0]].assign(verdict="no test: no reinit runs to compare")
    assert summary.singh_liu_sentences(missing) == (
        "- n, all entries, as Table 1, sparsity 0.75: random pruning moves the trained weights "
        "farther than shuffle (the mean over snip, synflow): no test: no reinit runs to "
        "compare.\n"
    )


def test_table1_shows_what_the_grid_has_and_says_what_it_lacks():
    nets = {"lenet300-digits": {"arch": "lenet300", "dataset": "digits", "epochs": 3}}
    table1 = pd.DataFrame(
        [{"net": "lenet300-digits", "method": "snip", "layer_set": "weights", "reinit": 0.01,
          "shuffle": 0.011, "random": 0.03}]
    )  # fmt: skip
    beside = summary.table1_beside_paper(table1, nets)
    assert beside[["net", "like for like", "method"]].values.tolist() == [
        ["lenet300-digits", "no", "snip"]
    ]
    assert beside["reinit (paper)"].tolist() == [0.0084]
    assert summary.table1_gaps(nets) == (
        "- lenet300-digits is not trained as their LeNet-MNIST was: it would need mnist instead "
        "of digits and 16 epochs instead of 3; its numbers are not expected to match theirs.\n"
    )


def test_a_grid_without_the_tests_gives_no_sentences():
    # no random pruning in the grid: no distance tests at all, and no MtM claims either
    assert summary.singh_liu_sentences(pd.DataFrame()) == ""
    assert summary.singh_liu_sentences(pd.DataFrame(columns=["role"])) == ""
    assert summary.mtm_claim_sentences(pd.DataFrame()) == ""
    assert summary.mtm_claims_table(pd.DataFrame()).empty


def test_a_sentence_names_what_the_masks_left_out_and_the_unrestricted_result():
    effective = pd.DataFrame(
        [{"net": "n", "method": "snip", "sparsity": 0.98, "seed": 0, "ablation": "shuffle",
          "effective_density": 0.0}]
    )  # fmt: skip
    pooled = claims.pooled_claims(_two_seeds(), {"n": [0.75, 0.98]}, 0.005, effective=effective)
    text = summary.mtm_claim_sentences(pooled)
    assert (
        "; left out: snip at 0.98: a mask with no effective weight (unrestricted: -3.0 points, "
        "cannot be shown with these seeds)." in text
    )
