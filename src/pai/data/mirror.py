"""A local HTTP mirror: a folder of dataset files served on 127.0.0.1, for a site without
internet (``data.mirrors`` names its URL) and for the tests and benchmarks, which serve MNIST's
verified files through it rather than download them."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request."""

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: str | Path, handler_class: type | None = None) -> Iterator[str]:
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
