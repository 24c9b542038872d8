"""Effective paths, nodes and weights of a mask (Pham et al. 2023; docs/methods.md, "Effective
paths and nodes").

The exact mask-product definition, beside NPB's own procedure (:func:`npb_effective`, which sets
every parameter, biases included, to 1 and counts spatial positions). In the exact one the mask
alone defines a graph whose nodes are neurons (Linear) or channels (Conv2d). A convolution's edge
i -> j carries as many parallel edges as K_ji has kept entries (the C_in x C_out count matrix of
NPB's optimizer), BatchNorm, ReLU and pooling pass a channel through unchanged, and a residual
connection is one more edge (the identity, or the shortcut's 1x1 conv).

- paths: input-to-output paths whose edges are all kept, 1^T A_L ... A_1 1, reported as log10;
- a kept weight is effective when it lies on at least one such path: some path reaches its input
  node and some path leaves its output node;
- a layer's output channel (neuron) is effective when paths both reach and leave it through that
  layer; effective nodes sum these over every layer except projection shortcuts, whose outputs are
  the same nodes as the block's second convolution (the inputs of the net are not counted);
- effective sparsity: the share of prunable weights that are not effective (kept weights on no
  path do nothing, so it is at least the nominal sparsity).

All of it comes from one forward and one backward pass of a copy of the net in which each
prunable layer multiplies by its count matrix, in float64 (path counts of VGG-16 reach ~1e50).

The graph is followed through the modules this module knows (:data:`FOLLOWED`). A plugin net with
another kind of layer, or whose prunable weights are not Conv2d/Linear weights, cannot be measured
this way: :func:`measure` raises :class:`Unsupported`, and the pipeline writes that reason into the
topology table instead of numbers.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

# leaf modules the flow passes through (prunable Conv2d/Linear layers become count matrices;
# BatchNorm and pooling become the identity; ReLU, flattening and dropout leave counts as they are)
FOLLOWED = (
    nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d,
    nn.AdaptiveAvgPool2d, nn.Flatten, nn.Identity, nn.Dropout,
)  # fmt: skip


class Unsupported(ValueError):
    """The mask-product definition cannot follow this net's graph; the message says why."""


@dataclass(frozen=True)
class LayerTopology:
    layer: str
    kept: int
    total: int
    effective_weights: int
    out_channels: int
    effective_out_channels: int
    shortcut: bool
    # NPB's procedure (Pham et al.'s code, measure_node_path; :func:`npb_effective`): its
    # effective weights, and its node count from them: a non-shortcut convolution's input
    # channels with an effective weight; a Linear's input and output features with one
    npb_effective_weights: int = 0
    npb_layer_nodes: int = 0
    npb_layer_total: int = 0


@dataclass(frozen=True)
class Topology:
    paths_log10: float  # NaN when no path is left
    layers: list[LayerTopology]

    @property
    def effective_weights(self) -> int:
        return sum(layer.effective_weights for layer in self.layers)

    @property
    def kept_weights(self) -> int:
        return sum(layer.kept for layer in self.layers)

    @property
    def total_weights(self) -> int:
        return sum(layer.total for layer in self.layers)

    @property
    def effective_nodes(self) -> int:
        return sum(layer.effective_out_channels for layer in self.layers if not layer.shortcut)

    @property
    def total_nodes(self) -> int:
        return sum(layer.out_channels for layer in self.layers if not layer.shortcut)

    @property
    def npb_effective_nodes(self) -> int:
        """Nodes as NPB's code counts them (docs/papers.md, "Pham et al.")."""
        return sum(layer.npb_layer_nodes for layer in self.layers)

    @property
    def npb_effective_weights(self) -> int:
        return sum(layer.npb_effective_weights for layer in self.layers)

    @property
    def npb_total_nodes(self) -> int:
        return sum(layer.npb_layer_total for layer in self.layers)

    @property
    def effective_sparsity(self) -> float:
        return 1.0 - self.effective_weights / self.total_weights

    @property
    def effective_density(self) -> float:
        """The share of prunable weights on an input-to-output path (Vysogorets & Kempe's
        effective density; at most the mask's density)."""
        return self.effective_weights / self.total_weights


class _Flow(nn.Module):
    """A prunable layer replaced by its count matrix: output channel j receives sum_i A_ji x_i."""

    def __init__(self, counts: torch.Tensor, conv: bool):
        super().__init__()
        self.counts, self.conv = counts, conv
        self.seen_input: torch.Tensor | None = None
        self.seen_output: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen_input = x
        # convolutions see channels at a single position: stride and padding do not matter
        out = torch.einsum("oi,bihw->bohw", self.counts, x) if self.conv else x @ self.counts.T
        out.retain_grad()
        self.seen_output = out
        return out


def _is_shortcut(name: str) -> bool:
    return ".shortcut." in f".{name}"


