"""Downloads that go wrong, through the real `download_data` rule and a real HTTP mirror on
127.0.0.1: a transfer cut half way leaves nothing a later run would trust, and a local file whose
checksum does not match is fetched again, never used."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_mirror import SHARED_MNIST
from pipeline_helpers import make_workdir, snakemake

from pai.data import download
from pai.data.mirror import QuietHandler, serve_folder

TARGET = "resources/data/mnist/tensors.pt"
RAW = "resources/data/mnist/MNIST/raw"
CUT = "train-images-idx3-ubyte.gz"  # 9.9 MB: the mirror sends half of it, then hangs up


class _CuttingHandler(QuietHandler):
    """Serves MNIST's files, but stops half way through CUT, with or without having announced
    its length (urllib then sees an IncompleteRead, or a short file that fails the md5)."""

    announce_length = True

    def do_GET(self) -> None:
        if not self.path.endswith(CUT):
            super().do_GET()
            return
        body = (SHARED_MNIST / CUT).read_bytes()
        self.send_response(200)
        if self.announce_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True


def cutting_mirror(announce_length: bool):
    handler = type("Handler", (_CuttingHandler,), {"announce_length": announce_length})
    return serve_folder(SHARED_MNIST, handler)


def _with_mirror(workdir: Path, url: str) -> tuple[str, ...]:
    override = workdir / "mirror.yaml"
    override.write_text(f"data:\n  mirrors:\n    mnist: {url}\n")
    return ("--configfile", "presets/smoke.yaml", str(override))


def _md5s() -> dict[str, str]:
    import torchvision

    return dict(torchvision.datasets.MNIST.resources)


@pytest.mark.parametrize("announce_length", [True, False], ids=["with-length", "without-length"])
def test_cut_transfer_leaves_no_trusted_file(tmp_path, mnist_mirror, announce_length):
    workdir = make_workdir(tmp_path)
    with cutting_mirror(announce_length) as url:
        failed = snakemake(workdir, TARGET, *_with_mirror(workdir, url), check=False)

    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Error in rule download_data" in output
    assert f"{url}/{CUT}" in output  # the error names the URL ...
    expected = "transfer cut after" if announce_length else "checksum mismatch"
    assert expected in output, output[-3000:]  # ... and what went wrong
    raw = workdir / RAW
    assert not (raw / CUT).exists()
    assert not list(raw.glob("*.tmp")) and not list(raw.glob(".*.tmp"))
    assert not (workdir / TARGET).exists()
    # whatever else was fetched is complete and verified
    for path in raw.glob("*.gz"):
        assert download.calculate_md5(path) == _md5s()[path.name]

    # with a working mirror the same command completes
    snakemake(workdir, TARGET, *_with_mirror(workdir, mnist_mirror))
    assert download.calculate_md5(raw / CUT) == _md5s()[CUT]


def test_local_file_with_wrong_checksum_is_fetched_again(tmp_path, mnist_mirror):
    workdir = make_workdir(tmp_path)
    config = _with_mirror(workdir, mnist_mirror)
    snakemake(workdir, TARGET, *config)

    labels = workdir / RAW / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-10] + b"0123456789")  # same size, other bytes
    for name in ("tensors.pt", "manifest.json"):
        (workdir / "resources/data/mnist" / name).unlink()
    snakemake(workdir, TARGET, *config)

    log = (workdir / "logs/download_data/mnist.log").read_text()
    assert f"{labels.relative_to(workdir)} has md5" in log
    assert "fetching it again" in log
    assert download.calculate_md5(labels) == _md5s()[labels.name]
