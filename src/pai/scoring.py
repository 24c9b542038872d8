"""The six scoring methods of MtM (REFERENCE.md section 4), always on a deep copy of the net.

Convention: a score is what the method's paper calls its score, and ``KEEPS[method]`` says which end
of the ranking the method keeps. GraSP's score is -theta * Hg and GraSP removes the *highest*, so it
keeps the lowest (REFERENCE.md 4.5 and 9.1); every other method keeps the highest. Inversion keeps
the other end (REFERENCE.md 5.3), never 1/score.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import seeds
from .masks import Mask, flatten, global_mask, keep_count, ones_mask, select, unflatten
from .nets import prunable_names

METHODS = (
    "random", "magnitude", "snip", "grasp", "graspabs", "synflow", "magnitude_trained", "lottery",
)  # fmt: skip
ONE_SHOT_METHODS = ("random", "magnitude", "snip", "grasp", "graspabs", "magnitude_trained")
DATA_METHODS = ("snip", "grasp", "graspabs")  # need the class-balanced scoring subset
# MtM's benchmarks: masks from the trained dense net (pai.lottery ranks the rounds of IMP)
AFTER_TRAINING_METHODS = ("magnitude_trained", "lottery")
KEEPS = {
    "random": "highest",
    "magnitude": "highest",
    "snip": "highest",
    "grasp": "lowest",
    "graspabs": "highest",
    "synflow": "highest",
    "magnitude_trained": "highest",
    "lottery": "highest",
}
GRASP_TEMPERATURE = 200.0
SYNFLOW_ITERATIONS = 100
SCORING_BATCH_SIZE = 128


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")


def keep_end(method: str, invert: bool = False) -> str:
    """Which end of the ranking a (possibly inverted) method keeps."""
    check_method(method)
    keep = KEEPS[method]
    if not invert:
        return keep
    return "lowest" if keep == "highest" else "highest"


def _masked_copy(model: nn.Module, mask: Mapping[str, torch.Tensor] | None) -> nn.Module:
    scored = copy.deepcopy(model)
    if mask is not None:
        params = dict(scored.named_parameters())
        with torch.no_grad():
            for name, m in mask.items():
                params[name].masked_fill_(~m.to(params[name].device), 0.0)
    return scored


def _scoring_copy(model: nn.Module, mask: Mapping[str, torch.Tensor] | None, train_mode: bool):
    """The masked copy a gradient-based score runs on, its prunable weights and zero totals."""
    scored = _masked_copy(model, mask)
    scored.train(train_mode)
    names = prunable_names(scored)
    params = dict(scored.named_parameters())
    weights = [params[name] for name in names]
    return scored, names, weights, [torch.zeros_like(w) for w in weights]


def _batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int):
    for start in range(0, len(labels), batch_size):
        yield images[start : start + batch_size], labels[start : start + batch_size]


def random_scores(model: nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """U(0, 1) per weight from one seeded generator, layers in registration order."""
    gen = seeds.generator(seed, seeds.RANDOM_SCORES)
    params = dict(model.named_parameters())
    return {name: torch.rand(params[name].shape, generator=gen) for name in prunable_names(model)}


def magnitude_scores(model: nn.Module) -> dict[str, torch.Tensor]:
    params = dict(model.named_parameters())
    return {name: params[name].detach().abs().clone() for name in prunable_names(model)}


def snip_scores(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    mask: Mapping[str, torch.Tensor] | None = None,
    batch_size: int = SCORING_BATCH_SIZE,
    train_mode: bool = True,
) -> dict[str, torch.Tensor]:
    """|theta * dL/dtheta| averaged over examples (MtM: train mode, mean CE per batch)."""
    scored, names, weights, totals = _scoring_copy(model, mask, train_mode)
    for x, y in _batches(images, labels, batch_size):
        loss = F.cross_entropy(scored(x), y)
        grads = torch.autograd.grad(loss, weights)
        for total, w, g in zip(totals, weights, grads, strict=True):
            total += (w.detach() * g).abs() * len(y)
    return {name: total / len(labels) for name, total in zip(names, totals, strict=True)}


def grasp_scores(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    mask: Mapping[str, torch.Tensor] | None = None,
    batch_size: int = SCORING_BATCH_SIZE,
    temperature: float = GRASP_TEMPERATURE,
    train_mode: bool = True,
) -> dict[str, torch.Tensor]:
    """-theta * Hg, with H the Hessian of the loss w.r.t. the prunable weights (MtM grasp.py).

    Per batch: g = dL/dtheta without a graph; the loss again, its gradient with the graph; then
    the gradient of z = g . grad is Hg. Logits are divided by ``temperature``. Batch scores are
    averaged weighted by batch size.
    """
    scored, names, weights, totals = _scoring_copy(model, mask, train_mode)
    for x, y in _batches(images, labels, batch_size):
        loss = F.cross_entropy(scored(x) / temperature, y)
        g = [gi.detach() for gi in torch.autograd.grad(loss, weights)]
        loss = F.cross_entropy(scored(x) / temperature, y)
        grads = torch.autograd.grad(loss, weights, create_graph=True)
        z = sum((gi * grad).sum() for gi, grad in zip(g, grads, strict=True))
        hg = torch.autograd.grad(z, weights)
        for total, w, h in zip(totals, weights, hg, strict=True):
            total += -w.detach() * h * len(y)
    return {name: total / len(labels) for name, total in zip(names, totals, strict=True)}


def graspabs_scores(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, **options
) -> dict[str, torch.Tensor]:
    """|-theta * Hg|: keeps the weights whose GraSP score is largest in magnitude."""
    return {k: v.abs() for k, v in grasp_scores(model, images, labels, **options).items()}


def one_shot_scores(
    method: str,
    model: nn.Module,
    *,
    seed: int,
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    **options,
) -> dict[str, torch.Tensor]:
    """Scores of a one-shot method; ``images``/``labels`` are the scoring subset where needed."""
    check_method(method)
    if method == "synflow":
        raise ValueError("synflow is iterative: use synflow_mask, it scores and prunes in turn")
    if method == "lottery":
        raise ValueError("lottery ranks come from pai.lottery.next_ranking, round by round")
    if method in DATA_METHODS and (images is None or labels is None):
        raise ValueError(f"method {method!r} needs scoring data (images and labels)")
    if method == "random":
        return random_scores(model, seed)
    if method in ("magnitude", "magnitude_trained"):
        # magnitude_trained: the caller's model holds the trained dense weights
        return magnitude_scores(model)
    if method == "snip":
        return snip_scores(model, images, labels, **options)
    if method == "grasp":
        return grasp_scores(model, images, labels, **options)
    return graspabs_scores(model, images, labels, **options)


def synflow_prepare(model: nn.Module, float64: bool = True) -> nn.Module:
    """The copy SynFlow scores: |every parameter|, eval mode, float64 (REFERENCE.md 4.6)."""
    scored = copy.deepcopy(model)
    if float64:
        scored = scored.double()
    scored.eval()
    with torch.no_grad():
        for p in scored.parameters():
            p.abs_()
    return scored


def synflow_scores(
    prepared: nn.Module,
    weights: Mapping[str, torch.Tensor],
    mask: Mapping[str, torch.Tensor],
    input_shape: Sequence[int],
) -> dict[str, torch.Tensor]:
    """One SynFlow round: |theta * dR/dtheta| with R the summed output for an all-ones input.

    ``prepared`` comes from :func:`synflow_prepare`; its prunable weights are set to
    ``weights * mask`` (``weights`` already absolute values).
    """
    params = dict(prepared.named_parameters())
    names = list(weights)
    with torch.no_grad():
        for name in names:
            params[name].copy_(weights[name] * mask[name])
    dtype = next(prepared.parameters()).dtype
    device = next(prepared.parameters()).device
    ones = torch.ones((1, *input_shape), dtype=dtype, device=device)
    total = prepared(ones).sum()
    grads = torch.autograd.grad(total, [params[name] for name in names])
    return {name: (params[name].detach() * g).abs() for name, g in zip(names, grads, strict=True)}


def synflow_mask(
    model: nn.Module,
    sparsity: float,
    input_shape: Sequence[int],
    iterations: int = SYNFLOW_ITERATIONS,
    keep: str = "highest",
    float64: bool = True,
) -> Mask:
    """Iterative SynFlow: ``iterations`` rounds on the exponential schedule (REFERENCE.md 4.1).

    After round t the mask keeps ``round(N * density ** (t / T))`` weights, so the last round keeps
    exactly ``round(N * density)``. Each round ranks only the surviving weights; ``keep="lowest"``
    is the inversion (the highest-scoring survivors are removed in every round).
    """
    if iterations < 1:
        raise ValueError(f"synflow iterations must be at least 1, got {iterations}")
    prepared = synflow_prepare(model, float64=float64)
    names = prunable_names(model)
    params = dict(prepared.named_parameters())
    weights = {name: params[name].detach().clone() for name in names}
    mask = ones_mask(model)
    total = sum(m.numel() for m in mask.values())
    final = keep_count(total, sparsity)
    density = final / total
    alive = flatten(mask, names)
    for t in range(1, iterations + 1):
        scores = synflow_scores(prepared, weights, mask, input_shape)
        count = final if t == iterations else max(final, round(total * density ** (t / iterations)))
        alive = select(flatten(scores, names), count, keep, eligible=alive)
        mask = unflatten(alive, weights, names)
    return {name: m.cpu() for name, m in mask.items()}


def method_mask(
    method: str,
    model: nn.Module,
    sparsity: float,
    *,
    seed: int,
    input_shape: Sequence[int],
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    invert: bool = False,
    synflow_iterations: int = SYNFLOW_ITERATIONS,
    scores: Mapping[str, torch.Tensor] | None = None,
) -> Mask:
    """The mask ``method`` gives ``model`` at ``sparsity`` (or its inversion).

    For one-shot methods, precomputed ``scores`` may be passed (the pipeline scores once per net,
    method and seed and reuses the scores for every sparsity).
    """
    keep = keep_end(method, invert)
    if method == "synflow":
        return synflow_mask(model, sparsity, input_shape, synflow_iterations, keep=keep)
    if scores is None:
        scores = one_shot_scores(method, model, seed=seed, images=images, labels=labels)
    return global_mask(scores, sparsity, keep=keep)


__all__ = [
    "AFTER_TRAINING_METHODS",
    "DATA_METHODS",
    "KEEPS",
    "METHODS",
    "ONE_SHOT_METHODS",
    "grasp_scores",
    "graspabs_scores",
    "keep_end",
    "magnitude_scores",
    "method_mask",
    "one_shot_scores",
    "random_scores",
    "snip_scores",
    "synflow_mask",
    "synflow_prepare",
    "synflow_scores",
]
