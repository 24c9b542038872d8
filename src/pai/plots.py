"""The figures, drawn with seaborn from the aggregated tables (PNG and PDF), as the papers draw
them and the same way throughout:

- sparsity as MtM plots it: the percentage of weights remaining, on a log axis from the most
  down, so the 1 - 0.8^k grid is evenly spaced, ticked at the sparsities that were run;
- one colour per method in every figure, the groups told apart: random pruning black, the
  methods at initialization in colour, MtM's benchmarks (pruned after training) in greys, the
  user's plugins in further colours;
- one line style per ablation in every figure (unmodified solid, shuffle dashed, reinit dotted,
  invert dash-dotted);
- panels wrapped at four columns and sized for a page; each legend beside the panels it
  explains; layer axes with integer ticks labelled with the layers' names.

Every mean is drawn with a 95% bootstrap confidence interval over seeds (seaborn's
``errorbar=("ci", 95)``), except ablation_effects' 90% t intervals (the one-sided 95% bounds
of its tests); with one seed there is none.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # files only; no display on cluster nodes

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from . import registry
from .storage import atomic_write

CI = ("ci", 95)
COLUMNS = 4  # panels per row at most
PANEL = {"height": 2.3, "aspect": 1.25}
LEGEND_LINE_INCHES = 0.21  # one legend entry at the figure font size
ABLATION_ORDER = list(registry.ABLATIONS)
ABLATION_DASHES = {
    "unmodified": "",
    "shuffle": (4, 2),
    "reinit": (1, 1.5),
    "invert": (6, 2, 1, 2),
}
COMPARISON_DASHES = {**ABLATION_DASHES, "random": "", "dense, two seeds": (2, 2)}
GROUP_TITLES = {
    "random": "random pruning",
    "pai": "pruning at initialization",
    "benchmark": "MtM's benchmarks (after training)",
    "plugin": "your methods (plugins)",
}
# the study's methods in the figures' order and their colours; style() sets them from the study
METHOD_ORDER: list[str] = list(registry.METHODS)
PALETTE: dict[str, tuple] = {}
GROUPS: dict[str, str] = {}
# MtM's axis is ticked at the sparsities that were run, at most this many
MOST_TICKS = 8
REMAINING = "weights remaining (%)"


def style(settings: Mapping, methods: Sequence[str] | None = None, groups=None) -> None:
    """Seaborn's theme, and one colour per method of the study (``methods``; ``groups``: a
    plugin's group where it declared one)."""
    sns.set_theme(context=settings.get("context", "paper"), style="whitegrid")
    METHOD_ORDER[:] = registry.ordered_methods(methods or list(registry.METHODS))
    GROUPS.clear()
    for name in METHOD_ORDER:
        known = registry.METHODS.get(name)
        GROUPS[name] = (groups or {}).get(name) or (known.group if known else "plugin")
    coloured = iter(sns.color_palette("tab10"))
    greys = iter(["#4d4d4d", "#8c8c8c", "#b3b3b3", "#d0d0d0"])
    PALETTE.clear()
    for name in METHOD_ORDER:
        if GROUPS[name] == "random":
            PALETTE[name] = (0.0, 0.0, 0.0)
        elif GROUPS[name] == "benchmark":
            PALETTE[name] = matplotlib.colors.to_rgb(next(greys, "#999999"))
        else:
            colour = next(coloured, None)
            if colour is None:  # more methods than tab10 has colours
                coloured = iter(sns.color_palette("tab20b"))
                colour = next(coloured)
            PALETTE[name] = tuple(colour)


def _ensure_style() -> None:
    if not PALETTE:
        style({})


def _present(order: Sequence[str], values) -> list[str]:
    values = set(values)
    return [v for v in order if v in values]


