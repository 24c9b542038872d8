"""An edit that breaks a plugin of a finished grid costs no finished result.

Snakemake deletes a job's old outputs just before it runs the job. Each plugin is therefore run
first in a check job of its own (rules check_method, check_architecture, check_dataset): when
an edit breaks it, the check fails and no job that would replace a finished file starts. The
three ways of breaking a plugin that used to remove files (an iterative method whose scores turn
NaN: its masks and start states; a builder with the wrong number of logits: the net's init; a
loader whose labels are one short: the dataset's tensors) leave every finished file byte for
byte as it was, and the run ends on the plugin at fault.
"""

from __future__ import annotations

import pytest
import yaml
from pipeline_helpers import copy_workdir, file_digests, make_workdir, snakemake

NET = "mlp-blobs"
METHOD = (
    "from pai.models.nets import prunable_names\n\n\n"
    "def score(net, data, seed):\n"
    "    params = dict(net.named_parameters())\n"
    "    return {name: params[name].detach().abs() SCALE for name in prunable_names(net)}\n"
)
BUILDER = (
    "import math\n\nfrom torch import nn\n\n\n"
    "def build(input_shape, num_classes):\n"
    "    inputs = math.prod(input_shape)\n"
    "    return nn.Sequential(nn.Flatten(), nn.Linear(inputs, 32), nn.ReLU(),\n"
    "                         nn.Linear(32, num_classes EXTRA))\n"
)
LOADER = (
    "import torch\n\n\n"
    "def load():\n"
    "    generator = torch.Generator().manual_seed(0)\n"
    "    images = torch.randn(96, 1, 4, 4, generator=generator)\n"
    "    labels = torch.arange(96) % 3\n"
    "    images += labels.view(-1, 1, 1, 1).float()\n"
    "    return images[:48], labels[:48 SHORT], images[48:], labels[48:]\n"
)
CONFIG = {
    "plugins": {
        "methods": {"rounds3": {"function": "mine/method.py:score", "schedule": "iterative",
                                "rounds": 3}},
        "architectures": {"mlp": {"builder": "mine/mlp.py:build"}},
        "datasets": {"blobs": {"loader": "mine/blobs.py:load", "shape": [1, 4, 4],
                               "classes": 3}},
    },
    "nets": {NET: {"arch": "mlp", "dataset": "blobs", "epochs": 1, "batch_size": 16}},
    "grid": {"nets": [NET], "methods": ["random", "rounds3"],
             "ablations": ["unmodified", "shuffle"], "sparsities": [0.5], "seeds": [0]},
    "analysis": {"table1_sparsity": 0.5},
}  # fmt: skip
# the files the three breaks concern and the runs trained from them: the grid is run only as far
# as these (targets first: --configfile takes every name after it)
CELL = f"results/runs/net={NET}/method=rounds3/sparsity=0.5/seed=0"
TARGETS = tuple(f"{CELL}/ablation={ablation}/trained.pt" for ablation in ("unmodified", "shuffle"))
ARGS = (*TARGETS, "--configfile", "presets/smoke.yaml", "mine.yaml")
GOOD = {"SCALE": "", "EXTRA": "", "SHORT": ""}
# (case, file, the edit, the check that stops it, the finished files the old behaviour removed)
BREAKS = [
    ("NaN scores of an iterative method", "method.py", ("SCALE", "* float('nan')"),
     "check_method", [f"results/masks/net={NET}/method=rounds3/sparsity=0.5/seed=0/mask.pt"]),
    ("a builder with the wrong logits", "mlp.py", ("EXTRA", "+ 1"), "check_architecture",
     [f"results/init/net={NET}/seed=0/weights.pt"]),
    ("a loader whose labels are one short", "blobs.py", ("SHORT", "- 1"), "check_dataset",
     ["resources/data/blobs/tensors.pt", "resources/data/blobs/manifest.json"]),
]  # fmt: skip


def _write_plugins(workdir, broken: tuple[str, str] | None = None, file: str = "") -> None:
    (workdir / "mine").mkdir(exist_ok=True)
    for name, source in (("method.py", METHOD), ("mlp.py", BUILDER), ("blobs.py", LOADER)):
        for marker, good in GOOD.items():
            bad = broken is not None and name == file and broken[0] == marker
            source = source.replace(f" {marker}", f" {broken[1]}" if bad else good)
        (workdir / "mine" / name).write_text(source)


def _finished_files(workdir) -> dict[str, str]:
    """Every result and data file; not the timings, and not the checks' own markers (a failing
    check's marker is the one file Snakemake removes: it is remade by the next passing check)."""
    skip = ("benchmarks/", "checks/")
    return {
        **{f"results/{k}": v for k, v in file_digests(workdir / "results", skip).items()},
        **{f"resources/{k}": v for k, v in file_digests(workdir / "resources").items()},
    }


@pytest.fixture(scope="module")
def plugin_grid(tmp_path_factory):
    """The user's own method, net and loader dataset, run as far as the trained runs of one
    cell: the mask, init and tensors the breaks concern, and results that depend on them."""
    workdir = make_workdir(tmp_path_factory.mktemp("own_plugins") / "run")
    _write_plugins(workdir)
    (workdir / "mine.yaml").write_text(yaml.safe_dump(CONFIG))
    snakemake(workdir, *ARGS)
    return workdir, _finished_files(workdir)


@pytest.mark.parametrize(("case", "file", "edit", "check", "removed_before"), BREAKS,
                         ids=[b[0] for b in BREAKS])  # fmt: skip
def test_a_broken_plugin_fails_its_check_before_any_finished_file_is_removed(
    plugin_grid, tmp_path, case, file, edit, check, removed_before
):
    finished, before = plugin_grid
    workdir = copy_workdir(finished, tmp_path / "run")
    _write_plugins(workdir, edit, file)
    result = snakemake(workdir, *ARGS, check=False)
    message = result.stdout + result.stderr
    assert result.returncode != 0, message[-2000:]
    assert f"Error in rule {check}" in message, message[-3000:]
    ending = "\n".join(result.stderr.splitlines()[-12:])
    assert f"{check} job(s); log: logs/{check}/" in ending and f"mine/{file}" in ending, ending
    after = _finished_files(workdir)
    for path in removed_before:
        assert path in after, f"{case}: {path} was removed"
    changed = [path for path in before if after.get(path) != before[path]]
    assert not changed, f"{case}: finished files changed or removed: {changed[:5]}"
