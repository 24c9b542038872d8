"""Dataset files fetched one by one from a list of base URLs, each checked against its published
md5 before it is kept (torchvision's checksums), and gunzipped."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from pai.data.tensors import DataError
from pai.storage import atomic_write

log = logging.getLogger("pai.data.download")


DOWNLOAD_TIMEOUT_S = 60


def calculate_md5(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _url(base: str, filename: str) -> str:
    return base.rstrip("/") + "/" + filename


def fetch_verified(bases: Sequence[str], filename: str, md5: str, folder: Path) -> Path:
    """Make ``folder/filename`` hold the file with checksum ``md5``, downloading if needed.

    A present file with the right checksum is used as is. A present file with a wrong checksum is
    never used: it is fetched again. Downloads go to a temporary name and are renamed only after
    the checksum matched, so a transfer cut half way leaves nothing a later run would trust.
    Tries each base URL in turn; the error names every URL tried and what went wrong.
    """
    target = folder / filename
    if target.is_file():
        found = calculate_md5(str(target))
        if found == md5:
            return target
        log.warning("%s has md5 %s, expected %s: not used, fetching it again", target, found, md5)
    problems = []
    for base in bases:
        url = _url(base, filename)
        try:
            _download_checked(url, target, md5)
            return target
        except DataError as err:
            problems.append(str(err))
    raise DataError(f"could not fetch {filename}:\n  " + "\n  ".join(problems))


def _download_checked(url: str, target: Path, md5: str) -> None:
    def write(tmp: str) -> None:
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "pai"})
            with (
                urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response,
                open(tmp, "wb") as out,
            ):
                announced = response.headers.get("Content-Length")
                shutil.copyfileobj(response, out)
                received = out.tell()
        # http.client raises HTTPException subclasses (not OSErrors) for broken responses
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
            raise DataError(f"{url}: download failed ({err})") from err
        # a server that hangs up mid-transfer gives a short file and no error from urllib
        if announced is not None and received != int(announced):
            raise DataError(
                f"{url}: download failed (transfer cut after {received} of {announced} bytes)"
            )
        got = calculate_md5(tmp)
        if got != md5:
            raise DataError(
                f"{url}: checksum mismatch for {target.name} (md5 {got}, expected {md5})"
            )

    atomic_write(target, write)


def gunzip(source: Path, target: Path) -> None:
    def write(tmp: str) -> None:
        with gzip.open(source, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)

    atomic_write(target, write)
