import os
import pickle
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from pai import storage


def test_round_trip_and_no_temporary_left(tmp_path):
    path = tmp_path / "sub" / "w.pt"
    storage.save({"a": torch.arange(3)}, path)
    assert torch.equal(storage.load(path)["a"], torch.arange(3))
    assert os.listdir(path.parent) == ["w.pt"]


def test_temporary_file_of_a_killed_writer_is_removed(tmp_path):
    path = tmp_path / "w.pt"
    (tmp_path / ".w.pt.abc123.tmp").write_bytes(b"half a file from a SIGKILLed job")
    (tmp_path / ".other.pt.abc123.tmp").write_bytes(b"another output's, left alone")
    storage.save({"a": torch.ones(2)}, path)
    assert sorted(os.listdir(tmp_path)) == [".other.pt.abc123.tmp", "w.pt"]


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


def test_equal_tensors_give_identical_files(tmp_path):
    # reruns and other machines can be compared with a checksum, not only tensor by tensor
    storage.save({"w": torch.linspace(0, 1, 50)}, tmp_path / "one.pt")
    storage.save({"w": torch.linspace(0, 1, 50)}, tmp_path / "two.pt")
    assert (tmp_path / "one.pt").read_bytes() == (tmp_path / "two.pt").read_bytes()


def test_file_size_limit_fails_clearly_and_keeps_previous_version(tmp_path):
    # a real EFBIG from the kernel (RLIMIT_FSIZE), the way a full disk fails a write
    path = tmp_path / "w.pt"
    storage.save({"a": torch.ones(4)}, path)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import resource, sys, torch
        sys.path.insert(0, {str(Path(storage.__file__).parents[1])!r})
        from pai import storage
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        try:
            storage.save({{"a": torch.ones(100_000)}}, {str(path)!r})
        except storage.WriteError as err:
            print(err)
            sys.exit(3)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert str(path) in result.stdout
    assert "previous version" in result.stdout
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.pt"]
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "w.pt"
    storage.save({"a": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(storage.CorruptFileError, match=r"w\.pt"):
        storage.load(path)


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pai-payload-ran",))


def _refused_without_running_its_code(path) -> None:
    if os.path.exists("/tmp/pai-payload-ran"):
        os.unlink("/tmp/pai-payload-ran")
    with pytest.raises(storage.CorruptFileError, match=path.name.replace(".", r"\.")):
        storage.load(path)
    assert not os.path.exists("/tmp/pai-payload-ran")


# torch warns about the raw pickle's protocol before refusing it; the refusal is what is tested
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_pickle_with_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"x": Payload()}, handle)
    _refused_without_running_its_code(path)


def test_torch_file_with_code_is_refused(tmp_path):
    # the same payload inside torch's own zip format, as a tampered checkpoint would carry it
    path = tmp_path / "checkpoint.pt"
    torch.save({"model": {"w": torch.ones(2)}, "x": Payload()}, path)
    _refused_without_running_its_code(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.pt"):
        storage.load(tmp_path / "nope.pt")
