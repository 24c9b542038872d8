"""The environment is pinned in one place: requirements.lock. Every package pyproject.toml asks
for is locked, the conda environment of the rules and the install commands use the same versions,
and the packages the tests run on are those versions."""

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


def _declared() -> set[str]:
    """Every package pyproject.toml asks for (core, dev and workflow extras)."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in ("dev", "workflow"):
        requirements += project["optional-dependencies"][extra]
    names = {re.match(r"^\s*([A-Za-z0-9_.\-]+)", r).group(1) for r in requirements}
    return {name.lower().replace("_", "-") for name in names}


def test_every_declared_package_is_locked():
    missing = _declared() - set(_lock())
    assert not missing, f"pyproject.toml asks for {sorted(missing)}, requirements.lock lacks them"


def test_the_installed_packages_are_the_locked_versions():
    """What the tests run on is what the lock says (the README installs with it)."""
    from importlib import metadata

    pins, wrong = _lock(), {}
    for name in sorted(_declared()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this install left out
        # a local build tag (torch's +cpu or +cu132) is the wheel's, not the version
        if installed.split("+")[0] != pins[name].split("+")[0]:
            wrong[name] = (installed, pins[name])
    assert not wrong, f"installed vs locked: {wrong}"
