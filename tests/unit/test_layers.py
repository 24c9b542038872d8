"""The library's import graph, package by package: each package (and each top-level module)
imports only from packages of lower layers, the modules inside a package import each other
without cycles, and what planning imports stays free of torch (docs/design.md, "The library")."""

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pai"
# the layers of docs/design.md, lowest first: a package or top-level module may import from
# lower layers only (and from itself)
LAYERS = [
    # the allocation rules' arithmetic, which planning's checks (config) use
    ["allocation"],
    ["seeds", "storage", "config", "deprecation"],
    ["models", "data"],
    ["pruning"],
    ["training"],
    ["analysis"],
    ["reporting"],
    ["jobs"],
    ["cli"],
    # the extension contract and 0.1.0's module paths, kept for a release (pai.deprecation)
    ["plugin", "nets", "ablations"],
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def units() -> dict[str, list[Path]]:
    """Every package and top-level module of pai -> its files."""
    found = {}
    for path in sorted(SRC.iterdir()):
        if path.is_dir() and (path / "__init__.py").is_file():
            found[path.name] = sorted(path.glob("*.py"))
        elif path.suffix == ".py" and not path.stem.startswith("__"):
            found[path.stem] = [path]
    return found


def imported(path: Path) -> set[str]:
    """The pai modules (dotted below pai, e.g. 'pruning.masks') ``path`` imports, at its top or
    inside functions. The library imports absolutely (``from pai.x import y``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import; import from pai.<package>"
            if node.module == "pai":
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("pai."):
                dotted = node.module.removeprefix("pai.")
                if (SRC / dotted.replace(".", "/")).is_dir():  # from pai.pkg import module
                    found.update(f"{dotted}.{alias.name}" for alias in node.names)
                else:
                    found.add(dotted)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("pai.") for a in node.names if a.name.startswith("pai.")
            )
    return found


def _dotted(path: Path) -> str:
    relative = path.relative_to(SRC).with_suffix("")
    return ".".join(relative.parts)


def test_every_package_and_module_has_a_layer():
    assert set(units()) == set(RANK), "add the package to LAYERS here and to docs/design.md"


def test_no_package_imports_one_at_or_above_its_layer():
    offences = []
    for unit, files in units().items():
        for path in files:
            for other in imported(path):
                top = other.split(".")[0]
                if top != unit and RANK[top] >= RANK[unit]:
                    offences.append(f"{_dotted(path)} ({unit}, layer {RANK[unit]}) imports {other}")
    assert not offences, "\n".join(offences)


def test_the_modules_of_a_package_import_each_other_without_cycles():
    for unit, files in units().items():
        graph = {
            _dotted(path): {o for o in imported(path) if o.split(".")[0] == unit}
            for path in files
            if path.stem != "__init__"
        }
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as err:
            raise AssertionError(
                f"{unit}: modules import each other in a cycle {err.args[1]}"
            ) from None


def test_design_md_is_the_one_map_and_names_every_module():
    design = (SRC.parents[1] / "docs" / "design.md").read_text()
    for unit, files in units().items():
        assert f"`{unit}`" in design, unit
        for path in files:
            if path.stem != "__init__":
                assert f"`{path.stem}`" in design, _dotted(path)


def test_what_planning_imports_is_free_of_torch():
    code = (
        "import sys; import pai.config.registry, pai.config.grid, pai.config.study, "
        "pai.config.plugins, pai.reporting.paper, pai.jobs.failures, pai.cli; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
