"""What every Snakemake job does around its work: set-up, teardown and provenance.

The scripts stay thin: read inputs, call library functions, write outputs. Paths come from
Snakemake; nothing here builds a results path.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import torch

import pai

log = logging.getLogger("pai")
# the repository the scripts run from: run.json records its git commit
REPOSITORY = Path(__file__).resolve().parents[3]


def start_job(log_path: str | os.PathLike, threads: int = 1) -> None:
    """Send logs (and uncaught errors) to the rule's log file; one torch thread per core given."""
    logging.basicConfig(
        filename=str(log_path),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    torch.set_num_threads(max(1, int(threads)))

    def log_uncaught(kind, value, tb):
        logging.getLogger("pai").error("job failed", exc_info=(kind, value, tb))
        sys.__excepthook__(kind, value, tb)

    sys.excepthook = log_uncaught


def end_job() -> NoReturn:
    """Leave the job's process at once, skipping the interpreter's teardown of torch (0.3 s of the
    2.3 s a job's process costs on the 2-core CI machine, paid once per job). Only call it after
    every output is written: outputs are fsynced and renamed into place by storage.atomic_write,
    so nothing is left in a buffer; the log is flushed here."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def device(setting: str) -> str | None:
    """The config's training.device as the training engine takes it (None: CUDA when present)."""
    return None if setting == "auto" else setting


JOB_ENVIRONMENT = ("SLURM_JOB_ID", "SLURM_JOB_PARTITION", "CUDA_VISIBLE_DEVICES")


def provenance(repo: str | os.PathLike | None = REPOSITORY) -> dict[str, Any]:
    """Package versions, git commit and machine, for run.json."""
    # pai's own from its source, which an editable install's metadata may not follow
    versions: dict[str, str | None] = {"pai": pai.__version__}
    for package in ("torch", "torchvision", "numpy", "scipy", "pandas", "snakemake"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    commit = None
    if repo is not None:
        try:
            commit = subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {
        "versions": versions,
        "git_commit": commit,
        "python": platform.python_version(),
        "host": platform.node(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        # where the job ran: the batch system's job and partition, and the GPUs it was given
        "environment": {name: os.environ.get(name) for name in JOB_ENVIRONMENT},
    }
