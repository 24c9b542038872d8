"""The six kinds of dataset source, each loaded once as tensors (docs/methods.md, "Data").

``mnist`` and ``cifar10`` are fetched file by file with an md5 check (torchvision's published
checksums), from torchvision's own locations or from a ``mirror`` base URL; torchvision then parses
them. ``digits`` ships inside scikit-learn (no network). ``synthetic`` makes learnable data of any
shape for tests of the convolutional nets. ``tinyimagenet`` and ``imagenet`` (MtM's larger nets)
cannot be downloaded: they are read from a local folder (:func:`load_image_folder`). A user's
dataset is a folder of images in the same layout, or a plugin loader (:func:`load_from_loader`).
Which kind each name is comes from :mod:`pai.config.registry` (built-ins) and the config (plugins).

Images are normalised once here; CIFAR's crop-and-flip augmentation happens per batch in the
training engine (``augment`` flag), where the padding value is the normalised image of a black
pixel, exactly what padding the PIL image before ``ToTensor``/``Normalize`` gives in open_lth.
"""

from __future__ import annotations

import logging
import os
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pai import seeds
from pai.config import plugins, registry
from pai.data.download import calculate_md5, fetch_verified, gunzip
from pai.data.tensors import DataError, TensorData
from pai.storage import atomic_write

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
# ImageNet's channel statistics: open_lth (and so MtM) normalises CIFAR-10 with them too
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
log = logging.getLogger("pai.data.datasets")
# torchvision is imported only where MNIST or CIFAR-10 is read: its import costs seconds, and
# most pipeline jobs (init, masks, ablations) start a fresh process and never need it.


def _normalise(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return ((images - mean_t) / std_t).contiguous()


def _black_pixel(mean: Sequence[float], std: Sequence[float]) -> tuple[float, ...]:
    return tuple((0.0 - m) / s for m, s in zip(mean, std, strict=True))


# ----------------------------------------------------------------------------------- datasets


def load_mnist(root: str | os.PathLike, mirror: str | None = None) -> TensorData:
    """MNIST from ``root/MNIST/raw`` (fetched there first if missing or corrupt)."""
    import torchvision

    raw = Path(root) / "MNIST" / "raw"
    bases = [mirror] if mirror else list(torchvision.datasets.MNIST.mirrors)
    for filename, md5 in torchvision.datasets.MNIST.resources:
        archive = fetch_verified(bases, filename, md5, raw)
        extracted = raw / filename.removesuffix(".gz")
        stamp = raw / (extracted.name + ".md5")
        # re-extract whenever the archive changed (the stamp records which archive it came from)
        if not extracted.is_file() or not stamp.is_file() or stamp.read_text() != md5:
            gunzip(archive, extracted)
            atomic_write(stamp, lambda tmp, md5=md5: Path(tmp).write_text(md5))
    try:
        train = torchvision.datasets.MNIST(str(root), train=True, download=False)
        test = torchvision.datasets.MNIST(str(root), train=False, download=False)
    except Exception as err:
        raise DataError(f"cannot read MNIST from {raw}: {err}") from err

    def images(ds) -> torch.Tensor:
        return _normalise(ds.data.unsqueeze(1).float() / 255.0, MNIST_MEAN, MNIST_STD)

    return TensorData(
        "mnist", images(train), train.targets.long(), images(test), test.targets.long(), 10
    )


def load_cifar10(root: str | os.PathLike, mirror: str | None = None) -> TensorData:
    """CIFAR-10 from ``root`` (fetched there first if missing or corrupt)."""
    import torchvision

    cls = torchvision.datasets.CIFAR10
    root = Path(root)
    base_url = cls.url.rsplit("/", 1)[0]
    folder = root / cls.base_folder
    if not _cifar_batches_ok(root):
        archive = fetch_verified([mirror or base_url], cls.filename, cls.tgz_md5, root)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError) as err:
            raise DataError(f"cannot extract {archive}: {err}") from err
    try:
        train = cls(str(root), train=True, download=False)
        test = cls(str(root), train=False, download=False)
    except Exception as err:
        raise DataError(f"cannot read CIFAR-10 from {folder}: {err}") from err

    def images(ds) -> torch.Tensor:
        pixels = torch.from_numpy(ds.data).permute(0, 3, 1, 2).float() / 255.0
        return _normalise(pixels, IMAGENET_MEAN, IMAGENET_STD)

    return TensorData(
        "cifar10",
        images(train),
        torch.tensor(train.targets, dtype=torch.long),
        images(test),
        torch.tensor(test.targets, dtype=torch.long),
        10,
        augment=True,
        pad_value=_black_pixel(IMAGENET_MEAN, IMAGENET_STD),
    )


def _cifar_batches_ok(root: Path) -> bool:
    import torchvision

    cls = torchvision.datasets.CIFAR10
    folder = root / cls.base_folder
    for filename, md5 in cls.train_list + cls.test_list:
        path = folder / filename
        if not path.is_file() or calculate_md5(str(path)) != md5:
            return False
    return True


DIGITS_TEST_FRACTION = 0.25


