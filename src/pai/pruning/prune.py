"""From a method's settings to its scores and masks, for built-in and plugin methods alike.

A method's settings (:meth:`pai.config.study.Study.method_settings`) name its score function, the
end of
the ranking it keeps and its schedule:

- ``one_shot``: score once (the pipeline's score_weights job, shared by every sparsity), keep the
  best ``round((1 - sparsity) N)`` weights globally (:func:`pai.pruning.masks.global_mask`);
- ``iterative``: SynFlow's exponential schedule: ``rounds`` rounds, after round t the mask keeps
  ``round(N density^(t / T))`` weights, each round scoring a copy of the net with the pruned
  weights zeroed and ranking only the survivors (docs/methods.md, "Iterative pruning"); a
  method that ``revives`` (FORCE) is given the dense net instead, and every weight is ranked
  again each round; a method's ``round_arguments`` add the current mask and the round number;
- ``lottery``: IMP's rounds of training and pruning (:mod:`pai.pruning.lottery`), the rounds' masks
  made by :func:`lottery_masks`;
- ``allocation``: a data-free rule's exact per-layer counts (:mod:`pai.allocation`), the
  kept positions drawn uniformly within each layer (:func:`allocation_mask`); no ranking, so no
  inversion.

Every score a function returns is checked before it is ranked: one tensor per prunable weight, of
that weight's shape, finite. A problem stops the job with an error naming the method and its
function, before anything is trained.
"""

from __future__ import annotations

import copy
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pai import allocation
from pai.config import registry
from pai.config.plugins import PluginError, load
from pai.data.scoring_set import ScoringData
from pai.models.nets import prunable_names
from pai.pruning import lottery
from pai.pruning.masks import (
    Mask,
    apply_mask,
    flatten,
    global_mask,
    keep_count,
    ones_mask,
    select,
    unflatten,
)
from pai.pruning.scoring import random_scores

MethodSettings = Mapping[str, Any]
RANKINGS = ("unmodified", "invert")  # the two masks a method's ranking gives


def method_settings(name: str, **options: Any) -> dict[str, Any]:
    """The settings of a built-in method with its functions' default options (``options``
    override them), for use without a config; the pipeline's come from
    :meth:`pai.config.study.Study.method_settings`."""
    if name not in registry.METHODS:
        known = ", ".join(registry.METHODS)
        raise ValueError(f"unknown method {name!r}; built-in methods: {known}")
    method = registry.METHODS[name]
    rounds = options.pop("rounds", method.rounds)
    return method.job_settings(rounds, options)


def keep_end(settings: MethodSettings, invert: bool = False) -> str:
    """Which end of the ranking the method keeps; the inversion keeps the other."""
    keep = settings["keep"]
    if keep not in registry.KEEP_ENDS:
        raise ValueError(f"keep must be one of {registry.KEEP_ENDS}, got {keep!r}")
    if not invert:
        return keep
    return "lowest" if keep == "highest" else "highest"


def _is_plugin(settings: MethodSettings) -> bool:
    return settings["name"] not in registry.METHODS


def _function(settings: MethodSettings) -> str:
    """The method's function reference: a plugin's from its settings, a built-in's from the
    registry (its jobs' params name it, not where its code lives)."""
    if _is_plugin(settings):
        return settings["function"]
    return registry.METHODS[settings["name"]].function


def _where(settings: MethodSettings) -> str:
    if settings["schedule"] == "files":
        return f"plugins.methods.{settings['name']} (files)"
    if _is_plugin(settings):
        return f"plugins.methods.{settings['name']} ({settings['function']})"
    return f"method {settings['name']} ({_function(settings)})"


def score_function(settings: MethodSettings, base: str | Path = ".") -> Callable[..., Any]:
    if not _is_plugin(settings):
        module, function = _function(settings).rsplit(":", 1)
        return getattr(importlib.import_module(module), function)
    return load(settings["function"], base, f"plugins.methods.{settings['name']}.function")


def check_scores(
    scores: Any, model: nn.Module, settings: MethodSettings
) -> dict[str, torch.Tensor]:
    """The scores in the net's prunable order, or a :class:`PluginError` saying what is wrong."""
    where = _where(settings)
    if not isinstance(scores, Mapping):
        raise PluginError(
            f"{where}: returned {type(scores).__name__}; expected a dict of weight name -> scores"
        )
    params = dict(model.named_parameters())
    names = prunable_names(model)
    missing = [name for name in names if name not in scores]
    if missing:
        raise PluginError(f"{where}: no scores for the prunable weights {missing}")
    extra = [name for name in scores if name not in names]
    if extra:
        raise PluginError(f"{where}: scores for {extra}, which are not prunable weights")
    checked = {}
    for name in names:
        value = scores[name]
        if not isinstance(value, torch.Tensor):
            raise PluginError(f"{where}: the scores of {name} are a {type(value).__name__}")
        if value.shape != params[name].shape:
            raise PluginError(
                f"{where}: the scores of {name} have shape {tuple(value.shape)}, "
                f"the weight has {tuple(params[name].shape)}"
            )
        value = value.detach().cpu()
        if not value.is_floating_point():
            value = value.to(torch.float64)
        if not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise PluginError(f"{where}: {bad} scores of {name} are not finite (NaN or inf)")
        checked[name] = value
    return checked


