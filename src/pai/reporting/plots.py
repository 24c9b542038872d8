"""The figures, drawn with seaborn from the aggregated tables (PNG and PDF), as the papers draw
them and the same way throughout:

- sparsity as MtM plots it: the percentage of weights remaining, on a log axis from the most
  down, so the 1 - 0.8^k grid is evenly spaced, ticked at the sparsities that were run;
- one colour and marker per method in every figure, the groups told apart: random pruning black
  with squares, the data-free allocations in one family of browns, dark to light, with thin
  lines and small line-art markers (references, never to be taken for a method), the methods
  at initialization in colour, MtM's benchmarks (pruned after training) in greys with their
  own markers, the user's plugins in further colours;
- one line style per ablation in every figure: solid is the unmodified mask, shuffle dashed,
  reinit dotted, invert dash-dotted; random pruning, where a figure compares with it, long
  dashes in black; the dense baseline a wide grey band;
- panels wrapped at three columns, sized so that every label is at least SMALLEST_PX pixels as
  the report shows the figure (REPORT_FIGURE_PX wide); the legends below the panels, no wider
  than them; layer axes labelled with the layers' names, horizontal where they fit.

Every mean is drawn with a 90% interval over seeds, the one level of every table: a bootstrap
interval (seaborn's ``errorbar=("ci", 90)``), or in ablation_effects the 90% t interval of the
tables; with one seed there is none.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.text
import matplotlib.ticker

matplotlib.use("Agg")  # files only; no display on cluster nodes

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import Bbox

from pai.config import registry
from pai.storage import atomic_write

CI = ("ci", 90)  # the one interval level of every table and figure (docs/methods.md, "Statistics")
COLUMNS = 3  # panels per row at most
PANEL = {"height": 2.4, "aspect": 1.25}
# a row of fewer panels is widened to this many inches, so its legend below fits under it
ROW_INCHES = 6.0
# the report shows a figure in a 1400 px window at this width (measured in a real browser by
# tests/workflow/test_report_in_a_browser.py, with workflow/report/report.css); every label must
# come out at least SMALLEST_PX pixels tall there
REPORT_FIGURE_PX = 900
SMALLEST_PX = 10.0
SAVE_PAD_INCHES = 0.1  # matplotlib's pad around a "tight" figure
ABLATION_ORDER = list(registry.ABLATIONS)
ABLATION_DASHES = {
    "unmodified": "",
    "shuffle": (4, 2),
    "reinit": (1, 1.5),
    "invert": (6, 2, 1, 2),
}
# the comparisons of the per-layer figures: each ablation against the unmodified mask, and
# random pruning at the same sparsity (in black, long dashes: solid is kept for "unmodified")
RANDOM_COMPARISON = "random"
COMPARISON_DASHES = {**ABLATION_DASHES, RANDOM_COMPARISON: (9, 3)}
COMPARISON_LABELS = {RANDOM_COMPARISON: "random pruning, same sparsity"}
# the dense baseline, one look in every figure: a wide translucent grey band
DENSE_BAND = {"color": "0.55", "linewidth": 6, "alpha": 0.35, "solid_capstyle": "butt",
              "zorder": 0}  # fmt: skip
DENSE_BASELINE = "dense vs dense, two seeds"
GROUP_TITLES = {
    "random": "random pruning",
    "allocation": "data-free allocations (reference lines)",
    "pai": "pruning at initialization",
    "benchmark": "after training (MtM's benchmarks)",
    "plugin": "your methods (plugins)",
}
# the study's methods in the figures' order, their colours and markers; style() sets them
METHOD_ORDER: list[str] = list(registry.METHODS)
PALETTE: dict[str, tuple] = {}
MARKERS: dict[str, str] = {}
GROUPS: dict[str, str] = {}
BENCHMARK_LOOKS = [("#555555", "D"), ("#9a9a9a", "^"), ("#bdbdbd", "v"), ("#d5d5d5", "P")]
# the data-free allocations: one hue family (desaturated browns, away from tab10's orange and
# brown, which methods use), thin lines, small line-art markers (no method's filled ones, and
# not the layer-collapse cross of FLAGS); the study's allocations are spread evenly from the
# dark end to the light one and each has its own marker, so that seven of them stay apart
ALLOCATION_RAMP = ("#3b2d1f", "#b9a690")
ALLOCATION_MARKERS = ("+", "1", "2", "3", "4", "|", "_")
ALLOCATION_LINE = {"linewidth": 0.9, "markersize": 4.0}
LINE_WIDTH = 1.5  # every other method's
TAB10_GREY = 7
# MtM's axis is ticked at the sparsities that were run, at most this many
MOST_TICKS = 8
REMAINING = "weights remaining (%)"


def style(settings: Mapping, methods: Sequence[str] | None = None, groups=None) -> None:
    """Seaborn's theme, and one colour and marker per method of the study (``methods``;
    ``groups``: a plugin's group where it declared one)."""
    sns.set_theme(context=settings.get("context", "paper"), style="whitegrid")
    METHOD_ORDER[:] = registry.ordered_methods(methods or list(registry.METHODS))
    GROUPS.clear()
    for name in METHOD_ORDER:
        known = registry.METHODS.get(name)
        GROUPS[name] = (groups or {}).get(name) or (known.group if known else "plugin")
    # tab10 without its grey: grey is the benchmarks' (BENCHMARK_LOOKS), nine colours left
    coloured = iter(c for i, c in enumerate(sns.color_palette("tab10")) if i != TAB10_GREY)
    benchmarks = iter(BENCHMARK_LOOKS)
    browns = iter(allocation_colours(sum(GROUPS[m] == "allocation" for m in METHOD_ORDER)))
    line_art = itertools.cycle(ALLOCATION_MARKERS)
    PALETTE.clear()
    MARKERS.clear()
    for name in METHOD_ORDER:
        MARKERS[name] = "o"
        if GROUPS[name] == "random":
            PALETTE[name], MARKERS[name] = (0.0, 0.0, 0.0), "s"
        elif GROUPS[name] == "benchmark":
            colour, MARKERS[name] = next(benchmarks, ("#999999", "X"))
            PALETTE[name] = matplotlib.colors.to_rgb(colour)
        elif GROUPS[name] == "allocation":
            PALETTE[name], MARKERS[name] = next(browns), next(line_art)
        else:
            colour = next(coloured, None)
            if colour is None:  # more methods than tab10 has colours
                coloured = iter(sns.color_palette("tab20b"))
                colour = next(coloured)
            PALETTE[name] = tuple(colour)


