"""The grid's arithmetic, on values worked out by hand."""

import pytest

from pai.config import grid


@pytest.mark.parametrize(
    "value,label",
    [(0.9, "0.9"), (0.98, "0.98"), (0.67232, "0.6723"), (0, "0"), (0.0, "0"), ("0.50", "0.5"),
     (0.99995, "1"), (0.20000001, "0.2")],
)  # fmt: skip
def test_sparsity_label(value, label):
    assert grid.sparsity_label(value) == label


def test_labels_are_unique_and_sorted():
    assert grid.sparsity_labels([0.9, 0.5, 0.90001, 0.5]) == ["0.5", "0.9"]


def test_imp_rounds():
    # 1 - 0.8^r: 0.2, 0.36, 0.488, 0.5904, 0.67232, 0.737856, 0.7902848
    assert grid.round_sparsity(0) == 0.0
    assert grid.round_sparsity(3) == pytest.approx(0.488)
    assert [grid.lottery_label(r) for r in (1, 2, 5, 6, 7)] == [
        "0.2", "0.36", "0.6723", "0.7379", "0.7903",
    ]  # fmt: skip
    # the first round at or beyond a sparsity; 0.75 lies between rounds 6 and 7
    assert grid.lottery_round(0.75) == 7
    assert grid.lottery_round(0.7379) == 6
    assert grid.lottery_round(0.2) == 1 and grid.lottery_round(0) == 1
    assert grid.lottery_round(0.21) == 2
    with pytest.raises(ValueError, match="in \\[0, 1\\)"):
        grid.lottery_round(1.0)
    with pytest.raises(ValueError, match="non-negative"):
        grid.round_sparsity(-1)


def test_nearest_prefers_the_smaller_of_two_equally_near():
    assert grid.nearest(["0.5", "0.9"], 0.75) == "0.9"  # 0.15 away against 0.25
    assert grid.nearest(["0.5", "0.7"], 0.6) == "0.5"
    assert grid.nearest(["0.75"], 0.75) == "0.75"
    with pytest.raises(ValueError):
        grid.nearest([], 0.5)


def test_file_keys():
    assert grid.file_key("start", "shuffle") == "start_shuffle"
    assert grid.file_key("trained", "snip", "invert") == "trained_snip_invert"
