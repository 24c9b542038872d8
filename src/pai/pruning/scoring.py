"""The built-in score functions of MtM's methods (docs/methods.md, "Methods").

Every score function, built-in or plugin, has one contract:

    score(net, data, seed, **options) -> {prunable weight name: scores of its shape}

- ``net`` is a copy of the network that the function may change (put it in train or eval mode,
  cast it, take absolute values); for iterative methods its pruned weights are already zero;
- ``data`` is the class-balanced scoring subset (:class:`pai.data.scoring_set.ScoringData`) for
methods that
  ask for data, else ``None``;
- ``seed`` is the run's seed; ``options`` are the method's settings from the config.

A score is what the method's paper calls its score; the registry's ``keep`` says which end of the
ranking the method keeps. GraSP's score is -theta * Hg and GraSP removes the *highest*, so it keeps
the lowest; every other built-in keeps the highest. Inversion keeps the other end, never 1/score.
:mod:`pai.pruning.prune` calls these functions, checks what they return and turns scores into masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from pai import seeds
from pai.config import registry
from pai.data.scoring_set import ScoringData
from pai.models.nets import input_shape as net_input_shape
from pai.models.nets import prunable_names

SCORING_BATCH_SIZE = 128
GRASP_TEMPERATURE = 200.0
FORCE_LOSS = registry.SCORING_DEFAULTS["progressive_loss"]


def prunable_weights(net: nn.Module) -> tuple[list[str], list[nn.Parameter]]:
    params = dict(net.named_parameters())
    names = prunable_names(net)
    return names, [params[name] for name in names]


def _batches(data: ScoringData, batch_size: int):
    for start in range(0, len(data.labels), batch_size):
        yield data.images[start : start + batch_size], data.labels[start : start + batch_size]


def needs_data(data: ScoringData | None, method: str) -> ScoringData:
    if data is None:
        raise ValueError(f"{method} scores on the scoring subset: pass data=ScoringData(...)")
    return data


def random_scores(
    net: nn.Module, data: ScoringData | None = None, seed: int = 0
) -> dict[str, torch.Tensor]:
    """U(0, 1) per weight from one seeded generator, layers in registration order."""
    gen = seeds.generator(seed, seeds.RANDOM_SCORES)
    names, weights = prunable_weights(net)
    return {
        name: torch.rand(w.shape, generator=gen) for name, w in zip(names, weights, strict=True)
    }


def magnitude_scores(
    net: nn.Module, data: ScoringData | None = None, seed: int = 0
) -> dict[str, torch.Tensor]:
    """|theta|. magnitude_trained: the same function on the trained dense net's weights."""
    names, weights = prunable_weights(net)
    return {name: w.detach().abs().clone() for name, w in zip(names, weights, strict=True)}


def snip_scores(
    net: nn.Module,
    data: ScoringData | None,
    seed: int = 0,
    batch_size: int = SCORING_BATCH_SIZE,
    train_mode: bool = True,
) -> dict[str, torch.Tensor]:
    """|theta * dL/dtheta| averaged over examples (MtM: train mode, mean CE per batch)."""
    data = needs_data(data, "snip")
    net.train(train_mode)
    names, weights = prunable_weights(net)
    totals = [torch.zeros_like(w) for w in weights]
    for x, y in _batches(data, batch_size):
        loss = F.cross_entropy(net(x), y)
        grads = torch.autograd.grad(loss, weights)
        for total, w, g in zip(totals, weights, grads, strict=True):
            total += (w.detach() * g).abs() * len(y)
    return {name: total / len(data.labels) for name, total in zip(names, totals, strict=True)}


