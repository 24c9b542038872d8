"""W1 distances and the pairing of runs, on cases small enough to work out by hand."""

import math

import pytest
import torch

from pai.analysis import distances, similarity


def test_w1_by_hand():
    # half the mass moves from 1 to 2: W1 = 0.5 * 1
    assert distances.layer_w1(torch.tensor([0.0, 0, 1, 1]), torch.tensor([0.0, 0, 2, 2])) == 0.5
    # a shift of every entry by c costs c
    a = torch.tensor([0.1, -0.3, 0.7])
    assert distances.layer_w1(a, a + 0.25) == pytest.approx(0.25)
    # sizes may differ: U{0, 1} against U{0, 0, 1, 1} is the same distribution
    assert distances.layer_w1(torch.tensor([0.0, 1]), torch.tensor([0.0, 0, 1, 1])) == 0.0
    assert math.isnan(distances.layer_w1(torch.tensor([]), torch.tensor([1.0])))


def test_compare_runs_with_and_without_the_pruned_zeros():
    w_a = {"l": torch.tensor([[0.0, 1.0], [2.0, 0.0]])}
    m_a = {"l": torch.tensor([[False, True], [True, False]])}
    w_b = {"l": torch.tensor([[3.0, 0.0], [0.0, 5.0]])}
    m_b = {"l": torch.tensor([[True, False], [False, True]])}
    rows = distances.compare_runs(w_a, m_a, w_b, m_b, ["l"])
    # all entries: {0, 0, 1, 2} against {0, 0, 3, 5}: (0 + 0 + 2 + 3) / 4
    expected = {
        "layer": "l", "tensor": "weight", "collapsed": False, "entries": "all",
        "w1": pytest.approx(1.25),
    }  # fmt: skip
    assert rows[0] == expected
    # each run's own kept entries: {1, 2} against {3, 5}: (2 + 3) / 2
    assert rows[1] == {**expected, "entries": "unpruned", "w1": pytest.approx(2.5)}
    # an emptied layer has no kept entries: NaN, not a number made of nothing
    empty = {"l": torch.zeros(2, 2, dtype=torch.bool)}
    assert math.isnan(distances.compare_runs(w_a, empty, w_b, empty, ["l"])[1]["w1"])
    # collapsed in either run: flagged on both rows (with all entries W1 compares zeros)
    one_empty = distances.compare_runs(w_a, m_a, w_b, empty, ["l"])
    assert [row["collapsed"] for row in one_empty] == [True, True]
    # a tensor outside the masks (BatchNorm gamma): one row, the whole tensor
    gamma = {"bn.weight": torch.tensor([0.0, 1.0])}
    other = {"bn.weight": torch.tensor([1.0, 2.0])}
    rows = distances.compare_runs(gamma, m_a, other, m_b, ["bn.weight"])
    assert rows == [
        {
            "layer": "bn.weight",
            "tensor": "bn_gamma",
            "collapsed": False,
            "entries": "all",
            "w1": 1.0,
        }
    ]


def test_the_notebooks_layer_set_adds_every_other_weight_tensor():
    from pai.models import nets
    from pai.pruning import masks

    model = nets.build_net("resnet20", (3, 8, 8), 10)
    mask = masks.ones_mask(model)
    extra = distances.notebook_extra_layers(model.state_dict(), mask)
    # the stem's BN, two per block in nine blocks, two projection shortcuts' BN: the 21 BN gammas
    # Singh & Liu's ResNet-20 notebook holds beside the 22 conv/fc weights
    assert all(
        name.endswith(".weight") and ("bn" in name or "shortcut.1" in name) for name in extra
    )
    assert len(mask) == 22 and len(extra) == 21


RUNS = [(m, a) for m in ("random", "snip") for a in ("unmodified", "shuffle", "invert")]