def save(figure, png: str | os.PathLike, pdf: str | os.PathLike, dpi: int) -> None:
    figure = figure.figure if hasattr(figure, "figure") else figure
    # "tight" keeps the legends beside the panels inside the saved image
    atomic_write(png, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight"))
    atomic_write(pdf, lambda tmp: figure.savefig(tmp, format="pdf", bbox_inches="tight"))
    plt.close(figure)


def no_data(what: str):
    """A figure that says the grid gave it nothing to show (e.g. no random method, one ablation)."""
    figure, axis = plt.subplots(figsize=(6, 1.5))
    axis.axis("off")
    axis.text(0.5, 0.5, f"{what}: nothing to show for this grid", ha="center", va="center")
    return figure


# ------------------------------------------------------------------------------ building blocks


def remaining(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the percentage of weights remaining, MtM's x axis."""
    return frame.assign(**{REMAINING: 100.0 * (1.0 - frame["sparsity"].astype(float))})


def remaining_ticks(values, most: int = MOST_TICKS) -> list[float]:
    """Tick positions at the weights remaining that were run (``values``), most first; at most
    ``most`` of them, evenly spread on the log axis (the paper grid runs 21)."""
    run = sorted({round(float(v), 6) for v in values if v > 0}, reverse=True)
    if len(run) <= most:
        return run
    picks = np.unique(np.round(np.linspace(0, len(run) - 1, most)).astype(int))
    return [run[i] for i in picks]


def remaining_axis(axis, data: pd.DataFrame) -> None:
    """MtM's sparsity axis: weights remaining, log scale, the most on the left, from the most to
    the fewest weights ``data`` keeps, ticked at the sparsities that were run."""
    axis.set_xscale("log")
    kept = data[REMAINING].astype(float)
    most, fewest = min(float(kept.max()), 100.0), max(float(kept.min()), 1e-3)
    axis.set_xlim(most * 1.15, fewest / 1.3)
    ticks = remaining_ticks(kept)
    axis.xaxis.set_major_locator(FixedLocator(ticks))
    axis.xaxis.set_minor_locator(NullLocator())
    axis.set_xticklabels([f"{t:.0f}" if t >= 10 else f"{t:.2g}" for t in ticks])


def _panels(frame: pd.DataFrame, keys: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """A ``panel`` column naming each facet (``net | method``), in net then method order."""
    frame = frame.copy()
    frame["panel"] = frame[list(keys)].astype(str).agg(" | ".join, axis=1)
    order_of = {name: index for index, name in enumerate(METHOD_ORDER)}
    sort = frame[list(keys)].drop_duplicates()
    if "method" in keys:
        sort = sort.assign(_rank=sort["method"].map(lambda m: order_of.get(m, len(order_of))))
        sort = sort.sort_values([k for k in keys if k != "method"] + ["_rank"])
    else:
        sort = sort.sort_values(list(keys))
    order = sort[list(keys)].astype(str).agg(" | ".join, axis=1).tolist()
    return frame, order


def _facets(data, x, y, keys, **options):
    """Line panels wrapped at COLUMNS, one per value of ``keys``, a colour per method; also
    ``data`` with its ``panel`` column (the key of ``grid.axes_dict``)."""
    data, order = _panels(data, keys)
    grid = sns.relplot(
        data=data,
        x=x,
        y=y,
        col="panel",
        col_order=order,
        col_wrap=min(COLUMNS, len(order)),
        hue="method",
        kind="line",
        errorbar=options.pop("errorbar", CI),
        legend=False,
        **PANEL,
        **options,
    )
    grid.set_titles("{col_name}")
    return grid, data


def _method_hue(data: pd.DataFrame) -> dict:
    _ensure_style()
    present = _present(METHOD_ORDER, data["method"])
    return {"hue_order": present, "palette": {m: PALETTE[m] for m in present}}


def _ablation_style(data: pd.DataFrame, column: str = "ablation", dashes=ABLATION_DASHES) -> dict:
    present = _present(list(dashes), data[column])
    return {"style": column, "style_order": present, "dashes": {a: dashes[a] for a in present}}


def _header(text: str):
    return Line2D([], [], linestyle="", marker=""), text


def legend(figure, methods: Sequence[str] = (), ablations: Sequence[str] = (), extra=()) -> None:
    """One legend beside the panels: the methods by group, then the line styles, then ``extra``
    (handle, label) pairs."""
    _ensure_style()
    entries = []
    for group, title in GROUP_TITLES.items():
        members = [m for m in methods if GROUPS.get(m, "plugin") == group]
        if members:
            entries.append(_header(title))
            entries += [(Line2D([], [], color=PALETTE[m], linewidth=2), m) for m in members]
    if ablations:
        entries.append(_header("line style"))
        for name in ablations:
            dashes = COMPARISON_DASHES.get(name, "")
            line = Line2D([], [], color="0.2", linewidth=1.5)
            if dashes:
                line.set_dashes(dashes)
            entries.append((line, name))
    entries += list(extra)
    if not entries:
        return
    handles, labels = zip(*entries, strict=True)
    # a legend taller than the panels (one panel, many methods) would run into the title:
    # make the figure as tall as the legend needs (about 0.2 inch an entry)
    needed = LEGEND_LINE_INCHES * len(entries) + 0.4
    if figure.get_figheight() < needed:
        figure.set_figheight(needed)
    shown = figure.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        handlelength=2.6,
    )
    for text, handle in zip(shown.get_texts(), handles, strict=True):
        if not handle.get_linestyle() or handle.get_linestyle() == "None":
            text.set_fontweight("bold")


def _title(grid, text: str) -> None:
    grid.figure.suptitle(text, y=1.02, fontsize="medium")


def _layer_axis(axis, names: Sequence[str]) -> None:
    """Integer ticks at the layers, labelled with their (shortened) names."""
    axis.set_xticks(range(len(names)))
    axis.set_xticklabels([short_layer(n) for n in names], rotation=90, fontsize="xx-small")
    axis.set_xlim(-0.5, len(names) - 0.5)


def short_layer(name: str) -> str:
    """A layer's name without ``.weight`` and with ``blocks.`` / ``fc_layers.`` abbreviated."""
    return (
        name.removesuffix(".weight")
        .replace("blocks.", "b")
        .replace("fc_layers.", "fc")
        .replace("shortcut.0", "short")
        .replace("layers.", "l")
    )


def _layer_positions(table: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Each (net, layer) at its place in the net (rows are written input to output)."""
    return {
        (net, layer): index
        for net, rows in table.groupby("net", sort=False)
        for index, layer in enumerate(dict.fromkeys(rows["layer"]))
    }


# --------------------------------------------------------------------------------- flags


FLAGS = {
    "layer_collapse": {"marker": "x", "color": "black", "label": "layer collapse"},
    "diverged": {"marker": "^", "color": "red", "label": "diverged (non-finite loss)"},
}


def mark_flagged_runs(grid, runs: pd.DataFrame, x: str, y: str, panel_keys: list[str]) -> int:
    """Draw every run with a flag (a layer left without weights, a non-finite loss) as a marker
    at its own value in its panel, so a mean pulled down by broken runs says why. Returns how
    many runs were marked."""
    marked = 0
    for flag, look in FLAGS.items():
        if flag not in runs:
            continue
        flagged = runs[runs[flag].astype(bool)]
        for key, rows in flagged.groupby(panel_keys):
            key = key if isinstance(key, tuple) else (key,)
            axis = grid.axes_dict.get(" | ".join(str(k) for k in key))
            if axis is None:
                continue
            axis.scatter(rows[x], rows[y].fillna(0.0), s=36, zorder=5, **look)
            marked += len(rows)
    return marked


def flag_legend_entries(marked: int) -> list:
    if not marked:
        return []
    entries = [_header(f"flagged runs ({marked}; non-finite drawn at 0)")]
    for look in FLAGS.values():
        entries.append(
            (
                Line2D([], [], linestyle="", marker=look["marker"], color=look["color"]),
                look["label"],
            )
        )
    return entries


def mark_matching_sparsity(grid, runs: pd.DataFrame) -> None:
    """A dashed line at each net's matching sparsity, the extreme sparsities beyond it shaded."""
    if "matching_sparsity" not in runs:
        return
    limits = runs.groupby("panel")["matching_sparsity"].first()
    for panel, axis in grid.axes_dict.items():
        limit = limits.get(panel)
        if limit is None or pd.isna(limit):
            continue
        at = 100.0 * (1.0 - limit)
        low, high = axis.get_xlim()
        axis.axvline(at, color="0.3", linestyle="--", linewidth=1, zorder=0)
        axis.axvspan(at, min(low, high), color="0.92", zorder=-1)
        axis.set_xlim(low, high)  # the shading must not widen the axis
        axis.text(at, 0.02, " extreme ", transform=axis.get_xaxis_transform(), fontsize="x-small",
                  color="0.3")  # fmt: skip


# ---------------------------------------------------------------------------------- figures


def accuracy_vs_sparsity(runs: pd.DataFrame):
    """MtM's main figure: final test accuracy of every method's unmodified masks against the
    weights remaining, one panel per net."""
    data = runs[runs["ablation"] == "unmodified"]
    if data.empty:
        return no_data("accuracy of unmodified masks")
    data = remaining(data)
    grid, data = _facets(
        data, REMAINING, "final_test_accuracy", ["net"], marker="o", markersize=3,
        facet_kws={"sharey": False}, **_method_hue(data),
    )  # fmt: skip
    for axis in grid.axes.flat:
        remaining_axis(axis, data)
    mark_matching_sparsity(grid, data)
    marked = mark_flagged_runs(grid, data, REMAINING, "final_test_accuracy", ["net"])
    grid.set_axis_labels(REMAINING, "final test accuracy")
    extra = [_header("MtM's regimes"), (Line2D([], [], color="0.3", linestyle="--"),
             "matching | extreme (shaded)")]  # fmt: skip
    legend(
        grid.figure, _present(METHOD_ORDER, data["method"]), (), extra + flag_legend_entries(marked)
    )
    _title(grid, "Unmodified masks: accuracy against weights remaining (mean, 95% CI over seeds)")
    return grid


def ablations(runs: pd.DataFrame):
    """MtM's ablation figure: per net and method, the four ablations against weights remaining."""
    if runs.empty:
        return no_data("ablations")
    data = remaining(runs)
    grid, _ = _facets(
        data, REMAINING, "final_test_accuracy", ["net", "method"], marker="o", markersize=3,
        facet_kws={"sharey": False}, **_method_hue(data), **_ablation_style(data),
    )  # fmt: skip
    for axis in grid.axes.flat:
        remaining_axis(axis, data)
    marked = mark_flagged_runs(grid, data, REMAINING, "final_test_accuracy", ["net", "method"])
    grid.set_axis_labels(REMAINING, "final test accuracy")
    legend(
        grid.figure,
        _present(METHOD_ORDER, data["method"]),
        _present(ABLATION_ORDER, data["ablation"]),
        flag_legend_entries(marked),
    )
    _title(grid, "Ablations of each method's mask (mean, 95% CI over seeds)")
    return grid


# below this many seeds ablation_effects draws each seed's difference instead of a t band (with
# two seeds the 90% band is +-6.3 standard errors and fills the panel)
BAND_SEEDS = 5
MARGIN_STYLE = {"color": "#b91c1c", "linewidth": 1.0, "linestyle": (0, (4, 2))}
EFFECT_TICKS = (-100, -30, -10, -3, -1, 0, 1, 3, 10, 30, 100)  # accuracy points


def ablation_effects(effects: pd.DataFrame):
    """Accuracy of each ablation minus unmodified (same seed), in accuracy points, with its 90%
    t interval (its ends are the one-sided 95% bounds the tests use) or, with fewer than
    BAND_SEEDS seeds, each seed's difference; and MtM's non-inferiority margin, drawn and shaded
    below: for methods at initialization shuffle and reinit should stay above it, invert fall
    below zero. One y scale per row of panels."""
    if effects.empty:
        return no_data("ablation effects")
    points = ["difference", "ci_low", "ci_high", "margin"]
    data = remaining(effects).assign(**{c: 100 * effects[c] for c in points if c in effects})
    grid, data = _facets(
        data, REMAINING, "difference", ["net", "method"], marker="o", markersize=3,
        errorbar=None, facet_kws={"sharey": False}, **_method_hue(data), **_ablation_style(data),
    )  # fmt: skip
    margin = float(data["margin"].max()) if "margin" in data else 0.0
    for panel, axis in grid.axes_dict.items():
        axis.axhline(0.0, color="0.5", linewidth=0.8)
        rows = data[data["panel"] == panel]
        for _, line in rows.groupby("ablation"):
            line = line.sort_values(REMAINING)
            colour = PALETTE.get(line["method"].iloc[0], "0.5")
            if int(line["seeds"].max()) >= BAND_SEEDS:
                axis.fill_between(
                    line[REMAINING], line["ci_low"], line["ci_high"], alpha=0.15, color=colour,
                    linewidth=0,
                )  # fmt: skip
            elif "seed_differences" in line:
                seeds = [(x, 100 * d) for x, ds in zip(line[REMAINING], line["seed_differences"],
                         strict=True) for d in ds]  # fmt: skip
                if seeds:
                    axis.scatter(*zip(*seeds, strict=True), s=9, color=colour, alpha=0.6,
                                 linewidths=0, zorder=3)  # fmt: skip
        remaining_axis(axis, data)
    _one_scale_per_row(grid, -margin)
    for axis in grid.axes_dict.values():
        # linear within +-2 margins of zero, logarithmic beyond: the half-point margin stays
        # visible beside losses of 90 points
        axis.set_yscale("symlog", linthresh=2 * margin if margin else 1.0, linscale=1.0)
        low, high = axis.get_ylim()
        axis.yaxis.set_major_locator(FixedLocator([t for t in EFFECT_TICKS if low <= t <= high]))
        axis.yaxis.set_minor_locator(NullLocator())
        axis.yaxis.set_major_formatter(FuncFormatter(lambda t, _: f"{t:g}".replace("-", "−")))
        if margin:
            axis.axhline(-margin, **MARGIN_STYLE)
            axis.axhspan(-margin, axis.get_ylim()[0], color=MARGIN_STYLE["color"], alpha=0.06,
                         linewidth=0)  # fmt: skip
    grid.set_axis_labels(REMAINING, "Δ accuracy (points)")
    extra = []
    if margin:
        extra = [(Line2D([], [], **MARGIN_STYLE),
                  f"−{margin:g} points: non-inferiority margin")]  # fmt: skip
    if (data["seeds"] < BAND_SEEDS).any():
        extra.append((Line2D([], [], marker="o", linestyle="", color="0.4", markersize=3),
                      f"each seed (fewer than {BAND_SEEDS} seeds: no band)"))  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(ABLATION_ORDER, data["ablation"]), extra)  # fmt: skip
    _title(grid, "Ablation effect on final test accuracy, paired by seed (band: 90% t interval)")
    return grid


def _one_scale_per_row(grid, *must_show: float) -> None:
    """The panels of each row of ``grid`` share one y range (their drawn data's, and
    ``must_show``)."""
    axes = list(grid.axes_dict.values())
    for start in range(0, len(axes), COLUMNS):
        row = axes[start : start + COLUMNS]
        lows, highs = zip(*(axis.get_ylim() for axis in row), strict=True)
        low, high = min(min(lows), *must_show), max(max(highs), *must_show)
        pad = 0.05 * (high - low or 1.0)
        for axis in row:
            axis.set_ylim(low - pad, high + pad)


def at_sparsities(frame: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """The rows of each net at that net's analysis sparsity."""
    wanted = frame["net"].map(lambda net: round(float(sparsities.get(net, math.nan)), 4))
    return frame[frame["sparsity"].round(4) == wanted]


def _sparsity_text(sparsities: Mapping[str, float]) -> str:
    values = sorted(set(sparsities.values()))
    return f"sparsity {values[0]:g}" if len(values) == 1 else "each net's analysis sparsity"


def _per_layer(data: pd.DataFrame, y: str, keys, by_comparison: bool, ylabel: str, title: str):
    """Per-layer lines in panels, the layer axis labelled with the layers' names; a colour per
    method and, ``by_comparison``, a line style per comparison."""
    positions = _layer_positions(data)
    data = data.assign(
        layer_index=[positions[k] for k in zip(data["net"], data["layer"], strict=True)]
    )
    options = _method_hue(data)
    if by_comparison:
        options |= _ablation_style(data, "comparison", COMPARISON_DASHES)
    grid, data = _facets(data, "layer_index", y, keys, marker="o", markersize=3,
                         facet_kws={"sharex": False, "sharey": False}, **options)  # fmt: skip
    for panel, axis in grid.axes_dict.items():
        net = data.loc[data["panel"] == panel, "net"].iloc[0]
        names = [
            layer for (n, layer), _ in sorted(positions.items(), key=lambda i: i[1]) if n == net
        ]
        _layer_axis(axis, names)
    grid.set_axis_labels("layer (input to output)", ylabel)
    _title(grid, title)
    return grid, data


def distances_per_layer(distances: pd.DataFrame, sparsities: Mapping[str, float]):
    """Singh & Liu figures 1-2: trained, all-entries W1 per layer against the method's
    unmodified run, for each ablation and for random pruning."""
    data = at_sparsities(distances, sparsities)
    data = data[(data["stage"] == "trained") & (data["entries"] == "all")]
    if "tensor" in data:
        data = data[data["tensor"] == "weight"]
    if data.empty:
        return no_data("per-layer distances")
    grid, data = _per_layer(
        data, "w1", ["net", "method"], True, "W1 to unmodified",
        f"Trained weights, pruned zeros included, {_sparsity_text(sparsities)} "
        "(mean, 95% CI over seeds)",
    )  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(list(COMPARISON_DASHES), data["comparison"]))  # fmt: skip
    return grid


def layer_density(layers: pd.DataFrame, sparsities: Mapping[str, float]):
    """Per-layer density of each method's unmodified mask at each net's analysis sparsity."""
    data = at_sparsities(layers, sparsities)
    data = data[data["ablation"] == "unmodified"]
    if data.empty:
        return no_data("per-layer density")
    grid, data = _per_layer(
        data, "density", ["net"], False, "fraction of weights kept",
        f"Per-layer density of each method's mask, {_sparsity_text(sparsities)}",
    )  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]))
    return grid