def allocation_colours(count: int) -> list[tuple[float, float, float]]:
    """``count`` browns evenly spaced from ALLOCATION_RAMP's dark end to its light one."""
    dark, light = (np.array(matplotlib.colors.to_rgb(end)) for end in ALLOCATION_RAMP)
    return [tuple(float(c) for c in dark + step * (light - dark))
            for step in np.linspace(0.0, 1.0, count)]  # fmt: skip


def _ensure_style() -> None:
    if not PALETTE:
        style({})


def _present(order: Sequence[str], values) -> list[str]:
    values = set(values)
    return [v for v in order if v in values]


def shown_scale(figure, dpi: int) -> float:
    """How much the report shrinks ``figure`` saved at ``dpi``: its PNG is shown at most
    REPORT_FIGURE_PX wide."""
    figure = figure.figure if hasattr(figure, "figure") else figure
    tight = figure.get_tightbbox(figure.canvas.get_renderer())
    width_px = (tight.width + 2 * SAVE_PAD_INCHES) * dpi
    return min(1.0, REPORT_FIGURE_PX / width_px)


def smallest_text_px(figure, dpi: int) -> tuple[float, str]:
    """The smallest label of ``figure`` as the report shows it, in pixels, and its text."""
    figure = figure.figure if hasattr(figure, "figure") else figure
    scale = shown_scale(figure, dpi)
    texts = [t for t in figure.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
    smallest = min(texts, key=lambda t: t.get_fontsize())
    return smallest.get_fontsize() * dpi / 72 * scale, smallest.get_text()


def save(figure, png: str | os.PathLike, pdf: str | os.PathLike, dpi: int) -> None:
    figure = figure.figure if hasattr(figure, "figure") else figure
    # "tight" keeps the legends beside the panels inside the saved image
    tight = {"bbox_inches": "tight", "pad_inches": SAVE_PAD_INCHES}
    atomic_write(png, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png", **tight))
    # no creation date: the same results give the same PDF, byte for byte
    undated = {"metadata": {"CreationDate": None}}
    atomic_write(pdf, lambda tmp: figure.savefig(tmp, format="pdf", **tight, **undated))
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
    columns = min(COLUMNS, len(order))
    size = dict(PANEL)
    if columns * size["height"] * size["aspect"] < ROW_INCHES:  # room for the legend below
        size["aspect"] = ROW_INCHES / columns / size["height"]
    grid = sns.relplot(
        data=data,
        x=x,
        y=y,
        col="panel",
        col_order=order,
        col_wrap=columns,
        hue=options.pop("hue", "method"),
        kind="line",
        errorbar=options.pop("errorbar", CI),
        legend=False,
        **size,
        **options,
    )
    grid.set_titles("{col_name}")
    _fit_titles(grid)
    return grid, data


def _fit_titles(grid) -> None:
    """A panel title wider than its panel ("net | method") on one line per key."""
    renderer = grid.figure.canvas.get_renderer()
    for axis in grid.axes.flat:
        if axis.title.get_window_extent(renderer).width > axis.get_window_extent(renderer).width:
            axis.set_title(axis.get_title().replace(" | ", "\n"))


def mark_methods(grid) -> None:
    """Each method's lines with its own marker (random pruning's squares, the benchmarks'
    diamonds and triangles), found by their colour, one per method; the allocations' lines
    thin."""
    marker_of = {matplotlib.colors.to_hex(PALETTE[m]): MARKERS[m] for m in PALETTE}
    marker_of.setdefault("#000000", "s")  # a comparison with random pruning, not in the study
    thin = {matplotlib.colors.to_hex(PALETTE[m]) for m in PALETTE if GROUPS[m] == "allocation"}
    for axis in grid.axes.flat:
        for line in axis.lines:
            colour = matplotlib.colors.to_hex(line.get_color())
            marker = marker_of.get(colour)
            if marker and line.get_marker() not in (None, "", "None"):
                line.set_marker(marker)
            if colour in thin:
                line.set_linewidth(ALLOCATION_LINE["linewidth"])
                line.set_markersize(ALLOCATION_LINE["markersize"])
                # a line-art marker is all edge: seaborn's white edge would hide it
                line.set_markeredgecolor(colour)


def _method_hue(data: pd.DataFrame) -> dict:
    _ensure_style()
    present = _present(METHOD_ORDER, data["method"])
    return {"hue_order": present, "palette": {m: PALETTE[m] for m in present}}


def _ablation_style(data: pd.DataFrame, column: str = "ablation", dashes=ABLATION_DASHES) -> dict:
    present = _present(list(dashes), data[column])
    return {"style": column, "style_order": present, "dashes": {a: dashes[a] for a in present}}


def _comparison_hue(data: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """``data`` with a ``drawn_as`` colour key: the method's own, or random pruning's black for
    the comparison with random pruning (the same look as random pruning everywhere)."""
    _ensure_style()
    drawn_as = data["method"].where(data["comparison"] != RANDOM_COMPARISON, "random")
    data = data.assign(drawn_as=drawn_as)
    present = _present(list(dict.fromkeys([*METHOD_ORDER, "random"])), drawn_as)
    palette = {m: PALETTE.get(m, (0.0, 0.0, 0.0)) for m in present}
    return data, {"hue": "drawn_as", "hue_order": present, "palette": palette}


Block = tuple[str, list]  # a legend block: its title and its (handle, label) entries
LEGEND_GAP_INCHES = 0.3


def method_line(method: str) -> Line2D:
    """A legend handle drawn as ``method``'s lines are: its colour and marker."""
    width = ALLOCATION_LINE["linewidth"] if GROUPS.get(method) == "allocation" else LINE_WIDTH
    return Line2D([], [], color=PALETTE.get(method, "0.5"), marker=MARKERS.get(method, "o"),
                  markersize=4, linewidth=width)  # fmt: skip


def panels_box(figure) -> Bbox:
    """Where the panels are drawn, in display units: every visible axis with its ticks, labels
    and title (what the legend goes below and the title above)."""
    renderer = figure.canvas.get_renderer()
    return Bbox.union([a.get_tightbbox(renderer) for a in figure.axes if a.get_visible()])


def style_line(name: str) -> Line2D:
    """A legend handle for ablation or comparison ``name``: its dashes (black for random)."""
    colour = "0.0" if name == RANDOM_COMPARISON else "0.25"
    line = Line2D([], [], color=colour, linewidth=1.5)
    if COMPARISON_DASHES.get(name):
        line.set_dashes(COMPARISON_DASHES[name])
    return line


def legend(figure, methods: Sequence[str] = (), ablations: Sequence[str] = (), blocks=()) -> None:
    """The legend below the panels, in titled blocks: the methods by group, then the line
    styles, then ``blocks`` ((title, [(handle, label), ...]) each). Blocks are packed in rows no
    wider than the panels; the saved figure (bbox "tight") takes them in."""
    _ensure_style()
    shown: list[Block] = []
    for group, title in GROUP_TITLES.items():
        members = [m for m in methods if GROUPS.get(m, "plugin") == group]
        if members:
            shown.append((title, [(method_line(m), m) for m in members]))
    if ablations:
        shown.append(("line style", [(style_line(name), COMPARISON_LABELS.get(name, name))
                                     for name in ablations]))  # fmt: skip
    shown += [block for block in blocks if block[1]]
    if not shown:
        return
    renderer = figure.canvas.get_renderer()
    to_figure = figure.transFigure.inverted()
    (left, bottom), (right, _) = to_figure.transform(panels_box(figure).get_points())
    gap = LEGEND_GAP_INCHES / figure.get_figheight()
    x, top, row_height = left, bottom - gap, 0.0
    for title, entries in shown:
        handles, labels = zip(*entries, strict=True)
        block = figure.legend(handles, labels, title=title, loc="upper left",
                              bbox_to_anchor=(x, top), bbox_transform=figure.transFigure,
                              frameon=False, alignment="left", handlelength=2.6,
                              borderaxespad=0.0, borderpad=0.0,
                              title_fontproperties={"weight": "bold"})  # fmt: skip
        (x0, y0), (x1, y1) = to_figure.transform(block.get_window_extent(renderer).get_points())
        if x > left and x + (x1 - x0) > right:  # this row is full: start the next one
            x, top, row_height = left, top - row_height - gap, 0.0
            block.set_bbox_to_anchor((x, top), transform=figure.transFigure)
        x += (x1 - x0) + gap * figure.get_figheight() / figure.get_figwidth()
        row_height = max(row_height, y1 - y0)


def _title(grid, text: str) -> None:
    """The figure's title just above its panels' own titles (however many lines they have)."""
    figure = grid.figure
    at = figure.transFigure.inverted().transform((0, panels_box(figure).y1))[1]
    figure.suptitle(text, y=at + 0.08 / figure.get_figheight(), va="bottom")


def _layer_axis(axis, names: Sequence[str]) -> None:
    """Integer ticks at the layers, labelled with their (shortened) names."""
    labels = [short_layer(n) for n in names]
    axis.set_xticks(range(len(names)))
    axis.set_xlim(-0.5, len(names) - 0.5)
    shown = axis.set_xticklabels(labels)
    # horizontal where every name fits in its slot of the axis, else turned upright, and then
    # every step-th name where upright names would still touch (ResNet-20's 22 layers)
    renderer = axis.figure.canvas.get_renderer()
    slot = axis.get_window_extent(renderer).width / max(len(labels), 1)
    if max(text.get_window_extent(renderer).width for text in shown) > 0.9 * slot:
        line = max(text.get_window_extent(renderer).height for text in shown)
        step = math.ceil(1.2 * line / slot)
        axis.set_xticklabels([name if i % step == 0 else "" for i, name in enumerate(labels)],
                             rotation=90)  # fmt: skip


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


def flag_block(marked: int) -> list[Block]:
    """The legend block of the flagged runs, if any were marked."""
    if not marked:
        return []
    entries = [
        (Line2D([], [], linestyle="", marker=look["marker"], color=look["color"]), look["label"])
        for look in FLAGS.values()
    ]
    return [(f"flagged runs ({marked}; non-finite drawn at 0)", entries)]


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
        axis.text(at, 0.02, " extreme ", transform=axis.get_xaxis_transform(), color="0.3")


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
    mark_methods(grid)
    grid.set_axis_labels(REMAINING, "final test accuracy")
    regimes = [("MtM's regimes", [(Line2D([], [], color="0.3", linestyle="--"),
                                   "matching | extreme (shaded)")])]  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]), (), regimes + flag_block(marked))
    _title(grid, "Unmodified masks: accuracy against weights remaining (mean, 90% CI over seeds)")
    return grid


