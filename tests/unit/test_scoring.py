"""Each scoring rule against a value worked out independently on a model small enough to check."""

import numpy as np
import pytest
import torch
from torch import nn

from pai import masks, nets, scoring


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
    a, b = scoring.random_scores(model, 0), scoring.random_scores(model, 0)
    c = scoring.random_scores(model, 1)
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
    got = scoring.snip_scores(model, x, y3)["0.weight"].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_snip_batches_are_averaged_by_size():
    model = tiny_mlp()
    x, y = batch(7)
    whole = scoring.snip_scores(model, x, y, batch_size=7)
    parts = [
        scoring.snip_scores(model, x[s], y[s], batch_size=7) for s in (slice(0, 3), slice(3, 7))
    ]
    for name in whole:
        split = scoring.snip_scores(model, x, y, batch_size=3)[name]
        torch.testing.assert_close(split, (3 * parts[0][name] + 4 * parts[1][name]) / 7)


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
    got = scoring.grasp_scores(model, x, y, temperature=temperature)
    expected = _explicit_grasp(model, x, y, temperature)
    for name in got:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-8, atol=1e-14)
    assert any(bool((v != 0).any()) for v in got.values())
    absolute = scoring.graspabs_scores(model, x, y, temperature=temperature)
    for name in got:
        torch.testing.assert_close(absolute[name], got[name].abs())


def test_grasp_keeps_lowest_and_inversion_flips():
    assert scoring.keep_end("grasp") == "lowest"
    assert scoring.keep_end("grasp", invert=True) == "highest"
    assert scoring.keep_end("snip", invert=True) == "lowest"
    assert scoring.keep_end("graspabs") == "highest"


def test_synflow_closed_form_two_layer_linear():
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    prepared = scoring.synflow_prepare(model)
    names = ["0.weight", "1.weight"]
    params = dict(prepared.named_parameters())
    weights = {n: params[n].detach().clone() for n in names}
    ones = {n: torch.ones_like(weights[n], dtype=torch.bool) for n in names}
    got = scoring.synflow_scores(prepared, weights, ones, (3,))
    a1 = model[0].weight.detach().double().abs()
    a2 = model[1].weight.detach().double().abs()
    # R = 1' |W2| |W1| 1, so dR/dW1[i,j] = sum_k |W2[k,i]| and dR/dW2[k,i] = sum_j |W1[i,j]|
    torch.testing.assert_close(got["0.weight"], a1 * a2.sum(0).view(4, 1))
    torch.testing.assert_close(got["1.weight"], a2 * a1.sum(1).view(1, 4))
    assert got["0.weight"].dtype == torch.float64


def test_synflow_one_round_equals_global_mask_of_its_scores():
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    prepared = scoring.synflow_prepare(model)
    params = dict(prepared.named_parameters())
    weights = {n: params[n].detach().clone() for n in ("0.weight", "1.weight")}
    ones = {n: torch.ones_like(w, dtype=torch.bool) for n, w in weights.items()}
    scores = scoring.synflow_scores(prepared, weights, ones, (3,))
    expected = masks.global_mask(scores, 0.5)
    got = scoring.synflow_mask(model, 0.5, (3,), iterations=1)
    assert all(torch.equal(got[n], expected[n]) for n in got)


def test_synflow_iterative_exact_count_and_scores_a_copy():
    model = nets.build_net("resnet20", (3, 32, 32), 10, seed=0)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mask = scoring.synflow_mask(model, 0.9, (3, 32, 32), iterations=10)
    total = sum(m.numel() for m in mask.values())
    assert sum(int(m.sum()) for m in mask.values()) == round(0.1 * total)
    assert model.training  # the real model's mode and values are untouched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_synflow_inverted_prunes_the_top_every_round():
    model = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    normal = scoring.synflow_mask(model, 0.8, (1, 8, 8), iterations=5)
    inverted = scoring.synflow_mask(model, 0.8, (1, 8, 8), iterations=5, keep="lowest")
    names = list(normal)
    assert int(masks.flatten(inverted, names).sum()) == int(masks.flatten(normal, names).sum())
    overlap = (masks.flatten(inverted, names) & masks.flatten(normal, names)).sum()
    assert int(overlap) < 0.05 * int(masks.flatten(normal, names).sum())


def test_snip_and_grasp_score_a_copy_in_train_mode():
    model = nets.build_net("resnet20", (3, 8, 8), 10, seed=0)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(20, 3, 8, 8)
    y = torch.arange(20) % 10
    scoring.snip_scores(model, x, y)
    scoring.grasp_scores(model, x, y)
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # train mode uses batch statistics: the score differs from an eval-mode score
    train_scores = scoring.snip_scores(model, x, y)
    eval_scores = scoring.snip_scores(model, x, y, train_mode=False)
    assert not torch.allclose(train_scores["conv.weight"], eval_scores["conv.weight"])


def test_bad_method_and_missing_data():
    model = tiny_mlp()
    with pytest.raises(ValueError, match=r"unknown method 'snap'"):
        scoring.one_shot_scores("snap", model, seed=0)
    with pytest.raises(ValueError, match=r"'snip' needs scoring data"):
        scoring.one_shot_scores("snip", model, seed=0)
