"""Each scoring rule against a value worked out independently on a model small enough to check."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from pai.data.scoring_set import ScoringData
from pai.models import nets
from pai.pruning import masks, prune, scoring


def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def batch(n=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=gen), torch.randint(0, 2, (n,), generator=gen)


def test_magnitude_is_absolute_weight():
    model = tiny_mlp()
    scores = scoring.magnitude_scores(model)
    assert list(scores) == ["0.weight", "2.weight"]
    assert torch.equal(scores["0.weight"], model[0].weight.detach().abs())


def test_random_scores_seeded_uniform():
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    a, b = scoring.random_scores(model, seed=0), scoring.random_scores(model, seed=0)
    c = scoring.random_scores(model, seed=1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["fc.weight"], c["fc.weight"])
    flat = masks.flatten(a, list(a))
    assert flat.min() >= 0 and flat.max() < 1 and flat.mean().item() == pytest.approx(0.5, abs=0.01)


def test_snip_matches_hand_gradient_of_softmax_regression():
    model = nn.Sequential(nn.Linear(4, 3))
    x, y = batch(5)
    w = model[0].weight.detach().numpy().astype(np.float64)
    b = model[0].bias.detach().numpy().astype(np.float64)
    logits = x.numpy() @ w.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    onehot = np.eye(3)[y.numpy() % 3]
    y3 = torch.tensor(y.numpy() % 3)
    grad = (p - onehot).T @ x.numpy() / len(y)  # dL/dW of the mean cross-entropy
    expected = np.abs(w * grad)
    got = scoring.snip_scores(model, ScoringData(x, y3))["0.weight"].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_snip_batches_are_averaged_by_size():
    model = tiny_mlp()
    x, y = batch(7)
    parts = [
        scoring.snip_scores(model, ScoringData(x[s], y[s]), batch_size=7)
        for s in (slice(0, 3), slice(3, 7))
    ]
    split = scoring.snip_scores(model, ScoringData(x, y), batch_size=3)
    for name, value in split.items():
        torch.testing.assert_close(value, (3 * parts[0][name] + 4 * parts[1][name]) / 7)
    # |score| is taken per batch (MtM's code), so one batch of all 7 differs where the batches'
    # gradients disagree in sign
    whole = scoring.snip_scores(model, ScoringData(x, y), batch_size=7)
    assert not torch.allclose(whole["0.weight"], split["0.weight"])


def _explicit_grasp(model, x, y, temperature):
    """-theta * H g with H from torch.autograd.functional.hessian over all prunable weights."""
    w1, b1 = model[0].weight.detach(), model[0].bias.detach()
    w2, b2 = model[2].weight.detach(), model[2].bias.detach()
    n1 = w1.numel()

    def loss_of(flat):
        a = flat[:n1].view_as(w1)
        c = flat[n1:].view_as(w2)
        out = torch.relu(x @ a.T + b1) @ c.T + b2
        return nn.functional.cross_entropy(out / temperature, y)

    theta = torch.cat([w1.flatten(), w2.flatten()]).double()
    x, w1, b1, w2, b2 = (t.double() for t in (x, w1, b1, w2, b2))
    hessian = torch.autograd.functional.hessian(loss_of, theta)
    g = torch.autograd.functional.jacobian(loss_of, theta)
    score = -theta * (hessian @ g)
    return {"0.weight": score[:n1].view(3, 4), "2.weight": score[n1:].view(2, 3)}


@pytest.mark.parametrize("temperature", [1.0, 200.0])
def test_grasp_equals_minus_theta_hessian_gradient(temperature):
    model = tiny_mlp().double()
    x, y = batch(6)
    x = x.double()
    got = scoring.grasp_scores(model, ScoringData(x, y), temperature=temperature)
    expected = _explicit_grasp(model, x, y, temperature)
    for name in got:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-8, atol=1e-14)
    assert any(bool((v != 0).any()) for v in got.values())
    absolute = scoring.graspabs_scores(model, ScoringData(x, y), temperature=temperature)
    for name in got:
        torch.testing.assert_close(absolute[name], got[name].abs())


def test_grasp_keeps_lowest_and_inversion_flips():
    def keep(method, invert=False):
        return prune.keep_end(prune.method_settings(method), invert)

    assert keep("grasp") == "lowest"
    assert keep("grasp", invert=True) == "highest"
    assert keep("snip", invert=True) == "lowest"
    assert keep("graspabs") == "highest"


def two_layer_linear():
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    model.pai_input_shape = (3,)  # what pai.models.nets.build_net records for its nets
    return model


def test_synflow_closed_form_two_layer_linear():
    model = two_layer_linear()
    got = scoring.synflow_scores(copy.deepcopy(model))
    a1 = model[0].weight.detach().double().abs()
    a2 = model[1].weight.detach().double().abs()
    # R = 1' |W2| |W1| 1, so dR/dW1[i,j] = sum_k |W2[k,i]| and dR/dW2[k,i] = sum_j |W1[i,j]|
    torch.testing.assert_close(got["0.weight"], a1 * a2.sum(0).view(4, 1))
    torch.testing.assert_close(got["1.weight"], a2 * a1.sum(1).view(1, 4))
    assert got["0.weight"].dtype == torch.float64


def test_synflow_one_round_equals_global_mask_of_its_scores():
    model = two_layer_linear()
    expected = masks.global_mask(scoring.synflow_scores(copy.deepcopy(model)), 0.5)
    settings = prune.method_settings("synflow", rounds=1)
    got = prune.iterative_mask(settings, model, 0.5, seed=0)
    assert all(torch.equal(got[n], expected[n]) for n in got)


def test_synflow_rounds_rank_only_the_survivors_of_a_zeroed_copy():
    # round 2 by hand: the copy's pruned weights are zero, and only round 1's survivors compete
    model = two_layer_linear()
    settings = prune.method_settings("synflow", rounds=2)
    first = masks.global_mask(scoring.synflow_scores(copy.deepcopy(model)), 1 - (0.25**0.5))
    zeroed = copy.deepcopy(model)
    masks.apply_mask(zeroed, first)
    second = scoring.synflow_scores(zeroed)
    names = ["0.weight", "1.weight"]
    alive = masks.flatten(first, names)
    kept = masks.select(masks.flatten(second, names), 5, eligible=alive)  # 20 weights, 25% kept
    got = prune.iterative_mask(settings, model, 0.75, seed=0)
    assert torch.equal(masks.flatten(got, names), kept)


def test_synflow_iterative_exact_count_and_scores_a_copy():
    model = nets.build_net("resnet20", (3, 32, 32), 10, seed=0)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    settings = prune.method_settings("synflow", rounds=10)
    mask = prune.iterative_mask(settings, model, 0.9, seed=0)
    total = sum(m.numel() for m in mask.values())
    assert sum(int(m.sum()) for m in mask.values()) == round(0.1 * total)
    assert model.training  # the real model's mode and values are untouched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_synflow_inverted_prunes_the_top_every_round():
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    settings = prune.method_settings("synflow", rounds=5)
    both = prune.cell_masks(settings, model, 0.8, seed=0)
    normal, inverted = both["unmodified"], both["invert"]
    names = list(normal)
    assert int(masks.flatten(inverted, names).sum()) == int(masks.flatten(normal, names).sum())
    overlap = (masks.flatten(inverted, names) & masks.flatten(normal, names)).sum()
    assert int(overlap) < 0.05 * int(masks.flatten(normal, names).sum())


def test_snip_and_grasp_score_a_copy_in_train_mode():
    model = nets.build_net("resnet20", (3, 8, 8), 10, seed=0)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    subset = ScoringData(torch.randn(20, 3, 8, 8), torch.arange(20) % 10)
    for method in ("snip", "grasp"):
        prune.scores(prune.method_settings(method), model, seed=0, data=subset)
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # train mode uses batch statistics: the score differs from an eval-mode score
    train_scores = scoring.snip_scores(copy.deepcopy(model), subset)
    eval_scores = scoring.snip_scores(copy.deepcopy(model), subset, train_mode=False)
    assert not torch.allclose(train_scores["conv.weight"], eval_scores["conv.weight"])


def test_bad_method_and_missing_data():
    model = tiny_mlp()
    with pytest.raises(ValueError, match=r"unknown method 'snap'"):
        prune.method_settings("snap")
    with pytest.raises(ValueError, match=r"method snip .* needs the scoring subset"):
        prune.scores(prune.method_settings("snip"), model, seed=0)
