"""The extension contract: everything a plugin or a script may import from pai, and nothing else.

docs/extending.md, ``examples/`` and every error message name their imports from this module
alone; tests/unit/test_public_api.py reads those files and imports each name here. The rest of
``pai`` is internal and may move between releases; these names do not move without a release of
deprecation (:mod:`pai.deprecation`, CHANGELOG.md).

For a score function (docs/extending.md, "Bring your own method"):

- :func:`prunable_names`: the weights a score function scores, in the net's order;
- :func:`input_shape`: one input's C x H x W;
- :class:`ScoringData`: what a method that asks for data receives (``images``, ``labels``).

For a run from Python (docs/extending.md, "What you may import"): :func:`load_digits`,
:func:`build_net`, :func:`method_settings`, :func:`cell_masks`, :func:`start_state`,
:func:`train` and :class:`TrainConfig`.
"""

from __future__ import annotations

from pai.data.datasets import load_digits
from pai.data.scoring_set import ScoringData
from pai.models.nets import build_net, input_shape, prunable_names
from pai.pruning.ablations import start_state
from pai.pruning.prune import cell_masks, method_settings
from pai.training.engine import TrainConfig, train

__all__ = [
    "ScoringData",
    "TrainConfig",
    "build_net",
    "cell_masks",
    "input_shape",
    "load_digits",
    "method_settings",
    "prunable_names",
    "start_state",
    "train",
]