def training_curves(histories: pd.DataFrame, sparsities: Mapping[str, float]):
    """Test accuracy per epoch of every method's unmodified runs at each net's analysis
    sparsity."""
    data = at_sparsities(histories, sparsities)
    data = data[data["ablation"] == "unmodified"]
    if data.empty:
        return no_data("training curves")
    grid, _ = _facets(
        data, "epoch", "test_accuracy", ["net"], facet_kws={"sharey": False, "sharex": False},
        **_method_hue(data),
    )  # fmt: skip
    grid.set_axis_labels("epoch", "test accuracy")
    legend(grid.figure, _present(METHOD_ORDER, data["method"]))
    _title(grid, f"Training curves, unmodified masks, {_sparsity_text(sparsities)}")
    return grid


TOPOLOGY_MEASURES = {
    "log10 effective paths": ("paths_log10", None),
    "effective nodes (share, exact)": ("effective_nodes", "total_nodes"),
    "effective nodes (share, NPB's procedure)": ("npb_effective_nodes", "npb_total_nodes"),
}


def topology(table: pd.DataFrame):
    """Effective paths (log10) and the share of effective nodes, by our exact definition and by
    NPB's procedure, against weights remaining; the unmodified mask beside its shuffle (Pham et al.:
    shuffling restores width)."""
    runs = table.drop_duplicates(["net", "method", "sparsity", "seed", "ablation"]).copy()
    runs = runs[runs["ablation"].isin(["unmodified", "shuffle"])]
    if "supported" in runs:
        runs = runs[runs["supported"].astype(bool)]
    if runs.empty:
        return no_data("effective paths and nodes")
    for label, (value, total) in TOPOLOGY_MEASURES.items():
        if value in runs:
            runs[label] = runs[value] / runs[total] if total else runs[value]
    measures = [label for label, (value, _) in TOPOLOGY_MEASURES.items() if value in runs]
    long = remaining(runs).melt(
        id_vars=["net", "method", "sparsity", "seed", "ablation", REMAINING],
        value_vars=measures,
        var_name="measure",
    )
    grid, _ = _facets(long, REMAINING, "value", ["net", "measure"], marker="o", markersize=3,
                      facet_kws={"sharey": False}, **_method_hue(long),
                      **_ablation_style(long))  # fmt: skip
    for axis in grid.axes.flat:
        remaining_axis(axis, long)
        # "net | measure" is wider than a panel: one line each
        axis.set_title(axis.get_title().replace(" | ", "\n"), fontsize="small")
    grid.set_axis_labels(REMAINING, "")
    legend(grid.figure, _present(METHOD_ORDER, long["method"]),
           _present(ABLATION_ORDER, long["ablation"]))  # fmt: skip
    _title(grid, "Start masks: effective paths and nodes (mean, 95% CI over seeds)")
    return grid


