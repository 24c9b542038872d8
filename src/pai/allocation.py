"""Data-free layer-wise allocations: how many weights each layer keeps, from a rule that sees
only the layers' shapes (docs/methods.md, "Data-free allocations").

An allocation method is random pruning with exact per-layer counts: the rule gives each layer a
density, :func:`exact_counts` turns the densities into counts that sum to exactly the mask's
``round((1 - sparsity) N)`` and the kept positions are drawn uniformly within each layer
(:func:`pai.pruning.prune.allocation_mask`). A rule is ``function(layers, density)`` ->
one density per layer, in the order of ``layers`` (a plugin's rule has the same signature).

Torch-free: planning calls the rules on the layers of the built-in nets
(:mod:`pai.models.shapes`) to refuse, before any job, a request a rule cannot meet
(:func:`problem`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

CONV, LINEAR = "conv", "linear"
# how far (as a share of the net's weights) a rule's total may miss the asked count before it
# counts as not reaching it: the bisections of IGQ and pyramidal stop at a tolerance, and the
# counts are then made exact (exact_counts); a rule that clips misses by far more
REACH_TOLERANCE = 1e-4


class AllocationError(ValueError):
    """A rule cannot give the asked density on this net; the message says why."""


@dataclass(frozen=True)
class Layer:
    """A prunable weight as a rule sees it: its name, shape and kind (conv: 4-D, else linear)."""

    name: str
    shape: tuple[int, ...]

    @property
    def kind(self) -> str:
        return CONV if len(self.shape) == 4 else LINEAR

    @property
    def size(self) -> int:
        return math.prod(self.shape)


Rule = Callable[[Sequence[Layer], float], Sequence[float]]


def layers_of(shapes: Mapping[str, Sequence[int]]) -> list[Layer]:
    """The layers of a net from its prunable weights' shapes, in the net's order."""
    return [Layer(name, tuple(int(d) for d in shape)) for name, shape in shapes.items()]


# ----------------------------------------------------------------------------- the rules


def uniform(layers: Sequence[Layer], density: float) -> list[float]:
    """Every layer at the overall density (Gale et al. 2019)."""
    return [density] * len(layers)


def uniform_plus(layers: Sequence[Layer], density: float) -> list[float]:
    """Gale et al. 2019's Uniform+: the first layer dense if it is a convolution, the last layer
    keeping at least round(0.2 n) of its weights, every other layer at one density that makes the
    total (jaeho-lee/layer-adaptive-sparsity tools/pruners.py l.79-118,
    ``_compute_unifplus_amounts``: the 4-D test of the first layer l.91, the floor l.88)."""
    sizes = [layer.size for layer in layers]
    kept = density * sum(sizes)
    first_dense = layers[0].kind == CONV and len(layers) > 1
    last_floor = round(0.2 * sizes[-1])
    fixed = sizes[0] if first_dense else 0
    shared_layers = range(1 if first_dense else 0, len(layers))
    shared = (kept - fixed) / sum(sizes[i] for i in shared_layers)
    last = shared
    if round(shared * sizes[-1]) < last_floor:  # l.96-99: the floor, the middle absorbs it
        middle = sum(sizes[i] for i in shared_layers) - sizes[-1]
        last = last_floor / sizes[-1]
        shared = (kept - fixed - last_floor) / middle if middle else -1.0
    if shared < 0:  # theirs: ValueError("Cannot be pruned further by the Unif+ scheme!")
        least = (fixed + last_floor) / sum(sizes)
        raise AllocationError(
            f"Uniform+ keeps {'the first (conv) layer dense and ' if first_dense else ''}at "
            f"least 20 % of the last layer, so it needs a density of at least {least:.4g}"
        )
    densities = [shared] * len(layers)
    if first_dense:
        densities[0] = 1.0
    densities[-1] = last
    return densities


def erk(layers: Sequence[Layer], density: float) -> list[float]:
    """Erdős-Rényi-Kernel (Evci et al. 2020): density proportional to the sum of a layer's
    dimensions over their product; a layer that would exceed 1 is made dense and the constant
    solved again (google-research/rigl rigl/sparse_utils.py, ``get_sparsities_erdos_renyi``)."""
    sizes = [layer.size for layer in layers]
    raw = [sum(layer.shape) / layer.size for layer in layers]
    dense: set[int] = set()
    while True:
        rest = [i for i in range(len(layers)) if i not in dense]
        budget = density * sum(sizes) - sum(sizes[i] for i in dense)
        divisor = sum(raw[i] * sizes[i] for i in rest)
        epsilon = budget / divisor
        highest = max(raw[i] for i in rest)
        if highest * epsilon <= 1:
            break
        # every layer at the highest raw density becomes dense, then epsilon again
        dense |= {i for i in rest if raw[i] == highest}
    return [1.0 if i in dense else epsilon * raw[i] for i in range(len(layers))]


def igq(layers: Sequence[Layer], density: float) -> list[float]:
    """Ideal Gas Quotas (Vysogorets & Kempe 2023): layer l keeps 1 / (1 + F / (1 / N_l)) ... of
    its weights, F found by bisection (avysogorets/effective-sparsity, ``igq_quotas``)."""
    sizes = [layer.size for layer in layers]
    total = sum(sizes)

    def kept(force: float) -> float:
        return sum(n / (force * n + 1) for n in sizes)

    low, high = 0.0, 1.0
    while kept(high) > density * total:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if kept(middle) > density * total:
            low = middle
        else:
            high = middle
    force = (low + high) / 2
    return [1 / (force * n + 1) for n in sizes]


def smart_ratio(layers: Sequence[Layer], density: float) -> list[float]:
    """Smart Ratio (Su et al. 2020): the l-th of the net's L layers (Linear ones counted in L)
    keeps a share proportional to (L - l + 1)^2 + (L - l + 1) if it is a convolution; every
    Linear layer keeps 30 % (JingtongSu/sanity-checking-pruning pruner/SmartRatio.py l.52-64,
    l.66-100 with ``--arch resnet``, l.140-141). A convolution that would keep more than all its
    weights is dense and its excess passes on to the next convolutions in order (l.105-124;
    theirs passes on only the first layer's excess and loses any other's, docs/methods.md)."""
    convs = [i for i, layer in enumerate(layers) if layer.kind == CONV]
    if not convs:
        raise AllocationError("Smart Ratio allocates among convolutions, and the net has none")
    sizes = [layer.size for layer in layers]
    count = len(layers)
    linear = 0.3
    fixed = sum(sizes[i] * linear for i in range(count) if i not in convs)
    shares = {i: (count - i) ** 2 + (count - i) for i in convs}
    goal = density * sum(sizes) - fixed
    if goal <= 0:
        raise AllocationError(
            f"Smart Ratio keeps 30 % of every Linear layer, more than the density {density:.4g} "
            "allows"
        )
    if goal > sum(sizes[i] for i in convs):
        raise AllocationError(
            f"Smart Ratio keeps only 30 % of the Linear layers: density {density:.4g} needs more "
            "than every convolution"
        )
    scale = goal / sum(shares[i] * sizes[i] for i in convs)
    densities = [shares[i] * scale if i in shares else linear for i in range(count)]
    excess = 0.0
    for i in convs:  # l.105-124: a full layer's excess goes to the next ones
        wanted = densities[i] * sizes[i] + excess
        densities[i] = min(1.0, wanted / sizes[i])
        excess = wanted - densities[i] * sizes[i]
    return densities


def balanced(layers: Sequence[Layer], density: float) -> list[float]:
    """Every layer keeps the same number of weights (Gadhikar et al. 2023); a layer too small
    for its share stays dense and the rest share what it cannot hold (ours: the published rule
    clips without redistributing, docs/methods.md)."""
    sizes = [layer.size for layer in layers]
    budget = density * sum(sizes)
    full: set[int] = set()
    while True:
        rest = [i for i in range(len(layers)) if i not in full]
        share = (budget - sum(sizes[i] for i in full)) / len(rest)
        small = {i for i in rest if sizes[i] <= share}
        if not small:
            break
        full |= small
    return [1.0 if i in full else share / sizes[i] for i in range(len(layers))]


def pyramidal(layers: Sequence[Layer], density: float) -> list[float]:
    """Layer l (1-based) at density p^l, p solved for the total (Gadhikar et al. 2023)."""
    sizes = [layer.size for layer in layers]
    target = density * sum(sizes)

    def kept(p: float) -> float:
        return sum(n * p ** (index + 1) for index, n in enumerate(sizes))

    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if kept(middle) < target:
            low = middle
        else:
            high = middle
    p = (low + high) / 2
    return [p ** (index + 1) for index in range(len(sizes))]


# ------------------------------------------------------------------------------ counts


def exact_counts(layers: Sequence[Layer], densities: Sequence[float], kept: int) -> list[int]:
    """Per-layer counts that sum to exactly ``kept``: each layer's ``density * size`` (within
    [0, size]), the layers below 1 scaled by the small factor that closes a bisection's
    tolerance, then floored, the remainder given one weight at a time to the largest fractional
    parts (ties: the earlier layer). Raises :class:`AllocationError` when the densities are not
    densities, or their total misses ``kept`` by more than :data:`REACH_TOLERANCE` of the net."""
    if len(densities) != len(layers):
        raise AllocationError(f"{len(densities)} densities for {len(layers)} layers")
    sizes = [layer.size for layer in layers]
    for layer, value in zip(layers, densities, strict=True):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise AllocationError(f"the density of {layer.name} is {value!r}, not a number")
        if not -1e-9 <= value <= 1 + 1e-9:
            raise AllocationError(f"the density of {layer.name} is {value:.6g}, outside [0, 1]")
    raw = [min(max(d, 0.0), 1.0) * n for d, n in zip(densities, sizes, strict=True)]
    total = sum(sizes)
    if abs(sum(raw) - kept) > max(1.0, REACH_TOLERANCE * total):
        raise AllocationError(
            f"the rule keeps {sum(raw):.1f} weights where {kept} are asked "
            f"(density {sum(raw) / total:.6g} for {kept / total:.6g})"
        )
    # close the gap on the layers not dense (water-filling: a layer that reaches its size stops)
    free = [i for i in range(len(raw)) if raw[i] < sizes[i]]
    while free:
        fixed = sum(raw[i] for i in range(len(raw)) if i not in free)
        scale = (kept - fixed) / sum(raw[i] for i in free) if sum(raw[i] for i in free) else 1.0
        scaled = {i: raw[i] * scale for i in free}
        over = [i for i in free if scaled[i] > sizes[i]]
        if not over:
            raw = [scaled.get(i, raw[i]) for i in range(len(raw))]
            break
        for i in over:
            raw[i] = float(sizes[i])
        free = [i for i in free if i not in over]
    counts = [min(n, max(0, math.floor(r + 1e-9))) for r, n in zip(raw, sizes, strict=True)]
    short = kept - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    while short > 0:
        room = [i for i in order if counts[i] < sizes[i]]
        for i in room[:short]:
            counts[i] += 1
        short = kept - sum(counts)
    while short < 0:  # floors above a tiny negative drift: take from the smallest remainders
        for i in reversed(order):
            if counts[i] > 0 and short < 0:
                counts[i] -= 1
                short += 1
    return counts


def counts(rule: Rule, layers: Sequence[Layer], sparsity: float) -> list[int]:
    """The rule's exact per-layer counts at ``sparsity`` (a mask's round((1 - s) N) in all)."""
    total = sum(layer.size for layer in layers)
    kept = round((1.0 - float(sparsity)) * total)
    return exact_counts(layers, list(rule(layers, 1.0 - float(sparsity))), kept)


def problem(rule: Rule, layers: Sequence[Layer], sparsity: float) -> str | None:
    """Why ``rule`` cannot give ``sparsity`` on these layers, or None when it can."""
    try:
        counts(rule, layers, sparsity)
    except AllocationError as err:
        return str(err)
    return None
