"""Atomic saving and safe loading of tensor files.

Outputs are written to a temporary name in the same folder and renamed, so a reader never sees half
a file and a failed write (disk full, kill) leaves the previous version intact. Loading always uses
``weights_only=True``: a file can hold tensors and plain containers, never code.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


class CorruptFileError(RuntimeError):
    """A file exists but cannot be read as what it should be."""


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path`` only if it succeeded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save tensors (or dicts/lists of them and plain values) atomically."""
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """Load a file written by :func:`save`; never executes code from it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise CorruptFileError(f"cannot read {path} as a tensor file: {err}") from err
