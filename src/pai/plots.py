"""The figures, drawn with seaborn from the aggregated tables (PNG and PDF).

Every mean is drawn with a 95% bootstrap confidence interval over seeds (seaborn's
``errorbar=("ci", 95)``); with a single seed there is no interval.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # files only; no display on cluster nodes

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from . import registry
from .storage import atomic_write

CI = ("ci", 95)
ABLATION_ORDER = list(registry.ABLATIONS)
# the study's methods in the figures' order (random, at init, benchmarks, plugins), each with its
# colour in every figure: style() sets them from the study, so that a plugin method gets its own
METHOD_ORDER: list[str] = list(registry.METHODS)
PALETTE: dict[str, tuple] = {}


def _present(order: list[str], values) -> list[str]:
    values = set(values)
    return [v for v in order if v in values]


def save(grid, png: str | os.PathLike, pdf: str | os.PathLike, dpi: int) -> None:
    figure = grid.figure if hasattr(grid, "figure") else grid
    # "tight" keeps the legend seaborn places beside the panels inside the saved image
    atomic_write(png, lambda tmp: figure.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight"))
    atomic_write(pdf, lambda tmp: figure.savefig(tmp, format="pdf", bbox_inches="tight"))
    plt.close(figure)


def style(settings: Mapping, methods: list[str] | None = None) -> None:
    """Seaborn's theme, and one colour per method of the study (``methods``, in order)."""
    sns.set_theme(context=settings.get("context", "paper"), style="whitegrid")
    METHOD_ORDER[:] = registry.ordered_methods(methods or list(registry.METHODS))
    colours = sns.color_palette("tab10", n_colors=max(10, len(METHOD_ORDER)))
    PALETTE.clear()
    PALETTE.update(zip(METHOD_ORDER, colours, strict=False))


def no_data(what: str):
    """A figure that says the grid gave it nothing to show (e.g. no random method, one ablation)."""
    figure, axis = plt.subplots(figsize=(6, 1.5))
    axis.axis("off")
    axis.text(0.5, 0.5, f"{what}: nothing to show for this grid", ha="center", va="center")
    return figure


# runs.parquet's flag columns -> how a flagged run is drawn on top of the accuracy lines
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
            axis = grid.axes_dict.get(key[0] if len(panel_keys) == 1 else key)
            if axis is None:
                continue
            axis.scatter(rows[x], rows[y].fillna(0.0), s=36, zorder=5, **look)
            marked += len(rows)
    if marked:
        handles = [
            plt.Line2D([], [], linestyle="", marker=look["marker"], color=look["color"])
            for look in FLAGS.values()
        ]
        grid.figure.legend(
            handles,
            [look["label"] for look in FLAGS.values()],
            loc="upper center",  # below the panels and their axis labels
            bbox_to_anchor=(0.5, 0.0),
            ncol=len(FLAGS),
            title=f"flagged runs ({marked}; a non-finite accuracy is drawn at 0)",
        )
    return marked


def _lines_by_method(data: pd.DataFrame, x: str, y: str, **options):
    """Mean lines with their 95% bootstrap interval, one colour per method in METHOD_ORDER."""
    return sns.relplot(
        data=data,
        x=x,
        y=y,
        hue="method",
        hue_order=_present(METHOD_ORDER, data["method"]),
        palette=_palette(data["method"]),
        kind="line",
        errorbar=CI,
        **options,
    )


def _palette(methods) -> dict | None:
    """The study's colour of each method present (None before style() set them)."""
    present = set(methods)
    return {m: c for m, c in PALETTE.items() if m in present} or None


def accuracy_vs_sparsity(runs: pd.DataFrame):
    """Final test accuracy of every method's unmodified runs against sparsity, one panel per net."""
    data = runs[runs["ablation"] == "unmodified"]
    if data.empty:
        return no_data("accuracy of unmodified masks")
    grid = _lines_by_method(
        data,
        "sparsity",
        "final_test_accuracy",
        col="net",
        marker="o",
        facet_kws={"sharey": False},
        height=3.2,
        aspect=1.2,
    )
    grid.set_axis_labels("sparsity (fraction of weights pruned)", "final test accuracy")
    mark_flagged_runs(grid, data, "sparsity", "final_test_accuracy", ["net"])
    mark_matching_sparsity(grid, data)
    grid.figure.suptitle(
        "Unmodified masks; random pruning is the baseline, magnitude_trained and lottery the "
        "benchmarks (mean, 95% CI over seeds)",
        y=1.04,
    )
    return grid


