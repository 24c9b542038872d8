"""The library's import graph: each module imports only modules of lower layers (no cycles, no
reaching up), and what planning imports stays free of torch (docs/design.md, "The library")."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pai"
# the layers of docs/design.md, lowest first; a module may import from lower layers only
LAYERS = [
    ["seeds", "storage", "registry", "grid", "optim", "paper", "plugins", "pipeline", "capture",
     "packing", "failures"],
    ["study", "data", "tables", "plots", "distances", "topology", "stats"],
    ["nets", "summary"],
    ["masks"],
    ["scoring", "ablations", "lottery", "training"],
    ["pruning", "similarity", "cell_training"],
    ["runs", "cli"],
]  # fmt: skip
RANK = {module: rank for rank, modules in enumerate(LAYERS) for module in modules}


def imported(path: Path) -> set[str]:
    """The pai modules ``path`` imports, at its top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pai."):
            found.add(node.module.split(".")[1])
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in SRC.glob("*.py") if not p.stem.startswith("__")}
    assert modules == set(RANK), "add the module to LAYERS here and to docs/design.md"


def test_no_module_imports_one_at_or_above_its_layer():
    offences = []
    for module, rank in RANK.items():
        for other in imported(SRC / f"{module}.py"):
            if RANK[other] >= rank:
                offences.append(f"{module} (layer {rank}) imports {other} (layer {RANK[other]})")
    assert not offences, "\n".join(offences)


def test_what_planning_imports_is_free_of_torch():
    code = (
        "import sys; import pai.registry, pai.grid, pai.study, pai.plugins, pai.cli; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
