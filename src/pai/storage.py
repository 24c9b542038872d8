"""Atomic saving and safe loading of tensor files.

Outputs are written to a temporary name in the same folder and renamed, so a reader never sees half
a file and a failed write (disk full, kill) leaves the previous version intact. Loading always uses
``weights_only=True``: a file can hold tensors and plain containers, never code.
"""

from __future__ import annotations

import glob
import json
import os
import resource
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


class CorruptFileError(RuntimeError):
    """A file exists but cannot be read as what it should be."""


class WriteError(OSError):
    """An output could not be written (disk full, file-size limit, permissions); the previous
    version of the file, if any, is untouched."""


# what a reader of a CorruptFileError should do: Snakemake reruns a job only for a missing or
# outdated input, never for an unreadable one, so the file has to go before it is recomputed
RECOMPUTE_HINT = "delete it and rerun Snakemake to recompute it"


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path`` only if it succeeded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a temporary file of this output left by a killed writer (SIGKILL skips the clean-up below);
    # each output has one writer, the job that makes it, so none of these is still being written
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if _is_write_failure(err):
            raise WriteError(f"could not write {path}: {_why(err, path)}") from err
        raise


def _why(err: BaseException, path: Path) -> str:
    """The OS's reason (torch's writer hides it in the exception's context) and the limits in
    force, so that a full disk or a ulimit is recognisable from the message alone."""
    reason = err.__context__ if isinstance(err.__context__, OSError) else err
    limits = [f"{shutil.disk_usage(path.parent).free / 2**20:.1f} MiB free on its file system"]
    size_limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if size_limit != resource.RLIM_INFINITY:
        limits.append(f"file-size limit (ulimit -f) {size_limit} bytes")
    kept = "the previous version of the file, if any, is unchanged"
    return f"{reason} ({'; '.join(limits)}); {kept}"


def _is_write_failure(err: BaseException) -> bool:
    """An OSError (EFBIG, ENOSPC, EACCES ...), or torch's zip writer failing: torch.save reports a
    failed write as a plain RuntimeError ("failed writing ..." or, closing the file after an
    OSError, "unexpected pos ..."). Our own errors (a download's DataError) pass as they are."""
    if isinstance(err, OSError):
        return not isinstance(err, WriteError)
    if type(err) is not RuntimeError:
        return False
    return "failed writing" in str(err) or isinstance(err.__context__, OSError)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save tensors (or dicts/lists of them and plain values) atomically."""
    atomic_write(path, lambda tmp: _torch_save(obj, tmp))


def _torch_save(obj: Any, tmp: str) -> None:
    # Through a file object: given a path, torch names the records inside the zip after the
    # file, here a random temporary name, so equal tensors would give different bytes. With a
    # file object the name is fixed and equal results are byte-identical files.
    with open(tmp, "wb") as handle:
        torch.save(obj, handle)


def load(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """Load a file written by :func:`save`; never executes code from it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise CorruptFileError(
            f"cannot read {path} as a tensor file ({RECOMPUTE_HINT}): {err}"
        ) from err


def write_text(text: str, path: str | os.PathLike) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_json(obj: Any, path: str | os.PathLike) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_parquet(frame, path: str | os.PathLike) -> None:
    """A pandas frame as a parquet file, without its index."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_records(records: list[dict[str, Any]], path: str | os.PathLike) -> None:
    """Rows of plain values as a parquet table, through pyarrow alone: importing pandas costs a
    training job 0.35 s more, and there is one such job per cell."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_parquet(path: str | os.PathLike):
    """A parquet table as a pandas frame; an unreadable file is named with what to do."""
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as err:
        raise CorruptFileError(f"cannot read {path} as parquet ({RECOMPUTE_HINT}): {err}") from err
