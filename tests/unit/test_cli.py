"""`python -m pai`: the registry's names, and one run through the pipeline's library code."""

import subprocess
import sys
from pathlib import Path

from pai.config import registry

REPO = Path(__file__).resolve().parents[2]


def pai(*args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "pai", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_names_lists_the_registry():
    out = pai("names").stdout
    for table in (registry.METHODS, registry.ABLATIONS, registry.ARCHITECTURES, registry.DATASETS,
                  registry.FIGURES):  # fmt: skip
        for name in table:
            assert f"  {name} " in out, name


def test_one_run_prints_densities_and_each_epoch():
    out = pai(
        "run", "--configfile", "presets/smoke.yaml", "--net", "lenet300-digits", "--method",
        "snip", "--sparsity", "0.9", "--ablation", "invert", "--epochs", "2",
    ).stdout  # fmt: skip
    assert "snip at sparsity 0.9, ablation invert, seed 0:" in out
    assert "fc_layers.0.weight" in out and "all prunable weights" in out and "density 0.1000" in out
    epochs = [line.split()[0] for line in out.splitlines() if line[:5].strip().isdigit()]
    assert epochs == ["1", "2"]
    assert "final test accuracy" in out


def test_a_bad_config_is_refused_as_the_pipeline_refuses_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid: {methods: [snap]}\n")
    result = pai("run", "--configfile", str(bad), "--net", "lenet300-digits", "--method", "snip",
                 check=False)  # fmt: skip
    assert result.returncode == 2
    assert "config key grid.methods[0]: unknown method 'snap'" in result.stderr
    result = pai("run", "--net", "nonet", "--method", "snip", check=False)
    assert result.returncode == 1 and "no net 'nonet' in the nets catalogue" in result.stderr


def test_outside_the_pipeline_folder_it_says_no_config_yaml_was_found(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pai", "run", "--configfile", str(REPO / "presets/smoke.yaml"),
         "--net", "lenet300-digits", "--method", "snip"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"no config.yaml in {tmp_path}" in result.stderr
    assert "Run it from the pipeline's folder" in result.stderr
    assert "required property" not in result.stderr
