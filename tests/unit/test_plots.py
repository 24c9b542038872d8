"""The figures' conventions, checked on the drawn matplotlib objects: flagged runs marked, MtM's
sparsity axis, wrapped panels, legends below and no wider than the panels, labels legible at the
size the report shows them, one colour and marker per method and one line style per ablation
everywhere (solid: unmodified), random pruning and the dense baseline one look each."""

import itertools
import math

import matplotlib
import matplotlib.pyplot
import pandas as pd
import pytest

from pai.config import registry
from pai.reporting import plots, tables


@pytest.fixture(autouse=True)
def _style():
    plots.style({"context": "paper"}, ["random", "magnitude", "snip", "lottery", "mine"])
    yield
    matplotlib.pyplot.close("all")


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


def _dashes(line) -> tuple:
    """A line's dash pattern as it was asked for (matplotlib scales it by the width), () if
    solid."""
    return tuple(line._unscaled_dash_pattern[1] or ())


def _legend_texts(figure) -> list[str]:
    """Every legend block's title and labels, in order."""
    texts = []
    for block in figure.legends:
        texts += [block.get_title().get_text()] + [t.get_text() for t in block.get_texts()]
    return texts


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
    texts = _legend_texts(grid.figure)
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


def test_the_same_figure_saves_to_the_same_bytes(tmp_path):
    # the demo's figures are compared byte for byte before and after a change: a PDF carries no
    # creation date
    saved = []
    for attempt in ("first", "second"):
        png, pdf = tmp_path / f"{attempt}.png", tmp_path / f"{attempt}.pdf"
        plots.save(plots.accuracy_vs_sparsity(_grid_runs()), png, pdf, dpi=60)
        saved.append((png.read_bytes(), pdf.read_bytes()))
    assert saved[0] == saved[1]
    assert b"CreationDate" not in saved[0][1]


def test_a_long_grid_is_ticked_at_some_of_its_sparsities_evenly_spread():
    remaining = [100 * 0.8**k for k in range(1, 22)]  # the paper grid's 21 sparsities
    ticks = plots.remaining_ticks(remaining)
    assert len(ticks) == plots.MOST_TICKS and ticks[0] == pytest.approx(80.0)
    assert ticks[-1] == pytest.approx(100 * 0.8**21, abs=1e-6)
    assert set(ticks) <= {round(r, 6) for r in remaining}


def test_panels_wrap_at_three_columns():
    grid = plots.ablations(_grid_runs())  # 8 panels: rows of 3, 3 and 2
    columns = {round(axis.get_position().x0, 3) for axis in grid.axes.flat}
    rows = {round(axis.get_position().y0, 3) for axis in grid.axes.flat}
    assert len(columns) == plots.COLUMNS == 3 and len(rows) == 3


@pytest.mark.parametrize("nets", [("a",), ("a", "b", "c", "d")])
def test_the_legend_lies_below_the_panels_and_no_wider(nets):
    # one net: a single panel (widened to take the legend); four nets: a row and a half
    methods = ("random", "magnitude", "snip", "lottery", "mine")
    figure = plots.accuracy_vs_sparsity(_grid_runs(nets=nets, methods=methods)).figure
    renderer = figure.canvas.get_renderer()
    panels = plots.panels_box(figure)
    title = figure._suptitle.get_window_extent(renderer)
    assert title.y0 >= panels.y1  # the title above every panel title
    for block in figure.legends:
        box = block.get_window_extent(renderer)
        assert box.y1 <= panels.y0 and panels.x0 - 1 <= box.x0 and box.x1 <= panels.x1 + 1


def _all_figures(layers=("fc_layers.0.weight", "fc_layers.1.weight", "fc.weight")):
    """Every figure of a small grid drawn from hand-made tables (the smoke grid's are drawn in
    tests/workflow/test_pipeline.py)."""
    runs = _grid_runs()
    layer_rows, similarity = [], []
    for net in ("a", "b"):
        for method in ("random", "snip", "lottery", "mine", "dense"):
            for comparison in ("shuffle", "reinit", "invert", "random", "dense seed 1"):
                if (method == "dense") != (comparison == "dense seed 1"):
                    continue
                for i, layer in enumerate(layers):
                    for seed in (0, 1):
                        row = {"net": net, "method": method, "sparsity": 0.79, "seed": seed,
                               "comparison": comparison, "layer": layer, "svcca": 0.5 + i / 20,
                               "cka": 0.6, "ablation": "unmodified", "stage": "trained",
                               "entries": "all", "tensor": "weight", "w1": 0.01 * (i + 1),
                               "density": 0.2}  # fmt: skip
                        (similarity if method == "dense" or comparison != "invert" else
                         layer_rows).append(row)  # fmt: skip
    similarity = pd.DataFrame(similarity + layer_rows)
    distances = similarity[similarity["method"] != "dense"]
    sparsities = {"a": 0.79, "b": 0.79}
    return {
        "accuracy": plots.accuracy_vs_sparsity(runs),
        "ablations": plots.ablations(runs),
        "distances": plots.distances_per_layer(distances, sparsities),
        "layer_density": plots.layer_density(distances, sparsities),
        "similarity_svcca": plots.similarity_svcca(similarity, sparsities),
    }