def allocations(runs: pd.DataFrame):
    """The methods at initialization (unmodified masks, in colour) against the weights
    remaining, every data-free allocation a thin brown reference line: does any method's mask
    beat a formula's per-layer fractions with random positions?"""
    kept = {m for m in runs["method"].unique() if GROUPS.get(m) in ("allocation", "pai", "plugin")}
    data = runs[(runs["ablation"] == "unmodified") & runs["method"].isin(kept)]
    if data.empty or not any(GROUPS.get(m) == "allocation" for m in data["method"].unique()):
        return no_data("methods against data-free allocations")
    return _against_allocations(
        remaining(data), REMAINING, "Methods against data-free allocations (thin; mean, 90% CI)",
    )  # fmt: skip


EFFECTIVE = "effective density (%)"


def accuracy_effective(runs: pd.DataFrame):
    """Vysogorets & Kempe's view: accuracy against effective density (the share of weights on
    an input-to-output path, log axis), every method's unmodified mask and the allocations; at
    high sparsity random masks lose far more effective weights than their density says."""
    data = runs[runs["ablation"] == "unmodified"]
    if "effective_density" in data:
        data = data[data["effective_density"] > 0]
    if data.empty or "effective_density" not in data:
        return no_data("accuracy against effective density")
    # each (method, sparsity) at its mean over seeds: the seeds' effective densities differ
    means = (
        data.groupby(["net", "method", "sparsity"], sort=False)[
            ["effective_density", "final_test_accuracy"]
        ]
        .mean()
        .reset_index()
    )
    means[EFFECTIVE] = 100.0 * means["effective_density"]
    return _against_allocations(
        means, EFFECTIVE, "Accuracy against effective density (unmodified masks, seed means)",
        estimator=None,
    )  # fmt: skip


