"""K nets of one architecture as one model: the runs of a cell trained together.

The runs of a cell (net, method, sparsity, seed) differ only in their start weights and masks; they
see the same batches, augmentation and learning rate (every draw comes from the seed, the purpose
and the epoch). :func:`pack` makes one model of their K nets in which every Conv2d is a grouped
convolution (K groups), every Linear a batched matrix product and every BatchNorm one of K times
the channels: each member keeps its own weights, mask, BatchNorm statistics and (in the training
engine) momentum, and no arithmetic mixes members. One forward and one backward pass then serve
K runs: K times fewer kernel launches and Python steps (what limits small nets on a GPU).

Layout: a member's channels (or features) are contiguous, member after member, so what a net does
per channel or per sample between its layers (ReLU, pooling, flattening, residual additions) needs
no change. The input is repeated K times along the channels; the output, K * classes wide, is read
as K blocks of logits. A parameter keeps its name; its tensor is the members' tensors
concatenated along the first dimension (:func:`unpack_state` splits it again).

Only nets built of Conv2d, Linear, BatchNorm1d/2d and parameter-free layers can be packed (every
built-in net); :func:`packable` says why another cannot, and the engine then trains its runs one
after the other.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

PACKED = (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d)


class NotPackable(ValueError):
    """The net has a layer the packing cannot split between members."""


class PackedConv2d(nn.Module):
    """K convolutions as one grouped convolution (each member's groups kept apart)."""

    def __init__(self, convs: Sequence[nn.Conv2d]):
        super().__init__()
        first = convs[0]
        self.members = len(convs)
        self.stride, self.padding, self.dilation = first.stride, first.padding, first.dilation
        self.groups = first.groups * self.members
        self.weight = nn.Parameter(torch.cat([c.weight.detach() for c in convs]))
        has_bias = first.bias is not None
        self.bias = nn.Parameter(torch.cat([c.bias.detach() for c in convs])) if has_bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)  # fmt: skip


class PackedLinear(nn.Module):
    """K Linear layers as one batched matrix product over member-major features."""

    def __init__(self, linears: Sequence[nn.Linear]):
        super().__init__()
        self.members = len(linears)
        self.in_features, self.out_features = linears[0].in_features, linears[0].out_features
        self.weight = nn.Parameter(torch.cat([layer.weight.detach() for layer in linears]))
        has_bias = linears[0].bias is not None
        self.bias = (
            nn.Parameter(torch.cat([layer.bias.detach() for layer in linears]))
            if has_bias
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        members = x.reshape(batch, self.members, self.in_features).transpose(0, 1)
        weight = self.weight.view(self.members, self.out_features, self.in_features)
        out = torch.bmm(members, weight.transpose(1, 2)).transpose(0, 1)  # batch x K x out
        if self.bias is not None:
            out = out + self.bias.view(self.members, self.out_features)
        return out.reshape(batch, self.members * self.out_features)


def _packed_batchnorm(norms: Sequence[nn.Module]) -> nn.Module:
    first = norms[0]
    kind = type(first)
    packed = kind(
        first.num_features * len(norms),
        eps=first.eps,
        momentum=first.momentum,
        affine=first.affine,
        track_running_stats=first.track_running_stats,
    ).to(device=_device(first), dtype=_dtype(first))
    with torch.no_grad():
        for name in ("weight", "bias", "running_mean", "running_var"):
            if getattr(packed, name, None) is not None:
                getattr(packed, name).copy_(torch.cat([getattr(n, name) for n in norms]))
        if first.track_running_stats:
            packed.num_batches_tracked.copy_(first.num_batches_tracked)
    return packed


def _device(module: nn.Module) -> torch.device:
    return next(iter(module.state_dict().values())).device


def _dtype(module: nn.Module) -> torch.dtype:
    return next(t for t in module.state_dict().values() if t.is_floating_point()).dtype


def packable(model: nn.Module) -> str | None:
    """None if ``model`` can be packed, else the reason it cannot."""
    for name, module in model.named_modules():
        if isinstance(module, PACKED):
            if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
                return f"{name} pads with {module.padding_mode!r}"
            continue
        own = list(module.parameters(recurse=False)) + list(module.buffers(recurse=False))
        if own:
            return f"{name} ({type(module).__name__}) holds parameters the packing cannot split"
    return None


def pack(models: Sequence[nn.Module]) -> nn.Module:
    """One model of ``models`` (same architecture), member k's tensors at block k."""
    reason = packable(models[0])
    if reason:
        raise NotPackable(reason)
    packed = copy.deepcopy(models[0])
    modules = [dict(m.named_modules()) for m in models]
    for name, module in list(packed.named_modules()):
        if not isinstance(module, PACKED):
            continue
        members = [found[name] for found in modules]
        if isinstance(module, nn.Conv2d):
            new = PackedConv2d(members)
        elif isinstance(module, nn.Linear):
            new = PackedLinear(members)
        else:
            new = _packed_batchnorm(members)
        parent_name, _, child = name.rpartition(".")
        parent = packed.get_submodule(parent_name) if parent_name else packed
        setattr(parent, child, new)
    packed.pai_members = len(models)
    return packed


def pack_tensors(tensors: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Members' tensors of the same names (a state dict, masks, momentum) concatenated as in
    :func:`pack`; scalars (BatchNorm's batch count) are shared and taken from the first."""
    packed = {}
    for name, first in tensors[0].items():
        if first.dim() == 0:
            packed[name] = first.clone()
        else:
            packed[name] = torch.cat([t[name] for t in tensors])
    return packed


def unpack_state(
    packed: Mapping[str, torch.Tensor], like: Mapping[str, torch.Tensor], member: int
) -> dict[str, torch.Tensor]:
    """Member ``member``'s tensors of a packed state dict (shapes from ``like``, one member's)."""
    state = {}
    for name, reference in like.items():
        tensor = packed[name]
        if reference.dim() == 0:
            state[name] = tensor.detach().clone()
        else:
            count = tensor.shape[0] // reference.shape[0]
            state[name] = tensor.detach().view(count, *reference.shape)[member].clone()
    return state


def logits(out: torch.Tensor, members: int) -> torch.Tensor:
    """A packed model's output read as batch x members x classes."""
    return out.view(out.shape[0], members, out.shape[1] // members)


def repeat_input(x: torch.Tensor, members: int) -> torch.Tensor:
    """The batch for every member: the input repeated along the channels."""
    return x.repeat(1, members, *([1] * (x.dim() - 2)))
