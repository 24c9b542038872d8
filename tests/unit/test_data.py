import shutil

import numpy as np
import pytest
import torch
import torchvision
from http_mirror import SHARED_MNIST

from pai.config import registry
from pai.data import datasets, scoring_set, tensors
from pai.data.mirror import serve_folder


def test_digits_is_offline_fixed_and_normalised():
    a, b = datasets.load_digits(), datasets.load_digits()
    assert a.input_shape == (1, 8, 8) and a.num_classes == 10
    assert len(a.train_y) + len(a.test_y) == 1797
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert abs(a.train_x.mean().item()) < 1e-4 and a.train_x.std().item() == pytest.approx(1, 1e-3)


def test_synthetic_shapes_and_seed():
    s = datasets.make_synthetic((3, 16, 16), 4, 64, 32, seed=1)
    assert s.train_x.shape == (64, 3, 16, 16) and s.test_x.shape == (32, 3, 16, 16)
    assert set(s.train_y.tolist()) <= {0, 1, 2, 3}
    assert torch.equal(s.train_x, datasets.make_synthetic((3, 16, 16), 4, 64, 32, seed=1).train_x)
    assert not torch.equal(
        s.train_x, datasets.make_synthetic((3, 16, 16), 4, 64, 32, seed=2).train_x
    )


