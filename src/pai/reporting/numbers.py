"""How a number is written in the pipeline's markdown and reStructuredText tables: one formatter,
torch- and pandas-free (the Snakefile's planning imports the paper module that uses it)."""

from __future__ import annotations

import math

MISSING = "–"  # a missing value (None or NaN) in every table


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cell(value: object, digits: int = 4) -> str:
    """A table cell: a float with ``digits`` decimals, a missing value as a dash, anything else
    as it prints."""
    if missing(value):
        return MISSING
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ratio(ours: float | None, theirs: float) -> str:
    """ours / theirs with two decimals, or a dash when ours is missing."""
    if missing(ours):
        return MISSING
    return f"{ours / theirs:.2f}"
