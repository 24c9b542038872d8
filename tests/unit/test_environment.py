"""The environment is pinned in one place: requirements.lock. The conda environment of the rules
and the install commands use the same versions."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_rules_conda_environment_uses_the_locked_versions():
    pins = _lock()
    found = re.findall(
        r"^\s+- ([A-Za-z0-9_.\-]+)==(\S+)$", (REPO / "envs/pai.yaml").read_text(), re.M
    )
    assert found
    for name, version in found:
        assert pins.get(name.lower()) == version, f"envs/pai.yaml pins {name}=={version}"


def test_the_lock_holds_what_the_project_needs():
    pins = _lock()
    for name in ("torch", "torchvision", "snakemake", "snakemake-executor-plugin-slurm",
                 "seaborn", "pytest", "ruff", "snakefmt", "jsonschema", "pyyaml"):  # fmt: skip
        assert name in pins, name
    assert pins["snakemake"].startswith("9.27.") and pins[
        "snakemake-executor-plugin-slurm"
    ].startswith("2.8.")


def test_ci_installs_with_the_lock_as_the_readme_says():
    ci = (REPO / ".ci/run").read_text()
    readme = (REPO / "README.md").read_text()
    assert '-e ".[dev,workflow]" -c requirements.lock' in ci
    assert '-e ".[dev,workflow]" -c requirements.lock' in readme
