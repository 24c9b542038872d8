"""What the Snakemake scripts share: job set-up, data from rule params, provenance.

The scripts stay thin: read inputs, call one library function, write outputs. Paths come from
Snakemake; nothing here builds a results path.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import torch

from . import data, masks, storage, training
from .training import TrainConfig

log = logging.getLogger("pai")


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


def load_data(params: Mapping[str, Any]) -> data.TensorData:
    """The dataset described by a rule's ``dataset`` params (see common.smk)."""
    synthetic = dict(params.get("synthetic") or {})
    options = {}
    if params["name"] == "synthetic":
        options = {
            "shape": tuple(synthetic["shape"]),
            "num_classes": synthetic["classes"],
            "n_train": synthetic["n_train"],
            "n_test": synthetic["n_test"],
        }
    return data.load_dataset(
        params["name"],
        params["root"],
        params.get("mirror"),
        folder=params.get("folder"),
        image_size=params.get("image_size"),
        **options,
    )


def load_cached_data(path: str | os.PathLike) -> data.TensorData:
    """A dataset from the tensor file ``download_data`` wrote: no parsing, no heavy imports."""
    return data.from_cache(storage.load(path))


def train_config(spec: Mapping[str, Any]) -> TrainConfig:
    keys = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "milestones", "gamma")
    optional = {key: spec[key] for key in ("warmup_epochs",) if key in spec}
    return TrainConfig(**{key: spec[key] for key in keys}, **optional)


def write_json(obj: Any, path: str | os.PathLike) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_text(text: str, path: str | os.PathLike) -> None:
    storage.atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_parquet(frame, path: str | os.PathLike) -> None:
    storage.atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_records(records: list[dict[str, Any]], path: str | os.PathLike) -> None:
    """Rows of plain values as a parquet table, through pyarrow alone: importing pandas costs a
    training job 0.35 s more, and there is one such job per cell."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(records)
    storage.atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def read_parquet(path: str | os.PathLike):
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as err:
        raise storage.CorruptFileError(
            f"cannot read {path} as parquet ({storage.RECOMPUTE_HINT}): {err}"
        ) from err


Run = tuple[str, str]  # (method, ablation) within one (net, sparsity, seed)


def comparisons(runs: list[Run]) -> dict[Run, tuple[str, Run, Run] | None]:
    """For each run, what its distance and similarity files compare (Singh & Liu's pairs):
    an ablated run against its method's unmodified run (comparison = the ablation), and the
    random method's unmodified run against each other method's unmodified run, stored with the
    latter (comparison = "random"). None where the grid lacks the reference."""
    present = set(runs)
    pairs: dict[Run, tuple[str, Run, Run] | None] = {}
    for method, ablation in runs:
        reference = (method, "unmodified")
        pairs[(method, ablation)] = None
        if reference not in present:
            continue
        if ablation != "unmodified":
            pairs[(method, ablation)] = (ablation, reference, (method, ablation))
        elif method != "random" and ("random", "unmodified") in present:
            pairs[(method, ablation)] = ("random", reference, ("random", "unmodified"))
    return pairs


def write_run(
    result,
    keys: Mapping[str, Any],
    start: Mapping[str, Any],
    details: Mapping[str, Any],
    paths: Mapping[str, str],
) -> None:
    """A trained run's three files: weights, per-epoch history and run.json (provenance)."""
    storage.save(result.weights, paths["trained"])
    history = [
        {**keys, **{column: row[column] for column in training.HISTORY_COLUMNS}}
        for row in result.history
    ]
    write_records(history, paths["history"])
    last = result.history[-1] if result.history else {}
    record = {
        **keys,
        **details,
        "final_test_accuracy": last.get("test_accuracy", float("nan")),
        "final_test_loss": last.get("test_loss", float("nan")),
        "best_test_accuracy": result.best_test_accuracy,
        "epochs": len(result.history),
        "diverged": result.diverged,
        "collapsed_layers": result.collapsed_layers,
        "density": masks.density(start["mask"]),
        "layers": [
            {"layer": name, "kept": kept, "total": total}
            for name, (kept, total) in masks.layer_counts(start["mask"]).items()
        ],
        "resumed_from_epoch": result.resumed_from_epoch,
        "device": result.device,
    }
    write_json(record, paths["run"])


JOB_ENVIRONMENT = ("SLURM_JOB_ID", "SLURM_JOB_PARTITION", "CUDA_VISIBLE_DEVICES")


def train_and_write(
    model: torch.nn.Module,
    start: Mapping[str, Any],
    dataset: data.TensorData,
    params: Any,
    *,
    seed: int,
    checkpoint: Path,
    keys: Mapping[str, Any],
    details: Mapping[str, Any],
    paths: Mapping[str, str],
    job_provenance: Mapping[str, Any],
    **train_options: Any,
) -> training.TrainResult:
    """Train one run from ``start`` with the rule's params and write its three files.

    run.json gets the rule's arch, dataset and training settings, then ``details``, the wall time
    of training alone and ``job_provenance`` (computed once per job by the caller: it runs git).
    The checkpoint is left for the caller, which knows when its job's runs are all written.
    """
    began = time.perf_counter()
    result = training.train(
        model,
        start,
        dataset,
        train_config(params.training),
        seed=seed,
        device=None if params.device == "auto" else params.device,
        checkpoint=checkpoint,
        **train_options,
    )
    record = {
        "arch": params.arch,
        "dataset": params.dataset["name"],
        "training": params.training,
        **details,
        "wall_seconds": time.perf_counter() - began,
        "provenance": dict(job_provenance),
    }
    write_run(result, keys, start, record, paths)
    return result


def provenance(repo: str | os.PathLike | None = None) -> dict[str, Any]:
    """Package versions, git commit and machine, for run.json."""
    versions = {}
    for package in ("torch", "torchvision", "numpy", "scipy", "pandas", "snakemake", "pai"):
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