def _against_allocations(data: pd.DataFrame, x: str, title: str, estimator="mean"):
    """Accuracy against ``x`` (weights remaining, or effective density: each run a dot where
    runs differ in x) per net, the allocations thin."""
    options = {"estimator": estimator, "errorbar": CI if estimator else None}
    grid, data = _facets(
        data, x, "final_test_accuracy", ["net"], marker="o", markersize=3,
        facet_kws={"sharey": False}, **options, **_method_hue(data),
    )  # fmt: skip
    for axis in grid.axes.flat:
        if x == REMAINING:
            remaining_axis(axis, data)
        else:  # plain percentages on the log axis, the most on the left (as MtM's)
            axis.set_xscale("log")
            axis.invert_xaxis()
            axis.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            axis.xaxis.set_minor_locator(NullLocator())
            axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    mark_methods(grid)
    grid.set_axis_labels(x, "final test accuracy")
    legend(grid.figure, _present(METHOD_ORDER, data["method"]))
    _title(grid, title)
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
    mark_methods(grid)
    grid.set_axis_labels(REMAINING, "final test accuracy")
    legend(
        grid.figure,
        _present(METHOD_ORDER, data["method"]),
        _present(ABLATION_ORDER, data["ablation"]),
        flag_block(marked),
    )
    _title(grid, "Ablations of each method's mask (mean, 90% CI over seeds)")
    return grid


