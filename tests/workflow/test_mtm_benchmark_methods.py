"""MtM's benchmarks in the real pipeline (presets/smoke.yaml): lottery rounds, rewinding,
magnitude pruning after training, and the larger nets' preset."""

import json

import pandas as pd
import torch
import yaml
from pipeline_helpers import copy_workdir, make_workdir, planned_jobs, snakemake

from pai import storage
from pai.pruning import masks

ROUNDS = ["0.2", "0.36", "0.488", "0.5904", "0.6723", "0.7379"]  # 1 - 0.8^r, r = 1..6
NETS = ("lenet300-digits", "resnet20-synthetic")


def _cell(workdir, net, method, sparsity):
    return workdir / f"results/runs/net={net}/method={method}/sparsity={sparsity}/seed=0"


def test_lottery_rounds_are_nested_with_exact_counts(smoke_run):
    for net in NETS:
        previous = None
        for sparsity in [*ROUNDS, "0.75"]:  # 0.75 cuts round 7 short
            path = smoke_run / f"results/masks/net={net}/method=lottery/sparsity={sparsity}"
            saved = storage.load(path / "seed=0/mask.pt")
            mask = saved["unmodified"]
            total = sum(m.numel() for m in mask.values())
            kept = sum(int(m.sum()) for m in mask.values())
            assert kept == masks.keep_count(total, float(sparsity)), (net, sparsity)
            assert set(saved) == {"unmodified", "invert", "ranking"}
            if previous is not None:
                for name, m in mask.items():
                    assert not (m & ~previous[name]).any(), f"{net} {sparsity} revives {name}"
            previous = mask


def test_lottery_and_magnitude_trained_start_where_they_should(smoke_run):
    for net, rewind_iteration in (("lenet300-digits", 0), ("resnet20-synthetic", 3)):
        dense = smoke_run / f"results/dense/net={net}/seed=0"
        rewind = storage.load(dense / "rewind.pt")
        init = storage.load(smoke_run / f"results/init/net={net}/seed=0/weights.pt")
        same_as_init = all(torch.equal(rewind[n], t) for n, t in init.items())
        assert same_as_init == (rewind_iteration == 0), net
        for method, source in (
            ("lottery", rewind),
            ("magnitude_trained", storage.load(dense / "trained.pt")),
        ):
            base = _cell(smoke_run, net, method, "0.75")
            start = storage.load(base / "ablation=unmodified/start.pt")
            for name, tensor in source.items():
                expected = tensor * start["mask"][name] if name in start["mask"] else tensor
                assert torch.equal(start["weights"][name], expected), (net, method, name)
            record = json.loads((base / "ablation=unmodified/run.json").read_text())
            assert record["start_iteration"] == (rewind_iteration if method == "lottery" else 0)
        dense_record = json.loads((dense / "run.json").read_text())
        assert dense_record["rewind_iteration"] == rewind_iteration


def test_a_lottery_round_trains_the_same_bits_as_its_cell(smoke_run, tmp_path):
    # round 2's own training and the lottery cell at 0.36 start from the same state, so the
    # cell's unmodified run must end on the same bits (CPU); its ablations come along
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    net = "resnet20-synthetic"
    cell = _cell(workdir, net, "lottery", "0.36") / "ablation=unmodified/trained.pt"
    snakemake(workdir, str(cell.relative_to(workdir)), "--configfile", "presets/smoke.yaml")
    round_two = storage.load(workdir / f"results/lottery/net={net}/seed=0/round=2/trained.pt")
    trained = storage.load(cell)
    assert all(torch.equal(trained[n], t) for n, t in round_two.items())
    history = pd.read_parquet(cell.with_name("history.parquet"))
    assert list(history["epoch"]) == [1, 2]  # rewound to iteration 3 of epoch 1


def test_benchmarks_show_the_mtm_contrast_in_the_tables(smoke_run):
    effects = pd.read_parquet(smoke_run / "results/tables/ablation_effects.parquet")
    lenet = effects[(effects["net"] == "lenet300-digits")].set_index(["method", "ablation"])
    # after training, the mask's weights matter: shuffling or reinitialising them costs accuracy
    for method in ("magnitude_trained", "lottery"):
        assert lenet.loc[(method, "shuffle"), "difference"] < -0.05
        assert lenet.loc[(method, "reinit"), "difference"] < -0.05
    assert set(effects["regime"]) <= {"matching", "extreme"}


def _tiny_tree(root, classes, size):
    from PIL import Image

    for index in range(classes):
        for split in ("train", "val"):
            folder = root / split / f"c{index:04d}"
            folder.mkdir(parents=True)
            pixels = torch.full((size, size, 3), index % 256, dtype=torch.uint8)
            Image.fromarray(pixels.numpy()).save(folder / "x.png")


def test_large_nets_preset_plans_and_reads_its_folders(tmp_path):
    workdir = make_workdir(tmp_path)
    _tiny_tree(workdir / "tiny", 200, 64)
    _tiny_tree(workdir / "imagenet", 1000, 16)
    override = workdir / "folders.yaml"
    override.write_text(
        yaml.safe_dump(
            {
                "data": {
                    "root": "resources/data",
                    "mirrors": {"mnist": None, "cifar10": None},
                    "folders": {"tinyimagenet": "tiny", "imagenet": "imagenet"},
                    "image_sizes": {"tinyimagenet": 64, "imagenet": 16},
                }
            }
        )
    )
    args = ("--configfile", "presets/mtm_large.yaml", str(override))
    plan = planned_jobs(workdir, *args)
    # 2 nets x 7 methods x 5 sparsities x 2 seeds cells; 0.9313 is round 12 of IMP, cut from
    # round 11's training, so rounds 1-11 train per net and seed
    assert plan["train_model"] == 2 * 7 * 5 * 2
    assert plan["train_dense"] == 4 and plan["train_lottery_round"] == 2 * 2 * 11
    snakemake(
        workdir,
        "resources/data/tinyimagenet/manifest.json",
        "resources/data/imagenet/manifest.json",
        *args,
    )
    for name, classes, size in (("tinyimagenet", 200, 64), ("imagenet", 1000, 16)):
        manifest = json.loads((workdir / f"resources/data/{name}/manifest.json").read_text())
        assert manifest["classes"] == classes and manifest["input_shape"] == [3, size, size]
        assert manifest["train"] == classes and manifest["test"] == classes
