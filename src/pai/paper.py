"""Singh & Liu 2021, Table 1, beside this pipeline's Table 1 (results/tables/table1_vs_paper.md).

Their published values: mean W1 over layers of trained weights, columns Reinit / Layerwise
Shuffling / Random Pruning, 75% sparsity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

# (paper's net, architecture, dataset) -> method -> (reinit, shuffle, random)
PUBLISHED = {
    ("LeNet-MNIST", "lenet300", "mnist"): {
        "magnitude": (0.0154, 0.0139, 0.0504),
        "snip": (0.0084, 0.0083, 0.0437),
        "synflow": (0.0094, 0.0106, 0.0650),
        "graspabs": (0.0113, 0.0099, 0.0573),
    },
    ("ResNet-CIFAR", "resnet20", "cifar10"): {
        "magnitude": (0.0131, 0.0111, 0.0414),
        "snip": (0.0153, 0.0151, 0.0476),
        "synflow": (0.0128, 0.0146, 0.0489),
        "graspabs": (0.0157, 0.0157, 0.0419),
    },
}
PAPER_SPARSITY = 0.75


def _cell(value: float) -> str:
    return (
        "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
    )


def comparison(
    table1: pd.DataFrame, nets: Mapping[str, Mapping], sparsities: Mapping[str, float]
) -> str:
    """Markdown: one row per published (net, method) and each of our nets of that architecture."""
    ours = table1.set_index(["net", "method"]) if len(table1) else None
    lines = [
        "| paper net | method | our net (dataset, epochs) | reinit: paper | ours "
        "| shuffle: paper | ours | random: paper | ours |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (paper_net, arch, _paper_dataset), methods in PUBLISHED.items():
        matching = [name for name, spec in nets.items() if spec["arch"] == arch]
        for method, published in methods.items():
            for name in matching or [None]:
                values = (math.nan,) * 3
                if name is not None and ours is not None and (name, method) in ours.index:
                    row = ours.loc[(name, method)]
                    values = (row["reinit"], row["shuffle"], row["random"])
                label = (
                    f"{name} ({nets[name]['dataset']}, {nets[name]['epochs']} epochs, "
                    f"sparsity {sparsities[name]:g})"
                    if name
                    else "not in this grid"
                )
                cells = [
                    c for pair in zip(published, values, strict=True) for c in map(_cell, pair)
                ]
                lines.append(f"| {paper_net} | {method} | {label} | " + " | ".join(cells) + " |")
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
        "- Layers: every prunable Conv2d/Linear weight; the notebooks' ResNet-20 set also holds "
        "21 BatchNorm weights, ours does not. The mean is over layers, then over seeds "
        "(standard deviation in `table1.csv`); a layer with no weights left is skipped.\n"
        "- Random pruning: the random method's unmodified run of the same seed against the "
        "method's unmodified run; reinit draws fresh weights with the same mask.\n"
        "- Training: the epochs shown per net (the fork's committed weights presumably used "
        "LeNet 16 epochs and ResNet-20 160; docs/papers.md); our mask keeps exactly "
        "round((1 - s) N) weights where MtM's threshold prunes ties too.\n"
        "- A net on another dataset than the paper's (e.g. digits) is shown for its architecture "
        "only; its numbers are not expected to match.\n"
    )
