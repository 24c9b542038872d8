"""The example plugins (examples/plugins.yaml: a method, an architecture and a folder dataset of
the user's) through the smoke grid, beside the built-ins: every ablation, table and figure, and
reruns decided by the plugin's source.

The finished smoke run is copied and the plugins' jobs are added to it, so only their work runs.
"""

import json
import subprocess
import sys

import matplotlib
import pandas as pd
import pytest
import torch
from pipeline_helpers import copy_workdir, planned_jobs, snakemake

from pai import storage
from pai.config import registry
from pai.pruning import masks
from pai.reporting import plots

PLUGINS = ("--configfile", "presets/smoke.yaml", "examples/plugins.yaml")
METHOD = "layerwise_magnitude"
NETS = ("lenet300-digits", "resnet20-synthetic", "convnet-shapes")


@pytest.fixture(scope="module")
def plugin_run(smoke_run, tmp_path_factory):
    workdir = copy_workdir(smoke_run, tmp_path_factory.mktemp("plugins") / "run")
    snakemake(workdir, *PLUGINS)
    return workdir


def test_every_ablation_of_the_plugin_method_runs(plugin_run):
    runs = pd.read_parquet(plugin_run / "results/tables/runs.parquet")
    mine = runs[runs["method"] == METHOD]
    assert set(zip(mine["net"], mine["ablation"], strict=True)) == {
        (net, ablation) for net in NETS for ablation in registry.ABLATIONS
    }
    assert mine["density"].round(4).eq(0.25).all()
    for net in NETS:
        start = storage.load(
            plugin_run / f"results/runs/net={net}/method={METHOD}/sparsity=0.75/seed=0"
            "/ablation=unmodified/start.pt"
        )
        # layerwise magnitude keeps the same share of every layer (to a weight or so)
        for name, (kept, total) in masks.layer_counts(start["mask"]).items():
            assert abs(kept - 0.25 * total) <= 1, (net, name)


def test_a_plugin_allocation_rule_gets_exact_counts_its_check_and_the_comparisons(plugin_run):
    """examples/plugins/erdos_renyi.py: one function of the layers' shapes; the pipeline checks it,
    makes its counts exact, trains its unmodified mask and sets every method beside it."""
    from pai import allocation
    from pai.config.plugins import load

    densities = load("examples/plugins/erdos_renyi.py:densities", plugin_run)
    runs = pd.read_parquet(plugin_run / "results/tables/runs.parquet")
    mine = runs[runs["method"] == "erdos_renyi"]
    assert list(zip(mine["net"], mine["ablation"], strict=True)) == [
        ("convnet-shapes", "unmodified")
    ]
    assert mine["density"].round(4).eq(0.25).all() and mine["effective_density"].notna().all()
    saved = storage.load(
        plugin_run / "results/masks/net=convnet-shapes/method=erdos_renyi/sparsity=0.75/seed=0"
        "/mask.pt"
    )
    assert set(saved) == {"unmodified"}  # no ranking: no inversion
    counts = masks.layer_counts(saved["unmodified"])
    layers = allocation.layers_of({name: m.shape for name, m in saved["unmodified"].items()})
    total = sum(layer.size for layer in layers)
    expected = allocation.exact_counts(layers, densities(layers, 0.25), round(0.25 * total))
    assert [kept for kept, _ in counts.values()] == expected
    assert (plugin_run / "results/checks/net=convnet-shapes/method=erdos_renyi.json").is_file()
    effects = pd.read_parquet(plugin_run / "results/tables/allocation_effects.parquet")
    shapes = effects[effects["net"] == "convnet-shapes"]
    assert {"erdos_renyi"} <= set(shapes["allocation"]) and METHOD in set(shapes["method"])


def test_invert_keeps_the_other_end_of_the_plugins_ranking(plugin_run):
    for net in NETS:
        scores = storage.load(
            plugin_run / f"results/scores/net={net}/method={METHOD}/seed=0/scores.pt"
        )
        saved = storage.load(
            plugin_run / f"results/masks/net={net}/method={METHOD}/sparsity=0.75/seed=0/mask.pt"
        )
        for ranking, keep in (("unmodified", "highest"), ("invert", "lowest")):
            expected = masks.global_mask(scores, 0.75, keep=keep)
            assert all(torch.equal(saved[ranking][n], expected[n]) for n in expected), net
        names = list(scores)
        lowest = masks.flatten(scores, names)[masks.flatten(saved["invert"], names)].max()
        highest = masks.flatten(scores, names)[masks.flatten(saved["unmodified"], names)].min()
        assert lowest <= highest


def test_the_plugin_method_is_in_every_table(plugin_run):
    tables = plugin_run / "results/tables"
    for name in ("runs", "layers", "histories", "distances", "topology", "channels",
                 "similarity", "ablation_effects", "distance_tests"):  # fmt: skip
        frame = pd.read_parquet(tables / f"{name}.parquet")
        assert METHOD in set(frame["method"]), name
    assert METHOD in pd.read_csv(tables / "table1.csv")["method"].tolist()
    assert f"| convnet-shapes | {METHOD} |" in (tables / "table1.md").read_text()


