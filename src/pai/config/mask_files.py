"""Methods defined by files (docs/extending.md, "Bring your own masks"): the paths of a cell's
files from the config's patterns, and their digests. Torch-free: planning reads only names and
bytes; :mod:`pai.pruning.mask_files` loads and checks the tensors in the jobs.

A file method's ``files`` names, as patterns with ``{net}``, ``{sparsity}`` (the grid's label,
e.g. ``0.75``) and ``{seed}``: ``mask`` (per net, sparsity and seed: weight name -> bool tensor),
``init`` (the state dict the mask was found for, loaded strictly into the net) and, optionally,
``scores`` (weight name -> scores, highest kept; they make ``invert`` possible), with ``names``
mapping the files' weight names to ours where they differ.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDERS = ("net", "sparsity", "seed")
KINDS = ("mask", "init", "scores")  # the file kinds a method's ``files`` may name


def placeholders(pattern: str) -> set[str]:
    """The fields a pattern names (``{net}`` -> ``net``)."""
    return {field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None}


def cell_paths(files: Mapping[str, str], net: str, sparsity: str, seed: int | str) -> dict:
    """The kind -> path of one cell's files (the kinds the method names)."""
    values = {"net": net, "sparsity": sparsity, "seed": seed}
    return {kind: files[kind].format(**values) for kind in KINDS if kind in files}


_DIGESTS: dict[tuple[str, int, int], str] = {}


def digest(path: str | Path) -> str:
    """sha256 of a file's bytes, read once per planning for each (path, size, mtime)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        _DIGESTS[key] = sha.hexdigest()
    return _DIGESTS[key]
