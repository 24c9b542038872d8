"""The figures' conventions, checked on the drawn matplotlib objects: flagged runs marked, MtM's
sparsity axis, wrapped panels, one colour per method and one line style per ablation everywhere."""

import itertools
import math

import matplotlib
import pandas as pd
import pytest

from pai import plots, tables


@pytest.fixture(autouse=True)
def _style():
    plots.style({"context": "paper"}, ["random", "magnitude", "snip", "lottery", "mine"])


def _runs() -> pd.DataFrame:
    rows = []
    for method in ("random", "magnitude"):
        for sparsity in (0.5, 0.999):
            for ablation in ("unmodified", "shuffle"):
                collapse = method == "magnitude" and sparsity == 0.999
                diverged = method == "random" and sparsity == 0.5 and ablation == "shuffle"
                rows.append(
                    {
                        "net": "lenet",
                        "method": method,
                        "sparsity": sparsity,
                        "seed": 0,
                        "ablation": ablation,
                        "final_test_accuracy": math.nan if diverged else 0.5,
                        "layer_collapse": collapse,
                        "diverged": diverged,
                    }
                )
    return pd.DataFrame(rows)


def _markers(axis) -> list[tuple[float, float]]:
    """The scattered markers of a panel (not the lines' error bands)."""
    scattered = [c for c in axis.collections if type(c) is matplotlib.collections.PathCollection]
    return [tuple(round(v, 6) for v in p) for c in scattered for p in c.get_offsets().tolist()]


def test_flagged_runs_are_marked_in_their_panels():
    grid = plots.ablations(_runs())
    magnitude = grid.axes_dict["lenet | magnitude"]
    # the two collapsed runs at 99.9% sparsity (0.1% remaining), at their accuracy
    assert _markers(magnitude) == [(0.1, 0.5), (0.1, 0.5)]
    random = grid.axes_dict["lenet | random"]
    assert _markers(random) == [(50.0, 0.0)]  # diverged: drawn at 0
    texts = [t.get_text() for t in grid.figure.legends[0].get_texts()]
    assert "layer collapse" in texts and "diverged (non-finite loss)" in texts


def test_flag_note_names_each_flagged_cell():
    note = tables.flagged_note(_runs(), {"lenet": 0.999})
    assert "layer_collapse: lenet / magnitude: 2 run(s) (shuffle, unmodified)" in note
    assert "diverged" not in note.split("runs.parquet")[1]  # the diverged run is at 0.5
    assert tables.flagged_note(_runs()[lambda r: r.method == "random"], {"lenet": 0.999}) == ""


def _grid_runs(nets=("a", "b"), methods=("random", "snip", "lottery", "mine")):
    rows = []
    for net in nets:
        for method in methods:
            for k in range(1, 8):
                for ablation in ("unmodified", "shuffle", "reinit", "invert"):
                    rows.append(
                        {"net": net, "method": method, "sparsity": round(1 - 0.8**k, 4),
                         "seed": 0, "ablation": ablation, "final_test_accuracy": 0.9 - k / 50}
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_sparsity_is_drawn_as_mtm_draws_it():
    grid = plots.accuracy_vs_sparsity(_grid_runs())
    axis = grid.axes_dict["a"]
    assert axis.get_xscale() == "log"
    left, right = axis.get_xlim()
    xs = sorted(axis.lines[0].get_xdata())
    # inverted: the most weights remaining on the left, no empty 100% position without a run
    assert left > max(xs) > min(xs) > right and left < 100
    # ticked at the sparsities that were run (the seven of this grid), most first
    assert list(axis.get_xticks()) == pytest.approx(sorted(xs, reverse=True))
    # the 1 - 0.8^k grid is evenly spaced on this axis (log 1.25 apart, to the labels' rounding)
    steps = [math.log(b) - math.log(a) for a, b in itertools.pairwise(xs)]
    assert steps == pytest.approx([math.log(1.25)] * len(steps), abs=1e-3)


def test_a_long_grid_is_ticked_at_some_of_its_sparsities_evenly_spread():
    remaining = [100 * 0.8**k for k in range(1, 22)]  # the paper grid's 21 sparsities
    ticks = plots.remaining_ticks(remaining)
    assert len(ticks) == plots.MOST_TICKS and ticks[0] == pytest.approx(80.0)
    assert ticks[-1] == pytest.approx(100 * 0.8**21, abs=1e-6)
    assert set(ticks) <= {round(r, 6) for r in remaining}


def test_panels_wrap_at_four_columns():
    grid = plots.ablations(_grid_runs())
    assert grid.axes.shape[-1] <= 4 if grid.axes.ndim == 2 else len(grid.axes) == 8
    columns = {round(axis.get_position().x0, 3) for axis in grid.axes.flat}
    assert len(columns) == 4


def test_a_tall_legend_beside_one_panel_clears_the_title():
    # one net and every method: the legend is taller than the panel it stands beside
    methods = ("random", "magnitude", "snip", "lottery", "mine")
    grid = plots.accuracy_vs_sparsity(_grid_runs(nets=("a",), methods=methods))
    figure = grid.figure
    renderer = figure.canvas.get_renderer()
    legend = figure.legends[0].get_window_extent(renderer)
    title = figure._suptitle.get_window_extent(renderer)
    assert legend.y1 < title.y0  # the legend ends below the title
    assert legend.y0 >= 0 and legend.y1 <= figure.bbox.y1


def _line_colours_and_dashes(grid) -> set[tuple]:
    found = set()
    for panel, axis in grid.axes_dict.items():
        for line in axis.lines:
            if len(line.get_xdata()) > 1:
                dashes = tuple(line.get_dashes()[1] or ()) if hasattr(line, "get_dashes") else ()
                found.add((panel.split(" | ")[-1], matplotlib.colors.to_hex(line.get_color()),
                           line.get_linestyle(), dashes))  # fmt: skip
    return found


def test_one_colour_per_method_in_every_figure_and_groups_apart():
    runs = _grid_runs()
    accuracy = plots.accuracy_vs_sparsity(runs)
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in accuracy.axes_dict["a"].lines}
    assert len(colours) == 4
    ablations = plots.ablations(runs)
    for method in ("random", "snip", "lottery", "mine"):
        drawn = {
            matplotlib.colors.to_hex(line.get_color())
            for line in ablations.axes_dict[f"a | {method}"].lines
        }
        assert drawn == {matplotlib.colors.to_hex(plots.PALETTE[method])}, method
    assert plots.PALETTE["random"] == (0.0, 0.0, 0.0)  # random pruning black
    grey = matplotlib.colors.to_rgb(plots.PALETTE["lottery"])
    assert grey[0] == grey[1] == grey[2]  # benchmarks in greys
    assert plots.GROUPS["mine"] == "plugin"


