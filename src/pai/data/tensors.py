"""A dataset as tensors (:class:`TensorData`), and the tensor file download_data writes: saved and
read back with no parsing and no heavy imports."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import torch

from pai import storage


class DataError(RuntimeError):
    """A dataset could not be fetched, verified or read."""


@dataclass(frozen=True)
class TensorData:
    """A whole dataset as tensors: images N x C x H x W (normalised float32), labels int64."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    augment: bool = False  # CIFAR-style random crop (pad 4) and horizontal flip during training
    pad_value: tuple[float, ...] = ()  # per channel: a black pixel after normalisation

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])  # type: ignore[return-value]

    def to(self, device: str | torch.device) -> TensorData:
        return replace(
            self,
            train_x=self.train_x.to(device),
            train_y=self.train_y.to(device),
            test_x=self.test_x.to(device),
            test_y=self.test_y.to(device),
        )


def load_cached(path: str | os.PathLike) -> TensorData:
    """A dataset from the tensor file download_data wrote: no parsing, no heavy imports."""
    return from_cache(storage.load(path))


def manifest(dataset: TensorData) -> dict:
    """What a dataset holds, for people and checks: name, sizes, input shape, classes."""
    return {
        "dataset": dataset.name,
        "train": len(dataset.train_y),
        "test": len(dataset.test_y),
        "input_shape": list(dataset.input_shape),
        "classes": dataset.num_classes,
    }


def to_cache(dataset: TensorData) -> dict:
    """A plain dict of tensors and values that ``storage.save``/``storage.load`` round-trip."""
    return {
        "name": dataset.name,
        "train_x": dataset.train_x,
        "train_y": dataset.train_y,
        "test_x": dataset.test_x,
        "test_y": dataset.test_y,
        "num_classes": dataset.num_classes,
        "augment": dataset.augment,
        "pad_value": list(dataset.pad_value),
    }


def from_cache(cached: dict) -> TensorData:
    return TensorData(**{**cached, "pad_value": tuple(cached["pad_value"])})