def _entry(settings: MethodSettings) -> registry.Method:
    """A built-in's registry entry (its name and version identify it, as its function); a
    plugin's rounds take the entry's defaults: survivors only, nothing beside the net, exact
    counts."""
    if _is_plugin(settings):
        return registry.Method(settings["name"], settings["function"], "a plugin")
    return registry.METHODS[settings["name"]]


def _score(
    function: Callable[..., Any],
    settings: MethodSettings,
    net: nn.Module,
    data: ScoringData | None,
    seed: int,
    **given: Any,
) -> Any:
    try:
        return function(net=net, data=data, seed=seed, **given, **settings.get("options", {}))
    except TypeError as err:
        if _is_plugin(settings):
            raise PluginError(f"{_where(settings)}: calling it failed: {err}") from err
        raise


def scores(
    settings: MethodSettings,
    model: nn.Module,
    *,
    seed: int,
    data: ScoringData | None = None,
    base: str | Path = ".",
) -> dict[str, torch.Tensor]:
    """The checked scores of a one-shot method, computed on a copy of ``model``."""
    if settings["schedule"] != "one_shot":
        raise ValueError(f"{_where(settings)} is {settings['schedule']}: it has no single score")
    if settings["data"] and data is None:
        raise ValueError(f"{_where(settings)} needs the scoring subset (data)")
    function = score_function(settings, base)
    found = _score(
        function, settings, copy.deepcopy(model), data if settings["data"] else None, seed
    )
    return check_scores(found, model, settings)


def _steps(
    rule: str, total: int, final: int, sparsity: float, rounds: int
) -> tuple[Callable[[int], int], str]:
    """How many weights step t < T keeps, and what becomes of the weights tied with the last one
    kept (masks.select's ``ties``), by the method's ``step_rule`` (registry)."""
    if rule == "exact":  # round(N density^(t/T)), exactly (SynFlow as MtM)
        return lambda t: round(total * (final / total) ** (t / rounds)), "split"
    # the authors' own expressions and int(), for the same counts as their code, bit for bit, of
    # the kept fraction as a person types it (0.1, not 1 - 0.9 = 0.09999999999999998)
    kept = round(1 - sparsity, 10)
    if rule == "ties_kept":  # de Jorge et al.: int(N f^(t/T)) and every weight tied with the last
        return lambda t: math.floor(total * math.exp(0 - t * (0 - math.log(kept)) / rounds)), "kept"
    if rule == "ties_pruned":  # Tanaka et al.'s loop (NTK-SAP): prune int((1 - f^(t/T)) N) and
        # every weight tied with the last one pruned
        return lambda t: total - math.floor((1.0 - kept ** (t / rounds)) * total), "dropped"
    raise ValueError(f"unknown step rule {rule!r}; known: {registry.STEP_RULES}")


def iterative_mask(
    settings: MethodSettings,
    model: nn.Module,
    sparsity: float,
    *,
    seed: int,
    data: ScoringData | None = None,
    invert: bool = False,
    base: str | Path = ".",
) -> Mask:
    """The mask of an iterative method (SynFlow's schedule; see the module docstring)."""
    rounds = int(settings["rounds"])
    if rounds < 1:
        raise ValueError(f"{_where(settings)}: rounds must be at least 1, got {rounds}")
    keep = keep_end(settings, invert)
    function = score_function(settings, base)
    names = prunable_names(model)
    params = dict(model.named_parameters())
    like = {name: params[name] for name in names}
    mask = ones_mask(model)
    total = sum(m.numel() for m in mask.values())
    final = keep_count(total, sparsity)
    alive = flatten(mask, names)
    entry = _entry(settings)
    revives, passes = entry.revives, entry.round_arguments
    step_count, ties = _steps(entry.step_rule, total, final, sparsity, rounds)
    for t in range(1, rounds + 1):
        net = copy.deepcopy(model)
        if not revives:  # revives: the dense net, and every weight is ranked again
            apply_mask(net, mask)
        given = {"mask": mask, "step": t}
        found = _score(function, settings, net, data, seed, **{k: given[k] for k in passes})
        found = check_scores(found, model, settings)
        flat, eligible = flatten(found, names), None if revives else alive
        if t == rounds:  # exactly the asked count, as every mask of the pipeline
            alive = select(flat, final, keep, eligible=eligible)
        else:
            count = max(final, step_count(t))
            # the authors' ties, where they apply: their loops never rank the other end, and a
            # step may not drop the ties below what the last step keeps
            chosen = select(flat, count, keep, eligible=eligible, ties="split" if invert else ties)
            if int(chosen.sum()) < final:
                chosen = select(flat, count, keep, eligible=eligible)
            alive = chosen
        mask = unflatten(alive, like, names)
    return {name: m.cpu() for name, m in mask.items()}


