"""One trained run's files: the weights, the per-epoch history and run.json (its record).

run.json holds the run's keys (net, method, sparsity, seed, ablation), what the caller says of it
(architecture, dataset, training settings, start iteration, ...), the outcome (final and best test
accuracy, epochs, flags for divergence and emptied layers), the mask's density per layer, the wall
time of training and the job's provenance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from pai import storage
from pai.data.tensors import TensorData
from pai.pruning import masks
from pai.training import engine
from pai.training.cells import train_cell, why_not_packed
from pai.training.engine import TrainConfig, TrainResult


def write_run(
    result: TrainResult,
    keys: Mapping[str, Any],
    start: Mapping[str, Any],
    details: Mapping[str, Any],
    paths: Mapping[str, str],
) -> None:
    """A trained run's three files (``paths``: trained, history, run)."""
    storage.save(result.weights, paths["trained"])
    history = [
        {**keys, **{column: row[column] for column in engine.HISTORY_COLUMNS}}
        for row in result.history
    ]
    storage.write_records(history, paths["history"])
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
    storage.write_json(record, paths["run"])


def details(params: Any, **extra: Any) -> dict[str, Any]:
    """What run.json says of a training job's settings (``params``: its rule's params): the
    architecture, the dataset, the training settings and engine switches, and ``extra``."""
    return {
        "arch": params.arch["name"],
        "dataset": params.dataset["name"],
        "training": params.training,
        "engine": params.engine,
        **extra,
    }


def train_config(params: Any) -> TrainConfig:
    """A training job's TrainConfig from its rule's params."""
    return TrainConfig.from_settings(params.training, **params.engine)


def train_and_write(
    build: Callable[[], torch.nn.Module],
    starts: Mapping[str, Mapping[str, Any]],
    dataset: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: str | None,
    checkpoints: Mapping[str, Path],
    keys: Callable[[str], Mapping[str, Any]],
    details: Mapping[str, Any],
    paths: Mapping[str, Mapping[str, str]],
    provenance: Mapping[str, Any],
    start_iteration: int = 0,
    snapshot_iteration: int | None = None,
    pack: bool = False,
) -> dict[str, TrainResult]:
    """Train every run of ``starts`` (label -> start state; one for a dense net or a lottery
    round, one per ablation for a cell), packed into one model if ``pack`` and the net allows it
    (pai.training.cells), and write each run's three files (``paths``: label -> trained,
    history, run). ``build()`` gives the net to train (a fresh one per call where a cell has
    several runs).

    run.json gets ``details``, the wall time of training (a packed cell's shared out evenly over
    its runs), ``packed`` (how many runs were trained together; 1: one after the other, also
    where the net cannot be packed) and ``provenance`` (computed once per job by the caller: it
    runs git). The checkpoints are left for the caller, which knows when its job's runs are all
    written.
    """
    labels = list(starts)
    began = time.perf_counter()
    results = train_cell(
        build,
        [starts[label] for label in labels],
        dataset,
        config,
        seed=seed,
        device=device,
        checkpoints=[checkpoints[label] for label in labels],
        start_iteration=start_iteration,
        snapshot_iteration=snapshot_iteration,
        pack=pack,
    )
    seconds = (time.perf_counter() - began) / len(labels)
    packed = len(labels) if why_not_packed(build, len(labels), pack) is None else 1
    for label, result in zip(labels, results, strict=True):
        record = {
            **details,
            "packed": packed,
            "wall_seconds": seconds,
            "provenance": dict(provenance),
        }
        write_run(result, keys(label), starts[label], record, paths[label])
    return dict(zip(labels, results, strict=True))
