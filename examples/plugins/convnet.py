"""An example plugin architecture: a small convolutional net for small images.

A builder is ``build(input_shape, num_classes)``: ``input_shape`` is (C, H, W) of one example and
the net must return ``num_classes`` logits. Every Conv2d and Linear weight is prunable and the net
is initialised as the built-ins are (open_lth: Kaiming-normal weights, BatchNorm gamma ~ U[0, 1));
a plugin can name its own with ``prunable`` and ``initialiser`` (docs/extending.md).
"""

import torch.nn.functional as F
from torch import nn


class ConvNet(nn.Module):
    """conv3x3(16) - BN - ReLU - maxpool - conv3x3(32) - BN - ReLU - global average pool - fc."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def build(input_shape, num_classes):
    return ConvNet(input_shape[0], num_classes)