def mark_matching_sparsity(grid, runs: pd.DataFrame, col: str = "net") -> None:
    """A dashed line at each net's matching sparsity, the extreme sparsities beyond it shaded."""
    if "matching_sparsity" not in runs:
        return
    limits = runs.groupby(col)["matching_sparsity"].first()
    for (net,), ax in _axes_by_key(grid, [col]).items():
        limit = limits.get(net)
        if limit is None or pd.isna(limit):
            continue
        low, high = ax.get_xlim()
        ax.axvline(limit, color="0.3", linestyle="--", linewidth=1, zorder=0)
        ax.axvspan(limit, high, color="0.92", zorder=-1)
        ax.set_xlim(low, high)  # the shading must not widen the axis
        ax.text(
            limit,
            0.02,
            " matching | extreme",
            transform=ax.get_xaxis_transform(),
            fontsize="x-small",
            color="0.3",
        )


def _axes_by_key(grid, keys: list[str]) -> dict[tuple, object]:
    """The panel of every facet value of ``keys`` (seaborn's axes_dict keys it by the value)."""
    return {(key if isinstance(key, tuple) else (key,)): ax for key, ax in grid.axes_dict.items()}


def ablations(runs: pd.DataFrame):
    """MtM's ablation figure: per net and method, accuracy of the four ablations vs sparsity."""
    if runs.empty:
        return no_data("ablations")
    grid = _lines_by_net_and_method(
        runs, "sparsity", "final_test_accuracy", "ablation", ABLATION_ORDER, {"sharey": "row"}
    )
    grid.set_axis_labels("sparsity", "final test accuracy")
    mark_flagged_runs(grid, runs, "sparsity", "final_test_accuracy", ["net", "method"])
    return grid


def _lines_by_net_and_method(
    data: pd.DataFrame, x: str, y: str, hue: str, hue_order: list[str], facet_kws: dict
):
    """One panel per (net, method), a line with its 95% interval per ``hue`` value."""
    grid = sns.relplot(
        data=data,
        x=x,
        y=y,
        hue=hue,
        hue_order=_present(hue_order, data[hue]),
        row="net",
        col="method",
        col_order=_present(METHOD_ORDER, data["method"]),
        kind="line",
        marker="o",
        errorbar=CI,
        facet_kws=facet_kws,
        height=2.6,
        aspect=1.1,
    )
    grid.set_titles("{row_name} | {col_name}")
    return grid


def at_sparsities(frame: pd.DataFrame, sparsities: Mapping[str, float]) -> pd.DataFrame:
    """The rows of each net at that net's analysis sparsity."""
    wanted = frame["net"].map(lambda net: round(float(sparsities.get(net, math.nan)), 4))
    return frame[frame["sparsity"].round(4) == wanted]


def _sparsity_text(sparsities: Mapping[str, float]) -> str:
    values = sorted(set(sparsities.values()))
    return f"sparsity {values[0]:g}" if len(values) == 1 else "each net's analysis sparsity"


def distances_per_layer(distances: pd.DataFrame, sparsities: Mapping[str, float]):
    """Singh & Liu figures 1-2: trained, all-entries W1 per layer for reinit, shuffle, random."""
    data = at_sparsities(distances, sparsities)
    data = data[(data["stage"] == "trained") & (data["entries"] == "all")].copy()
    sparsity = _sparsity_text(sparsities)
    if data.empty:
        return no_data("per-layer distances")
    data["layer_index"] = data.groupby(["net", "method", "seed", "comparison"]).cumcount()
    grid = _lines_by_net_and_method(
        data,
        "layer_index",
        "w1",
        "comparison",
        list(registry.COMPARISONS),
        {"sharey": False, "sharex": False},
    )
    grid.set_axis_labels("prunable layer (input to output)", "W1 to unmodified")
    grid.figure.suptitle(f"Trained weights, pruned zeros included, {sparsity}", y=1.02)
    return grid


