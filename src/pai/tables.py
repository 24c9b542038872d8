"""Aggregation of per-run files into tables, and Singh & Liu's Table 1 (DESIGN.md "Tables").

Every per-run file carries its own key columns, so aggregation concatenates and never parses
paths.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .storage import RECOMPUTE_HINT, CorruptFileError

KEYS = ["net", "method", "sparsity", "seed", "ablation"]
TABLE1_COMPARISONS = ("reinit", "shuffle", "random")


def read_run(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise CorruptFileError(
            f"cannot read {path} as a run record ({RECOMPUTE_HINT}): {err}"
        ) from err


def runs_table(records: Iterable[dict]) -> pd.DataFrame:
    """One row per run: keys, accuracy, loss, density, flags, wall time."""
    rows = []
    for r in records:
        rows.append(
            {
                **{key: r[key] for key in KEYS},
                "final_test_accuracy": r["final_test_accuracy"],
                "final_test_loss": r["final_test_loss"],
                "best_test_accuracy": r["best_test_accuracy"],
                "epochs": r["epochs"],
                "density": r["density"],
                "layer_collapse": bool(r["collapsed_layers"]),
                "diverged": bool(r["diverged"]),
                "wall_seconds": r["wall_seconds"],
                "device": r["device"],
            }
        )
    return pd.DataFrame(rows).sort_values(KEYS, ignore_index=True)


def layers_table(records: Iterable[dict]) -> pd.DataFrame:
    """Long form: one row per run and prunable layer, with its kept count and density."""
    rows = []
    for r in records:
        for index, layer in enumerate(r["layers"]):
            rows.append(
                {
                    **{key: r[key] for key in KEYS},
                    "layer_index": index,
                    "layer": layer["layer"],
                    "kept": layer["kept"],
                    "total": layer["total"],
                    "density": layer["kept"] / layer["total"],
                }
            )
    return pd.DataFrame(rows).sort_values([*KEYS, "layer_index"], ignore_index=True)


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(non_empty, ignore_index=True)


def table1(distances: pd.DataFrame, sparsity: float) -> pd.DataFrame:
    """Singh & Liu's Table 1: trained, all-entries W1, averaged over layers, then over seeds.

    Columns: net, method, reinit, reinit_std, shuffle, shuffle_std, random, random_std. The
    standard deviation is over seeds (NaN with one seed).
    """
    columns = ["net", "method"]
    for comparison in TABLE1_COMPARISONS:
        columns += [comparison, f"{comparison}_std"]
    chosen = distances[
        (distances["stage"] == "trained")
        & (distances["entries"] == "all")
        & (distances["sparsity"].round(4) == round(sparsity, 4))
        & distances["comparison"].isin(TABLE1_COMPARISONS)
    ]
    if chosen.empty:
        return pd.DataFrame(columns=columns)
    per_seed = (
        chosen.groupby(["net", "method", "seed", "comparison"])["w1"]
        .mean()  # the mean over layers (NaN-skipping: a collapsed layer has no distance)
        .reset_index()
    )
    summary = per_seed.groupby(["net", "method", "comparison"])["w1"].agg(["mean", "std"])
    wide = summary.unstack("comparison")
    out = pd.DataFrame(index=wide.index)
    for comparison in TABLE1_COMPARISONS:
        out[comparison] = wide.get(("mean", comparison), math.nan)
        out[f"{comparison}_std"] = wide.get(("std", comparison), math.nan)
    return out.reset_index()[columns]


def flagged_note(runs: pd.DataFrame, sparsity: float) -> str:
    """Markdown lines under Table 1 naming the runs at its sparsity whose numbers are not what
    they seem: a layer pruned to nothing (its distance is skipped in the mean over layers) or a
    non-finite loss (its distances are NaN, so the cell shows none)."""
    at = runs[runs["sparsity"].round(4) == round(sparsity, 4)]
    lines = []
    for flag, meaning in (
        ("layer_collapse", "a layer with no weights left (skipped in the mean over layers)"),
        ("diverged", "a non-finite loss (no distances)"),
    ):
        flagged = at[at[flag].astype(bool)]
        for (net, method), rows in flagged.groupby(["net", "method"]):
            ablations = ", ".join(sorted(set(rows["ablation"])))
            lines.append(
                f"- {flag}: {net} / {method}: {len(rows)} run(s) ({ablations}) with {meaning}"
            )
    if not lines:
        return ""
    return "\nFlagged runs at this sparsity (see `runs.parquet`):\n\n" + "\n".join(lines) + "\n"


def markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""

    def cell(value) -> str:
        if isinstance(value, float):
            return "–" if math.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"