def test_one_line_style_per_ablation():
    grid = plots.ablations(_grid_runs(nets=("a",), methods=("snip",)))
    styles = {}
    for line in grid.axes_dict["a | snip"].lines:
        if len(line.get_xdata()) > 1:
            styles.setdefault(line.get_linestyle(), 0)
            styles[line.get_linestyle()] += 1
    assert len(styles) >= 2  # solid and dashed patterns, one per ablation
    labels = [t.get_text() for t in grid.figure.legends[0].get_texts()]
    assert labels[labels.index("line style") + 1 :][:4] == [
        "unmodified",
        "shuffle",
        "reinit",
        "invert",
    ]


def test_layer_axes_name_the_layers():
    layers = pd.DataFrame(
        [{"net": "n", "method": "snip", "sparsity": 0.75, "seed": 0, "ablation": "unmodified",
          "layer": name, "layer_index": i, "density": 0.1 * (i + 1)}
         for i, name in enumerate(["fc_layers.0.weight", "fc_layers.1.weight", "fc.weight"])]
    )  # fmt: skip
    grid = plots.layer_density(layers, {"n": 0.75})
    axis = grid.axes_dict["n"]
    assert list(axis.get_xticks()) == [0, 1, 2]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["fc0", "fc1", "fc"]


def _effects(seeds: int) -> pd.DataFrame:
    rows = []
    for method in ("random", "snip", "lottery", "mine", "magnitude"):
        for sparsity in (0.5, 0.9):
            for ablation in ("shuffle", "invert"):
                loss = -0.3 if ablation == "invert" else -0.001
                rows.append(
                    {"net": "n", "method": method, "sparsity": sparsity, "ablation": ablation,
                     "seeds": seeds, "difference": loss, "ci_low": loss - 0.01,
                     "ci_high": loss + 0.01, "margin": 0.005 if ablation == "shuffle" else 0.0,
                     "seed_differences": [loss] * seeds}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_ablation_effects_are_drawn_in_points_with_the_margin_visible():
    grid = plots.ablation_effects(_effects(seeds=2))
    axes = list(grid.axes_dict.values())
    snip = grid.axes_dict["n | snip"]
    assert axes[0].get_ylabel() == "Δ accuracy (points)"
    # the margin: a line at -0.5 points, on an axis linear near zero, so it stands apart from 0
    assert snip.get_yscale() == "symlog"
    margins = [line for line in snip.lines if list(line.get_ydata()) == [-0.5, -0.5]]
    assert margins and margins[0].get_linestyle() == "--"
    zero, margin = snip.transData.transform([(1, 0), (1, -0.5)])[:, 1]
    assert zero - margin > 10  # at least 10 pixels apart
    # fewer than 5 seeds: each seed's point, no band; one y scale per row of four panels
    assert _markers(snip) and not [c for c in snip.collections if "Poly" in type(c).__name__]
    assert len({axis.get_ylim() for axis in axes[:4]}) == 1
    banded = plots.ablation_effects(_effects(seeds=5)).axes_dict["n | snip"]
    assert [
        c for c in banded.collections if "Poly" in type(c).__name__ or "Fill" in type(c).__name__
    ]