def _force_criterion(loss: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if loss not in registry.FORCE_LOSSES:
        known = ", ".join(registry.FORCE_LOSSES)
        raise ValueError(f"FORCE's loss must be one of {known}, got {loss!r}")
    return F.nll_loss if loss == "nll" else F.cross_entropy


def force_scores(
    net: nn.Module,
    data: ScoringData | None,
    seed: int = 0,
    mask: dict[str, torch.Tensor] | None = None,
    batch_size: int = SCORING_BATCH_SIZE,
    train_mode: bool = True,
    loss: str = FORCE_LOSS,
) -> dict[str, torch.Tensor]:
    """FORCE's connection sensitivity: |theta_0 * dL/dtheta| with the gradient taken at the masked
    net theta_0 * mask, i.e. |dL/dmask| (de Jorge et al. 2021; docs/methods.md, "FORCE").

    ``net`` holds the dense weights theta_0; ``mask`` (None: every weight kept, which is SNIP's
    score) is the current mask. Every weight is scored, pruned ones included, so FORCE's rounds may
    bring a pruned weight back. Iter-SNIP is the same score on the net with its pruned weights
    zeroed and no ``mask``: |theta * dL/dtheta| of the survivors, zero for the pruned. Train mode.

    ``loss`` is L: ``"nll"``, what the authors' released code differentiates (``F.nll_loss`` of the
    net's raw outputs, i.e. minus the mean target logit: naver/force pruning/pruning_algos.py
    line 48; their nets end in a plain Linear), or ``"cross_entropy"``, the loss their paper's
    text describes (docs/methods.md, "FORCE").
    """
    data = needs_data(data, "force")
    criterion = _force_criterion(loss)
    net.train(train_mode)
    names, weights = prunable_weights(net)
    dense = [w.detach().clone() for w in weights]
    if mask is not None:
        with torch.no_grad():
            for name, w in zip(names, weights, strict=True):
                w.mul_(mask[name].to(w.dtype))
    # the gradient averaged over batches, each batch's mean loss (the authors' average: with one
    # batch it is that batch's gradient, bit for bit)
    totals = [torch.zeros_like(w) for w in weights]
    count = 0
    for x, y in _batches(data, batch_size):
        grads = torch.autograd.grad(criterion(net(x), y), weights)
        for total, g in zip(totals, grads, strict=True):
            total += g
        count += 1
    return {
        name: (w0 * (total / count)).abs()
        for name, w0, total in zip(names, dense, totals, strict=True)
    }


def grasp_scores(
    net: nn.Module,
    data: ScoringData | None,
    seed: int = 0,
    batch_size: int = SCORING_BATCH_SIZE,
    temperature: float = GRASP_TEMPERATURE,
    train_mode: bool = True,
) -> dict[str, torch.Tensor]:
    """-theta * Hg, with H the Hessian of the loss w.r.t. the prunable weights (MtM grasp.py).

    Per batch: g = dL/dtheta without a graph; the loss again, its gradient with the graph; then
    the gradient of z = g . grad is Hg. Logits are divided by ``temperature``. Batch scores are
    averaged weighted by batch size.
    """
    data = needs_data(data, "grasp")
    net.train(train_mode)
    names, weights = prunable_weights(net)
    totals = [torch.zeros_like(w) for w in weights]
    for x, y in _batches(data, batch_size):
        loss = F.cross_entropy(net(x) / temperature, y)
        g = [gi.detach() for gi in torch.autograd.grad(loss, weights)]
        loss = F.cross_entropy(net(x) / temperature, y)
        grads = torch.autograd.grad(loss, weights, create_graph=True)
        z = sum((gi * grad).sum() for gi, grad in zip(g, grads, strict=True))
        hg = torch.autograd.grad(z, weights)
        for total, w, h in zip(totals, weights, hg, strict=True):
            total += -w.detach() * h * len(y)
    return {name: total / len(data.labels) for name, total in zip(names, totals, strict=True)}


def graspabs_scores(
    net: nn.Module, data: ScoringData | None, seed: int = 0, **options
) -> dict[str, torch.Tensor]:
    """|-theta * Hg|: keeps the weights whose GraSP score is largest in magnitude."""
    return {k: v.abs() for k, v in grasp_scores(net, data, seed, **options).items()}


def synflow_scores(
    net: nn.Module,
    data: ScoringData | None = None,
    seed: int = 0,
    float64: bool = True,
    input_shape: Sequence[int] | None = None,
) -> dict[str, torch.Tensor]:
    """One SynFlow round: |theta * dR/dtheta| of the net with |every parameter|, in eval mode and
    float64, where R is the summed output for one all-ones input (docs/methods.md, "SynFlow").

    The net's pruned weights are zero (the iterative schedule passes a masked copy each round).
    """
    if float64:
        net.double()
    net.eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    names, weights = prunable_weights(net)
    shape = tuple(input_shape) if input_shape is not None else net_input_shape(net)
    first = next(net.parameters())
    ones = torch.ones((1, *shape), dtype=first.dtype, device=first.device)
    total = net(ones).sum()
    grads = torch.autograd.grad(total, weights)
    return {name: (w.detach() * g).abs() for name, w, g in zip(names, weights, grads, strict=True)}