def similarity_per_layer(
    table: pd.DataFrame, sparsities: Mapping[str, float], measure: str = "svcca"
):
    """Per-layer similarity of each ablated (or randomly pruned) trained net to the method's
    unmodified one, with two dense nets of different seeds as the baseline in every panel."""
    at = at_sparsities(table[~table["method"].eq("dense")], sparsities)
    if "comparison" in at:
        at = at[~at["comparison"].str.startswith("dense")]
    if at.empty:
        return no_data(f"{measure} per layer")
    baseline = table[table["method"] == "dense"]
    copies = [
        baseline.assign(method=method, comparison="dense, two seeds")
        for method in at["method"].unique()
    ]
    data = pd.concat([at, *copies], ignore_index=True)
    label = "SVCCA (99% variance)" if measure == "svcca" else "linear CKA"
    grid, data = _per_layer(
        data, measure, ["net", "method"], True, label,
        f"{label} to the unmodified net, trained, {_sparsity_text(sparsities)} (95% CI)",
    )  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(list(COMPARISON_DASHES), data["comparison"]))  # fmt: skip
    return grid


def similarity_svcca(table: pd.DataFrame, sparsities: Mapping[str, float]):
    return similarity_per_layer(table, sparsities, "svcca")


def similarity_cka(table: pd.DataFrame, sparsities: Mapping[str, float]):
    return similarity_per_layer(table, sparsities, "cka")


