"""Layer-representation similarity of two trained nets (Blakeney et al. 2020; docs/methods.md,
"Representation similarity").

Activations are datapoints x neurons (convolutional outputs average-pooled over space).
- SVCCA as google/svcca: centre each neuron, keep the top singular directions that explain 99% of
  the variance, CCA between the two reduced sets, similarity = the mean canonical correlation.
- Linear CKA (Kornblith et al. 2019): ||B^T A||_F^2 / (||A^T A||_F ||B^T B||_F) on centred data.

Per layer, on a fixed, seeded subset of the test set, every prunable layer except projection
shortcuts, measured where Blakeney et al. measure, after its BatchNorm and ReLU
(:func:`measurement_points`): the 99% SVD cut and CKA are not invariant to a per-channel scale,
which BatchNorm removes, so a pre-BatchNorm measure reads a rescaled channel as a different
representation. In the built-in nets:

- a convolution followed by its BatchNorm: ReLU(BN(conv(x)));
- the last convolution of a residual block: the block's output, ReLU(BN(conv(x)) + shortcut);
- a hidden Linear layer: ReLU(Wx + b); the last layer: the logits.

A plugin net's activations are not known to the pipeline: its layers' own outputs are compared.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from pai import storage
from pai.analysis.distances import Run, comparisons
from pai.config import registry
from pai.data.tensors import TensorData
from pai.models.nets import ArchSettings, build_net, prunable_names
from pai.training.engine import pick_device

VARIANCE_KEPT = 0.99
EPSILON = 1e-10  # google/svcca's regulariser: directions with less variance are dropped


def _centre(acts: np.ndarray) -> np.ndarray:
    acts = np.asarray(acts, dtype=np.float64)
    return acts - acts.mean(axis=0, keepdims=True)


def _orthonormal_basis(acts: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of centred data (rank-revealing, via SVD)."""
    u, s, _ = np.linalg.svd(acts, full_matrices=False)
    if len(s) == 0 or s[0] <= 0:
        return u[:, :0]  # constant data: no direction at all
    return u[:, s > EPSILON * s[0]]


