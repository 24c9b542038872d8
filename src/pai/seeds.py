"""Independent random generators, one per (seed, purpose).

Every random draw of a run (initialisation, reinitialisation, shuffle permutation, scoring subset,
random scores, data order, augmentation) comes from its own generator, so adding or reordering one
draw never changes another, and nothing depends on the global RNG.
"""

from __future__ import annotations

import hashlib

import torch

# Purposes used across the library; one name, one meaning.
INIT = "init"
REINIT = "reinit"
SHUFFLE = "shuffle"
SCORING_SUBSET = "scoring_subset"
RANDOM_SCORES = "random_scores"
DATA_ORDER = "data_order"
AUGMENT = "augment"
DATA_SPLIT = "data_split"
SYNTHETIC_DATA = "synthetic_data"
NTKSAP = "ntksap_draws"


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit integer that depends only on ``seed`` and ``purpose``.

    A hash, not ``seed + offset``, so that seeds of different purposes never collide
    (seed 1's shuffle must not equal seed 0's reinit).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    digest = hashlib.sha256(f"{seed}/{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def generator(seed: int, purpose: str, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` seeded from (seed, purpose)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(derive_seed(seed, purpose))
    return gen
