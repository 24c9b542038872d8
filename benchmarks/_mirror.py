"""Serve ../shared/data/MNIST/raw over HTTP on 127.0.0.1 for the benchmarks."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "MNIST" / "raw"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def mnist_mirror(folder: Path = SHARED_MNIST):
    if not folder.is_dir():
        raise SystemExit(f"no MNIST files at {folder}; pass --mnist-root with a fetched copy")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
