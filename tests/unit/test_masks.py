import pytest
import torch
from scipy.optimize import brentq
from scipy.special import erfc

from pai.models import nets
from pai.pruning import masks, scoring

SPARSITIES = [0.0, 0.2, 0.5, 0.75, 0.9, 0.99]


@pytest.mark.parametrize("net,shape", [("lenet300", (1, 28, 28)), ("resnet20", (3, 32, 32))])
@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_exact_global_count_binary_and_shapes(net, shape, sparsity):
    model = nets.build_net(net, shape, 10, seed=0)
    mask = masks.global_mask(scoring.random_scores(model, seed=0), sparsity)
    masks.check_mask(mask, model)  # same keys, bool, same shapes
    total = sum(m.numel() for m in mask.values())
    assert sum(int(m.sum()) for m in mask.values()) == round((1 - sparsity) * total)
    counts = masks.layer_counts(mask)
    assert sum(kept for kept, _ in counts.values()) == round((1 - sparsity) * total)


def test_ties_are_broken_by_position_from_both_ends():
    scores = {"a": torch.zeros(6), "b": torch.tensor([1.0, 0, 0, 1])}
    high = masks.global_mask(scores, 0.5)  # keep 5 of 10: both ones, then the first three zeros
    assert high["a"].tolist() == [True, True, True, False, False, False]
    assert high["b"].tolist() == [True, False, False, True]
    low = masks.global_mask(scores, 0.5, keep="lowest")  # the last five zeros
    assert low["a"].tolist() == [False, False, False, True, True, True]
    assert low["b"].tolist() == [False, True, True, False]
    assert not (masks.flatten(high, ["a", "b"]) & masks.flatten(low, ["a", "b"])).any()


def test_select_within_eligible_only():
    scores = torch.tensor([5.0, 4, 3, 2, 1])
    eligible = torch.tensor([False, True, True, True, True])
    assert masks.select(scores, 2, "highest", eligible).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert masks.select(scores, 2, "lowest", eligible).tolist() == [False, False, False, True, True]
    with pytest.raises(ValueError, match="NaN"):
        masks.select(torch.tensor([1.0, float("nan")]), 1)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, "0.5", None, True])
def test_bad_sparsity_is_named(bad):
    with pytest.raises(ValueError, match="sparsity"):
        masks.global_mask({"a": torch.ones(4)}, bad)


def test_mask_that_does_not_fit_is_named():
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    mask = masks.ones_mask(model)
    wrong_shape = dict(mask, **{"fc.weight": torch.ones(3, 3, dtype=torch.bool)})
    with pytest.raises(masks.MaskError, match=r"'fc.weight' has shape \(3, 3\)"):
        masks.check_mask(wrong_shape, model)
    missing = {k: v for k, v in mask.items() if k != "fc.weight"}
    with pytest.raises(masks.MaskError, match=r"missing \['fc.weight'\]"):
        masks.check_mask(missing, model)
    extra = dict(mask, **{"fc.bias": torch.ones(10, dtype=torch.bool)})
    with pytest.raises(masks.MaskError, match=r"unexpected \['fc.bias'\]"):
        masks.check_mask(extra, model)
    floats = dict(mask, **{"fc.weight": torch.ones(10, 100)})
    with pytest.raises(masks.MaskError, match=r"'fc\.weight' has dtype torch\.float32"):
        masks.check_mask(floats, model)


def test_collapse_is_reported_not_raised():
    scores = {"a": torch.ones(4), "b": torch.zeros(4)}
    mask = masks.global_mask(scores, 0.5)
    assert masks.collapsed_layers(mask) == ["b"]
    assert masks.density(mask) == 0.5


def _expected_magnitude_densities(widths, sizes, sparsity):
    """Per-layer kept fraction for a global |w| threshold on Gaussian layers, computed from the
    initialisation alone: P(|w| > t) = erfc(t / (sigma sqrt 2)), t solves the global count."""
    total = sum(sizes)

    def kept(t):
        return sum(n * erfc(t / (s * 2**0.5)) for s, n in zip(widths, sizes, strict=True))

    t = brentq(lambda t: kept(t) - (1 - sparsity) * total, 1e-9, 10)
    return [erfc(t / (s * 2**0.5)) for s in widths]


@pytest.mark.parametrize("sparsity", [0.75, 0.9])
def test_magnitude_at_init_per_layer_densities_follow_the_init(sparsity):
    fan_ins, sizes = [784, 300, 100], [235_200, 30_000, 1_000]
    widths = [(2 / f) ** 0.5 for f in fan_ins]
    expected = _expected_magnitude_densities(widths, sizes, sparsity)
    # The output layer has 1,000 weights: one draw's density has a sampling spread of about 0.016,
    # so the expectation is compared through the mean of 32 initialisations (std of the mean
    # about 0.003).
    per_seed = []
    for seed in range(32):
        model = nets.build_net("lenet300", (1, 28, 28), 10, seed=seed)
        mask = masks.global_mask(scoring.magnitude_scores(model), sparsity)
        per_seed.append([kept / total for kept, total in masks.layer_counts(mask).values()])
    got = [sum(column) / len(column) for column in zip(*per_seed, strict=True)]
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e, abs=0.01)
    assert got[0] < got[1] < got[2]  # small fan-in layers keep more
