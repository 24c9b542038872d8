"""Aggregation of per-run files into tables, and Singh & Liu's Table 1 (docs/design.md, "Tables").

Every per-run file carries its own key columns, so aggregation concatenates and never parses
paths.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from pai.analysis.stats import effective_runs
from pai.config import registry
from pai.reporting import numbers
from pai.storage import RECOMPUTE_HINT, CorruptFileError

KEYS = ["net", "method", "sparsity", "seed", "ablation"]
TABLE1_COMPARISONS = ("reinit", "shuffle", "random")
# MtM's benchmarks, pruned after training: the "highest known accuracy" at each sparsity
BENCHMARKS = tuple(m.name for m in registry.METHODS.values() if m.group == "benchmark")
MATCHING_COLUMNS = [
    "net", "dense_accuracy", "dense_std", "dense_seeds", "matching_sparsity", "benchmark",
    "benchmark_accuracy", "benchmarks_run",
]  # fmt: skip


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


def add_effective_density(
    runs: pd.DataFrame, layers: pd.DataFrame, topology: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs and layers tables with each start mask's ``effective_density`` (the share of the
    run's, or the layer's, weights on an input-to-output path; topology table), NaN where the
    topology could not follow the net."""
    # from the columns every topology file has (older ones too): no analysis reruns for it
    columns = ["effective_sparsity", "effective_weights", "total"]
    if topology.empty or not set(columns) <= set(topology.columns):
        return runs.assign(effective_density=math.nan), layers.assign(effective_density=math.nan)
    measured = topology.dropna(subset=columns)
    per_run = effective_runs(topology)
    per_layer = measured.assign(
        effective_density=measured["effective_weights"] / measured["total"]
    )[[*KEYS, "layer", "effective_density"]]
    return (
        runs.merge(per_run, on=KEYS, how="left"),
        layers.merge(per_layer, on=[*KEYS, "layer"], how="left"),
    )


def dense_table(records: Iterable[dict]) -> pd.DataFrame:
    """One row per dense run (net, seed): the unpruned baseline of matching sparsity."""
    columns = ["net", "seed", "final_test_accuracy", "diverged", "epochs", "wall_seconds"]
    rows = [{key: r[key] for key in columns} for r in records]
    return pd.DataFrame(rows, columns=columns).sort_values(["net", "seed"], ignore_index=True)


def matching_table(runs: pd.DataFrame, dense: pd.DataFrame) -> pd.DataFrame:
    """MtM's matching sparsity per net: the highest sparsity at which the best benchmark (the mean
    over seeds of magnitude_trained's or lottery's unmodified runs, whichever is higher there)
    reaches the dense accuracy within one standard deviation over the dense seeds (0 with one
    seed). Sparsities up to it are "matching", beyond it "extreme". NaN when no sparsity matches
    or no benchmark ran (``benchmarks_run`` says which)."""
    rows = []
    for net, dense_runs in dense.groupby("net"):
        accuracy = dense_runs["final_test_accuracy"].astype(float)
        std = float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0
        bar = float(accuracy.mean()) - std
        chosen = runs[
            (runs["net"] == net)
            & runs["method"].isin(BENCHMARKS)
            & (runs["ablation"] == "unmodified")
        ]
        means = chosen.groupby(["sparsity", "method"])["final_test_accuracy"].mean()
        best = means.groupby(level="sparsity").max()
        reached = best[best >= bar]
        row = {
            "net": net,
            "dense_accuracy": float(accuracy.mean()),
            "dense_std": std,
            "dense_seeds": len(accuracy),
            "matching_sparsity": math.nan,
            "benchmark": "",
            "benchmark_accuracy": math.nan,
            "benchmarks_run": ", ".join(sorted(chosen["method"].unique())),
        }
        if len(reached):
            sparsity = float(reached.index.max())
            at = means.xs(sparsity, level="sparsity")
            row.update(
                matching_sparsity=sparsity,
                benchmark=str(at.idxmax()),
                benchmark_accuracy=float(at.max()),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=MATCHING_COLUMNS)


def add_regime(frame: pd.DataFrame, matching: pd.DataFrame) -> pd.DataFrame:
    """``matching_sparsity`` and ``regime`` columns for every row with a net and a sparsity:
    "matching" up to the net's matching sparsity, "extreme" beyond, "unknown" without a
    benchmark run (no matching sparsity can be computed)."""
    out = frame.drop(columns=["matching_sparsity", "regime"], errors="ignore")
    out = out.merge(matching[["net", "matching_sparsity", "benchmarks_run"]], on="net", how="left")
    limit = out["matching_sparsity"]
    matched = out["sparsity"].round(4) <= limit.round(4)
    has_benchmark = out["benchmarks_run"].fillna("") != ""
    out["regime"] = "unknown"
    out.loc[has_benchmark, "regime"] = "extreme"
    out.loc[has_benchmark & matched, "regime"] = "matching"
    return out.drop(columns=["benchmarks_run"])