def measure(model: nn.Module, mask: Mapping[str, torch.Tensor], input_shape) -> Topology:
    """Effective paths, weights and nodes of ``mask`` on the architecture of ``model`` (which is
    not changed; its weights play no part). ``input_shape`` is C x H x W of one example.
    Raises :class:`Unsupported` for a net whose graph it cannot follow."""
    check_followable(model, mask)
    flow_net = copy.deepcopy(model)
    flows: dict[str, _Flow] = {}
    for name, kept in mask.items():
        module_name = name.removesuffix(".weight")
        layer = flow_net.get_submodule(module_name)
        conv = isinstance(layer, nn.Conv2d)
        kept = kept.to(torch.float64)
        counts = kept.sum(dim=(2, 3)) if conv else kept
        flows[name] = _Flow(counts, conv)
        _replace(flow_net, module_name, flows[name])
    for module_name, module in list(flow_net.named_modules()):
        if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d | nn.MaxPool2d | nn.AvgPool2d):
            _replace(flow_net, module_name, nn.Identity())
    # cast only now: the weights of the replaced layers (VGG-16: 15M) are gone, nothing is left
    flow_net.to(torch.float64)

    first = flows[next(iter(mask))]
    channels, height, width = input_shape
    # convolutional nets: one position per channel; fully connected: every pixel is an input node
    shape = (1, channels, 1, 1) if first.conv else (1, channels, height, width)
    ones = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    flow_net.eval()
    try:
        total = flow_net(ones).sum()  # ReLU and average pooling leave non-negative counts as is
    except (RuntimeError, TypeError, ValueError) as err:
        raise Unsupported(f"the count-matrix copy of the net fails: {err}") from err
    paths = float(total.detach())
    if not math.isfinite(paths) or paths < 0:
        raise Unsupported(f"the path count came out as {paths}: the net's forward is not a flow")
    if paths > 0:
        total.backward()

    npb = npb_effective(model, mask, input_shape)
    layers = []
    for name, kept in mask.items():
        flow = flows[name]
        reaching = _per_channel(flow.seen_input) > 0  # input nodes some path reaches
        out_reached = _per_channel(flow.seen_output) > 0
        grad = flow.seen_output.grad
        leaving = (
            _per_channel(grad) > 0 if grad is not None else torch.zeros_like(out_reached)
        )  # output nodes from which some path leaves
        shape = (-1, 1, 1, 1) if flow.conv else (-1, 1)
        on_path = kept.bool() & reaching.view(1, -1, *shape[2:]) & leaving.view(shape)
        npb_nodes, npb_total = _npb_nodes(npb[name], flow.conv, _is_shortcut(name))
        layers.append(
            LayerTopology(
                layer=name,
                kept=int(kept.sum()),
                total=kept.numel(),
                effective_weights=int(on_path.sum()),
                out_channels=kept.shape[0],
                effective_out_channels=int((out_reached & leaving).sum()),
                shortcut=_is_shortcut(name),
                npb_effective_weights=int(npb[name].sum()),
                npb_layer_nodes=npb_nodes,
                npb_layer_total=npb_total,
            )
        )
    return Topology(paths_log10=math.log10(paths) if paths > 0 else math.nan, layers=layers)


def npb_effective(
    model: nn.Module, mask: Mapping[str, torch.Tensor], input_shape
) -> dict[str, torch.Tensor]:
    """The effective weights of ``mask`` as NPB's code finds them (Pham et al., measure_node_path):
    a float64 copy of the real net in eval mode, every parameter set to 1 (biases and BatchNorm
    beta too; BatchNorm's running statistics those of a fresh net, mean 0 and variance 1), the
    pruned weights 0, one all-ones input of the full C x H x W shape; the sum of the outputs is
    backpropagated, and a kept weight is effective when its gradient is not zero. Unlike the
    exact definition, a unit fed only by a bias is alive, so the weights leaving it count, and
    max-pooling passes gradient to one position of each window only."""
    net = copy.deepcopy(model).to(torch.float64)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.fill_(1.0)
        for module in net.modules():
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                module.reset_running_stats()
        parameters = dict(net.named_parameters())
        for name, kept in mask.items():
            parameters[name].copy_(kept.to(torch.float64))
    net.eval()
    channels, height, width = input_shape
    ones = torch.ones((1, channels, height, width), dtype=torch.float64)
    total = net(ones).sum()
    if not torch.isfinite(total):
        raise Unsupported("NPB's all-ones forward pass overflows float64 on this net")
    total.backward()
    return {
        name: kept.bool() & (parameters[name].grad != 0)
        if parameters[name].grad is not None
        else torch.zeros_like(kept, dtype=torch.bool)
        for name, kept in mask.items()
    }