def _texts(figure) -> str:
    return " ".join(t.get_text() for t in figure.findobj(matplotlib.text.Text))


def test_the_plugin_method_is_in_every_figure_with_its_own_colour(plugin_run):
    methods = ["random", "uniform_plus", "erk", "snip", "synflow", "magnitude_trained", "lottery",
               METHOD, "erdos_renyi"]  # fmt: skip
    # as the plot jobs style them: the grid's methods, the plugin allocation in its group
    plots.style({"context": "paper"}, methods, {"erdos_renyi": "allocation"})
    colours = {tuple(plots.PALETTE[m]) for m in methods}
    assert len(colours) == len(methods)
    sparsities = dict.fromkeys(NETS, 0.75)
    for name, figure in registry.FIGURES.items():
        table = pd.read_parquet(plugin_run / f"results/tables/{figure.table}.parquet")
        drawn = plots.draw(name, table, sparsities)
        drawn = drawn.figure if hasattr(drawn, "figure") else drawn
        assert METHOD in _texts(drawn), name
        assert (plugin_run / f"results/figures/{name}.png").stat().st_size > 1000


def test_the_plugin_net_and_dataset_train_and_are_measured(plugin_run):
    dense = json.loads(
        (plugin_run / "results/dense/net=convnet-shapes/seed=0/run.json").read_text()
    )
    assert dense["arch"] == "convnet" and dense["dataset"] == "shapes"
    assert dense["final_test_accuracy"] > 0.5  # four classes: chance is 0.25
    manifest = json.loads((plugin_run / "resources/data/shapes/manifest.json").read_text())
    assert manifest == {
        "classes": 4, "dataset": "shapes", "input_shape": [3, 16, 16], "test": 64, "train": 96,
    }  # fmt: skip
    topology = pd.read_parquet(plugin_run / "results/tables/topology.parquet")
    convnet = topology[topology["net"] == "convnet-shapes"]
    assert convnet["supported"].all() and convnet["paths_log10"].notna().all()


def test_editing_the_plugin_reruns_only_its_jobs(plugin_run, tmp_path):
    workdir = copy_workdir(plugin_run, tmp_path / "edited")
    assert planned_jobs(workdir, *PLUGINS) == {}
    plugin = workdir / "examples/plugins/layerwise_magnitude.py"
    plugin.write_text(plugin.read_text() + "\n# an edit\n")
    per_net = {"check_method": 3, "score_weights": 3, "make_mask": 3, "train_model": 3}
    analyses = {"analyse_weights": 3, "compute_similarity": 3}
    downstream = {
        "aggregate_results": 1, "compute_statistics": 1, "compare_with_paper": 1,
        "summarise_study": 1,
    }  # fmt: skip
    figures = {f"plot_{name}": 1 for name in registry.FIGURES}
    assert planned_jobs(workdir, *PLUGINS) == {
        **per_net, **analyses, **downstream, **figures, "all": 1,
    }  # fmt: skip


def test_a_folder_datasets_new_image_retrains_its_net_in_one_invocation(plugin_run, tmp_path):
    """A folder dataset's identity holds its files' names and sizes: a new image plans the
    rebuilt data and everything trained on it, in the same invocation."""
    workdir = copy_workdir(plugin_run, tmp_path / "more_images")
    train = workdir / "examples/data/shapes/train/disc"
    first = sorted(train.iterdir())[0]
    (train / f"copy_of_{first.name}").write_bytes(first.read_bytes())
    planned = planned_jobs(workdir, *PLUGINS)
    assert planned["download_data"] == 1 and planned["dataset_identity"] == 1
    # every convnet-shapes job that reads the data: its dense net, 3 methods' runs and the
    # allocation's, SNIP's scores
    assert planned["train_dense"] == 1 and planned["train_model"] == 3
    assert planned["train_allocation"] == 1
    assert planned["score_weights"] == 1


def test_one_run_without_snakemake_trains_the_pipelines_bits(plugin_run):
    """`python -m pai run` goes through the same library code: on the CPU its run ends on the
    pipeline's final accuracy for the same cell."""
    result = subprocess.run(
        [sys.executable, "-m", "pai", "run", "--configfile", "presets/smoke.yaml",
         "examples/plugins.yaml", "--net", "convnet-shapes", "--method", METHOD,
         "--sparsity", "0.75", "--ablation", "shuffle"],
        cwd=plugin_run, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    out = result.stdout
    assert "conv1.weight" in out and "density 0.2500" in out  # the mask's per-layer densities
    assert len([line for line in out.splitlines() if line.strip()[:2].strip().isdigit()]) >= 12
    record = json.loads(
        (
            plugin_run / f"results/runs/net=convnet-shapes/method={METHOD}/sparsity=0.75/seed=0"
            "/ablation=shuffle/run.json"
        ).read_text()
    )
    assert f"final test accuracy {record['final_test_accuracy']:.4f}" in out
