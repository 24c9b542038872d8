"""Import paths a past release documented, kept working for one more release with a warning.

``MOVED`` is the one table: every old path -> where its object lives now. The old modules
(``pai.nets``, ``pai.ablations``) and the packages whose names moved down a level (``pai.data``,
``pai.pruning``, ``pai.training``) answer the old names through :func:`module_getattr`, which warns
with the new import. ``CHANGELOG.md`` lists the same paths under "Deprecated", and
``tests/unit/test_public_api.py`` checks that each resolves and warns.

The warning is a :class:`PaiDeprecationWarning`, a DeprecationWarning that Python shows by
default (a plain DeprecationWarning raised inside a plugin that a job imports would be hidden).
Torch-free: the lookup imports the new module only when an old name is used.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

REMOVED_IN = "0.3.0"

MOVED = MappingProxyType(
    {
        # docs/extending.md and examples/ of 0.1.0: a method plugin's helpers
        "pai.nets.prunable_names": "pai.plugin.prunable_names",
        "pai.nets.input_shape": "pai.plugin.input_shape",
        # README.md of 0.1.0, "A run in a few lines"
        "pai.nets.build_net": "pai.plugin.build_net",
        "pai.data.load_digits": "pai.plugin.load_digits",
        "pai.pruning.cell_masks": "pai.plugin.cell_masks",
        "pai.pruning.method_settings": "pai.plugin.method_settings",
        "pai.ablations.start_state": "pai.plugin.start_state",
        "pai.training.train": "pai.plugin.train",
        "pai.training.TrainConfig": "pai.plugin.TrainConfig",
    }
)


class PaiDeprecationWarning(DeprecationWarning):
    """An import path of a past release that still works, for one more release."""


# shown wherever it is raised, once per place (Python hides DeprecationWarning outside __main__),
# unless the user chose the warnings' handling (-W, PYTHONWARNINGS): then theirs holds
if not sys.warnoptions:
    warnings.filterwarnings("default", category=PaiDeprecationWarning)


def resolve(old: str, stacklevel: int = 2) -> Any:
    """The object an old path names now, with a :class:`PaiDeprecationWarning` naming the new
    import."""
    new = MOVED[old]
    module, name = new.rsplit(".", 1)
    warnings.warn(
        f"{old} is deprecated and will be removed in pai {REMOVED_IN}: use "
        f"'from {module} import {name}' instead",
        PaiDeprecationWarning,
        stacklevel=stacklevel + 1,
    )
    return getattr(importlib.import_module(module), name)


def module_getattr(module: str) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for ``module`` that answers its moved names."""

    def __getattr__(name: str) -> Any:
        old = f"{module}.{name}"
        if old not in MOVED:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return resolve(old, stacklevel=2)

    return __getattr__
