"""Runs that break on their own: a mask that leaves a layer without weights (global magnitude
pruning at 99.9% empties LeNet's later layers) and a learning rate that makes the loss non-finite.
Both finish as runs, flagged in the tables and marked in the figures; nothing crashes."""

from __future__ import annotations

import math

import pandas as pd
from pipeline_helpers import make_workdir, snakemake

BROKEN = """
nets:
  lenet300-digits-diverging:
    arch: lenet300
    dataset: digits
    epochs: 3
    batch_size: 128
    lr: 1.0e+6
    momentum: 0.0
    weight_decay: 0.0
    milestones: []
    gamma: 0.1
grid:
  nets: [lenet300-digits, lenet300-digits-diverging]
  methods: [magnitude]
  sparsities: [0.5, 0.999]
analysis:
  table1_sparsity: 0.999
"""


def test_collapse_and_divergence_are_flagged_not_crashes(tmp_path):
    workdir = make_workdir(tmp_path)
    (workdir / "broken.yaml").write_text(BROKEN)
    snakemake(workdir, "--configfile", "presets/smoke.yaml", "broken.yaml")

    runs = pd.read_parquet(workdir / "results/tables/runs.parquet").set_index(
        ["net", "sparsity", "ablation"]
    )
    # global magnitude at 99.9% keeps 50 of LeNet-300-100's 50,200 weights, all in the first
    # layer (its Kaiming init is the widest): the two later layers are empty
    collapsed = runs.xs(0.999, level="sparsity")
    assert collapsed.loc[("lenet300-digits", "unmodified"), "layer_collapse"]
    assert collapsed.loc[("lenet300-digits", "shuffle"), "layer_collapse"]  # per-layer counts kept
    assert not runs.loc[("lenet300-digits", 0.5, "unmodified"), "layer_collapse"]

    diverged = runs.xs(("lenet300-digits-diverging", 0.5), level=["net", "sparsity"])
    assert diverged["diverged"].all()
    assert diverged["final_test_loss"].map(math.isnan).all()
    assert (diverged["epochs"] < 3).all()  # training stopped at the first non-finite loss
    assert not runs.xs("lenet300-digits", level="net")["diverged"].any()

    layers = pd.read_parquet(workdir / "results/tables/layers.parquet")
    empty = layers[(layers["sparsity"] == 0.999) & (layers["ablation"] == "unmodified")]
    assert (empty.groupby("net")["kept"].apply(lambda k: (k == 0).sum()) == 2).all()

    # a diverged run's distances are NaN rather than numbers made from NaN weights
    distances = pd.read_parquet(workdir / "results/tables/distances.parquet")
    broken = distances[
        (distances["net"] == "lenet300-digits-diverging")
        & (distances["sparsity"] == 0.5)
        & (distances["stage"] == "trained")
    ]
    assert len(broken) and broken["w1"].isna().all()

    similarity = pd.read_parquet(workdir / "results/tables/similarity.parquet")
    diverged_pairs = similarity[
        (similarity["net"] == "lenet300-digits-diverging") & (similarity["sparsity"] == 0.5)
    ]
    assert len(diverged_pairs) and diverged_pairs["cka"].isna().all()

    table1 = (workdir / "results/tables/table1.md").read_text()
    assert "Flagged runs at this sparsity" in table1
    assert "layer_collapse: lenet300-digits / magnitude: 4 run(s)" in table1
    for figure in ("accuracy", "ablations", "distances", "training_curves"):
        assert (workdir / f"results/figures/{figure}.png").stat().st_size > 0
