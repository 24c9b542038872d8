"""The networks of the papers, as open_lth builds and initialises them (REFERENCE.md section 1).

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

import itertools
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import seeds


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


VGG16_PLAN: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
)  # fmt: skip


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


def _lenet300(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return LeNet300(math.prod(input_shape), num_classes)


def _resnet20(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return CifarResNet(20, 16, input_shape[0], num_classes)


def _vgg16(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return CifarVGG(VGG16_PLAN, input_shape[0], num_classes)


def _resnet18(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return ImageNetResNet(False, (2, 2, 2, 2), input_shape[0], num_classes)


def _resnet50(input_shape: Sequence[int], num_classes: int) -> nn.Module:
    return ImageNetResNet(True, (3, 4, 6, 3), input_shape[0], num_classes)


# name -> builder(input_shape (C, H, W), num_classes)
ARCHITECTURES: dict[str, Callable[[Sequence[int], int], nn.Module]] = {
    "lenet300": _lenet300,
    "resnet20": _resnet20,
    "vgg16": _vgg16,
    "resnet18": _resnet18,
    "resnet50": _resnet50,
}


def check_architecture(name: str) -> None:
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown net {name!r}; known nets: {', '.join(sorted(ARCHITECTURES))}")


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
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(torch.rand(module.weight.shape, generator=gen))
                module.bias.zero_()
                module.reset_running_stats()
            elif any(True for _ in module.parameters(recurse=False)):
                raise TypeError(f"init_weights does not know how to initialise {name!r} ({module})")


def build_net(
    name: str, input_shape: Sequence[int], num_classes: int, seed: int | None = None
) -> nn.Module:
    """Build net ``name`` for inputs of shape (C, H, W); initialise it from ``seed`` if given.

    Without a seed the tensors are allocated but hold arbitrary values (for loading a state dict).
    """
    check_architecture(name)
    with torch.device("meta"):
        model = ARCHITECTURES[name](tuple(input_shape), num_classes)
    # Module.to_empty would do, but its empty_like on meta tensors imports sympy (0.4 s per job)
    model._apply(lambda t: torch.empty(t.shape, dtype=t.dtype, device="cpu"))
    if seed is not None:
        init_weights(model, seeds.generator(seed, seeds.INIT))
    return model


def prunable_names(model: nn.Module) -> list[str]:
    """Every Conv2d and Linear weight, first and output layers and shortcuts included.

    Never biases or BN parameters (REFERENCE.md 1.5). Order: module registration order.
    """
    return [
        f"{name}.weight"
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, nn.Conv2d))
    ]


def prunable_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    params = dict(model.named_parameters())
    return {name: params[name] for name in prunable_names(model)}
