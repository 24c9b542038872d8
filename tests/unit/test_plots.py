import math

import pandas as pd

from pai import plots, tables


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


def test_flagged_runs_are_marked_in_their_panels():
    runs = _runs()
    grid = plots._lines_by_net_and_method(
        runs, "sparsity", "final_test_accuracy", "ablation", plots.ABLATION_ORDER, {}
    )
    # 2 collapsed runs (magnitude at 0.999) and 1 diverged run, each in its own panel
    assert (
        plots.mark_flagged_runs(grid, runs, "sparsity", "final_test_accuracy", ["net", "method"])
        == 3
    )
    magnitude = grid.axes_dict[("lenet", "magnitude")]
    offsets = [c.get_offsets().tolist() for c in magnitude.collections if len(c.get_offsets())]
    assert [[0.999, 0.5], [0.999, 0.5]] in offsets


def test_flag_note_names_each_flagged_cell():
    note = tables.flagged_note(_runs(), {"lenet": 0.999})
    assert "layer_collapse: lenet / magnitude: 2 run(s) (shuffle, unmodified)" in note
    assert "diverged" not in note.split("runs.parquet")[1]  # the diverged run is at 0.5
    assert tables.flagged_note(_runs()[lambda r: r.method == "random"], {"lenet": 0.999}) == ""