def _at(frame: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """The rows of each net at that net's sparsity in ``sparsities``."""
    wanted = frame["net"].map(lambda net: round(float(sparsities.get(net, math.nan)), 4))
    return frame[frame["sparsity"].round(4) == wanted]


def sparsity_note(asked: float, sparsities: Mapping[str, float]) -> str:
    """A line for each net whose grid lacks ``analysis.table1_sparsity`` and whose Table 1 rows
    and per-layer figures are at its nearest sparsity instead."""
    moved = {net: at for net, at in sparsities.items() if round(at, 4) != round(asked, 4)}
    if not moved:
        return ""
    lines = [
        f"- {net}: its grid has no sparsity {asked:g}, so its rows are at {at:g}, the nearest"
        for net, at in moved.items()
    ]
    return (
        f"\nTable 1 asks for sparsity {asked:g} (`analysis.table1_sparsity`):\n\n"
        + "\n".join(lines)
        + "\n"
    )


def regime_note(matching: pd.DataFrame, sparsities: Mapping[str, float]) -> str:
    """Markdown lines saying per net whether its Table 1 sparsity is a matching or an extreme
    one."""
    lines = []
    for row in matching.itertuples(index=False):
        if row.net not in sparsities:
            continue
        sparsity = sparsities[row.net]
        if not row.benchmarks_run:
            lines.append(f"- {row.net} at {sparsity:g}: no benchmark run, regime unknown")
        elif math.isnan(row.matching_sparsity):
            lines.append(
                f"- {row.net} at {sparsity:g}: extreme (no benchmark reaches the dense accuracy)"
            )
        else:
            regime = (
                "matching" if round(sparsity, 4) <= round(row.matching_sparsity, 4) else "extreme"
            )
            lines.append(
                f"- {row.net} at {sparsity:g}: {regime} (matching up to {row.matching_sparsity:g}, "
                f"{row.benchmark} {row.benchmark_accuracy:.4f} vs dense "
                f"{row.dense_accuracy:.4f} ± {row.dense_std:.4f})"
            )
    if not lines:
        return ""
    return "\nTable 1's sparsity per net (see `matching.md`):\n\n" + "\n".join(lines) + "\n"


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(non_empty, ignore_index=True)


# Table 1's layer sets: the prunable weights (ours, the default), and those with every BatchNorm
# gamma added (Singh & Liu's ResNet-20 notebook; only for nets that have BatchNorm)
LAYER_SETS = {"weights": ("weight",), "weights+bn_gamma": ("weight", "bn_gamma")}


def table1(distances: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """Singh & Liu's Table 1: trained, all-entries W1, averaged over layers, then over seeds,
    each net at its sparsity in ``sparsities``; one row per net, method and layer set.

    Columns: net, method, sparsity, layer_set, reinit, reinit_std, shuffle, shuffle_std, random,
    random_std. The standard deviation is over seeds (NaN with one seed).
    """
    columns = ["net", "method", "sparsity", "layer_set"]
    for comparison in TABLE1_COMPARISONS:
        columns += [comparison, f"{comparison}_std"]
    chosen = _at(distances, sparsities)
    chosen = chosen[
        (chosen["stage"] == "trained")
        & (chosen["entries"] == "all")
        & chosen["comparison"].isin(TABLE1_COMPARISONS)
    ]
    if "collapsed" in chosen:
        # a layer pruned to nothing in either run: with all entries its W1 compares zeros (0 when
        # both are empty), so it is left out of the mean over layers (flagged_note names it)
        chosen = chosen[~chosen["collapsed"].astype(bool)]
    if "tensor" not in chosen:
        chosen = chosen.assign(tensor="weight")
    frames = []
    for layer_set, tensors in LAYER_SETS.items():
        rows = chosen[chosen["tensor"].isin(tensors)]
        if layer_set != "weights":  # only where the set differs: nets with BatchNorm
            with_bn = set(rows.loc[rows["tensor"] != "weight", "net"])
            rows = rows[rows["net"].isin(with_bn)]
        if rows.empty:
            continue
        per_seed = (
            rows.groupby(["net", "method", "sparsity", "seed", "comparison"])["w1"]
            .mean()  # the mean over layers (collapsed layers were left out above)
            .reset_index()
        )
        summary = per_seed.groupby(["net", "method", "sparsity", "comparison"])["w1"].agg(
            ["mean", "std"]
        )
        wide = summary.unstack("comparison")
        out = pd.DataFrame(index=wide.index)
        for comparison in TABLE1_COMPARISONS:
            out[comparison] = wide.get(("mean", comparison), math.nan)
            out[f"{comparison}_std"] = wide.get(("std", comparison), math.nan)
        frames.append(out.reset_index().assign(layer_set=layer_set))
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)[columns]
    return sort_methods(table, ["net", "layer_set", "method"])


def sort_methods(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``by``, methods in the figures' order (random, at initialization,
    the benchmarks, plugins) and layer sets as listed, anything else as it sorts."""
    sets = {name: index for index, name in enumerate(LAYER_SETS)}

    def key(column: pd.Series) -> pd.Series:
        if column.name == "method":
            order = registry.ordered_methods(column.unique())
            return column.map({name: index for index, name in enumerate(order)})
        if column.name == "layer_set":
            return column.map(sets)
        return column

    return frame.sort_values(by, key=key).reset_index(drop=True)


def table1_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as shown: the default layer set (the other one is in table1.csv and beside the
    paper in table1_vs_paper.md)."""
    return table[table["layer_set"] == "weights"].drop(columns=["layer_set"])


def table1_markdown(table: pd.DataFrame) -> str:
    return markdown(table1_shown(table))


def flagged_note(runs: pd.DataFrame, sparsities: Mapping[str, float]) -> str:
    """Markdown lines under Table 1 naming the runs at its sparsities whose numbers are not what
    they seem: a layer pruned to nothing (left out of the mean over layers, in this run and in
    the run it is compared with) or a non-finite loss (its distances are NaN, so the cell shows
    none)."""
    at = _at(runs, sparsities)
    lines = []
    for flag, meaning in (
        ("layer_collapse", "a layer with no weights left (left out of the mean over layers)"),
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


NOTHING = "(nothing in this grid)\n"


def markdown_or_nothing(frame: pd.DataFrame) -> str:
    """:func:`markdown`, or a line saying the grid has nothing for this table."""
    return NOTHING if frame.empty else markdown(frame)


def markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(numbers.cell(v, digits) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body]) + "\n"


# ------------------------------------------------------------------ tables for people (report)

# How a column is shown in the report's HTML tables: accuracy (a fraction) as a percentage or a
# difference in percentage points with one decimal, W1 with three significant figures, p-values
# in the usual form. The .md and .parquet files keep every digit.
PEOPLE_FORMATS: Mapping[str, Callable[[float], str]] = {
    "percent": lambda v: f"{100 * v:.1f}",
    "points": lambda v: f"{100 * v:+.1f}" if v else "0.0",
    "w1": lambda v: f"{v:.3g}",
    "p": lambda v: "< 0.001" if v < 0.001 else f"{v:.3f}",
    "sparsity": lambda v: f"{v:g}",
    "number": lambda v: f"{v:.2f}",
}
UNITS = {"percent": " (%)", "points": " (points)"}
# headers people read, where the column's name is not one already
HEADERS = {
    "ci_low": "interval, low",
    "ci_high": "interval, high",
    "p_value": "p",
    "p_adjusted": "p, adjusted",
    "smallest_p": "smallest p",
    "cohens_dz": "Cohen's d_z",
    "random_w1": "W1 random",
    "ablation_w1": "W1 ablation",
    "share_layers_random_larger": "layers where random is farther",
    "collapsed_layers": "layers left out (collapsed)",
    "dense_std": "dense s.d.",
    "dense_seeds": "dense seeds",
    "benchmarks_run": "benchmarks run",
}


def for_people(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` as strings people read: each column in ``kinds`` formatted as its kind
    (:data:`PEOPLE_FORMATS`), missing values as a dash, and human headers with their unit."""
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        kind = kinds.get(column)
        values = frame[column]
        if kind is not None:
            text = [
                numbers.MISSING if numbers.missing(value) else PEOPLE_FORMATS[kind](float(value))
                for value in values
            ]
        else:
            text = [numbers.MISSING if numbers.missing(v) else str(v) for v in values]
        header = HEADERS.get(column, column.replace("_", " ")) + UNITS.get(kind or "", "")
        shown[header] = text
    return shown


REPORT_STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:14px;color:#1e293b;margin:12px}"
    "table{border-collapse:collapse}th,td{padding:4px 8px;border-bottom:1px solid #cbd5e1;"
    "text-align:left;vertical-align:top}th{background:#f1f5f9}td{font-variant-numeric:"
    "tabular-nums}code{font-size:13px}"
)


def html_page(title: str, markdown_text: str) -> str:
    """A self-contained HTML page of ``markdown_text`` (GitHub-style tables), as the report shows
    it in the page."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown_text)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{REPORT_STYLE}</style></head><body><h2>{title}</h2>{body}</body></html>\n"
    )


def html_table(
    title: str,
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    notes: str = "",
    columns: Sequence[str] | None = None,
) -> str:
    """``frame`` for people (:func:`for_people`; ``columns`` of it) as an HTML page, markdown
    ``notes`` below it."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame]]
    return html_page(title, markdown_or_nothing(for_people(frame, kinds)) + notes)


# the columns of each report table people read (the claim names the ablation and its margin),
# and their kinds
EFFECT_SHOWN = [
    "net", "method", "sparsity", "range", "regime", "family", "claim", "seeds", "excluded",
    "difference", "ci_low", "ci_high", "collapsed_runs", "effective_density",
    "ablated_effective_density",
]  # fmt: skip
CLAIM_SHOWN = [
    "role", "net", "set", "family", "claim", "methods", "sparsities", "seeds", "excluded",
    "difference", "ci_low", "ci_high", "p_value", "verdict", "smallest_p", "detectable",
    "collapsed_runs", "unrestricted_difference", "unrestricted_verdict",
]  # fmt: skip
CLAIM_KINDS = {
    "difference": "points", "ci_low": "points", "ci_high": "points", "margin": "points",
    "detectable": "points", "unrestricted_difference": "points", "p_value": "p",
    "unrestricted_p": "p", "smallest_p": "p",
}  # fmt: skip
TEST_SHOWN = [
    "role", "entries", "net", "method", "sparsity", "claim", "seeds", "random_w1", "ablation_w1",
    "difference", "ci_low", "ci_high", "cohens_dz", "p_value", "p_adjusted", "smallest_p",
    "verdict", "collapsed_layers",
]  # fmt: skip
EFFECT_KINDS = {
    "sparsity": "sparsity", "difference": "points", "ci_low": "points", "ci_high": "points",
    "margin": "points", "effective_density": "percent", "ablated_effective_density": "percent",
}  # fmt: skip
TEST_KINDS = {
    "sparsity": "sparsity", "random_w1": "w1", "ablation_w1": "w1", "difference": "w1",
    "ci_low": "w1", "ci_high": "w1", "cohens_dz": "number", "p_value": "p", "p_adjusted": "p",
    "smallest_p": "p", "share_layers_random_larger": "percent",
}  # fmt: skip
MATCHING_KINDS = {
    "dense_accuracy": "percent", "dense_std": "percent", "matching_sparsity": "sparsity",
    "benchmark_accuracy": "percent",
}  # fmt: skip
TABLE1_KINDS = {
    "sparsity": "sparsity",
    **{name: "w1" for c in TABLE1_COMPARISONS for name in (c, f"{c}_std")},
}
# the data-free allocations (pai.analysis.allocations): the confirmatory test per method against
# erk, and every cell's estimate
ALLOCATION_CLAIM_SHOWN = [
    "net", "claim", "sparsities", "seeds", "excluded", "difference", "ci_low", "ci_high",
    "p_better", "p_worse", "verdict", "smallest_p", "collapsed_runs", "unrestricted_difference",
    "unrestricted_verdict",
]  # fmt: skip
ALLOCATION_CLAIM_KINDS = {
    "difference": "points", "ci_low": "points", "ci_high": "points", "p_better": "p",
    "p_worse": "p", "smallest_p": "p", "unrestricted_difference": "points",
}  # fmt: skip
ALLOCATION_EFFECT_SHOWN = [
    "net", "method", "sparsity", "range", "variant", "allocation", "best", "seeds",
    "method_accuracy", "allocation_accuracy", "difference", "ci_low", "ci_high",
    "method_effective_density", "allocation_effective_density",
]  # fmt: skip
ALLOCATION_EFFECT_KINDS = {
    "sparsity": "sparsity", "method_accuracy": "percent", "allocation_accuracy": "percent",
    "difference": "points", "ci_low": "points", "ci_high": "points",
    "method_effective_density": "percent", "allocation_effective_density": "percent",
}  # fmt: skip
