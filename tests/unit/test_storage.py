import os
import pickle

import pytest
import torch

from pai import storage


def test_round_trip_and_no_temporary_left(tmp_path):
    path = tmp_path / "sub" / "w.pt"
    storage.save({"a": torch.arange(3)}, path)
    assert torch.equal(storage.load(path)["a"], torch.arange(3))
    assert os.listdir(path.parent) == ["w.pt"]


def test_failed_write_keeps_previous_version(tmp_path):
    path = tmp_path / "w.pt"
    storage.save({"a": torch.ones(2)}, path)

    def boom(tmp):
        with open(tmp, "wb") as handle:
            handle.write(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.atomic_write(path, boom)
    assert torch.equal(storage.load(path)["a"], torch.ones(2))
    assert os.listdir(tmp_path) == ["w.pt"]


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "w.pt"
    storage.save({"a": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(storage.CorruptFileError, match=r"w\.pt"):
        storage.load(path)


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pai-payload-ran",))


def test_pickle_with_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"x": Payload()}, handle)
    if os.path.exists("/tmp/pai-payload-ran"):
        os.unlink("/tmp/pai-payload-ran")
    with pytest.raises(storage.CorruptFileError, match=r"evil\.pt"):
        storage.load(path)
    assert not os.path.exists("/tmp/pai-payload-ran")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.pt"):
        storage.load(tmp_path / "nope.pt")
