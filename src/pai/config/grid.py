"""The arithmetic of the grid: sparsity labels, IMP rounds, and the nearest grid sparsity.

Torch-free: the Snakefile uses it while planning, the library and the command line while running.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# open_lth's sparse_global default: the share of the still-kept weights IMP removes each round
IMP_FRACTION = 0.2


def sparsity_label(value: float | str) -> str:
    """The one form a sparsity takes in paths and tables: rounded to 4 decimals, trailing zeros
    dropped (``0.9``, ``0.98``, ``0.6723``, ``0``). The rounded value is the one used."""
    text = f"{round(float(value), 4):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def sparsity_labels(values: Iterable[float | str]) -> list[str]:
    """Canonical labels of ``values``, without repeats, in increasing order."""
    return sorted({sparsity_label(v) for v in values}, key=float)


def round_sparsity(round_index: int) -> float:
    """Sparsity after ``round_index`` rounds of IMP: 1 - 0.8^r."""
    if round_index < 0:
        raise ValueError(f"round must be non-negative, got {round_index}")
    return 1.0 - (1.0 - IMP_FRACTION) ** round_index


def lottery_label(round_index: int) -> str:
    """The grid label of IMP round r's sparsity."""
    return sparsity_label(round_sparsity(round_index))


def lottery_round(sparsity: float | str) -> int:
    """The IMP round whose ranking gives a lottery mask at ``sparsity``: the first round whose
    label is at or beyond it (between two rounds, that round is cut short). Sparsity 0 and
    anything up to round 1's label use round 1's ranking."""
    wanted = float(sparsity_label(sparsity))
    if not 0.0 <= wanted < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    round_index = 1
    while float(lottery_label(round_index)) < wanted:
        round_index += 1
    return round_index


def nearest(labels: Iterable[str], target: float) -> str:
    """The label nearest to ``target`` (the smaller of two equally near)."""
    choices = sorted(labels, key=float)
    if not choices:
        raise ValueError("no sparsity to choose from")
    return min(choices, key=lambda label: (abs(float(label) - target), float(label)))


def is_close(a: float | str, b: float | str) -> bool:
    """Equal as grid sparsities (after rounding to the label's 4 decimals)."""
    return math.isclose(float(sparsity_label(a)), float(sparsity_label(b)))


def file_key(kind: str, *run: str) -> str:
    """The name of one run's file among a job's named inputs or outputs: ``start_shuffle`` in a
    cell's job, ``trained_snip_shuffle`` in a (net, sparsity, seed) group's. Rule files and
    scripts both build the names with it."""
    return "_".join((kind, *run))


def other_seed(seed: int, seeds: Sequence[int]) -> int | None:
    """The seed whose dense net a pruned run of ``seed`` is also compared with (the similarity
    analysis' cross-seed baseline): the next one in ``seeds``, the first after the last; None
    with one seed."""
    ordered = sorted(seeds)
    if len(ordered) < 2:
        return None
    return ordered[(ordered.index(seed) + 1) % len(ordered)]