def cell_masks(
    settings: MethodSettings,
    model: nn.Module,
    sparsity: float,
    *,
    seed: int,
    data: ScoringData | None = None,
    precomputed: Mapping[str, torch.Tensor] | None = None,
    rankings: Sequence[str] = RANKINGS,
    base: str | Path = ".",
) -> dict[str, Mask]:
    """The masks of one cell: ``{"unmodified": ..., "invert": ...}`` (those in ``rankings``).

    A one-shot method ranks ``precomputed`` scores (the score_weights job's), or scores ``model``
    itself; an iterative method prunes ``model`` in rounds, once per ranking.
    """
    for ranking in rankings:
        if ranking not in RANKINGS:
            raise ValueError(f"unknown ranking {ranking!r}; known: {RANKINGS}")
    if settings["schedule"] == "lottery":
        raise ValueError("lottery masks come from IMP's rounds: use lottery_masks")
    if settings["schedule"] == "files":
        raise ValueError(
            f"{settings['name']}'s masks are read from files: pai.pruning.mask_files.cell_masks"
        )
    if settings["schedule"] == "allocation":
        if list(rankings) != ["unmodified"]:
            raise ValueError(
                f"{_where(settings)} is a data-free allocation: it has no ranking to invert"
            )
        return {"unmodified": allocation_mask(settings, model, sparsity, seed=seed, base=base)}
    result = {}
    if settings["schedule"] == "iterative":
        for ranking in rankings:
            result[ranking] = iterative_mask(
                settings,
                model,
                sparsity,
                seed=seed,
                data=data,
                invert=ranking == "invert",
                base=base,
            )
        return result
    if precomputed is None:
        ranked = scores(settings, model, seed=seed, data=data, base=base)
    else:
        ranked = check_scores(precomputed, model, settings)
    for ranking in rankings:
        result[ranking] = global_mask(
            ranked, sparsity, keep=keep_end(settings, ranking == "invert")
        )
    return result


def allocation_counts(
    settings: MethodSettings, model: nn.Module, sparsity: float, base: str | Path = "."
) -> dict[str, int]:
    """The exact per-layer counts of an allocation method at ``sparsity`` (its rule's densities
    made whole, :func:`pai.allocation.exact_counts`), or an
    :class:`~pai.allocation.AllocationError` naming the method and the sparsity."""
    params = dict(model.named_parameters())
    layers = allocation.layers_of({name: params[name].shape for name in prunable_names(model)})
    rule = score_function(settings, base)
    try:
        found = allocation.counts(rule, layers, sparsity)
    except allocation.AllocationError as err:
        raise allocation.AllocationError(
            f"{_where(settings)} cannot prune this net to sparsity {sparsity:g}: {err}"
        ) from err
    except TypeError as err:
        if _is_plugin(settings):
            raise PluginError(f"{_where(settings)}: calling it failed: {err}") from err
        raise
    return {layer.name: count for layer, count in zip(layers, found, strict=True)}


def allocation_mask(
    settings: MethodSettings,
    model: nn.Module,
    sparsity: float,
    *,
    seed: int,
    base: str | Path = ".",
) -> Mask:
    """An allocation method's mask: each layer keeps exactly its count, at the positions of its
    highest U(0, 1) scores drawn as random pruning draws them (the same generator), so the kept
    positions are uniform within the layer."""
    counts = allocation_counts(settings, model, sparsity, base)
    drawn = random_scores(model, seed=seed)
    return {
        name: unflatten(select(drawn[name].reshape(-1), count), {name: drawn[name]}, [name])[name]
        for name, count in counts.items()
    }


def lottery_masks(
    round_index: int,
    sparsity: float,
    trained: Mapping[str, torch.Tensor],
    previous: Mapping[str, Any] | None,
    model: nn.Module,
    rankings: Sequence[str] = RANKINGS,
) -> dict[str, Any]:
    """IMP round ``round_index``'s ranking, from round r-1's trained weights and its mask file
    (``previous``; None for round 1, whose ranking comes from the dense run), and the masks it
    gives at ``sparsity``. The ranking is kept in the result for round r+1."""
    if previous is None:
        previous_mask = ones_mask(model)
        previous_ranking = lottery.first_ranking(previous_mask)
    else:
        previous_mask, previous_ranking = previous["unmodified"], previous["ranking"]
    ranking = lottery.next_ranking(round_index, trained, previous_mask, previous_ranking)
    result: dict[str, Any] = {"ranking": ranking}
    for name in rankings:
        result[name] = global_mask(
            ranking, sparsity, keep="lowest" if name == "invert" else "highest"
        )
    return result
