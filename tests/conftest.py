"""Shared fixtures: one torch thread (see README: more threads per job is slower on 2 cores) and a
local HTTP mirror of MNIST served from ../shared/data/MNIST/raw when that folder exists."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "MNIST" / "raw"

torch.set_num_threads(1)


@contextlib.contextmanager
def serve_folder(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def mnist_mirror():
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"no MNIST files at {SHARED_MNIST} (only CI and the dev machines have them)")
    with serve_folder(SHARED_MNIST) as url:
        yield url


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory, mnist_mirror):
    """MNIST fetched once per test session through the mirror."""
    from pai import data

    root = tmp_path_factory.mktemp("mnist")
    data.load_mnist(root, mirror=mnist_mirror)
    return root