def test_the_pairs_singh_and_liu_compare():
    pairs = distances.comparisons(RUNS)
    assert pairs[("snip", "shuffle")] == ("shuffle", ("snip", "unmodified"), ("snip", "shuffle"))
    assert pairs[("snip", "unmodified")] == (
        "random", ("snip", "unmodified"), ("random", "unmodified"),
    )  # fmt: skip
    assert pairs[("random", "unmodified")] is None  # random against itself: nothing
    assert pairs[("random", "invert")] == (
        "invert", ("random", "unmodified"), ("random", "invert"),
    )  # fmt: skip
    # without random pruning in the grid there is no "random" comparison
    assert distances.comparisons([("snip", "unmodified")]) == {("snip", "unmodified"): None}
    # without the unmodified run nothing has a reference
    assert set(distances.comparisons([("snip", "shuffle")]).values()) == {None}


def _state(value):
    weights = {"l": torch.full((2,), float(value))}
    return {"weights": weights, "mask": {"l": torch.ones(2, dtype=torch.bool)}}, {
        "l": torch.full((2,), float(value) * 10)
    }


def test_group_rows_hold_every_pair_both_stages_and_load_each_run_when_needed():
    values = {run: index for index, run in enumerate(RUNS)}
    loads = []

    def load(run):
        loads.append(run)
        return _state(values[run])

    keys = {"net": "n", "sparsity": 0.5, "seed": 3}
    rows = distances.group_rows(keys, RUNS, load)
    # 5 pairs x 2 stages x 1 layer x 2 entry sets
    assert len(rows) == 20 and list(rows[0]) == distances.COLUMNS
    shuffle = [r for r in rows if r["method"] == "snip" and r["comparison"] == "shuffle"]
    by_stage = {(r["stage"], r["entries"]): r["w1"] for r in shuffle}
    # snip/unmodified holds 3 (trained 30), snip/shuffle 4 (trained 40)
    assert by_stage[("init", "all")] == pytest.approx(1.0)
    assert by_stage[("trained", "all")] == pytest.approx(10.0)
    random_row = next(r for r in rows if r["comparison"] == "random" and r["stage"] == "init")
    assert random_row["method"] == "snip" and random_row["w1"] == pytest.approx(3.0)
    assert all(r["net"] == "n" and r["seed"] == 3 for r in rows)
    assert len(loads) <= len(RUNS) + 2  # each run loaded about once, never all held at once


def test_similarity_rows_use_the_same_pairs():
    acts = {run: {"l": torch.randn(40, 3).double().numpy()} for run in RUNS}
    dense = {"l": torch.randn(40, 3).double().numpy()}
    keys = {"net": "n", "sparsity": 0.5, "seed": 0}
    rows = similarity.group_rows(keys, RUNS, acts.__getitem__, dense=dense)
    pairs = [r for r in rows if r["comparison"] != "dense"]
    assert {(r["method"], r["ablation"], r["comparison"]) for r in pairs} == {
        ("random", "shuffle", "shuffle"), ("random", "invert", "invert"),
        ("snip", "unmodified", "random"), ("snip", "shuffle", "shuffle"),
        ("snip", "invert", "invert"),
    }  # fmt: skip
    # every run against the dense net of its seed, whatever its method and ablation
    to_dense = [r for r in rows if r["comparison"] == "dense"]
    assert [(r["method"], r["ablation"]) for r in to_dense] == RUNS
    expected = similarity.compare(dense, acts[("snip", "shuffle")])[0]["cka"]
    assert to_dense[4]["cka"] == pytest.approx(expected)
    same = similarity.compare(acts[RUNS[0]], acts[RUNS[0]])[0]
    assert same["cka"] == pytest.approx(1.0) and same["svcca"] == pytest.approx(1.0)
    dense = similarity.dense_rows("n", [0, 1, 2], lambda seed: acts[RUNS[seed]])
    assert [r["comparison"] for r in dense] == ["dense seed 1", "dense seed 2"]
    assert [r["seed"] for r in dense] == [0, 1] and {r["method"] for r in dense} == {"dense"}