CROSS_SEED_STYLE = {"color": "0.35", "linewidth": 1.2, "marker": "x", "markersize": 4}


def similarity_dense(table: pd.DataFrame):
    """Blakeney et al.'s question: how alike are a pruned net's representations and those of the
    dense net trained from the same init? SVCCA averaged over layers against weights remaining,
    each ablation beside the unmodified runs; grey: two dense nets of different seeds."""
    if "comparison" not in table:
        return no_data("similarity to the dense net")
    data = table[table["comparison"] == "dense"]
    if data.empty:
        return no_data("similarity to the dense net")
    per_run = (
        data.groupby(["net", "method", "sparsity", "seed", "ablation"])["svcca"]
        .mean()
        .reset_index()
    )
    per_run = remaining(per_run)
    grid, per_run = _facets(per_run, REMAINING, "svcca", ["net", "method"], marker="o",
                            markersize=3, **_method_hue(per_run),
                            **_ablation_style(per_run))  # fmt: skip
    baseline = table[table["method"] == "dense"].groupby("net")["svcca"].mean()
    # the like-for-like partner of the band: each method's unmodified runs against the dense net
    # of another seed (sharing no init, data order or augmentation, as two dense seeds do not)
    other = table[
        (table["comparison"] == "dense, other seed") & (table["ablation"] == "unmodified")
    ]
    other = remaining(
        other.groupby(["net", "method", "sparsity", "seed"])["svcca"].mean().reset_index()
    )
    for panel, axis in grid.axes_dict.items():
        shown = per_run.loc[per_run["panel"] == panel]
        net = shown["net"].iloc[0]
        if net in baseline:
            axis.axhline(baseline[net], color="0.6", linewidth=4, alpha=0.5, zorder=0)
        cross = other[(other["net"] == net) & other["method"].isin(shown["method"].unique())]
        if len(cross):
            means = cross.groupby(REMAINING)["svcca"].mean()
            axis.plot(means.index, means.to_numpy(), **CROSS_SEED_STYLE)
        remaining_axis(axis, per_run)
    grid.set_axis_labels(REMAINING, "SVCCA to the dense net")
    extra = [(Line2D([], [], color="0.6", linewidth=4, alpha=0.5), "dense vs dense, two seeds")]
    if len(other):
        extra.append((Line2D([], [], **CROSS_SEED_STYLE), "unmodified vs dense of another seed"))
    legend(grid.figure, _present(METHOD_ORDER, per_run["method"]),
           _present(ABLATION_ORDER, per_run["ablation"]), extra)  # fmt: skip
    _title(grid, "Pruned vs dense representations (same seed; mean over layers, 95% CI)")
    return grid


