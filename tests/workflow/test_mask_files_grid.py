"""Masks travel both ways through the real pipeline: SNIP's finished cells in the smoke grid,
written by ``python -m pai export-masks`` and brought back as a method defined by files, give
SNIP's masks, start states and trained weights bit for bit; replacing one file reruns exactly
what reads it, and a bad file is refused by the check before any finished file is touched."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import yaml
from pipeline_helpers import (
    copy_workdir,
    file_digests,
    planned_jobs,
    run_with,
    smoke_methods,
    snakemake,
)

from pai import storage
from pai.config import registry

NET = "lenet300-digits"
CELL = "sparsity=0.75/seed=0"


def _pai(workdir, *args):
    return subprocess.run([sys.executable, "-m", "pai", *args], cwd=workdir, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def brought_back(smoke_run, tmp_path_factory):
    """A copy of the finished smoke grid with SNIP's exported masks run as ``snip_files`` on
    LeNet-300-100."""
    workdir = copy_workdir(smoke_run, tmp_path_factory.mktemp("mask_files") / "w")
    exported = _pai(workdir, "export-masks", "--configfile", "presets/smoke.yaml", "--net", NET,
                    "--method", "snip", "--to", "exported")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    block = yaml.safe_load(exported.stdout)
    assert block == yaml.safe_load((workdir / "exported/method.yaml").read_text())
    block["nets"] = {NET: {"methods": [*smoke_methods(workdir), "snip_files"]}}
    planned, config = run_with(workdir, "files.yaml", block)
    return workdir, planned, config


def test_the_export_writes_the_format_and_the_config_that_reads_it(brought_back):
    workdir, _, _ = brought_back
    spec = yaml.safe_load((workdir / "exported/method.yaml").read_text())
    files = spec["plugins"]["methods"]["snip_files"]["files"]
    assert files == {"mask": "exported/{net}/sparsity={sparsity}/seed={seed}/mask.pt",
                     "init": "exported/{net}/seed={seed}/init.pt",
                     "scores": "exported/{net}/seed={seed}/scores.pt"}  # fmt: skip
    mask = torch.load(workdir / f"exported/{NET}/{CELL}/mask.pt", weights_only=True)
    assert all(m.dtype == torch.bool for m in mask.values())


def test_only_the_file_methods_jobs_and_what_gathers_them_run(brought_back):
    _, planned, _ = brought_back
    assert planned["check_method"] == 1
    assert planned["make_mask"] == 1
    assert planned["train_model"] == 1  # one cell: its four ablations trained as one job
    for finished in ("init_weights", "score_weights", "train_dense", "download_data"):
        assert finished not in planned, finished


def test_the_files_give_snips_masks_start_states_and_trained_weights(brought_back):
    workdir, _, _ = brought_back
    ours = f"net={NET}/method=snip_files/{CELL}"
    snips = f"net={NET}/method=snip/{CELL}"
    for path in ("results/masks/{}/mask.pt",):
        a, b = (storage.load(workdir / path.format(cell)) for cell in (ours, snips))
        for ranking in ("unmodified", "invert"):
            assert all(torch.equal(a[ranking][n], b[ranking][n]) for n in b[ranking]), ranking
    for ablation in registry.ABLATIONS:
        for kind in ("start.pt", "trained.pt"):
            a, b = (
                storage.load(workdir / f"results/runs/{cell}/ablation={ablation}/{kind}")
                for cell in (ours, snips)
            )
            flat_a, flat_b = (
                {f"{outer}.{k}": v for outer, inner in x.items() for k, v in inner.items()}
                if isinstance(next(iter(x.values())), dict)
                else x
                for x in (a, b)
            )
            assert flat_a.keys() == flat_b.keys(), (ablation, kind)
            assert all(torch.equal(flat_a[k], flat_b[k]) for k in flat_b), (ablation, kind)


def test_a_replaced_file_reruns_what_reads_it_and_a_bad_one_loses_nothing(brought_back):
    workdir, _, config = brought_back
    assert planned_jobs(workdir, *config) == {}
    mask_path = workdir / f"exported/{NET}/{CELL}/mask.pt"
    good = mask_path.read_bytes()
    # a valid replacement (SNIP's inverted mask is another mask of the same density)
    cell = storage.load(workdir / f"results/masks/net={NET}/method=snip/{CELL}/mask.pt")
    storage.save(cell["invert"], mask_path)
    planned = planned_jobs(workdir, *config)
    assert planned["check_method"] == 1 and planned["make_mask"] == 1
    assert planned["train_model"] == 1
    # a bad one: the check refuses it, naming the file, and nothing finished is touched
    storage.save({n: m.float() for n, m in cell["invert"].items()}, mask_path)
    before = file_digests(workdir / "results", skip=("checks",))
    failed = snakemake(workdir, *config, check=False)
    assert failed.returncode != 0
    log = (workdir / f"logs/check_method/net={NET}/method=snip_files.log").read_text()
    assert f"{mask_path.relative_to(workdir)}: the mask of fc_layers.0.weight holds " in log
    assert "a mask is bool" in log
    assert file_digests(workdir / "results", skip=("checks",)) == before
    mask_path.write_bytes(good)
