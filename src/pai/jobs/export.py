"""A method's finished cells as files a method defined by files reads (``python -m pai
export-masks``; docs/extending.md, "Bring your own masks"): masks travel both ways.

The layout written under the target folder, and the patterns the printed config gives:

- ``{net}/sparsity={sparsity}/seed={seed}/mask.pt``: the method's (unmodified) mask;
- ``{net}/seed={seed}/init.pt``: the weights its runs start from (the init; the trained dense
  net or the rewind point for MtM's benchmarks);
- ``{net}/seed={seed}/scores.pt`` (one-shot methods: their scores) or
  ``{net}/sparsity={sparsity}/seed={seed}/scores.pt`` (lottery: each round's ranking), which make
  ``invert`` possible; an iterative method's inversion reruns its schedule, so it has none.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pai import storage
from pai.config import layout, mask_files
from pai.config.study import Study
from pai.pruning.mask_files import export_cell

MASK = "{net}/sparsity={sparsity}/seed={seed}/mask.pt"
INIT = "{net}/seed={seed}/init.pt"
SCORES = {"one_shot": "{net}/seed={seed}/scores.pt",
          "lottery": "{net}/sparsity={sparsity}/seed={seed}/scores.pt"}  # fmt: skip


def export_method(study: Study, net: str, method: str, to: Path) -> str:
    """Write every cell of ``net`` and ``method`` under ``to``; the config block that reads them
    back (also saved as ``to/method.yaml``). A missing result is an error naming it, before
    anything is written."""
    if net not in study.grid_net_names:
        raise ValueError(f"no net {net!r} in the grid: {', '.join(study.grid_net_names)}")
    entry = study.net_entry(net)
    if method not in entry.methods:
        raise ValueError(f"{net} does not run {method!r}: {', '.join(entry.methods)}")
    found = study.methods[method]
    if found.schedule == "files":
        raise ValueError(f"{method} is defined by files already: {dict(found.files or {})}")
    cells = [(sparsity, seed) for sparsity in entry.sparsities for seed in entry.seeds]
    sources = {cell: _sources(found, net, method, *cell) for cell in cells}
    missing = sorted({p for paths in sources.values() for p in paths.values() if not p.is_file()})
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} results of {method} on {net} are missing (run the grid first): "
            + ", ".join(str(p) for p in missing[:5])
        )
    patterns = {"mask": MASK, "init": INIT}
    if found.schedule in SCORES:
        patterns["scores"] = SCORES[found.schedule]
    for (sparsity, seed), paths in sources.items():
        masks = storage.load(paths["mask"])
        scores = None
        if found.schedule == "one_shot":
            scores = storage.load(paths["scores"])
        elif found.schedule == "lottery":
            scores = masks["ranking"]
        targets = {
            kind: to / path
            for kind, path in mask_files.cell_paths(patterns, net, sparsity, seed).items()
        }
        export_cell(masks["unmodified"], storage.load(paths["init"]), scores, targets)
    files = {kind: (to / pattern).as_posix() for kind, pattern in patterns.items()}
    block = {
        "plugins": {
            "methods": {
                f"{method}_files": {
                    "files": files,
                    "keep": "highest" if found.schedule == "lottery" else found.keep,
                    "family": found.tested_as,
                    "summary": f"{method}'s masks, read from files ({to.as_posix()})",
                }
            }
        }
    }
    text = yaml.safe_dump(block, sort_keys=False)
    storage.write_text(text, to / "method.yaml")
    return text


def _sources(method, net: str, name: str, sparsity: str, seed: int) -> dict[str, Path]:
    """The finished files one cell's export reads."""
    values = {"net": net, "method": name, "sparsity": sparsity, "seed": seed}
    paths = {
        "mask": Path(layout.MASK.format(**values)),
        "init": Path(layout.START_WEIGHTS[method.start].format(**values)),
    }
    if method.schedule == "one_shot":
        paths["scores"] = Path(layout.SCORES.format(**values))
    return paths
