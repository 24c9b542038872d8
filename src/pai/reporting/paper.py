"""Singh & Liu 2021, Table 1, beside this pipeline's Table 1 (results/tables/table1_vs_paper.md).

Their published values: mean W1 over layers of trained weights, columns Reinit / Layerwise
Shuffling / Random Pruning, 75% sparsity; LeNet-300-100 trained 16 epochs and ResNet-20 160
epochs (docs/papers.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from pai.reporting import numbers


@dataclass(frozen=True)
class PaperNet:
    label: str  # as the paper names it
    arch: str
    dataset: str
    epochs: int  # how long they trained it


# their Table 1: paper net -> method -> (reinit, shuffle, random)
PUBLISHED = {
    PaperNet("LeNet-MNIST", "lenet300", "mnist", 16): {
        "magnitude": (0.0154, 0.0139, 0.0504),
        "snip": (0.0084, 0.0083, 0.0437),
        "synflow": (0.0094, 0.0106, 0.0650),
        "graspabs": (0.0113, 0.0099, 0.0573),
    },
    PaperNet("ResNet-CIFAR", "resnet20", "cifar10", 160): {
        "magnitude": (0.0131, 0.0111, 0.0414),
        "snip": (0.0153, 0.0151, 0.0476),
        "synflow": (0.0128, 0.0146, 0.0489),
        "graspabs": (0.0157, 0.0157, 0.0419),
    },
}
PAPER_SPARSITY = 0.75
# MtM's nets (architecture, dataset): a grid net of another pair reproduces none of its numbers
MTM_NETS = {("lenet300", "mnist"), ("resnet20", "cifar10"), ("vgg16", "cifar10"),
            ("resnet18", "tinyimagenet"), ("resnet50", "imagenet")}  # fmt: skip
# the methods of their Table 1, in its order: the confirmatory test of their claim averages them
TABLE1_METHODS = tuple(dict.fromkeys(m for methods in PUBLISHED.values() for m in methods))
COLUMNS = ("reinit", "shuffle", "random")
LAYER_SET_NAMES = {"weights": "conv/fc weights", "weights+bn_gamma": "with BN γ (their notebook)"}


def like_for_like(paper: PaperNet, spec: Mapping) -> bool:
    """An entry trained as the paper trained its net: same architecture, dataset and epochs."""
    return (spec["arch"], spec["dataset"], int(spec["epochs"])) == (
        paper.arch,
        paper.dataset,
        paper.epochs,
    )


@dataclass(frozen=True)
class Beside:
    """One of our Table 1 rows beside the paper's: ``net`` None where the grid has no entry of
    the paper's architecture, ``ours`` NaN where the grid has no such row."""

    paper: PaperNet
    method: str
    net: str | None
    layer_set: str
    like_for_like: bool
    found: bool  # our table has the row
    ours: tuple[float, ...]  # reinit, shuffle, random (COLUMNS)
    published: tuple[float, ...]


def beside(table1: pd.DataFrame, nets: Mapping[str, Mapping]) -> list[Beside]:
    """Every published (net, method) beside each of our entries of that architecture (the
    entries trained as the paper trained its net first), for each layer set: the paper's order,
    method by method. The BatchNorm set is given only where our table has it."""
    ours = table1.copy()
    if "layer_set" not in ours:
        ours["layer_set"] = "weights"
    ours = ours.set_index(["net", "method", "layer_set"]) if len(ours) else None
    rows = []
    for paper, methods in PUBLISHED.items():
        matching = [name for name, spec in nets.items() if spec["arch"] == paper.arch]
        matching.sort(key=lambda name: not like_for_like(paper, nets[name]))
        for method, published in methods.items():
            for name in matching or [None]:
                for layer_set in LAYER_SET_NAMES:
                    key = (name, method, layer_set)
                    found = ours is not None and name is not None and key in ours.index
                    if layer_set != "weights" and not found:
                        continue  # no BatchNorm: the notebook's set is the same
                    values = (
                        tuple(float(ours.loc[key, c]) for c in COLUMNS)
                        if found
                        else (math.nan,) * len(COLUMNS)
                    )
                    like = name is not None and like_for_like(paper, nets[name])
                    entry = (name, layer_set, like, found, values, published)
                    rows.append(Beside(paper, method, *entry))
    return rows


def comparison(
    table1: pd.DataFrame, nets: Mapping[str, Mapping], sparsities: Mapping[str, float]
) -> str:
    """Markdown: for each published (net, method), each of our nets of that architecture and
    each layer set, the paper's value, ours and the ratio ours / paper."""
    header = ["paper net", "method", "our net (dataset, epochs, sparsity)", "layers"]
    for column in COLUMNS:
        header += [f"{column}: paper", "ours", "ratio"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in beside(table1, nets):
        if row.net is None:
            label = "not in this grid"
        else:
            spec = nets[row.net]
            same = " **like for like**" if row.like_for_like else ""
            label = (
                f"{row.net} ({spec['dataset']}, {spec['epochs']} epochs, sparsity "
                f"{sparsities[row.net]:g}){same}"
            )
        cells = []
        for value, theirs in zip(row.ours, row.published, strict=True):
            cells += [numbers.cell(theirs), numbers.cell(value), numbers.ratio(value, theirs)]
        layers = LAYER_SET_NAMES[row.layer_set]
        lines.append(
            f"| {row.paper.label} | {row.method} | {label} | {layers} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n\n" + conventions(sparsities)


def conventions(sparsities: Mapping[str, float]) -> str:
    elsewhere = sorted(
        net for net, at in sparsities.items() if not math.isclose(at, PAPER_SPARSITY)
    )
    note = f" **{', '.join(elsewhere)}: not at the paper's {PAPER_SPARSITY}.**" if elsewhere else ""
    return (
        "Conventions of our values, so that differences can be read:\n\n"
        "- Sparsity: each net's shown above (the config's `analysis.table1_sparsity`, or the "
        f"nearest in the net's grid).{note}\n"
        "- W1 is `scipy.stats.wasserstein_distance` between all entries of a layer's trained "
        "weight tensor, pruned zeros included (as the authors' notebooks); the unpruned-only "
        "variant is in `distances.parquet` (`entries == unpruned`).\n"
        "- Layers: every prunable Conv2d/Linear weight; for nets with BatchNorm also the set of "
        "the authors' ResNet-20 notebook, which adds every BatchNorm gamma (`layers` column). "
        "The mean is over layers, then over seeds (standard deviation in `table1.csv`); a layer "
        "with no weights left in either run of a pair is left out of that pair's mean.\n"
        "- Random pruning: the random method's unmodified run of the same seed against the "
        "method's unmodified run; reinit draws fresh weights with the same mask.\n"
        "- **like for like**: our entry trained as they trained theirs (architecture, dataset, "
        "epochs: LeNet 16, ResNet-20 160; docs/papers.md). Other entries are shown for their "
        "architecture only; their numbers are not expected to match. Their masks pruned ties "
        "too, ours keep exactly round((1 - s) N) weights; they ran one replicate.\n"
        "- ratio: ours / paper.\n"
    )