def channel_sparsity(table: pd.DataFrame, sparsities: Mapping[str, float]):
    """MtM's per-channel view: the share of neurons and channels (all prunable layers) whose
    sparsity is at least s, per method, unmodified masks at each net's highest matching sparsity
    (at the analysis sparsity where a net has none)."""
    data = table[table["ablation"] == "unmodified"]
    if data.empty:
        return no_data("per-channel sparsity")
    chosen = []
    for net, rows in data.groupby("net"):
        limit = rows["matching_sparsity"].iloc[0] if "matching_sparsity" in rows else math.nan
        at = limit if not pd.isna(limit) else sparsities.get(net, rows["sparsity"].max())
        near = rows.loc[(rows["sparsity"] - at).abs().idxmin(), "sparsity"]
        kind = "matching" if not pd.isna(limit) else "analysis"
        chosen.append(rows[rows["sparsity"] == near].assign(net=f"{net} ({kind} {near:g})"))
    data = pd.concat(chosen)
    grid, _ = _facets(data, "threshold", "share", ["net"], **_method_hue(data))
    grid.set_axis_labels("sparsity s of a neuron or channel", "share with sparsity ≥ s")
    legend(grid.figure, _present(METHOD_ORDER, data["method"]))
    _title(grid, "Per-channel sparsity of unmodified masks (mean over seeds)")
    return grid


def draw(name: str, table: pd.DataFrame, sparsities: Mapping[str, float]):
    """Figure ``name`` of :data:`pai.registry.FIGURES` from its table; ``sparsities``: each net's
    analysis sparsity, for the figures drawn at one sparsity."""
    figure = registry.FIGURES[name]
    function = globals()[figure.function.rsplit(":", 1)[1]]
    return function(table, sparsities) if figure.needs_sparsity else function(table)


__all__ = ["draw", "save", "style"]
