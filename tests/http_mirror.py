"""Where the tests find MNIST's verified files (../shared/data, beside the checkout; a user's clone
has none and those tests skip). The mirror itself is pai.data.mirror.

A module of its own, not conftest.py: test modules import it, and each test folder has its own
conftest.py, so `from conftest import ...` would depend on which folder pytest collected first.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "MNIST" / "raw"