def load_digits() -> TensorData:
    """scikit-learn's 8x8 digits (1,797 images), split 75/25 by a fixed seeded permutation."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = torch.from_numpy(np.asarray(bunch.images, dtype=np.float32)).unsqueeze(1) / 16.0
    labels = torch.from_numpy(np.asarray(bunch.target, dtype=np.int64))
    order = torch.randperm(len(labels), generator=seeds.generator(0, seeds.DATA_SPLIT))
    n_test = round(len(labels) * DIGITS_TEST_FRACTION)
    test_idx, train_idx = order[:n_test], order[n_test:]
    # one mean/std for the set, from the training split (as MNIST's constants are)
    mean = (images[train_idx].mean().item(),)
    std = (images[train_idx].std().item(),)
    normalised = _normalise(images, mean, std)
    return TensorData(
        "digits",
        normalised[train_idx],
        labels[train_idx],
        normalised[test_idx],
        labels[test_idx],
        10,
    )


def make_synthetic(
    shape: Sequence[int] = (3, 32, 32),
    num_classes: int = 10,
    n_train: int = 512,
    n_test: int = 256,
    seed: int = 0,
    augment: bool = False,
    noise: float = 1.0,
) -> TensorData:
    """Learnable random data: each class is a fixed random pattern plus Gaussian noise."""
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"synthetic shape must be (C, H, W) with positive sizes, got {shape}")
    if num_classes < 2:
        raise ValueError(f"synthetic num_classes must be at least 2, got {num_classes}")
    gen = seeds.generator(seed, seeds.SYNTHETIC_DATA)
    prototypes = torch.randn((num_classes, *shape), generator=gen)

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.randint(num_classes, (n,), generator=gen)
        images = prototypes[labels] + noise * torch.randn((n, *shape), generator=gen)
        return images.contiguous(), labels

    train_x, train_y = draw(n_train)
    test_x, test_y = draw(n_test)
    return TensorData(
        "synthetic",
        train_x,
        train_y,
        test_x,
        test_y,
        num_classes,
        augment=augment,
        pad_value=(0.0,) * shape[0],
    )


IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _folder_split(split: Path, classes: list[str]) -> list[tuple[Path, int]]:
    """(image, label) of one split: ``<split>/<class>/**/<image>``, or TinyImageNet's own
    validation layout, ``val/images/*`` with labels in ``val/val_annotations.txt``."""
    annotations = split / "val_annotations.txt"
    index = {name: i for i, name in enumerate(classes)}
    if annotations.is_file():
        samples = []
        for line in annotations.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) < 2:
                continue
            if fields[1] not in index:
                raise DataError(f"{annotations}: class {fields[1]!r} is not a training class")
            samples.append((split / "images" / fields[0], index[fields[1]]))
        return samples
    samples = []
    for name in classes:
        if (split / name).is_dir():
            samples += [(path, index[name]) for path in _image_files(split / name)]
    return samples


def _read_images(paths: Sequence[Path], size: int) -> torch.Tensor:
    """uint8 N x 3 x size x size: the shorter side resized to ``size``, then a centre crop."""
    from PIL import Image

    out = torch.empty((len(paths), 3, size, size), dtype=torch.uint8)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as image:
                image = image.convert("RGB")
                if image.size != (size, size):
                    scale = size / min(image.size)
                    w, h = (max(size, round(d * scale)) for d in image.size)
                    image = image.resize((w, h), Image.Resampling.BILINEAR)
                    left, top = (w - size) // 2, (h - size) // 2
                    image = image.crop((left, top, left + size, top + size))
                array = np.asarray(image, dtype=np.uint8)
        except OSError as err:
            raise DataError(f"cannot read image {path}: {err}") from err
        out[i] = torch.from_numpy(array.copy()).permute(2, 0, 1)
    return out


def load_image_folder(
    name: str,
    folder: str | os.PathLike,
    image_size: int,
    classes: int | None = None,
    normalise: str = "imagenet",
    augment: bool = True,
) -> TensorData:
    """Images from ``folder``: ``train/<class>/...`` and ``val/<class>/...`` (or TinyImageNet's
    ``val/images`` + ``val_annotations.txt``); one class per training subfolder, in sorted order
    (torchvision's ImageFolder convention). ``classes``: the number of class folders required.

    Images are resized (shorter side) and centre-cropped to ``image_size`` once, then normalised
    with the ImageNet constants (open_lth; ``normalise="imagenet"``) or with the training split's
    own per-channel mean and standard deviation (``"train"``, a user's folder), and, with
    ``augment``, flipped and crop-shifted per batch by the training engine. Departure from
    open_lth, whose ImageNet loader draws RandomResizedCrop(224) from the full JPEGs each epoch:
    the whole set lives in memory as tensors here, so ImageNet at 224 pixels needs ~770 GB
    (float32). Use it at a reduced ``image_size`` or on a subset.
    """
    root = Path(folder)
    train_dir, val_dir = root / "train", root / "val"
    for split in (train_dir, val_dir):
        if not split.is_dir():
            raise DataError(f"{name}: folder {split} does not exist (expected train/ and val/)")
    class_names = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    if classes is not None and len(class_names) != classes:
        raise DataError(
            f"{name}: {train_dir} has {len(class_names)} class folders, expected {classes}"
        )
    if len(class_names) < 2:
        raise DataError(f"{name}: {train_dir} needs at least two class folders")
    splits = {}
    for split_name, split in (("train", train_dir), ("val", val_dir)):
        samples = _folder_split(split, class_names)
        if not samples:
            raise DataError(f"{name}: no images ({', '.join(IMAGE_SUFFIXES)}) under {split}")
        paths, labels = zip(*samples, strict=True)
        images = _read_images(paths, image_size).to(torch.float32) / 255.0
        splits[split_name] = (images, torch.tensor(labels))
    if normalise == "imagenet":
        mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        train = splits["train"][0]
        mean = tuple(train.mean(dim=(0, 2, 3)).tolist())
        std = tuple(max(s, 1e-6) for s in train.std(dim=(0, 2, 3)).tolist())
    return TensorData(
        name,
        _normalise(splits["train"][0], mean, std),
        splits["train"][1],
        _normalise(splits["val"][0], mean, std),
        splits["val"][1],
        len(class_names),
        augment=augment,
        pad_value=_black_pixel(mean, std),
    )


def load_from_loader(
    name: str,
    reference: str,
    shape: Sequence[int],
    classes: int,
    options: Mapping[str, Any] | None = None,
    augment: bool = False,
    base: str | Path = ".",
) -> TensorData:
    """A plugin dataset: ``loader(**options)`` returns ``(train_images, train_labels,
    test_images, test_labels)``: images N x C x H x W (float, normalised as the user wants),
    labels integers in [0, classes). Everything is checked against the config's ``shape`` and
    ``classes`` before it is kept."""
    key = f"plugins.datasets.{name}.loader"
    where = f"{key} ({reference})"
    function = plugins.load(reference, base, key)
    try:
        loaded = function(**dict(options or {}))
    except Exception as err:
        raise plugins.PluginError(f"{where}: loading failed: {type(err).__name__}: {err}") from err
    if not isinstance(loaded, Sequence) or len(loaded) != 4:
        raise plugins.PluginError(
            f"{where}: returned {type(loaded).__name__}; expected "
            "(train_images, train_labels, test_images, test_labels)"
        )
    parts = []
    for split, (images, labels) in (("train", loaded[:2]), ("test", loaded[2:])):
        images, labels = torch.as_tensor(images), torch.as_tensor(labels)
        if images.dim() != 4 or tuple(images.shape[1:]) != tuple(shape):
            raise plugins.PluginError(
                f"{where}: {split} images have shape {tuple(images.shape)}, expected "
                f"N x {' x '.join(map(str, shape))} (the config's shape)"
            )
        if labels.dim() != 1 or len(labels) != len(images):
            raise plugins.PluginError(
                f"{where}: {len(images)} {split} images but labels of shape "
                f"{tuple(labels.shape)}: images and labels do not match"
            )
        if labels.is_floating_point() or labels.dtype == torch.bool:
            raise plugins.PluginError(f"{where}: {split} labels are {labels.dtype}, not integers")
        if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= classes):
            raise plugins.PluginError(
                f"{where}: {split} labels run from {int(labels.min())} to {int(labels.max())}, "
                f"outside the {classes} classes of the config"
            )
        images = images.to(torch.float32).contiguous()
        if not bool(torch.isfinite(images).all()):
            raise plugins.PluginError(f"{where}: {split} images hold NaN or inf")
        parts += [images, labels.to(torch.int64)]
    return TensorData(
        name, *parts, num_classes=classes, augment=augment, pad_value=(0.0,) * shape[0]
    )


def load(settings: Mapping[str, Any], base: str | Path = ".") -> TensorData:
    """The dataset described by download_data's settings
    (:meth:`pai.config.study.Study.dataset_download`):
    its name and kind, and where it comes from."""
    name, kind = settings["name"], settings["kind"]
    if kind == "download":
        loaders = {"mnist": load_mnist, "cifar10": load_cifar10}
        return loaders[name](settings["root"], settings.get("mirror"))
    if kind == "embedded":
        return load_digits()
    if kind == "synthetic":
        synthetic = settings["synthetic"]
        return make_synthetic(
            shape=tuple(synthetic["shape"]),
            num_classes=synthetic["classes"],
            n_train=synthetic["n_train"],
            n_test=synthetic["n_test"],
        )
    if kind == "folder":
        if not settings.get("folder"):
            raise DataError(f"{name} cannot be downloaded: give the folder that holds it")
        built_in = name in registry.DATASETS
        folder = Path(settings["folder"])
        return load_image_folder(
            name,
            folder if folder.is_absolute() or built_in else Path(base) / folder,
            settings["shape"][1],
            classes=settings["classes"],
            normalise="imagenet" if built_in else "train",
            augment=True if built_in else bool(settings.get("augment", False)),
        )
    if kind == "loader":
        return load_from_loader(
            name,
            settings["loader"],
            settings["shape"],
            settings["classes"],
            settings.get("options"),
            bool(settings.get("augment", False)),
            base,
        )
    raise ValueError(f"dataset {name!r} has unknown kind {kind!r}")