def cca_coefficients(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Canonical correlations of two datapoints x features sets, largest first."""
    qa, qb = _orthonormal_basis(_centre(a)), _orthonormal_basis(_centre(b))
    if qa.shape[1] == 0 or qb.shape[1] == 0:
        return np.zeros(0)
    return np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)


def reduce(acts: np.ndarray, variance: float = VARIANCE_KEPT) -> np.ndarray:
    """The top singular directions of centred ``acts`` that explain ``variance`` of it."""
    centred = _centre(acts)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    energy = s**2
    if energy.sum() <= 0:
        return centred[:, :0]
    keep = int(np.searchsorted(np.cumsum(energy) / energy.sum(), variance) + 1)
    return u[:, :keep] * s[:keep]


def svcca(a: np.ndarray, b: np.ndarray, variance: float = VARIANCE_KEPT) -> float:
    """Mean canonical correlation of the variance-``variance`` SVD reductions of ``a`` and ``b``."""
    coefficients = cca_coefficients(reduce(a, variance), reduce(b, variance))
    return float(coefficients.mean()) if len(coefficients) else float("nan")


def linear_cka(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _centre(a), _centre(b)
    cross = np.linalg.norm(b.T @ a) ** 2
    scale = np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b)
    return float(cross / scale) if scale > 0 else float("nan")


def compared_layers(mask_names: Iterable[str]) -> list[str]:
    """Modules whose outputs are compared: every prunable layer except projection shortcuts."""
    return [name.removesuffix(".weight") for name in mask_names if ".shortcut." not in f".{name}"]


# where a compared layer's representation is taken: (the module whose output is hooked, whether
# ReLU is applied to that output)
Point = tuple[str, bool]


def measurement_points(model: nn.Module, layers: Sequence[str], built_in: bool) -> dict[str, Point]:
    """For each compared layer, where its representation is measured: after its BatchNorm and
    ReLU in the built-in nets (module docstring); a plugin net's layer output as it is."""
    if not built_in:
        return {layer: (layer, False) for layer in layers}
    modules = dict(model.named_modules())
    points = {}
    for layer in layers:
        parent_name, _, child = layer.rpartition(".")
        parent = modules[parent_name] if parent_name else model
        module = modules[layer]
        block_convs = [
            name
            for name, m in parent.named_children()
            if isinstance(m, nn.Conv2d) and name != "shortcut"
        ]
        bn = "bn" + child.removeprefix("conv") if child.startswith("conv") else None
        if hasattr(parent, "shortcut") and block_convs and child == block_convs[-1]:
            points[layer] = (parent_name, False)  # the block's output, ReLU'd after the addition
        elif bn is not None and isinstance(getattr(parent, bn, None), nn.BatchNorm2d):
            points[layer] = (f"{parent_name}.{bn}" if parent_name else bn, True)
        elif isinstance(module, nn.Linear):
            points[layer] = (layer, layer != layers[-1])  # hidden: ReLU; the last: logits
        else:
            points[layer] = (layer, False)
    return points


@torch.no_grad()
def activations(
    model: nn.Module,
    images: torch.Tensor,
    layers: list[str],
    batch_size: int = 500,
    points: Mapping[str, Point] | None = None,
) -> dict[str, np.ndarray]:
    """layer -> datapoints x channels (float64), the model in eval mode, each layer measured at
    its point in ``points`` (by default its own output)."""
    model.eval()
    points = points or {name: (name, False) for name in layers}
    collected: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    hooks = []
    for name in layers:
        module_name, relu = points[name]

        def keep(_module, _inputs, output, name=name, relu=relu) -> None:
            output = torch.relu(output) if relu else output
            pooled = output.mean(dim=(2, 3)) if output.dim() == 4 else output
            collected[name].append(pooled.detach().to("cpu", torch.float64))

        hooks.append(model.get_submodule(module_name).register_forward_hook(keep))
    try:
        for start in range(0, len(images), batch_size):
            model(images[start : start + batch_size])
    finally:
        for hook in hooks:
            hook.remove()
    return {name: torch.cat(parts).numpy() for name, parts in collected.items()}


def compare(acts_a: dict[str, np.ndarray], acts_b: dict[str, np.ndarray]) -> list[dict]:
    """Rows (layer, svcca, cka) for every layer both hold. A diverged net's activations are not
    finite: its similarities are NaN, like its distances."""
    rows = []
    for name in acts_a:
        if name not in acts_b:
            continue
        a, b = acts_a[name], acts_b[name]
        if np.isfinite(a).all() and np.isfinite(b).all():
            rows.append({"layer": name, "svcca": svcca(a, b), "cka": linear_cka(a, b)})
        else:
            rows.append({"layer": name, "svcca": float("nan"), "cka": float("nan")})
    return rows


def subset_indices(n_total: int, n_wanted: int, seed: int) -> torch.Tensor:
    """A fixed, seeded subset of the test set (sorted), the same for every run compared."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(n_total, generator=generator)[: min(n_total, n_wanted)]
    return chosen.sort().values


COLUMNS = [
    "net", "method", "sparsity", "seed", "ablation", "comparison", "layer", "svcca", "cka",
]  # fmt: skip
Activations = dict[str, np.ndarray]


DENSE, DENSE_OTHER_SEED = "dense", "dense, other seed"


def group_rows(
    keys: Mapping[str, Any],
    runs: Sequence[Run],
    acts: Callable[[Run], Activations],
    dense: Activations | None = None,
    dense_other_seed: Activations | None = None,
) -> list[dict[str, Any]]:
    """Similarity rows of one (net, sparsity, seed), every compared layer: the pairs of Singh &
    Liu's distances (:func:`pai.analysis.distances.comparisons`); given the activations of the
    dense net
    trained from the same seed (the same init, data order and augmentation), every run against
    it (comparison "dense"; Blakeney et al.'s question: do pruned nets keep the dense net's
    representations?); and given a dense net of another seed, every run against that one
    ("dense, other seed"): the like-for-like partner of the dense-vs-dense baseline, which
    shares none of these either. ``acts(run)`` gives a trained run's activations."""
    rows = []
    for run, pair in comparisons(runs).items():
        if pair is None:
            continue
        comparison, reference, other = pair
        # the run the row describes: the ablated one, or for random pruning's pair the method's
        # unmodified run
        ablation = "unmodified" if comparison == "random" else comparison
        for row in compare(acts(reference), acts(other)):
            rows.append(
                {**keys, "method": run[0], "ablation": ablation, "comparison": comparison, **row}
            )
    for comparison, baseline in ((DENSE, dense), (DENSE_OTHER_SEED, dense_other_seed)):
        if baseline is None:
            continue
        for method, ablation in runs:
            for row in compare(baseline, acts((method, ablation))):
                rows.append(
                    {**keys, "method": method, "ablation": ablation, "comparison": comparison,
                     **row}
                )  # fmt: skip
    return [{column: row[column] for column in COLUMNS} for row in rows]


def dense_rows(
    net: str, seeds: Sequence[int], acts: Callable[[int], Activations]
) -> list[dict[str, Any]]:
    """The baseline: the dense net of each seed against that of the next seed."""
    rows = []
    for seed, next_seed in itertools.pairwise(seeds):
        keys = {"net": net, "method": "dense", "sparsity": 0.0, "seed": seed, "ablation": ""}
        for row in compare(acts(seed), acts(next_seed)):
            rows.append({**keys, "comparison": f"dense seed {next_seed}", **row})
    return [{column: row[column] for column in COLUMNS} for row in rows]


class Probe:
    """The activations of trained nets of one architecture on one fixed, seeded subset of the test
    set (seed 0, whatever the runs' seeds: every net compared sees the same images)."""

    def __init__(
        self,
        arch: str | ArchSettings,
        dataset: TensorData,
        examples: int,
        device: str | None = None,
    ):
        chosen = subset_indices(len(dataset.test_y), examples, seed=0)
        self.device = pick_device(device)
        self.images = dataset.test_x[chosen].to(self.device)
        self.model = build_net(arch, dataset.input_shape, dataset.num_classes).to(self.device)
        self.layers = compared_layers(prunable_names(self.model))
        name = arch if isinstance(arch, str) else arch["name"]
        self.points = measurement_points(
            self.model, self.layers, built_in=name in registry.ARCHITECTURES
        )
        check_examples(len(chosen), widest(self.model, self.layers), dataset.name)
        self._cache: dict[str, Activations] = {}

    def activations(self, path: str | os.PathLike) -> Activations:
        """The activations of the trained weights in ``path`` (each file read once)."""
        key = str(path)
        if key not in self._cache:
            self.model.load_state_dict(storage.load(path))
            self._cache[key] = activations(self.model, self.images, self.layers, points=self.points)
        return self._cache[key]


def widest(model: nn.Module, layers: Sequence[str]) -> int:
    """The most features any compared layer has (output channels, or output units)."""
    sizes = []
    for name in layers:
        module = model.get_submodule(name)
        sizes.append(getattr(module, "out_channels", None) or getattr(module, "out_features", 0))
    return max(sizes, default=0)


def check_examples(examples: int, features: int, dataset: str) -> None:
    """CCA needs more examples than features: with fewer, every canonical correlation is 1."""
    if examples <= features:
        raise ValueError(
            f"similarity: {examples} test examples of {dataset} are not more than the widest "
            f"compared layer's {features} features, so CCA is ill-posed; raise "
            "analysis.similarity_examples or give the dataset more test examples"
        )
