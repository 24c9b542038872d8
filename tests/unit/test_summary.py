"""The study page's verdicts as sentences, and Table 1 beside the paper when the grid is not like
for like (pai.reporting.summary), on tables small enough to read."""

import pandas as pd

from pai.analysis import stats
from pai.reporting import summary


def _effects(rows):
    columns = ["net", "method", "sparsity", "family", "ablation", "expected", "claim", "seeds",
               "excluded", "test", "smallest_p", "verdict"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def test_each_claim_is_a_sentence_that_says_why_it_is_not_shown():
    claim = "shuffle worse than unmodified"
    effects = _effects(
        [
            ["n", "lottery", 0.5, "after_training", "shuffle", "worse", claim, 2, "",
             stats.EXACT_NO_SPREAD, 0.5, stats.TOO_FEW],
            ["n", "magnitude_trained", 0.5, "after_training", "shuffle", "worse", claim, 2, "",
             stats.PAIRED_T, 0.0, stats.SHOWN],
            ["n", "random", 0.5, "reference", "shuffle", "descriptive", "shuffle: no claim", 2,
             "", "none", float("nan"), stats.DESCRIBED],
        ]
    )  # fmt: skip
    text = summary.mtm_sentences(effects)
    assert text == (
        "- n, pruned after training (MtM's benchmarks), magnitude_trained and lottery: shuffle "
        "worse than unmodified, shown in 1 of 2 tests; 1 cannot be shown with 2 seeds (the "
        "smallest p this design can reach is 0.5, not below 0.05).\n"
    )  # random pruning makes no claim: no sentence
    counts = summary.verdict_counts(effects)
    assert counts[["tests", "shown", "cannot be shown (seeds)"]].values.tolist() == [[2, 1, 1]]


def test_singh_and_liu_s_verdict_reads_as_a_sentence():
    row = {"role": "confirmatory", "net": "n", "sparsity": 0.75, "methods": "snip, synflow",
           "seeds": 5, "random_w1": 0.05, "ablation_w1": 0.01, "difference": 0.04,
           "ci_low": 0.03, "ci_high": 0.05, "p_value": 1 / 32, "p_adjusted": 1 / 32,
           "verdict": stats.SHOWN}  # fmt: skip
    tests = pd.DataFrame(
        [
            {**row, "entries": "all", "claim": "W1(random) > W1(shuffle)"},
            {**row, "entries": "all", "claim": "W1(random) > W1(reinit)"},
            {**row, "entries": "unpruned", "claim": "W1(random) > W1(reinit)", "seeds": 2,
             "verdict": stats.TOO_FEW},
        ]
    )  # fmt: skip
    assert summary.singh_liu_sentences(tests) == (
        "- n, all entries, as Table 1, sparsity 0.75: random pruning moves the trained weights "
        "farther than shuffle and reinit (the mean over snip, synflow): shown, p = 0.0312 with 5 "
        "seeds.\n"
        "- n, the kept weights alone, sparsity 0.75: random pruning moves the trained weights "
        "farther than shuffle and reinit (the mean over snip, synflow): cannot be shown: 2 "
        "seeds, the smallest p is 0.25.\n"
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
    assert summary.mtm_sentences(pd.DataFrame()) == ""
    assert summary.verdict_counts(pd.DataFrame()).empty


def test_each_method_gets_its_own_line_of_checks():
    no_worse = "shuffle no worse than unmodified (margin 0.5 points)"
    effects = _effects(
        [
            ["n", "ntksap", 0.5, "init", "shuffle", "no worse", no_worse, 2, "", stats.PAIRED_T,
             0.0, stats.SHOWN],
            ["n", "ntksap", 0.9, "init", "shuffle", "no worse", no_worse, 2, "", stats.PAIRED_T,
             0.0, stats.NOT_SHOWN],
            ["n", "snip", 0.5, "init", "shuffle", "no worse", no_worse, 2, "", stats.PAIRED_T,
             0.0, stats.NOT_SHOWN],
            ["n", "random", 0.5, "reference", "shuffle", "descriptive", "shuffle: no claim", 2,
             "", "none", float("nan"), stats.DESCRIBED],
        ]
    ).assign(difference=[0.01, -0.03, -0.002, 0.004])  # fmt: skip
    checks = summary.method_checks(effects)
    assert checks[["method", "shuffle"]].values.tolist() == [
        ["random", "no claim; +0.4 points"],
        ["snip", "no worse: 0 of 1 shown; -0.2 points"],
        ["ntksap", "no worse: 1 of 2 shown; -1.0 points"],
    ]
    assert checks["tested as"].tolist()[1:] == ["pruned at initialization"] * 2
