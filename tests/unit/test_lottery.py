"""IMP's ranking (pai.pruning.lottery) on weights small enough to check by hand."""

import pytest
import torch

from pai.pruning import lottery, masks


def _imp_masks(trained_per_round, sparsities):
    """Masks of rounds 1.. from the trained weights of rounds 0.., as the pipeline chains them."""
    mask = {name: torch.ones_like(w, dtype=torch.bool) for name, w in trained_per_round[0].items()}
    ranking = lottery.first_ranking(mask)
    out = []
    for r, sparsity in enumerate(sparsities, start=1):
        ranking = lottery.next_ranking(r, trained_per_round[r - 1], mask, ranking)
        mask = masks.global_mask(ranking, sparsity)
        out.append((mask, ranking))
    return out


def test_round_one_is_global_magnitude_of_the_trained_net():
    trained = {"a": torch.tensor([[0.5, -0.1], [0.3, 0.0]]), "b": torch.tensor([-0.4, 0.2, 0.05])}
    ((mask, ranking),) = _imp_masks([trained], [4 / 7])  # keep 3 of 7
    # by hand: the three largest magnitudes are 0.5 and 0.3 in a, 0.4 in b
    assert mask["a"].tolist() == [[True, False], [True, False]]
    assert mask["b"].tolist() == [True, False, False]
    # round 1's ranking: 1 + rank / 7, ranks by magnitude from 0 (0.0 in a) to 6 (0.5)
    assert ranking["a"].tolist() == [[1 + 6 / 7, 1 + 2 / 7], [1 + 4 / 7, 1.0]]


def test_rounds_are_nested_with_exact_counts_and_rank_by_the_last_round():
    gen = torch.Generator().manual_seed(0)
    shapes = {"a": (6, 5), "b": (4, 6), "c": (3, 4)}
    trained = [{n: torch.randn(s, generator=gen) for n, s in shapes.items()} for _ in range(4)]
    labels = [0.2, 0.36, 0.488, 0.5904]
    rounds = _imp_masks(trained, labels)
    total = sum(torch.Size(s).numel() for s in shapes.values())
    previous = {n: torch.ones(s, dtype=torch.bool) for n, s in shapes.items()}
    for r, ((mask, _), label) in enumerate(zip(rounds, labels, strict=True), start=1):
        kept = sum(int(m.sum()) for m in mask.values())
        assert kept == masks.keep_count(total, label)
        for name in shapes:
            assert not (mask[name] & ~previous[name]).any(), f"round {r} revives a weight"
        # the survivors are the largest magnitudes of round r-1's trained weights among its mask
        alive = torch.cat([trained[r - 1][n][previous[n]].abs() for n in shapes])
        smallest_kept = min(float(trained[r - 1][n][mask[n]].abs().min()) for n in shapes)
        dropped = alive[alive < smallest_kept]
        assert len(dropped) == int(sum(int(p.sum()) for p in previous.values())) - kept
        previous = mask


def test_between_rounds_cuts_the_next_ranking_short_and_invert_keeps_the_first_dropped():
    gen = torch.Generator().manual_seed(1)
    trained = [{"w": torch.randn(10, 10, generator=gen)} for _ in range(3)]
    (mask1, _), (mask2, ranking2) = _imp_masks(trained, [0.2, 0.36])
    between = masks.global_mask(ranking2, 0.3)  # 70 kept: inside round 1's 80
    assert int(between["w"].sum()) == 70
    assert not (between["w"] & ~mask1["w"]).any() and not (mask2["w"] & ~between["w"]).any()
    inverted = masks.global_mask(ranking2, 0.8, keep="lowest")  # keep 20: round 1's dropped
    assert torch.equal(inverted["w"], ~mask1["w"])


def test_a_diverged_round_is_refused():
    mask = {"w": torch.ones(2, 2, dtype=torch.bool)}
    with pytest.raises(ValueError, match="NaN"):
        lottery.next_ranking(
            1, {"w": torch.full((2, 2), float("nan"))}, mask, lottery.first_ranking(mask)
        )