def layer_density(layers: pd.DataFrame, sparsities: Mapping[str, float]):
    """Per-layer density of each method's unmodified mask at each net's analysis sparsity."""
    data = at_sparsities(layers, sparsities)
    data = data[data["ablation"] == "unmodified"]
    sparsity = _sparsity_text(sparsities)
    if data.empty:
        return no_data("per-layer density")
    grid = sns.catplot(
        data=data,
        x="layer_index",
        y="density",
        hue="method",
        hue_order=_present(METHOD_ORDER, data["method"]),
        palette=_palette(data["method"]),
        col="net",
        kind="point",
        errorbar=CI,
        sharex=False,
        height=3.2,
        aspect=1.4,
    )
    grid.set_axis_labels("prunable layer (input to output)", "fraction of weights kept")
    grid.figure.suptitle(f"Per-layer density of each method's mask, {sparsity}", y=1.04)
    return grid


def training_curves(histories: pd.DataFrame, sparsities: Mapping[str, float]):
    """Test accuracy per epoch of every method's unmodified runs at each net's analysis
    sparsity."""
    data = at_sparsities(histories, sparsities)
    data = data[data["ablation"] == "unmodified"]
    sparsity = _sparsity_text(sparsities)
    if data.empty:
        return no_data("training curves")
    grid = _lines_by_method(
        data,
        "epoch",
        "test_accuracy",
        col="net",
        facet_kws={"sharey": False, "sharex": False},
        height=3.2,
        aspect=1.2,
    )
    grid.set_axis_labels("epoch", "test accuracy")
    grid.figure.suptitle(f"Training curves, unmodified masks, {sparsity}", y=1.04)
    return grid


def topology(table: pd.DataFrame):
    """Effective paths (log10) and the share of effective nodes against sparsity, per method,
    the unmodified mask beside the shuffled one (Pham et al.: shuffling keeps width)."""
    runs = table.drop_duplicates(["net", "method", "sparsity", "seed", "ablation"]).copy()
    runs = runs[runs["ablation"].isin(["unmodified", "shuffle"])]
    if runs.empty:
        return no_data("effective paths and nodes")
    runs["effective node share"] = runs["effective_nodes"] / runs["total_nodes"]
    runs["log10 effective paths"] = runs["paths_log10"]
    long = runs.melt(
        id_vars=["net", "method", "sparsity", "seed", "ablation"],
        value_vars=["log10 effective paths", "effective node share"],
        var_name="measure",
    )
    grid = _lines_by_method(
        long,
        "sparsity",
        "value",
        style="ablation",
        style_order=["unmodified", "shuffle"],
        row="measure",
        col="net",
        marker="o",
        facet_kws={"sharey": False},
        height=2.8,
        aspect=1.3,
    )
    grid.set_titles("{row_name} | {col_name}")
    grid.set_axis_labels("sparsity", "")
    grid.figure.suptitle(
        "Start masks: effective paths and nodes (mean, 95% bootstrap CI over seeds)", y=1.03
    )
    return grid


def similarity_per_layer(
    table: pd.DataFrame, sparsities: Mapping[str, float], measure: str = "svcca"
):
    """Per-layer similarity of each ablated (or randomly pruned) trained net to the method's
    unmodified one, with two dense nets of different seeds as the baseline in every panel."""
    at = at_sparsities(table[table["method"] != "dense"], sparsities)
    sparsity = _sparsity_text(sparsities)
    if at.empty:
        return no_data(f"{measure} per layer")
    baseline = table[table["method"] == "dense"]
    # the baseline is drawn in each method's panel: it is the same for all of them
    copies = [
        baseline.assign(method=method, comparison="dense, two seeds")
        for method in at["method"].unique()
    ]
    data = pd.concat([at, *copies], ignore_index=True)
    # layers in network order, per net (rows are written input to output)
    position = {
        (net, layer): index
        for net, rows in table.groupby("net", sort=False)
        for index, layer in enumerate(dict.fromkeys(rows["layer"]))
    }
    data["layer_index"] = [position[key] for key in zip(data["net"], data["layer"], strict=True)]
    grid = _lines_by_net_and_method(
        data,
        "layer_index",
        measure,
        "comparison",
        [*registry.COMPARISONS, "dense, two seeds"],
        {"sharey": True, "sharex": False},
    )
    label = "SVCCA (99% variance)" if measure == "svcca" else "linear CKA"
    grid.set_axis_labels("layer (input to output)", label)
    grid.figure.suptitle(
        f"{label} to the unmodified net, trained, {sparsity} (95% bootstrap CI)", y=1.02
    )
    return grid