def test_class_balanced_subset():
    d = datasets.load_digits()
    x, y = scoring_set.class_balanced_subset(d.train_x, d.train_y, 10, seed=0)
    assert x.shape == (100, 1, 8, 8)
    assert torch.bincount(y).tolist() == [10] * 10
    x2, y2 = scoring_set.class_balanced_subset(d.train_x, d.train_y, 10, seed=0)
    x3, _ = scoring_set.class_balanced_subset(d.train_x, d.train_y, 10, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(x, x3)
    # the examples are real training rows
    rows = {tuple(r.flatten().tolist()) for r in d.train_x}
    assert all(tuple(r.flatten().tolist()) in rows for r in x[:5])
    with pytest.raises(ValueError, match="fewer than 1000"):
        scoring_set.class_balanced_subset(d.train_x, d.train_y, 1000, seed=0)


def test_unknown_dataset_kind_is_named():
    with pytest.raises(ValueError, match=r"dataset 'svhn' has unknown kind 'stream'"):
        datasets.load({"name": "svhn", "kind": "stream"})


def folder_settings(name, folder=None, size=None):
    """download_data's settings of a built-in folder dataset (as pai.config.study gives them)."""
    known = registry.DATASETS[name]
    size = size or known.image_size
    return {
        "name": name,
        "kind": "folder",
        "folder": None if folder is None else str(folder),
        "shape": [3, size, size],
        "classes": known.classes,
    }


@pytest.mark.network
def test_mnist_through_local_mirror(mnist_root):
    d = datasets.load_mnist(mnist_root)  # already there: no network needed the second time
    assert d.train_x.shape == (60000, 1, 28, 28) and d.test_x.shape == (10000, 1, 28, 28)
    assert d.train_x.mean().item() == pytest.approx(0.0, abs=0.01)
    assert d.train_x.std().item() == pytest.approx(1.0, abs=0.01)
    assert torch.bincount(d.test_y).sum() == 10000


@pytest.mark.network
def test_mirror_down_names_url_and_file(tmp_path):
    with pytest.raises(
        tensors.DataError, match=r"(?s)train-images-idx3-ubyte.gz.*127.0.0.1:9/mnist/train-images"
    ):
        datasets.load_mnist(tmp_path, mirror="http://127.0.0.1:9/mnist")


@pytest.mark.network
def test_wrong_file_on_mirror_is_refused(tmp_path, mnist_mirror):
    bad = tmp_path / "bad"
    bad.mkdir()
    for resource, _ in torchvision.datasets.MNIST.resources:
        shutil.copy(SHARED_MNIST / resource, bad / resource)
    (bad / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not mnist")
    with (
        serve_folder(bad) as url,
        pytest.raises(tensors.DataError, match=r"checksum mismatch for t10k-labels-idx1-ubyte.gz"),
    ):
        datasets.load_mnist(tmp_path / "root", mirror=url)
    assert not (tmp_path / "root" / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").exists()


@pytest.mark.network
def test_corrupt_local_file_is_fetched_again(tmp_path, mnist_mirror):
    root = tmp_path / "root"
    datasets.load_mnist(root, mirror=mnist_mirror)
    archive = root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    archive.write_bytes(b"garbage")
    d = datasets.load_mnist(root, mirror=mnist_mirror)
    assert len(d.test_y) == 10000
    assert archive.stat().st_size == (SHARED_MNIST / archive.name).stat().st_size


def test_tensor_cache_round_trip(tmp_path):
    from pai import storage

    original = datasets.make_synthetic((3, 8, 8), 4, 32, 16, augment=True)
    storage.save(tensors.to_cache(original), tmp_path / "tensors.pt")
    restored = tensors.from_cache(storage.load(tmp_path / "tensors.pt"))
    assert restored.name == original.name and restored.augment and restored.num_classes == 4
    assert restored.pad_value == original.pad_value
    assert torch.equal(restored.train_x, original.train_x)
    assert torch.equal(restored.test_y, original.test_y)


def _image_tree(root, classes, size=64, val_layout="folders"):
    """A TinyImageNet-shaped folder of random images: train/<class>/images/*.JPEG and either
    val/<class>/*.png or TinyImageNet's own val/images + val_annotations.txt."""
    from PIL import Image

    gen = torch.Generator().manual_seed(0)
    names = [f"n{index:08d}" for index in range(classes)]
    annotations = []
    for index, name in enumerate(names):
        folder = root / "train" / name / "images"
        folder.mkdir(parents=True)
        pixels = torch.randint(0, 256, (size, size + 8, 3), generator=gen, dtype=torch.uint8)
        Image.fromarray(pixels.numpy()).save(folder / f"{name}_0.JPEG", quality=95)
        if val_layout == "folders":
            (root / "val" / name).mkdir(parents=True)
            Image.fromarray(pixels.numpy()).save(root / "val" / name / "a.png")
        else:
            (root / "val" / "images").mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels.numpy()).save(root / "val" / "images" / f"val_{index}.png")
            annotations.append(f"val_{index}.png\t{name}\t0\t0\t{size}\t{size}")
    if annotations:
        (root / "val" / "val_annotations.txt").write_text("\n".join(annotations) + "\n")
    return names


def test_tinyimagenet_from_a_local_folder(tmp_path):
    _image_tree(tmp_path, 200, val_layout="annotations")
    d = datasets.load(folder_settings("tinyimagenet", tmp_path))
    assert d.train_x.shape == (200, 3, 64, 64) and d.test_x.shape == (200, 3, 64, 64)
    assert d.num_classes == 200 and d.augment
    assert d.train_y.tolist() == list(range(200)) and d.test_y.tolist() == list(range(200))
    # the lossless validation PNG (64 x 72) comes back centre-cropped to 64 x 64, normalised with
    # the ImageNet constants
    from PIL import Image

    pixels = torch.from_numpy(np.array(Image.open(tmp_path / "val/images/val_7.png")))
    expected = pixels[:, 4:68].permute(2, 0, 1).float() / 255
    mean = torch.tensor(datasets.IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(datasets.IMAGENET_STD).view(3, 1, 1)
    assert torch.allclose(d.test_x[7], (expected - mean) / std, atol=1e-6)


def test_folder_datasets_name_what_is_wrong(tmp_path):
    with pytest.raises(tensors.DataError, match="cannot be downloaded"):
        datasets.load(folder_settings("imagenet"))
    with pytest.raises(tensors.DataError, match="expected train/ and val/"):
        datasets.load(folder_settings("tinyimagenet", tmp_path))
    _image_tree(tmp_path, 3)
    with pytest.raises(tensors.DataError, match="has 3 class folders, expected 200"):
        datasets.load(folder_settings("tinyimagenet", tmp_path))
