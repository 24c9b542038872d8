"""The networks of the papers, as open_lth builds and initialises them (docs/methods.md, "Nets").

- ``lenet300``: LeNet-300-100 (``fc_layers.0``, ``fc_layers.1``, ``fc``), biases, ReLU.
- ``resnet20``: CIFAR ResNet-20, widths 16/32/64, 1x1 projection shortcuts with BN where the shape
  changes (option B), global average pool, ``fc`` with bias.
- ``vgg16``: CIFAR VGG-16, 13 conv(bias)+BN+ReLU, 4 max-pools, 2x2 average pool, one ``fc``.
- ``resnet18``, ``resnet50``: the ImageNet ResNets of open_lth (``imagenet_resnet_D``, which MtM's
  fork also uses for TinyImageNet as ``tinyimagenet_resnet_18``): torchvision's layout, a 7x7/2
  conv + BN + ReLU + 3x3/2 max-pool stem, stages of width 64/128/256/512 (x4 for bottlenecks), the
  stride in the 3x3 conv of a bottleneck (torchvision's v1.5), 1x1 conv + BN projection shortcuts
  where the shape changes, global average pool, ``fc``. Module names follow ours (``shortcut``),
  not torchvision's (``downsample``), so the topology and similarity code see one convention.

Initialisation (open_lth ``kaiming_normal`` + ``uniform`` BN): Conv/Linear weights Kaiming-normal
(fan-in, gain sqrt 2), biases PyTorch's default U(+-1/sqrt(fan_in)), BN gamma ~ U[0, 1), beta 0.
Every draw comes from an explicit generator, never the global RNG: the modules are built on the
``meta`` device and every tensor is then written by :func:`init_weights`.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pai import seeds
from pai.config import plugins, registry
from pai.models.shapes import VGG16_PLAN


class LeNet300(nn.Module):
    """Fully connected 300-100-classes with ReLU (open_lth ``mnist_lenet_300_100``)."""

    def __init__(self, input_size: int, num_classes: int, hidden: Sequence[int] = (300, 100)):
        super().__init__()
        sizes = [input_size, *hidden]
        self.fc_layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes)
        )
        self.fc = nn.Linear(sizes[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.fc_layers:
            x = F.relu(layer(x))
        return self.fc(x)


def _shortcut(f_in: int, f_out: int, stride: int) -> nn.Sequential:
    """A 1x1 conv + BN projection where the shape changes (option B), else the identity."""
    if stride == 1 and f_in == f_out:
        return nn.Sequential()
    return nn.Sequential(
        nn.Conv2d(f_in, f_out, 1, stride=stride, bias=False), nn.BatchNorm2d(f_out)
    )


class ResNetBlock(nn.Module):
    """BasicBlock; a 1x1 conv + BN projection shortcut where the shape changes (option B)."""

    def __init__(self, f_in: int, f_out: int, downsample: bool):
        super().__init__()
        stride = 2 if downsample else 1
        self.conv1 = nn.Conv2d(f_in, f_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(f_out)
        self.conv2 = nn.Conv2d(f_out, f_out, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(f_out)
        self.shortcut = _shortcut(f_in, f_out, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """open_lth ``cifar_resnet_D_W``: depth D = 6n + 2, stage widths W, 2W, 4W."""

    def __init__(self, depth: int, width: int, in_channels: int, num_classes: int):
        super().__init__()
        if (depth - 2) % 6 != 0:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        blocks_per_stage = (depth - 2) // 6
        plan = [
            (width, blocks_per_stage),
            (2 * width, blocks_per_stage),
            (4 * width, blocks_per_stage),
        ]
        current = plan[0][0]
        self.conv = nn.Conv2d(in_channels, current, 3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(current)
        blocks = []
        for stage, (filters, count) in enumerate(plan):
            for index in range(count):
                blocks.append(ResNetBlock(current, filters, downsample=stage > 0 and index == 0))
                current = filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(current, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.conv(x)))
        out = self.blocks(out)
        # open_lth pools over the whole (8x8 on CIFAR) map
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


class ConvModule(nn.Module):
    """conv3x3 (with bias) -> BN -> ReLU, as open_lth's VGG."""

    def __init__(self, f_in: int, f_out: int):
        super().__init__()
        self.conv = nn.Conv2d(f_in, f_out, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(f_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class CifarVGG(nn.Module):
    """open_lth ``cifar_vgg_16``: only 4 max-pools; one Linear head, no dropout."""

    def __init__(self, plan: Sequence[int | str], in_channels: int, num_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        filters = in_channels
        for spec in plan:
            if spec == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers.append(ConvModule(filters, int(spec)))
                filters = int(spec)
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(filters, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(x)
        # open_lth uses AvgPool2d(2) on the 2x2 map CIFAR leaves; adaptive pooling to 1x1 is the
        # same there and also accepts the small synthetic images of the tests.
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride) -> 1x1 (x4 wide), each with BN; projection shortcut on shape change."""

    expansion = 4

    def __init__(self, f_in: int, width: int, stride: int):
        super().__init__()
        f_out = width * self.expansion
        self.conv1 = nn.Conv2d(f_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, f_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(f_out)
        self.shortcut = _shortcut(f_in, f_out, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


class ImageNetResNet(nn.Module):
    """open_lth ``imagenet_resnet_D``: stem, four stages (first unstrided), pool, ``fc``."""

    def __init__(self, bottleneck: bool, stages: Sequence[int], in_channels: int, num_classes: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        blocks: list[nn.Module] = []
        current = 64
        for stage, count in enumerate(stages):
            width = 64 * 2**stage
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                if bottleneck:
                    blocks.append(Bottleneck(current, width, stride))
                    current = width * Bottleneck.expansion
                else:
                    blocks.append(ResNetBlock(current, width, downsample=stride == 2))
                    current = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(current, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pool(F.relu(self.bn(self.conv(x))))
        out = self.blocks(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


# Builders: function(input_shape (C, H, W), num_classes) -> nn.Module; pai.config.registry names
# them.


def lenet300(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return LeNet300(math.prod(input_shape), num_classes)


def resnet20(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return CifarResNet(20, 16, input_shape[0], num_classes)


def vgg16(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return CifarVGG(VGG16_PLAN, input_shape[0], num_classes)


def resnet18(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return ImageNetResNet(False, (2, 2, 2, 2), input_shape[0], num_classes)


def resnet50(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return ImageNetResNet(True, (3, 4, 6, 3), input_shape[0], num_classes)


def init_weights(model: nn.Module, gen: torch.Generator) -> None:
    """(Re)draw every parameter and buffer of ``model`` in place, open_lth style."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(module.weight, generator=gen)
                if module.bias is not None:
                    fan_in = module.weight[0].numel()
                    bound = 1.0 / math.sqrt(fan_in)
                    module.bias.uniform_(-bound, bound, generator=gen)
            elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
                if module.affine:
                    module.weight.copy_(torch.rand(module.weight.shape, generator=gen))
                    module.bias.zero_()
                if module.track_running_stats:
                    module.reset_running_stats()
            elif any(True for _ in module.parameters(recurse=False)):
                raise TypeError(f"init_weights does not know how to initialise {name!r} ({module})")


ArchSettings = Mapping[str, Any]  # pai.config.study.Study.arch_settings: name, plugin references


def _settings(arch: str | ArchSettings) -> ArchSettings:
    if isinstance(arch, str):
        if arch not in registry.ARCHITECTURES:
            known = ", ".join(registry.ARCHITECTURES)
            raise ValueError(f"unknown architecture {arch!r}; built-in ones: {known}")
        return {"name": arch}
    return arch


def build_net(
    arch: str | ArchSettings,
    input_shape: Sequence[int],
    num_classes: int,
    seed: int | None = None,
    base: str | Path = ".",
) -> nn.Module:
    """Build the net ``arch`` (a built-in name, or the settings of a plugin architecture) for
    inputs of shape (C, H, W); initialise it from ``seed`` if given.

    Without a seed the tensors are allocated but hold arbitrary values (for loading a state dict).
    The net remembers its input shape (:func:`input_shape`) and, for a plugin with its own rule,
    its prunable weights (:func:`prunable_names`).
    """
    settings = _settings(arch)
    name, shape = settings["name"], tuple(int(d) for d in input_shape)
    if name in registry.ARCHITECTURES:
        builder = _import(registry.ARCHITECTURES[name].builder)
        with torch.device("meta"):
            model = builder(shape, num_classes)
        # Module.to_empty would do, but its empty_like on meta tensors imports sympy (0.4 s)
        model._apply(lambda t: torch.empty(t.shape, dtype=t.dtype, device="cpu"))
    else:
        model = _build_plugin(settings, shape, num_classes, Path(base))
    model.pai_input_shape = shape
    if seed is not None:
        initialise(model, seeds.generator(seed, seeds.INIT), settings, base)
    return model


def _import(reference: str):
    module, function = reference.rsplit(":", 1)
    return getattr(importlib.import_module(module), function)


def _build_plugin(settings: ArchSettings, shape, num_classes: int, base: Path) -> nn.Module:
    name = settings["name"]
    key = f"plugins.architectures.{name}.builder"
    builder = plugins.load(settings["builder"], base, key)
    try:
        model = builder(input_shape=shape, num_classes=num_classes)
    except Exception as err:
        raise plugins.PluginError(
            f"{key} ({settings['builder']}): building the net failed: {type(err).__name__}: {err}"
        ) from err
    if not isinstance(model, nn.Module):
        raise plugins.PluginError(
            f"{key} ({settings['builder']}): returned {type(model).__name__}, not an nn.Module"
        )
    if "prunable" in settings:
        pkey = f"plugins.architectures.{name}.prunable"
        names = list(plugins.load(settings["prunable"], base, pkey)(model=model))
        params = dict(model.named_parameters())
        unknown = [n for n in names if n not in params]
        if unknown or not names:
            raise plugins.PluginError(
                f"{pkey} ({settings['prunable']}): names no parameters of the net"
                if not names
                else f"{pkey} ({settings['prunable']}): {unknown} are not parameters of the net"
            )
        model.pai_prunable = names
    elif not prunable_names(model):
        raise plugins.PluginError(
            f"{key} ({settings['builder']}): the net has no Conv2d or Linear layer to prune; "
            f"name its prunable weights with plugins.architectures.{name}.prunable"
        )
    model.eval()
    with torch.no_grad():
        try:
            out = model(torch.zeros((2, *shape)))
        except Exception as err:
            raise plugins.PluginError(
                f"{key} ({settings['builder']}): the net fails on a batch of shape "
                f"{(2, *shape)}: {type(err).__name__}: {err}"
            ) from err
    model.train()
    if tuple(out.shape) != (2, num_classes):
        raise plugins.PluginError(
            f"{key} ({settings['builder']}): for 2 inputs of shape {shape} the net returns "
            f"shape {tuple(out.shape)}, expected (2, {num_classes}) logits for {num_classes} "
            "classes"
        )
    return model


def initialise(
    model: nn.Module, gen: torch.Generator, arch: str | ArchSettings, base: str | Path = "."
) -> None:
    """Draw every parameter of ``model``: a plugin's own initialiser, else open_lth's."""
    settings = _settings(arch)
    if "initialiser" in settings:
        key = f"plugins.architectures.{settings['name']}.initialiser"
        plugins.load(settings["initialiser"], Path(base), key)(model=model, generator=gen)
        return
    try:
        init_weights(model, gen)
    except TypeError as err:
        if settings["name"] in registry.ARCHITECTURES:
            raise
        raise plugins.PluginError(
            f"plugins.architectures.{settings['name']}: {err}; give the architecture an "
            "initialiser (plugins.architectures.NAME.initialiser)"
        ) from err


def input_shape(model: nn.Module) -> tuple[int, int, int]:
    """C x H x W of one input of a net made by :func:`build_net`."""
    shape = getattr(model, "pai_input_shape", None)
    if shape is None:
        raise ValueError(
            "this net was not made by pai.models.nets.build_net: its input shape is unknown"
        )
    return tuple(shape)


def prunable_names(model: nn.Module) -> list[str]:
    """Every Conv2d and Linear weight, first and output layers and shortcuts included; never
    biases or BN parameters (docs/methods.md, "What is prunable"). Order: module registration
    order. A plugin architecture may name its own set instead (its ``prunable`` function).
    """
    own = getattr(model, "pai_prunable", None)
    if own is not None:
        return list(own)
    return [
        f"{name}.weight"
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, nn.Conv2d))
    ]


def prunable_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    params = dict(model.named_parameters())
    return {name: params[name] for name in prunable_names(model)}
