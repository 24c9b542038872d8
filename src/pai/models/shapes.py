"""The prunable weights' shapes of the built-in nets, without torch: planning needs them to
refuse an allocation a rule cannot meet (:func:`pai.allocation.problem`) before any job.

Each function mirrors its builder in :mod:`pai.models.nets` (names in registration order, as
:func:`pai.models.nets.prunable_names` lists them); ``tests/unit/test_allocation.py`` checks
every one against the built net.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Shapes = dict[str, tuple[int, ...]]

# open_lth's cifar_vgg_16: channels, "M" a 2x2 max-pool (nets.CifarVGG builds from it)
VGG16_PLAN: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
)  # fmt: skip


def lenet300(input_shape: Sequence[int], num_classes: int) -> Shapes:
    sizes = [math.prod(input_shape), 300, 100]
    shapes = {f"fc_layers.{i}.weight": (sizes[i + 1], sizes[i]) for i in range(2)}
    return shapes | {"fc.weight": (num_classes, 100)}


def _basic_blocks(shapes: Shapes, start: int, current: int, plan) -> int:
    """BasicBlocks (nets.ResNetBlock) of ``plan`` [(width, blocks, first stride)]."""
    index = start
    for width, count, stride in plan:
        for block in range(count):
            prefix = f"blocks.{index}"
            shapes[f"{prefix}.conv1.weight"] = (width, current, 3, 3)
            shapes[f"{prefix}.conv2.weight"] = (width, width, 3, 3)
            if (stride if block == 0 else 1) != 1 or current != width:
                shapes[f"{prefix}.shortcut.0.weight"] = (width, current, 1, 1)
            current, index = width, index + 1
    return current


def resnet20(input_shape: Sequence[int], num_classes: int) -> Shapes:
    shapes: Shapes = {"conv.weight": (16, input_shape[0], 3, 3)}
    last = _basic_blocks(shapes, 0, 16, [(16, 3, 1), (32, 3, 2), (64, 3, 2)])
    return shapes | {"fc.weight": (num_classes, last)}


def vgg16(input_shape: Sequence[int], num_classes: int) -> Shapes:
    shapes: Shapes = {}
    filters = input_shape[0]
    for index, spec in enumerate(VGG16_PLAN):
        if spec != "M":
            shapes[f"layers.{index}.conv.weight"] = (int(spec), filters, 3, 3)
            filters = int(spec)
    return shapes | {"fc.weight": (num_classes, filters)}


def resnet18(input_shape: Sequence[int], num_classes: int) -> Shapes:
    shapes: Shapes = {"conv.weight": (64, input_shape[0], 7, 7)}
    plan = [(64 * 2**stage, 2, 1 if stage == 0 else 2) for stage in range(4)]
    last = _basic_blocks(shapes, 0, 64, plan)
    return shapes | {"fc.weight": (num_classes, last)}


def resnet50(input_shape: Sequence[int], num_classes: int) -> Shapes:
    shapes: Shapes = {"conv.weight": (64, input_shape[0], 7, 7)}
    current, index = 64, 0
    for stage, count in enumerate((3, 4, 6, 3)):
        width = 64 * 2**stage
        for block in range(count):
            stride = 2 if stage > 0 and block == 0 else 1
            prefix, out = f"blocks.{index}", width * 4
            shapes[f"{prefix}.conv1.weight"] = (width, current, 1, 1)
            shapes[f"{prefix}.conv2.weight"] = (width, width, 3, 3)
            shapes[f"{prefix}.conv3.weight"] = (out, width, 1, 1)
            if stride != 1 or current != out:
                shapes[f"{prefix}.shortcut.0.weight"] = (out, current, 1, 1)
            current, index = out, index + 1
    return shapes | {"fc.weight": (num_classes, current)}
