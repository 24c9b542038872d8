"""Masks from any codebase (a method defined by files; pai.config.mask_files at planning,
pai.pruning.mask_files in the jobs): each refusal names the file and the problem, and a cell
written by the export reads back as the method's own masks."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pai import storage
from pai.config import mask_files as paths
from pai.config.files import ConfigError, merge, read_configs
from pai.config.study import Study
from pai.data import datasets, scoring_set
from pai.models import nets
from pai.pruning import mask_files, masks, prune

REPO = Path(__file__).resolve().parents[2]
FILES = {
    "mask": "gems/{net}/sparsity={sparsity}/seed={seed}/mask.pt",
    "init": "gems/{net}/seed={seed}/init.pt",
    "scores": "gems/{net}/seed={seed}/scores.pt",
}


def _config(files=FILES, ablations=None, **spec) -> dict:
    config = read_configs([REPO / "config.yaml", REPO / "presets/smoke.yaml"])
    override = {
        "plugins": {"methods": {"gems": {"files": dict(files), **spec}}},
        "nets": {"lenet300-digits": {"methods": ["random", "gems"]}},
        "grid": {"nets": ["lenet300-digits"]},
    }
    if ablations is not None:
        override["grid"]["ablations"] = ablations
    return merge(config, override)


def _problems(config, base) -> str:
    with pytest.raises(ConfigError) as caught:
        Study(config, base=base)
    return str(caught.value)


@pytest.fixture(scope="module")
def snip_cell():
    """SNIP's cell on LeNet-300-100 (digits) at 0.75, seed 0, as the pipeline makes it."""
    d = datasets.load_digits()
    model = nets.build_net("lenet300", d.input_shape, d.num_classes, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    data = scoring_set.scoring_subset(d, 10, seed=0)
    scores = prune.scores(prune.method_settings("snip"), model, seed=0, data=data)
    cell = prune.cell_masks(prune.method_settings("snip"), model, 0.75, seed=0, precomputed=scores)
    return model, init, scores, cell


def _write(base: Path, snip_cell, mask=None, init=None, scores=None) -> dict:
    """One cell's files under ``base`` (SNIP's unless replaced); its settings as a job's."""
    _, own_init, own_scores, cell = snip_cell
    where = paths.cell_paths(FILES, "lenet300-digits", "0.75", 0)
    targets = {kind: base / path for kind, path in where.items()}
    for target in targets.values():
        target.parent.mkdir(parents=True, exist_ok=True)
    storage.save(cell["unmodified"] if mask is None else mask, targets["mask"])
    storage.save(own_init if init is None else init, targets["init"])
    storage.save(own_scores if scores is None else scores, targets["scores"])
    found = Study(_config(), base=base)
    settings = found.method_settings("gems", net="lenet300-digits", cells=[("0.75", "0")])
    for cell_files in settings["files"]:
        for kind in paths.KINDS:
            cell_files[kind]["path"] = str(base / cell_files[kind]["path"])
    return settings


def test_a_cell_written_from_snip_reads_back_as_snips_masks(tmp_path, snip_cell):
    model, init, _, cell = snip_cell
    settings = _write(tmp_path, snip_cell)
    (files,) = settings["files"]
    assert {k: files[k]["sha256"] for k in paths.KINDS} == {
        k: paths.digest(files[k]["path"]) for k in paths.KINDS
    }
    read = mask_files.cell_masks(settings, files, model, 0.75, ["unmodified", "invert"])
    for ranking in ("unmodified", "invert"):
        assert all(torch.equal(read[ranking][n], cell[ranking][n]) for n in cell[ranking])
    loaded = mask_files.load_init(files["init"]["path"], copy.deepcopy(model))
    assert all(torch.equal(loaded[k], init[k]) for k in init)


def test_planning_refuses_missing_files_naming_them(tmp_path, snip_cell):
    _write(tmp_path, snip_cell)
    (tmp_path / "gems/lenet300-digits/seed=0/init.pt").unlink()
    text = _problems(_config(), tmp_path)
    assert "config key plugins.methods.gems.files: nets.lenet300-digits runs gems" in text
    assert "1 of its files are missing" in text and "gems/lenet300-digits/seed=0/init.pt" in text


def test_planning_refuses_what_a_file_method_cannot_be(tmp_path, snip_cell):
    _write(tmp_path, snip_cell)
    no_scores = {k: v for k, v in FILES.items() if k != "scores"}
    text = _problems(_config(no_scores), tmp_path)
    assert "grid.ablations has invert, which needs the method's scores" in text
    # without invert in the grid it plans
    Study(_config(no_scores, ablations=["unmodified", "shuffle", "reinit"]), base=tmp_path)
    text = _problems(_config({**FILES, "mask": "gems/{net}/{density}/mask.pt"}), tmp_path)
    assert "unknown placeholder {density}" in text
    text = _problems(_config(data=True, rounds=3), tmp_path)
    assert "plugins.methods.gems.data: a method defined by files takes no data" in text
    assert "plugins.methods.gems.rounds" in text
    text = _problems(_config(function="x.py:score"), tmp_path)
    assert "give either function (a score function) or files" in text


def _refusal(tmp_path, snip_cell, **files) -> str:
    model = snip_cell[0]
    settings = _write(tmp_path, snip_cell, **files)
    with pytest.raises(mask_files.FileMethodError) as caught:
        mask_files.check_files(settings, copy.deepcopy(model), ["unmodified", "invert"])
    return str(caught.value)


def test_each_bad_file_is_refused_naming_it_and_the_problem(tmp_path, snip_cell):
    _, init, scores, cell = snip_cell
    mask = cell["unmodified"]
    where = tmp_path / "gems/lenet300-digits"
    cases = {
        "not a prunable weight": {"mask": {**mask, "fc_layers.0.bias": mask["fc.weight"]}},
        "no entry for the prunable weights fc.weight": {
            "mask": {k: v for k, v in mask.items() if k != "fc.weight"}
        },
        "has shape (10, 50)": {"mask": {**mask, "fc.weight": torch.ones(10, 50, dtype=torch.bool)}},
        "holds torch.float32 values; a mask is bool": {
            "mask": {k: v.float() for k, v in mask.items()}
        },
        "keeps 13052 of 50200 weights (density 0.260000); sparsity 0.75 keeps 12550": {
            "mask": masks.global_mask(scores, 0.74)
        },
        "the net does not load it strictly": {
            "init": {k: v for k, v in init.items() if "fc." not in k}
        },
        "not finite (NaN or inf) in": {
            "init": {**init, "fc.bias": torch.full((10,), float("nan"))}
        },
        "scores of fc.weight are not finite": {
            "scores": {**scores, "fc.weight": torch.full((10, 100), float("nan"))}
        },
        "holds a list": {"mask": list(mask.values())},
    }
    for said, bad in cases.items():
        text = _refusal(tmp_path, snip_cell, **bad)
        assert said in text, (said, text)
        assert str(where) in text, text  # the file is named


def test_a_file_torch_cannot_load_safely_is_named(tmp_path, snip_cell):
    settings = _write(tmp_path, snip_cell)
    (files,) = settings["files"]
    Path(files["mask"]["path"]).write_bytes(b"not a tensor file")
    with pytest.raises(mask_files.FileMethodError, match="not a file torch loads safely"):
        mask_files.load_mask(files["mask"]["path"], {}, snip_cell[0], 0.75)


def test_names_map_another_codebases_weight_names_to_ours(tmp_path, snip_cell):
    model, _, _, cell = snip_cell
    theirs = {"layer1": "fc_layers.0.weight", "layer2": "fc_layers.1.weight", "out": "fc.weight"}
    mask = {their: cell["unmodified"][ours] for their, ours in theirs.items()}
    target = tmp_path / "their_mask.pt"
    storage.save(mask, target)
    read = mask_files.load_mask(target, theirs, model, 0.75)
    assert all(torch.equal(read[n], cell["unmodified"][n]) for n in read)
    with pytest.raises(mask_files.FileMethodError, match="map the file's names to these"):
        mask_files.load_mask(target, {}, model, 0.75)


def test_the_example_writes_files_that_read_back_as_magnitude_pruning(tmp_path):
    # examples/mask_files/write_masks.py, as its docstring runs it, into a scratch folder
    subprocess.run([sys.executable, str(REPO / "examples/mask_files/write_masks.py"),
                    str(tmp_path / "mask_files_out")], check=True, timeout=120)  # fmt: skip
    config = read_configs([REPO / "config.yaml", REPO / "presets/smoke.yaml",
                           REPO / "examples/mask_files.yaml"])  # fmt: skip
    found = Study(config, base=tmp_path)  # plans: every file is there
    settings = found.method_settings(
        "magnitude_files", net="lenet300-digits", cells=[("0.75", "0")]
    )
    for cell in settings["files"]:
        for kind in paths.KINDS:
            cell[kind]["path"] = str(tmp_path / cell[kind]["path"])
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    mask_files.check_files(settings, copy.deepcopy(model), ["unmodified", "invert"])
    read = mask_files.cell_masks(settings, settings["files"][0], model, 0.75,
                                 ["unmodified", "invert"])  # fmt: skip
    own = prune.cell_masks(prune.method_settings("magnitude"), model, 0.75, seed=0)
    for ranking in ("unmodified", "invert"):
        assert all(torch.equal(read[ranking][n], own[ranking][n]) for n in own[ranking])


def test_one_run_of_a_file_method_from_the_command_line(tmp_path):
    # `python -m pai run` reads the cell's files as the pipeline does: the example's magnitude
    # masks, inverted from their scores, keep exactly magnitude's count
    for name in ("config.yaml", "presets/smoke.yaml", "examples/mask_files.yaml"):
        (tmp_path / Path(name).name).write_text((REPO / name).read_text())
    subprocess.run([sys.executable, str(REPO / "examples/mask_files/write_masks.py"),
                    "mask_files_out"], cwd=tmp_path, check=True, timeout=120)  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "pai", "run", "--configfile", "smoke.yaml", "mask_files.yaml",
         "--net", "lenet300-digits", "--method", "magnitude_files", "--sparsity", "0.75",
         "--ablation", "invert", "--epochs", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "magnitude_files at sparsity 0.75, ablation invert, seed 0:" in result.stdout
    assert "density 0.2500" in result.stdout and "final test accuracy" in result.stdout