def ablation_effects(effects: pd.DataFrame):
    """Accuracy of each ablation minus unmodified (same seed), with the 95% t interval over
    seeds: MtM's claim is that shuffle and reinit sit at or above zero and invert below."""
    if effects.empty:
        return no_data("ablation effects")
    grid = _lines_by_net_and_method(
        effects, "sparsity", "difference", "ablation", ABLATION_ORDER, {"sharey": "row"}
    )
    # relplot colours the hue levels in order from the current palette
    present = _present(ABLATION_ORDER, effects["ablation"])
    colours = dict(zip(present, sns.color_palette(n_colors=len(present)), strict=True))
    for (net, method), axis in grid.axes_dict.items():
        axis.axhline(0.0, color="grey", linewidth=0.8)
        panel = effects[(effects["net"] == net) & (effects["method"] == method)]
        for ablation, rows in panel.groupby("ablation"):
            rows = rows.sort_values("sparsity")
            axis.fill_between(
                rows["sparsity"],
                rows["ci_low"],
                rows["ci_high"],
                alpha=0.2,
                color=colours[ablation],
                linewidth=0,
            )
    grid.set_axis_labels("sparsity", "accuracy - unmodified")
    grid.figure.suptitle(
        "Ablation effect on final test accuracy (paired by seed; band: 95% t interval)", y=1.02
    )
    return grid


def channel_sparsity(table: pd.DataFrame, sparsities: Mapping[str, float]):
    """MtM's per-channel view: the share of neurons and channels (all prunable layers) whose
    sparsity is at least s, per method, unmodified masks at each net's highest matching sparsity
    (at the analysis sparsity where a net has none)."""
    data = table[table["ablation"] == "unmodified"]
    if data.empty:
        return no_data("per-channel sparsity")
    chosen, titles = [], {}
    for net, rows in data.groupby("net"):
        limit = rows["matching_sparsity"].iloc[0] if "matching_sparsity" in rows else math.nan
        at = limit if not pd.isna(limit) else sparsities.get(net, math.nan)
        near = rows.loc[(rows["sparsity"] - at).abs().idxmin(), "sparsity"]
        kind = "matching" if not pd.isna(limit) else "no matching sparsity; analysis"
        titles[net] = f"{net}\n({kind} sparsity {near:g})"
        chosen.append(rows[rows["sparsity"] == near])
    grid = _lines_by_method(
        pd.concat(chosen), "threshold", "share", col="net", height=3.2, aspect=1.2
    )
    for net, ax in grid.axes_dict.items():
        ax.set_title(titles[net])
    grid.set_axis_labels("sparsity s of a neuron or channel", "share with sparsity >= s")
    grid.figure.suptitle("Per-channel sparsity of unmodified masks (mean over seeds)", y=1.06)
    return grid


def similarity_svcca(table: pd.DataFrame, sparsities: Mapping[str, float]):
    return similarity_per_layer(table, sparsities, "svcca")


def similarity_cka(table: pd.DataFrame, sparsities: Mapping[str, float]):
    return similarity_per_layer(table, sparsities, "cka")


def draw(name: str, table: pd.DataFrame, sparsities: Mapping[str, float]):
    """Figure ``name`` of :data:`pai.registry.FIGURES` from its table; ``sparsities``: each net's
    analysis sparsity, for the figures drawn at one sparsity."""
    figure = registry.FIGURES[name]
    function = globals()[figure.function.rsplit(":", 1)[1]]
    return function(table, sparsities) if figure.needs_sparsity else function(table)
