"""Masks from any codebase: a method defined by files (docs/extending.md, "Bring your own masks").

Each cell reads its mask (weight name -> bool tensor), the init it was found for (a state dict the
net loads strictly) and, where given, the scores (weight name -> scores, the highest kept) that
make ``invert`` possible; ``names`` maps the files' weight names to the net's. Every problem is a
:class:`FileMethodError` naming the file and what is wrong with it; the pipeline's check job
(check_method) reads every file of a net before any mask job can replace a finished file.
:func:`export_cell` writes any method's finished cell in the same format, so masks travel both
ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pai import storage
from pai.config.plugins import PluginError
from pai.models.nets import prunable_names
from pai.pruning.masks import Mask, global_mask, keep_count
from pai.pruning.prune import check_scores, keep_end


class FileMethodError(PluginError):
    """A file of a method defined by files cannot be used; the message names it."""


def _load(path: str | Path, what: str) -> Mapping[str, Any]:
    try:
        loaded = storage.load(path)
    except FileNotFoundError:
        raise FileMethodError(f"{path}: no such file") from None
    except storage.CorruptFileError as err:
        raise FileMethodError(
            f"{path}: not a file torch loads safely (torch.save of tensors in a dict, no code): "
            f"{err.__cause__}"
        ) from None
    if not isinstance(loaded, Mapping) or not all(isinstance(k, str) for k in loaded):
        raise FileMethodError(
            f"{path}: holds a {type(loaded).__name__}; {what} is a dict of weight name -> tensor"
        )
    return loaded


def _renamed(
    path: str | Path, loaded: Mapping[str, Any], names: Mapping[str, str], model: nn.Module
) -> dict[str, Any]:
    """The file's entries under the net's weight names, every prunable weight present once."""
    renamed = {names.get(name, name): value for name, value in loaded.items()}
    if len(renamed) != len(loaded):
        raise FileMethodError(f"{path}: two entries map to the same weight name (files.names)")
    prunable = prunable_names(model)
    unknown = [name for name in loaded if names.get(name, name) not in prunable]
    if unknown:
        raise FileMethodError(
            f"{path}: {', '.join(unknown)} not a prunable weight of the net (those are: "
            f"{', '.join(prunable)}); map the file's names to these with files.names"
        )
    missing = [name for name in prunable if name not in renamed]
    if missing:
        raise FileMethodError(
            f"{path}: no entry for the prunable weights {', '.join(missing)} (a layer the "
            "method leaves dense needs an all-True mask)"
        )
    return {name: renamed[name] for name in prunable}


def load_mask(
    path: str | Path, names: Mapping[str, str], model: nn.Module, sparsity: float
) -> Mask:
    """A cell's mask, checked: bool tensors of the weights' shapes whose kept count is the
    sparsity's, round((1 - s) N), within one weight per layer (other codebases round per
    layer)."""
    mask = _renamed(path, _load(path, "a mask"), names, model)
    params = dict(model.named_parameters())
    for name, value in mask.items():
        if not isinstance(value, torch.Tensor):
            raise FileMethodError(f"{path}: the mask of {name} is a {type(value).__name__}")
        if value.dtype != torch.bool:
            raise FileMethodError(
                f"{path}: the mask of {name} holds {value.dtype} values; a mask is bool "
                "(True: kept), e.g. mask.bool() of a 0/1 mask"
            )
        if value.shape != params[name].shape:
            raise FileMethodError(
                f"{path}: the mask of {name} has shape {tuple(value.shape)}, the weight has "
                f"{tuple(params[name].shape)}"
            )
    total = sum(m.numel() for m in mask.values())
    kept = sum(int(m.sum()) for m in mask.values())
    expected = keep_count(total, sparsity)
    if abs(kept - expected) > len(mask):
        raise FileMethodError(
            f"{path}: keeps {kept} of {total} weights (density {kept / total:.6f}); sparsity "
            f"{sparsity:g} keeps {expected}, give or take one weight per layer ({len(mask)})"
        )
    return {name: value.clone() for name, value in mask.items()}


def load_init(path: str | Path, model: nn.Module) -> dict[str, torch.Tensor]:
    """The init the mask was found for: a state dict the net loads strictly, finite."""
    state = dict(_load(path, "an init"))
    try:
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as err:
        raise FileMethodError(f"{path}: the net does not load it strictly: {err}") from None
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(v.isfinite().all())]
    if bad:
        raise FileMethodError(f"{path}: not finite (NaN or inf) in {', '.join(bad)}")
    return state


def load_scores(
    path: str | Path, names: Mapping[str, str], model: nn.Module, settings: Mapping[str, Any]
) -> dict[str, torch.Tensor]:
    scores = _renamed(path, _load(path, "scores"), names, model)
    try:
        return check_scores(scores, model, settings)
    except PluginError as err:
        raise FileMethodError(f"{path}: {err}") from None


def cell_masks(
    settings: Mapping[str, Any],
    cell: Mapping[str, Mapping[str, str]],
    model: nn.Module,
    sparsity: float,
    rankings: Sequence[str],
) -> dict[str, Mask]:
    """One cell's masks: the file's, and for ``invert`` the other end of its scores' ranking at
    the sparsity (the method's ``keep`` says which end the mask came from)."""
    names = settings.get("names", {})
    result = {"unmodified": load_mask(cell["mask"]["path"], names, model, sparsity)}
    if "invert" in rankings:
        if "scores" not in cell:
            raise FileMethodError(f"{settings['name']}: invert needs files.scores")
        scores = load_scores(cell["scores"]["path"], names, model, settings)
        result["invert"] = global_mask(scores, sparsity, keep=keep_end(settings, invert=True))
    return {ranking: result[ranking] for ranking in rankings}


def check_files(
    settings: Mapping[str, Any], model: nn.Module, rankings: Sequence[str]
) -> dict[str, Any]:
    """Every cell's files read and checked as the mask jobs will read them (the check job's);
    what was checked: the weights, nothing that depends on the cells (the check's marker file
    stays the same when a cell is added or a file replaced, so it reruns no mask job itself)."""
    for cell in settings["files"]:
        load_init(cell["init"]["path"], model)
        cell_masks(settings, cell, model, float(cell["sparsity"]), rankings)
    return {"weights": prunable_names(model)}


def export_cell(
    mask: Mask,
    init: Mapping[str, torch.Tensor],
    scores: Mapping[str, torch.Tensor] | None,
    paths: Mapping[str, str | Path],
) -> None:
    """Write one cell in the format a file method reads (``paths``: kind -> file)."""
    storage.save({name: m.bool() for name, m in mask.items()}, paths["mask"])
    storage.save(dict(init), paths["init"])
    if scores is not None and "scores" in paths:
        storage.save(dict(scores), paths["scores"])
