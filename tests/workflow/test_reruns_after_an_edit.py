"""One invocation brings a finished grid up to date after any edit of the config.

Snakemake skips the jobs after one that must run when the file between them is `ancient` (the
dataset's tensors are), without asking whether those jobs' own params changed; a dataset edit then
rebuilt the data in one invocation and retrained only in the next. Every job that reads the data
now also takes the dataset's identity file (rule dataset_identity).

The walk: every key of the smoke grid's config is edited in turn on the finished smoke run, and
Snakemake's own summary (``--summary``: each output's status and what this invocation would do
with it) must plan every output whose params, code or inputs changed. One case runs for real: a
dataset edit, one run, then a dry run that finds nothing to do.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from pipeline_helpers import copy_workdir, planned_jobs, snakemake

from pai.config.files import read_configs

SMOKE = ("--configfile", "presets/smoke.yaml")
# an edit of every config key that reaches a job (the smoke grid's nets only)
EDITS = {
    "data.root": "resources/elsewhere",
    "data.synthetic.shape": [3, 12, 12],
    "data.synthetic.classes": 5,
    "data.synthetic.n_train": 200,
    "data.synthetic.n_test": 100,
    "nets.lenet300-digits.arch": "resnet20",
    "nets.lenet300-digits.dataset": "mnist",
    "nets.lenet300-digits.epochs": 4,
    "nets.lenet300-digits.batch_size": 64,
    "nets.lenet300-digits.lr": 0.05,
    "nets.lenet300-digits.momentum": 0.9,
    "nets.lenet300-digits.weight_decay": 0.0001,
    "nets.lenet300-digits.milestones": [2],
    "nets.lenet300-digits.gamma": 0.5,
    "nets.resnet20-synthetic.arch": "vgg16",
    "nets.resnet20-synthetic.dataset": "digits",
    "nets.resnet20-synthetic.epochs": 3,
    "nets.resnet20-synthetic.batch_size": 32,
    "nets.resnet20-synthetic.milestones": [2],
    "nets.resnet20-synthetic.rewind_iteration": 2,
    "grid.nets": ["lenet300-digits"],
    "grid.methods": ["random", "snip", "grasp", "magnitude_trained", "lottery"],
    "grid.ablations": ["unmodified", "shuffle"],
    "grid.sparsities": [0.5, 0.75],
    "grid.seeds": [0, 1],
    "scoring.examples_per_class": 5,
    "scoring.batch_size": 64,
    "scoring.synflow_iterations": 5,
    "training.device": "cpu",
    "training.pack": True,
    "training.capture": True,
    "training.bf16": True,
    "training.channels_last": True,
    "analysis.table1_sparsity": 0.5,
    "analysis.similarity_examples": 320,
    "analysis.noninferiority_margin": 1.0,
    "plots.dpi": 90,
    "plots.context": "notebook",
}
# what an edit needs beside it to stay a valid config (CCA needs more test examples than VGG-16's
# 512 features)
ALSO = {"nets.resnet20-synthetic.arch": {"data": {"synthetic": {"n_test": 600}}}}
# keys that reach no output of the smoke grid, and why
REACH_NO_JOB = {
    "data.mirrors.mnist": "MNIST is not in the smoke grid (tests/workflow/test_pipeline.py "
    "fetches it through a mirror); a mirror says where from, not what: the files are md5-checked",
    "data.mirrors.cifar10": "as data.mirrors.mnist",
    "data.folders.imagenet": "ImageNet is not in the smoke grid; a folder's contents are part of "
    "its identity (tests/workflow/test_plugin_grid.py edits a folder dataset)",
    "data.folders.tinyimagenet": "as data.folders.imagenet",
    "data.image_sizes.imagenet": "as data.folders.imagenet",
    "data.image_sizes.tinyimagenet": "as data.folders.imagenet",
    "training.gpus": "a Slurm resource request, not a result",
    "scoring.grasp_temperature": "GraSP is not in the smoke grid's methods "
    "(tests/unit/test_scoring.py checks the temperature in GraSP's scores)",
    "scoring.progressive_steps": "FORCE and Iter-SNIP are not in the smoke grid's methods "
    "(tests/unit/test_progressive_methods.py runs their steps)",
    "scoring.progressive_loss": "as scoring.progressive_steps (both losses: "
    "tests/unit/test_progressive_methods.py)",
    "scoring.prospr_steps": "ProsPr is not in the smoke grid's methods "
    "(tests/unit/test_mask_gradients.py checks its steps against finite differences)",
    "scoring.prospr_lr": "as scoring.prospr_steps",
    "scoring.prospr_momentum": "as scoring.prospr_steps",
    "scoring.ntksap_iterations": "NTK-SAP is not in the smoke grid's methods "
    "(tests/unit/test_mask_gradients.py runs its rounds)",
    "scoring.ntksap_samples": "as scoring.ntksap_iterations",
    "scoring.ntksap_epsilon": "as scoring.ntksap_iterations",
    "plugins.methods": "tests/workflow/test_plugin_grid.py edits plugins",
    "plugins.architectures": "as plugins.methods",
    "plugins.datasets": "as plugins.methods",
}
# statuses of --summary that say an output is as it should be (or not needed)
CURRENT = ("ok", "missing")


def _leaves(config: dict, prefix: str = ""):
    for key, value in config.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _smoke_keys() -> set[str]:
    config = read_configs(
        [Path(__file__).parents[2] / f for f in ("config.yaml", "presets/smoke.yaml")]
    )
    # the nets outside the smoke grid reach none of its jobs
    config["nets"] = {net: config["nets"][net] for net in config["grid"]["nets"]}
    return set(_leaves(config))


def _override(path: Path, dotted: str, value) -> Path:
    nested: dict = copy.deepcopy(ALSO.get(dotted, {}))
    *parents, last = dotted.split(".")
    node = nested
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    path.write_text(yaml.safe_dump(nested))
    return path


def test_every_config_key_has_an_edit_or_a_reason_it_reaches_no_job():
    keys = _smoke_keys()
    assert keys == set(EDITS) | set(REACH_NO_JOB), (
        f"no case for {sorted(keys - set(EDITS) - set(REACH_NO_JOB))}; "
        f"cases for keys that are gone: {sorted((set(EDITS) | set(REACH_NO_JOB)) - keys)}"
    )


@pytest.fixture(scope="module")
def summaries(smoke_run, tmp_path_factory) -> dict[str, str]:
    """Snakemake's --summary of the smoke run under each edit, two at a time (each is one
    planning process, single-threaded; --nolock: they only read the finished run)."""
    folder = tmp_path_factory.mktemp("edits")

    def summary(key: str) -> str:
        edit = _override(folder / f"{key}.yaml", key, EDITS[key])
        return snakemake(smoke_run, *SMOKE, str(edit), "--summary", "--nolock").stdout

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(EDITS, pool.map(summary, EDITS), strict=True))


@pytest.mark.parametrize("key", sorted(EDITS))
def test_one_invocation_plans_everything_an_edit_changes(summaries, key):
    summary = summaries[key]
    rows = [line.split("\t") for line in summary.splitlines()[1:] if line.count("\t") >= 5]
    left_stale = [
        (row[0], row[4]) for row in rows if row[4] not in CURRENT and row[5] != "update pending"
    ]
    assert not left_stale, f"{key}: a second invocation would still rerun {left_stale[:5]}"
    assert any(row[5] == "update pending" for row in rows), f"{key} reached no job"


def test_a_dataset_edit_is_brought_up_to_date_in_one_run(smoke_run, tmp_path):
    workdir = copy_workdir(smoke_run, tmp_path / "run")
    edit = _override(workdir / "edit.yaml", "data.synthetic.n_test", 100)
    planned = planned_jobs(workdir, *SMOKE, "edit.yaml")
    assert planned["train_model"] == 5 and planned["download_data"] == 1  # resnet20-synthetic's
    snakemake(workdir, *SMOKE, edit.name)
    assert planned_jobs(workdir, *SMOKE, edit.name) == {}