def _npb_nodes(effective: torch.Tensor, conv: bool, shortcut: bool) -> tuple[int, int]:
    """NPB's node count of one layer from its effective weights (:func:`npb_effective`): a
    convolution's input channels with at least one (projection shortcuts are not counted); a
    Linear's input features and output units with at least one. Counted at every layer that
    consumes a node, so a channel that reaches the next convolution only through an identity
    shortcut counts there."""
    on_path = effective
    if conv:
        if shortcut:
            return 0, 0
        return int(on_path.any(dim=3).any(dim=2).any(dim=0).sum()), on_path.shape[1]
    used_in = int(on_path.any(dim=0).sum())
    used_out = int(on_path.any(dim=1).sum())
    return used_in + used_out, on_path.shape[0] + on_path.shape[1]


CHANNEL_THRESHOLDS = tuple(i / 50 for i in range(51))


def channel_sparsity(mask: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Sparsity of every output neuron or channel of every prunable layer (MtM's per-channel
    analysis): the share of its incoming weights (all of a conv filter's entries) pruned."""
    parts = [1.0 - m.reshape(m.shape[0], -1).to(torch.float64).mean(dim=1) for m in mask.values()]
    return torch.cat(parts)


def channel_sparsity_shares(
    mask: Mapping[str, torch.Tensor], thresholds=CHANNEL_THRESHOLDS
) -> list[float]:
    """For each threshold s, the share of all neurons and channels with sparsity at least s."""
    sparsity = channel_sparsity(mask)
    # the float64 mean of a 0/1 mask is exact enough; a tiny slack keeps s = k/n on the right side
    return [float((sparsity >= s - 1e-12).to(torch.float64).mean()) for s in thresholds]


def _per_channel(values: torch.Tensor) -> torch.Tensor:
    """Sum over the batch and any spatial positions: one value per channel or neuron."""
    if values.dim() == 4:
        return values.sum(dim=(0, 2, 3))
    if values.dim() == 2:
        return values.sum(dim=0)
    raise ValueError(f"unexpected activation shape {tuple(values.shape)}")


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)


def check_followable(model: nn.Module, mask: Mapping[str, torch.Tensor]) -> None:
    """Raise :class:`Unsupported` unless every prunable weight is a Conv2d or Linear weight and
    every other parametrised or leaf module is one the flow passes through."""
    modules = dict(model.named_modules())
    prunable_modules = set()
    for name in mask:
        module_name = name.removesuffix(".weight")
        layer = modules.get(module_name)
        if not name.endswith(".weight") or not isinstance(layer, nn.Conv2d | nn.Linear):
            raise Unsupported(f"{name} is not the weight of a Conv2d or Linear layer")
        if isinstance(layer, nn.Conv2d) and layer.groups != 1:
            raise Unsupported(f"{module_name} is a grouped convolution")
        prunable_modules.add(module_name)
    for name, module in modules.items():
        leaf = not any(True for _ in module.children())
        if isinstance(module, nn.Conv2d | nn.Linear) and name not in prunable_modules:
            raise Unsupported(f"{name} ({type(module).__name__}) is not pruned")
        empty_container = isinstance(module, nn.Sequential | nn.ModuleList | nn.ModuleDict)
        if leaf and not isinstance(module, FOLLOWED) and not empty_container:
            raise Unsupported(f"{name} is a {type(module).__name__}, which the flow cannot follow")


Run = tuple[str, str]  # (method, ablation)


def group_rows(
    keys: Mapping[str, Any],
    runs: Sequence[Run],
    mask_of: Callable[[Run], Mapping[str, torch.Tensor]],
    model: nn.Module,
    input_shape: Sequence[int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The topology rows (one per run and prunable layer, the run's totals repeated) and the
    per-channel sparsity rows (one per run and threshold) of one (net, sparsity, seed).

    A run whose net :func:`measure` cannot follow gets one row with ``supported`` False, the
    reason, and no numbers."""
    topology_rows, channel_rows = [], []
    for method, ablation in runs:
        mask = mask_of((method, ablation))
        run = {**keys, "method": method, "ablation": ablation}
        shares = channel_sparsity_shares(mask)
        channel_rows += [
            {**run, "threshold": s, "share": share}
            for s, share in zip(CHANNEL_THRESHOLDS, shares, strict=True)
        ]
        try:
            measured = measure(model, mask, input_shape)
        except Unsupported as err:
            topology_rows.append(
                {**run, **dict.fromkeys(SUMMARY, math.nan), "supported": False, "reason": str(err)}
            )
            continue
        summary = {column: getattr(measured, column) for column in SUMMARY}
        for index, layer in enumerate(measured.layers):
            topology_rows.append(
                {
                    **run,
                    **summary,
                    "supported": True,
                    "reason": "",
                    "layer_index": index,
                    **vars(layer),
                    "layer_effective_density": layer.effective_weights / layer.total,
                }
            )
    return topology_rows, channel_rows


SUMMARY = (
    "paths_log10", "effective_nodes", "total_nodes", "npb_effective_nodes", "npb_total_nodes",
    "effective_weights", "npb_effective_weights", "kept_weights", "effective_sparsity",
    "effective_density",
)  # fmt: skip
