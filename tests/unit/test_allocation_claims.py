"""The methods against the data-free allocations (pai.analysis.allocations): differences paired by
seed, the best allocation marked, one pooled test per method against erk with its exclusions, on
tables small enough to check by hand; and the study page's sentences."""

import math

import pandas as pd
import pytest

from pai.analysis import allocations
from pai.config import registry
from pai.reporting import summary

CLAIMS = {name: m.claim_settings() for name, m in registry.METHODS.items()}


def runs(accuracy) -> pd.DataFrame:
    """``accuracy``: (method, sparsity, ablation) -> one accuracy per seed."""
    return pd.DataFrame(
        [
            {"net": "n", "method": m, "sparsity": s, "ablation": a, "seed": seed,
             "final_test_accuracy": value, "diverged": False, "layer_collapse": False}
            for (m, s, a), values in accuracy.items()
            for seed, value in enumerate(values)
        ]
    )  # fmt: skip


GRID = {
    ("snip", 0.75, "unmodified"): [0.90, 0.91, 0.92, 0.93, 0.94],
    ("snip", 0.75, "shuffle"): [0.88, 0.89, 0.90, 0.91, 0.92],
    ("snip", 0.9, "unmodified"): [0.80, 0.81, 0.82, 0.83, 0.84],
    ("snip", 0.9, "shuffle"): [0.70, 0.70, 0.70, 0.70, 0.70],
    ("erk", 0.75, "unmodified"): [0.89, 0.89, 0.89, 0.89, 0.89],
    ("erk", 0.9, "unmodified"): [0.78, 0.78, 0.78, 0.78, 0.78],
    ("igq", 0.75, "unmodified"): [0.91, 0.91, 0.91, 0.91, 0.91],
    ("igq", 0.9, "unmodified"): [0.75, 0.75, 0.75, 0.75, 0.75],
}


def test_each_difference_is_paired_by_seed_and_the_best_allocation_marked():
    effects = allocations.allocation_effects(runs(GRID), CLAIMS, {"n": [0.75, 0.9]})
    row = effects.set_index(["sparsity", "variant", "allocation"]).loc[
        (0.75, allocations.OWN_MASK, "erk")
    ]
    assert row["difference"] == pytest.approx(0.03)  # mean of 0.01 .. 0.05
    assert row["seed_differences"] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])
    assert row["ci_low"] < 0.03 < row["ci_high"] and row["range"] == "declared"
    best = effects[effects["best"]].drop_duplicates("sparsity").set_index("sparsity")
    assert best.loc[0.75, "allocation"] == "igq" and best.loc[0.9, "allocation"] == "erk"
    shuffled = effects.set_index(["sparsity", "variant", "allocation"]).loc[
        (0.9, allocations.OWN_FRACTIONS, "erk")
    ]
    assert shuffled["difference"] == pytest.approx(-0.08)
    assert set(effects["method"]) == {"snip"}  # allocations are not compared with themselves


def test_one_pooled_test_per_method_against_erk():
    found = allocations.allocation_claims(runs(GRID), CLAIMS, {"n": [0.75, 0.9]})
    (row,) = found.itertuples()
    # per seed: mean of (snip - erk) at 0.75 and 0.9 = (0.01 + 0.02) / 2, ... all positive
    assert row.seed_means == pytest.approx([0.015, 0.025, 0.035, 0.045, 0.055])
    assert row.p_better == pytest.approx(1 / 32) and row.verdict == allocations.SHOWN_BETTER
    assert row.baseline == "erk" and row.sparsities == "0.75, 0.9"
    # a declared sparsity where erk's mask has no effective weight is excluded, named
    effective = runs(GRID).assign(effective_density=0.1)
    effective.loc[(effective["method"] == "erk") & (effective["sparsity"] == 0.9),
                  "effective_density"] = 0.0  # fmt: skip
    found = allocations.allocation_claims(
        runs(GRID), CLAIMS, {"n": [0.75, 0.9]}, effective=effective
    )
    (row,) = found.itertuples()
    assert row.sparsities == "0.75" and "0.9: a mask with no effective weight" in row.excluded
    assert row.unrestricted_difference == pytest.approx(0.035)


def test_the_study_page_says_which_fractions_beat_which_rule():
    effects = allocations.allocation_effects(runs(GRID), CLAIMS, {"n": [0.75, 0.9]})
    text = summary.allocation_sentences(effects)
    # snip's shuffle at 0.9 (0.70) falls behind erk (0.78) and igq (0.75) in every seed
    assert "fall behind erk by -8.0 [-8.0, -8.0], igq by -5.0 [-5.0, -5.0] at 0.9" in text
    found = allocations.allocation_claims(runs(GRID), CLAIMS, {"n": [0.75, 0.9]})
    assert "its fractions are shown better" in summary.allocation_claim_sentences(found)
    table = summary.side_by_side(effects)
    assert list(table["best allocation"]) == ["igq (91.0%)", "erk (78.0%)"]
    assert not math.isnan(effects["ci_low"].iloc[0])