def test_every_label_is_legible_at_the_size_the_report_shows_it():
    for name, grid in _all_figures().items():
        shown, text = plots.smallest_text_px(grid, dpi=150)
        assert shown >= plots.SMALLEST_PX, f"{name}: {text!r} is {shown:.1f} px in the report"


def test_layer_names_are_horizontal_where_they_fit_and_upright_where_not():
    short = _all_figures()["distances"].axes_dict["a | snip"]
    assert {t.get_rotation() for t in short.get_xticklabels()} == {0.0}
    many = [f"features.{i}.weight" for i in range(16)]  # VGG-16's sixteen layers
    long = _all_figures(layers=many)
    axis = long["distances"].axes_dict["a | snip"]
    assert {t.get_rotation() for t in axis.get_xticklabels()} == {90.0}
    for name, grid in long.items():
        shown, text = plots.smallest_text_px(grid, dpi=150)
        assert shown >= plots.SMALLEST_PX, f"{name}: {text!r} is {shown:.1f} px in the report"


def test_solid_is_unmodified_random_pruning_black_dashed_and_the_dense_baseline_a_grey_band():
    figures = _all_figures()
    for name in ("distances", "similarity_svcca"):
        axis = figures[name].axes_dict["a | snip"]
        lines = [line for line in axis.lines if len(line.get_xdata()) > 1]
        band = [line for line in lines if line.get_linewidth() == plots.DENSE_BAND["linewidth"]]
        drawn = [line for line in lines if line not in band]
        # no unmodified line here (each comparison is against it), so no solid line
        assert drawn and all(line.get_linestyle() != "-" for line in drawn), name
        black = [line for line in drawn if matplotlib.colors.to_hex(line.get_color()) == "#000000"]
        assert len(black) == 1 and black[0].get_marker() == "s", name  # random pruning
        assert _dashes(black[0]) == plots.COMPARISON_DASHES["random"]
        if name == "similarity_svcca":
            assert len(band) == 1 and band[0].get_color() == plots.DENSE_BAND["color"]
            assert band[0].get_alpha() == plots.DENSE_BAND["alpha"]
        else:
            assert not band


def test_the_benchmarks_and_random_pruning_have_markers_of_their_own():
    grid = plots.accuracy_vs_sparsity(_grid_runs(nets=("a",)))
    drawn = {
        matplotlib.colors.to_hex(line.get_color()): line.get_marker()
        for line in grid.axes_dict["a"].lines
        if len(line.get_xdata()) > 1
    }
    markers = {m: drawn[matplotlib.colors.to_hex(plots.PALETTE[m])] for m in plots.PALETTE
               if matplotlib.colors.to_hex(plots.PALETTE[m]) in drawn}  # fmt: skip
    assert markers["random"] == "s" and markers["lottery"] not in ("s", "o")
    assert markers["snip"] == markers["mine"] == "o"
    assert len({plots.MARKERS["random"], plots.MARKERS["lottery"], plots.MARKERS["magnitude"]}) == 3


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


def test_no_method_but_the_benchmarks_is_drawn_in_grey():
    # every built-in method at once: the nine at initialization take tab10's colours but its
    # grey, which would read as one of MtM's benchmarks
    plots.style({}, list(registry.METHODS))
    try:
        for method, group in plots.GROUPS.items():
            red, green, blue = plots.PALETTE[method]
            looks_grey = red == green == blue
            assert looks_grey == (group in ("benchmark", "random")), method
        coloured = [plots.PALETTE[m] for m, g in plots.GROUPS.items() if g == "pai"]
        assert len(set(coloured)) == len(coloured) == 9
    finally:
        plots.style({})


def test_each_ablation_is_drawn_in_its_own_line_style():
    grid = plots.ablations(_grid_runs(nets=("a",), methods=("snip",)))
    axis = grid.axes_dict["a | snip"]
    drawn = [line for line in axis.lines if len(line.get_xdata()) > 1]
    assert len(drawn) == 4
    for line, name in zip(drawn, plots.ABLATION_ORDER, strict=True):  # seaborn's style order
        assert _dashes(line) == (plots.ABLATION_DASHES[name] or ()), name
    assert drawn[0].get_linestyle() == "-"  # solid: unmodified
    labels = _legend_texts(grid.figure)
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


def test_the_allocations_are_thin_browns_apart_from_each_other_and_from_every_method():
    # all seven built-in allocations at once (the paper grid): each its own shade and marker
    plots.style({}, list(registry.METHODS))
    try:
        allocations = [m for m, g in plots.GROUPS.items() if g == "allocation"]
        assert len(allocations) == 7
        shades = [plots.PALETTE[m] for m in allocations]
        closest = min(math.dist(a, b) for a, b in itertools.combinations(shades, 2))
        assert closest > 0.1  # in RGB units: darker to lighter in even steps
        for red, green, blue in shades:
            assert red > green > blue  # warm, and never a grey (the benchmarks')
        assert len({plots.MARKERS[m] for m in allocations}) == 7
        methods = {m for m, g in plots.GROUPS.items() if g != "allocation"}
        taken = {plots.MARKERS[m] for m in methods} | {f["marker"] for f in plots.FLAGS.values()}
        assert not {plots.MARKERS[m] for m in allocations} & taken
        assert not set(shades) & {plots.PALETTE[m] for m in methods}
    finally:
        plots.style({})
