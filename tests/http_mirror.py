"""A local HTTP mirror: serve a folder (MNIST's files from ../shared/data) on 127.0.0.1.

A module of its own, not conftest.py: test modules import it, and each test folder has its own
conftest.py, so `from conftest import ...` would depend on which folder pytest collected first.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "MNIST" / "raw"


@contextlib.contextmanager
def serve_folder(folder: Path, handler_class: type | None = None):
    """Serve ``folder`` over HTTP on 127.0.0.1 (with ``handler_class``, a subclass of
    SimpleHTTPRequestHandler, to misbehave on purpose); yields the base URL."""
    handler = functools.partial(handler_class or QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
