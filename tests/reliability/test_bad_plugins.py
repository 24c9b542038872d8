"""Bad plugins: each stops with an error naming the plugin, its function and the problem, while
planning where that can be known (a missing file, a syntax error, a wrong signature, a name taken
by a built-in) and otherwise in the first job that meets it, before anything is trained (an
import that fails, scores missing, misshapen or not finite, a net with the wrong number of
outputs, a dataset whose labels do not match its images), which is the plugin's check job
(check_method, check_architecture, check_dataset). The finished smoke run's results stay
byte-for-byte as they were, and the run ends on the problem, with the failed job's log."""

from __future__ import annotations

import pytest
import yaml
from pipeline_helpers import copy_workdir, file_digests, snakemake

NOT_RESULTS = ("benchmarks/",)
HEADER = "import torch\nfrom pai.models.nets import prunable_names\n\n\n"
SCORE = "def score(net, data, seed):\n"
WEIGHTS = "    params = dict(net.named_parameters())\n    names = prunable_names(net)\n"


def overlay(tmp_path, source: str, kind: str = "method") -> str:
    """A config layered on the smoke preset that brings a plugin written to ``bad.py``."""
    (tmp_path / "bad.py").write_text(source)
    ref = f"{tmp_path / 'bad.py'}"
    config: dict = {"grid": {"methods": ["random", "bad"]}}
    if kind == "method":
        config["plugins"] = {"methods": {"bad": {"function": f"{ref}:score"}}}
    elif kind == "clash":
        config["plugins"] = {"methods": {"snip": {"function": f"{ref}:score"}}}
        config["grid"]["methods"] = ["random", "snip"]
    elif kind == "architecture":
        config = {
            "plugins": {"architectures": {"bad": {"builder": f"{ref}:build"}}},
            "nets": {"bad-digits": {"arch": "bad", "dataset": "digits"}},
            "grid": {"nets": ["bad-digits"], "methods": ["random"]},
        }
    elif kind == "dataset":
        loader = {"loader": f"{ref}:load", "shape": [1, 4, 4], "classes": 3}
        config = {
            "plugins": {"datasets": {"bad": loader}},
            "nets": {"lenet300-bad": {"arch": "lenet300", "dataset": "bad"}},
            "grid": {"nets": ["lenet300-bad"], "methods": ["random"]},
        }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


PLANNING = [
    ("missing", None, "method", ["plugins.methods.bad.function", "cannot be imported: no file"]),
    ("syntax", "def score(net, data, seed:\n", "method", ["syntax error in bad.py line 1"]),
    ("no function", "def scores(net, data, seed):\n    pass\n", "method",
     ["defines no function 'score'"]),
    ("signature", "def score(model, batch):\n    pass\n", "method",
     ["function score has the wrong signature: it takes no parameter 'net'"]),
    ("clash", SCORE + "    pass\n", "clash", ["plugins.methods.snip", "taken by a built-in"]),
    ("builder signature", "def build(shape):\n    pass\n", "architecture",
     ["plugins.architectures.bad.builder", "wrong signature", "'input_shape'"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "source", "kind", "named"), PLANNING, ids=[c[0] for c in PLANNING]
)
def test_bad_plugin_stops_planning(smoke_results, tmp_path, case, source, kind, named):
    workdir, before = smoke_results
    config = overlay(tmp_path, source or "", kind)
    if source is None:
        (tmp_path / "bad.py").unlink()
    result = snakemake(workdir, "-n", "--configfile", "presets/smoke.yaml", config, check=False)
    message = result.stdout + result.stderr
    assert result.returncode != 0, message[-2000:]
    for text in named:
        assert text in message, message[-2000:]
    assert "Building DAG of jobs" not in message  # stopped before planning
    assert file_digests(workdir / "results", skip=NOT_RESULTS) == before


IN_A_JOB = [
    ("import fails", "import not_a_package_anywhere\n\n" + SCORE + "    pass\n", "method",
     "check_method", "cannot be imported: ModuleNotFoundError"),
    ("scores missing", HEADER + SCORE + WEIGHTS
     + "    return {n: params[n].abs() for n in names[1:]}\n", "method", "check_method",
     "no scores for the prunable weights ['fc_layers.0.weight']"),
    ("wrong shape", HEADER + SCORE + WEIGHTS
     + "    return {n: params[n].abs().flatten() for n in names}\n", "method", "check_method",
     "the scores of fc_layers.0.weight have shape (19200,), the weight has (300, 64)"),
    ("not finite", HEADER + SCORE + WEIGHTS
     + "    return {n: params[n].abs() / 0 for n in names}\n", "method", "check_method",
     "are not finite (NaN or inf)"),
    ("wrong classes", "from torch import nn\n\n\ndef build(input_shape, num_classes):\n"
     "    return nn.Sequential(nn.Flatten(), nn.Linear(64, num_classes + 2))\n", "architecture",
     "check_architecture", "returns shape (2, 12), expected (2, 10) logits for 10 classes"),
    ("labels do not match", "import torch\n\n\ndef load():\n    x = torch.zeros(6, 1, 4, 4)\n"
     "    return x, torch.zeros(5).long(), x, torch.zeros(6).long()\n",
     "dataset", "check_dataset", "6 train images but labels of shape (5,)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "source", "kind", "rule", "problem"), IN_A_JOB, ids=[c[0] for c in IN_A_JOB]
)
def test_bad_plugin_stops_its_first_job_before_training(
    smoke_results, tmp_path, case, source, kind, rule, problem
):
    reference, before = smoke_results
    workdir = copy_workdir(reference, tmp_path / "run")
    config = overlay(tmp_path, source, kind)
    result = snakemake(workdir, "--configfile", "presets/smoke.yaml", config, check=False)
    message = result.stdout + result.stderr
    assert result.returncode != 0, message[-2000:]
    assert f"Error in rule {rule}" in message, message[-3000:]
    assert problem in message, message[-3000:]
    assert f"{tmp_path / 'bad.py'}" in message  # the plugin's reference is named
    # the run ends on the problem, once, with the failed job's log (pai.jobs.failures via onerror)
    ending = "\n".join(result.stderr.splitlines()[-12:])
    assert "job(s) failed" in ending and problem in ending, ending
    assert f"{rule} job(s); log: logs/{rule}/" in ending, ending
    after = file_digests(workdir / "results", skip=NOT_RESULTS)
    assert {path: after[path] for path in before} == before  # nothing finished was touched
    new = set(after) - set(before)
    assert not [path for path in new if path.endswith("trained.pt")], new  # nothing trained
