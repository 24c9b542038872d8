"""The score functions that differentiate through a functional forward with respect to the mask:
ProsPr's meta-gradient and NTK-SAP's perturbed-output sensitivity (docs/methods.md, "ProsPr" and
"NTK-SAP"). Both follow :mod:`pai.pruning.scoring`'s contract.

The net's prunable weights are fed to :func:`torch.func.functional_call` as ``theta * c``, with
``c`` a mask of ones (ProsPr) or the current mask (NTK-SAP) that requires grad; the score is
``|dF/dc|`` for the method's objective F. The net's own parameters are never written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from pai import seeds
from pai.data.scoring_set import ScoringData
from pai.models import nets
from pai.pruning.scoring import needs_data, prunable_weights

PROSPR_STEPS, PROSPR_LR, PROSPR_MOMENTUM = 3, 0.1, 0.0
NTKSAP_SAMPLES, NTKSAP_EPSILON, NTKSAP_EXAMPLES_PER_CLASS = 1, 0.01, 10


def _mask_leaves(
    names: Sequence[str], weights: Sequence[torch.Tensor], mask: Mapping[str, torch.Tensor] | None
) -> dict[str, torch.Tensor]:
    """The mask as leaves to differentiate by: ones where no mask is given."""
    return {
        name: (torch.ones_like(w) if mask is None else mask[name].to(w)).requires_grad_(True)
        for name, w in zip(names, weights, strict=True)
    }


def prospr_scores(
    net: nn.Module,
    data: ScoringData | None,
    seed: int = 0,
    steps: int = PROSPR_STEPS,
    lr: float = PROSPR_LR,
    momentum: float = PROSPR_MOMENTUM,
    train_mode: bool = True,
) -> dict[str, torch.Tensor]:
    """ProsPr's score |dL(theta_K)/dc| (Alizadeh et al. 2022): the gradient, with respect to a
    mask of ones, of the loss after ``steps`` SGD steps that start from theta_0 * c, through the
    unrolled steps (second order: the steps' gradients keep their graph).

    Every step and the final loss use the whole scoring subset as one batch (the authors use one
    batch for all). Every parameter takes the SGD steps, biases and BN's included; only the
    prunable weights are multiplied by c. Momentum is differentiated through from the first step
    (docs/methods.md, "ProsPr", on the authors' detached first buffer).
    """
    data = needs_data(data, "prospr")
    net.train(train_mode)
    names, weights = prunable_weights(net)
    c = _mask_leaves(names, weights, None)
    fast = {
        name: p.detach() * c[name] if name in c else p.detach().clone().requires_grad_(True)
        for name, p in net.named_parameters()
    }
    x, y = data.images, data.labels
    velocity: dict[str, torch.Tensor] = {}
    for _ in range(steps):
        loss = F.cross_entropy(functional_call(net, fast, (x,)), y)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        for (name, p), g in zip(list(fast.items()), grads, strict=True):
            if momentum:
                g = velocity[name] = g if name not in velocity else velocity[name] * momentum + g
            fast[name] = p.add(g, alpha=-lr)
    loss = F.cross_entropy(functional_call(net, fast, (x,)), y)
    meta = torch.autograd.grad(loss, [c[name] for name in names])
    return {name: g.abs() for name, g in zip(names, meta, strict=True)}


def _classes(net: nn.Module, shape: Sequence[int]) -> int:
    with torch.no_grad():
        was = net.training
        net.eval()
        first = next(net.parameters())
        classes = net(torch.zeros((1, *shape), dtype=first.dtype)).shape[-1]
        net.train(was)
    return int(classes)


def ntksap_redraw(net: nn.Module, gen: torch.Generator) -> None:
    """One NTK-SAP draw of the weights, in place: the authors' ``_initialize_weights``
    (YiteWang/NTK-SAP Models/lottery_resnet.py lines 77-85, the same in lottery_vgg.py), which
    their pruner calls before every draw (Pruners/pruners.py line 305): every Conv2d and Linear
    weight Kaiming-normal (fan-in, gain sqrt 2), every BatchNorm's scale 1 and shift 0, its running
    statistics reset (their ``reset_BN``, lines 7-11, called at line 308). Biases are left as
    they are: the line that would zero them is commented out (lines 81-82), so they keep the
    init's values. Their MLP
    defines no ``_initialize_weights`` (Models/mlp.py); we apply the same rule to every net, ours
    and plugins', and leave any other parameter at its init value (docs/methods.md, "NTK-SAP")."""
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(module.weight, generator=gen)
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                if module.affine:
                    module.weight.fill_(1.0)
                    module.bias.zero_()
                if module.track_running_stats:
                    module.reset_running_stats()


def ntksap_scores(
    net: nn.Module,
    data: ScoringData | None = None,
    seed: int = 0,
    mask: Mapping[str, torch.Tensor] | None = None,
    step: int = 1,
    samples: int = NTKSAP_SAMPLES,
    epsilon: float = NTKSAP_EPSILON,
    examples_per_class: int = NTKSAP_EXAMPLES_PER_CLASS,
    input_shape: Sequence[int] | None = None,
) -> dict[str, torch.Tensor]:
    """NTK-SAP's score (Wang et al. 2023), data-free: |d/dc sum_x ||f(x; theta * c) -
    f(x; (theta + epsilon * delta) * c)||^2|, summed over ``samples`` draws, each with freshly
    drawn weights theta (their multi-sampling), Gaussian inputs x
    (``examples_per_class`` times the classes) and Gaussian delta; zero for pruned weights.
    The weights are drawn as the authors' code draws them (:func:`ntksap_redraw`), not with the
    net's own init: BatchNorm at scale 1, the biases the net's.

    BN uses each draw's statistics on its inputs: its running statistics are reset and set by one
    train-mode pass (momentum 1), then both outputs are taken in eval mode. ``step`` (the round of
    the iterative schedule) picks the round's draws, so every round draws anew.
    """
    names, weights = prunable_weights(net)
    shape = tuple(input_shape) if input_shape is not None else nets.input_shape(net)
    inputs = examples_per_class * _classes(net, shape)
    gen = seeds.generator(seed, f"{seeds.NTKSAP}/{step}")
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.momentum = 1.0
    c = _mask_leaves(names, weights, mask)
    totals = {name: torch.zeros_like(leaf) for name, leaf in c.items()}
    for _ in range(samples):
        ntksap_redraw(net, gen)
        first = next(net.parameters())
        x = torch.randn((inputs, *shape), generator=gen, dtype=first.dtype)
        theta = {name: p.detach() for name, p in net.named_parameters()}
        masked = {name: p * c[name] if name in c else p for name, p in theta.items()}
        net.train()
        with torch.no_grad():
            functional_call(net, masked, (x,))  # BN's statistics of this draw
        net.eval()
        out = functional_call(net, masked, (x,))
        perturbed = {
            name: (p + epsilon * torch.randn(p.shape, generator=gen, dtype=p.dtype)) * c[name]
            if name in c
            else p
            for name, p in theta.items()
        }
        moved = functional_call(net, perturbed, (x,))
        objective = (torch.linalg.vector_norm(out - moved, dim=-1) ** 2).sum()
        grads = torch.autograd.grad(objective, [c[name] for name in names])
        for name, g in zip(names, grads, strict=True):
            totals[name] += g
    return {name: totals[name].abs() * (c[name].detach() != 0) for name in names}