# below this many seeds ablation_effects draws each seed's difference instead of a t band (with
# two seeds the 90% band is +-6.3 standard errors and fills the panel)
BAND_SEEDS = 5
MARGIN_STYLE = {"color": "#b91c1c", "linewidth": 1.0, "linestyle": (0, (4, 2))}
EFFECT_TICKS = (-100, -30, -10, -3, -1, 0, 1, 3, 10, 30, 100)  # accuracy points


def ablation_effects(effects: pd.DataFrame):
    """Accuracy of each ablation minus unmodified (same seed), in accuracy points, with its 90%
    t interval (the tables' estimate, unadjusted; no verdict) or, with fewer than
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
    mark_methods(grid)
    grid.set_axis_labels(REMAINING, "Δ accuracy (points)")
    reading = []
    if margin:
        reading = [(Line2D([], [], **MARGIN_STYLE), f"−{margin:g} points: the margin")]
    if (data["seeds"] < BAND_SEEDS).any():
        reading.append((Line2D([], [], marker="o", linestyle="", color="0.4", markersize=3),
                        f"each seed (< {BAND_SEEDS} seeds: no band)"))  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(ABLATION_ORDER, data["ablation"]), [("reading it", reading)])  # fmt: skip
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
    if by_comparison:
        data, options = _comparison_hue(data)
        options |= _ablation_style(data, "comparison", COMPARISON_DASHES)
    else:
        options = _method_hue(data)
    grid, data = _facets(data, "layer_index", y, keys, marker="o", markersize=3,
                         facet_kws={"sharex": False, "sharey": False}, **options)  # fmt: skip
    grid.set_axis_labels("layer (input to output)", ylabel)
    for panel, axis in grid.axes_dict.items():
        net = data.loc[data["panel"] == panel, "net"].iloc[0]
        names = [
            layer for (n, layer), _ in sorted(positions.items(), key=lambda i: i[1]) if n == net
        ]
        _layer_axis(axis, names)
    grid.tight_layout()  # room for upright layer names between the rows
    mark_methods(grid)
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
        "(mean, 90% CI over seeds)",
    )  # fmt: skip
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(list(COMPARISON_DASHES), data["comparison"]))  # fmt: skip
    return grid


def layer_density(layers: pd.DataFrame, sparsities: Mapping[str, float]):
    """Per-layer density of each method's unmodified mask at each net's analysis sparsity, the
    data-free allocations overlaid as thin brown lines (the "layerwise budget")."""
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
    epochs = data["epoch"].nunique()
    grid, _ = _facets(
        data, "epoch", "test_accuracy", ["net"], facet_kws={"sharey": False, "sharex": False},
        marker="o", markersize=4, markevery=max(1, epochs // 6), **_method_hue(data),
    )  # fmt: skip
    mark_methods(grid)
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
    # panels in the order of TOPOLOGY_MEASURES (paths, exact nodes, NPB's nodes)
    long["measure"] = pd.Categorical(long["measure"], categories=measures, ordered=True)
    grid, _ = _facets(long, REMAINING, "value", ["net", "measure"], marker="o", markersize=3,
                      facet_kws={"sharey": False}, **_method_hue(long),
                      **_ablation_style(long))  # fmt: skip
    for axis in grid.axes.flat:
        remaining_axis(axis, long)
    mark_methods(grid)
    grid.set_axis_labels(REMAINING, "")
    legend(grid.figure, _present(METHOD_ORDER, long["method"]),
           _present(ABLATION_ORDER, long["ablation"]))  # fmt: skip
    _title(grid, "Start masks: effective paths and nodes (mean, 90% CI over seeds)")
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
    label = "SVCCA (99% variance)" if measure == "svcca" else "linear CKA"
    grid, data = _per_layer(
        at, measure, ["net", "method"], True, label,
        f"{label} to the unmodified net, trained, {_sparsity_text(sparsities)} (90% CI)",
    )  # fmt: skip
    # the baseline in every panel: two dense nets of different seeds, layer by layer
    positions = _layer_positions(at)
    dense = table[table["method"] == "dense"].groupby(["net", "layer"], sort=False)[measure].mean()
    for panel, axis in grid.axes_dict.items():
        net = data.loc[data["panel"] == panel, "net"].iloc[0]
        band = sorted((positions[net, layer], value) for (n, layer), value in dense.items()
                      if n == net and (net, layer) in positions)  # fmt: skip
        if band:
            axis.plot(*zip(*band, strict=True), **DENSE_BAND)
    bands = [("baseline", [(Line2D([], [], **DENSE_BAND), DENSE_BASELINE)])] if len(dense) else []
    legend(grid.figure, _present(METHOD_ORDER, data["method"]),
           _present(list(COMPARISON_DASHES), data["comparison"]), bands)  # fmt: skip
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
            axis.axhline(baseline[net], **DENSE_BAND)
        cross = other[(other["net"] == net) & other["method"].isin(shown["method"].unique())]
        if len(cross):
            means = cross.groupby(REMAINING)["svcca"].mean()
            axis.plot(means.index, means.to_numpy(), **CROSS_SEED_STYLE)
        remaining_axis(axis, per_run)
    mark_methods(grid)
    grid.set_axis_labels(REMAINING, "SVCCA to the dense net")
    baselines = [(Line2D([], [], **DENSE_BAND), DENSE_BASELINE)]
    if len(other):
        baselines.append((Line2D([], [], **CROSS_SEED_STYLE), "unmodified vs dense, other seed"))
    legend(grid.figure, _present(METHOD_ORDER, per_run["method"]),
           _present(ABLATION_ORDER, per_run["ablation"]), [("baselines", baselines)])  # fmt: skip
    _title(grid, "Pruned vs dense representations (same seed; mean over layers, 90% CI)")
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
    grid, _ = _facets(data, "threshold", "share", ["net"], marker="o", markersize=4,
                      markevery=max(1, data["threshold"].nunique() // 6),
                      **_method_hue(data))  # fmt: skip
    mark_methods(grid)
    grid.set_axis_labels("sparsity s of a neuron or channel", "share with sparsity ≥ s")
    legend(grid.figure, _present(METHOD_ORDER, data["method"]))
    _title(grid, "Per-channel sparsity of unmodified masks (mean over seeds)")
    return grid


def draw(name: str, table: pd.DataFrame, sparsities: Mapping[str, float]):
    """Figure ``name`` of :data:`pai.config.registry.FIGURES` from its table; ``sparsities``: each
    net's
    analysis sparsity, for the figures drawn at one sparsity."""
    figure = registry.FIGURES[name]
    function = globals()[figure.function.rsplit(":", 1)[1]]
    return function(table, sparsities) if figure.needs_sparsity else function(table)


__all__ = ["draw", "save", "style"]
