"""The four methods published after MtM (FORCE, Iter-SNIP, ProsPr, NTK-SAP) through the real
pipeline: the finished smoke grid with them added, run to its end (masks, every ablation's
training, the analyses, the statistics, the study page and the figures)."""

import pandas as pd
import pytest
from pipeline_helpers import copy_workdir, planned_jobs, run_with, smoke_methods

from pai import storage
from pai.config import registry
from pai.pruning import masks

AFTER_MTM = ("itersnip", "force", "prospr", "ntksap")
NETS = ("lenet300-digits", "resnet20-synthetic")


@pytest.fixture(scope="module")
def grown(smoke_run, tmp_path_factory):
    """A copy of the finished smoke grid with the four methods added to its methods, run."""
    workdir = copy_workdir(smoke_run, tmp_path_factory.mktemp("after_mtm") / "w")
    methods = [*smoke_methods(workdir), *AFTER_MTM]
    planned, config = run_with(workdir, "after_mtm.yaml", {"grid": {"methods": methods}})
    return workdir, planned, config


def test_only_the_new_methods_jobs_and_what_gathers_them_run(grown):
    _, planned, _ = grown
    # one mask job per new cell; one scoring job per one-shot method's net; no dense, init or
    # lottery job again
    assert planned["make_mask"] == len(AFTER_MTM) * len(NETS)
    assert planned["score_weights"] == len(NETS)  # ProsPr alone is one-shot
    assert planned["train_model"] == len(AFTER_MTM) * len(NETS)
    for finished in ("init_weights", "train_dense", "train_lottery_round", "download_data"):
        assert finished not in planned, finished


def test_their_masks_keep_exact_counts_and_every_ablation_trains(grown):
    workdir, _, _ = grown
    for net in NETS:
        for method in AFTER_MTM:
            cell = f"net={net}/method={method}/sparsity=0.75/seed=0"
            saved = storage.load(workdir / f"results/masks/{cell}/mask.pt")
            for ranking in ("unmodified", "invert"):
                mask = saved[ranking]
                total = sum(m.numel() for m in mask.values())
                kept = sum(int(m.sum()) for m in mask.values())
                assert kept == masks.keep_count(total, 0.75), (cell, ranking)
            for ablation in registry.ABLATIONS:
                assert (workdir / f"results/runs/{cell}/ablation={ablation}/run.json").is_file()


def test_the_study_page_and_the_figures_take_them_up(grown):
    workdir, _, config = grown
    runs = pd.read_parquet(workdir / "results/tables/runs.parquet")
    assert set(AFTER_MTM) <= set(runs["method"])
    study = (workdir / "results/tables/study.md").read_text()
    for method in AFTER_MTM:
        # each with its own line of estimates at the declared sparsity
        assert f"| lenet300-digits | {method} | 0.7500 | " in study, method
    # tested apart from MtM's own methods, as the extension
    pooled = pd.read_parquet(workdir / "results/tables/mtm_claims.parquet")
    extension = pooled[(pooled["set"] == "extension") & (pooled["net"] == "lenet300-digits")]
    shuffle = extension.set_index("ablation").loc["shuffle"]
    assert shuffle["methods"] == ", ".join(AFTER_MTM)
    reproduction = pooled[(pooled["set"] == "reproduction") & (pooled["role"] == "confirmatory")]
    assert not set(AFTER_MTM) & {m for ms in reproduction["methods"] for m in ms.split(", ")}
    # NTK-SAP's reinit is a calibration cell
    calibration = pooled[pooled["role"] == "calibration"]
    assert "ntksap" in set(calibration["methods"])
    # and the finished grid is current again
    assert planned_jobs(workdir, *config) == {}
