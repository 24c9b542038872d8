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
from pai.data.datasets import TensorData
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


def train_and_write(
    model: torch.nn.Module,
    start: Mapping[str, Any],
    dataset: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: str | None,
    checkpoint: Path,
    keys: Mapping[str, Any],
    details: Mapping[str, Any],
    paths: Mapping[str, str],
    provenance: Mapping[str, Any],
    **train_options: Any,
) -> TrainResult:
    """Train one run from ``start`` and write its three files.

    run.json gets ``details``, the wall time of training alone and ``provenance`` (computed once
    per job by the caller: it runs git). The checkpoint is left for the caller, which knows when
    its job's runs are all written.
    """
    began = time.perf_counter()
    result = engine.train(
        model,
        start,
        dataset,
        config,
        seed=seed,
        device=device,
        checkpoint=checkpoint,
        **train_options,
    )
    record = {
        **details,
        "wall_seconds": time.perf_counter() - began,
        "provenance": dict(provenance),
    }
    write_run(result, keys, start, record, paths)
    return result


def train_cell_and_write(
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
    pack: bool = False,
) -> list[TrainResult]:
    """Train every ablation run of a cell (``starts``: ablation -> start state), packed into one
    model if ``pack`` and the net allows it (pai.training.cells), and write each run's three files.
    The wall time of a packed cell is shared out evenly over its runs; run.json's ``packed`` is
    how many runs were trained together (1: one after the other, also where the net cannot be
    packed)."""
    ablations = list(starts)
    began = time.perf_counter()
    results = train_cell(
        build,
        [starts[a] for a in ablations],
        dataset,
        config,
        seed=seed,
        device=device,
        checkpoints=[checkpoints[a] for a in ablations],
        start_iteration=start_iteration,
        pack=pack,
    )
    seconds = (time.perf_counter() - began) / len(ablations)
    packed = len(ablations) if why_not_packed(build, len(ablations), pack) is None else 1
    for ablation, result in zip(ablations, results, strict=True):
        record = {
            **details,
            "packed": packed,
            "wall_seconds": seconds,
            "provenance": dict(provenance),
        }
        write_run(result, keys(ablation), starts[ablation], record, paths[ablation])
    return results
