"""SVCCA and linear CKA against their defining properties and a direct numpy computation."""

import numpy as np
import pytest
import torch

from pai import nets, similarity


@pytest.fixture
def acts():
    rng = np.random.default_rng(0)
    # 400 datapoints of 12 correlated features
    return rng.normal(size=(400, 12)) @ rng.normal(size=(12, 12))


def test_a_representation_is_identical_to_itself(acts):
    assert similarity.svcca(acts, acts) == pytest.approx(1.0)
    assert similarity.linear_cka(acts, acts) == pytest.approx(1.0)


def test_cca_is_invariant_to_invertible_linear_maps(acts):
    mixing = np.random.default_rng(1).normal(size=(12, 12))
    assert np.linalg.cond(mixing) < 1e4
    coefficients = similarity.cca_coefficients(acts, acts @ mixing + 3.0)
    assert coefficients == pytest.approx(np.ones(12))


def test_cka_is_invariant_to_rotations_and_isotropic_scaling(acts):
    rotation, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(12, 12)))
    other = np.random.default_rng(3).normal(size=acts.shape)
    reference = similarity.linear_cka(acts, other)
    assert similarity.linear_cka(acts @ rotation * 7.5, other) == pytest.approx(reference)
    assert similarity.linear_cka(acts, acts @ rotation * 0.1) == pytest.approx(1.0)


def test_cka_matches_the_hsic_definition(acts):
    other = np.random.default_rng(4).normal(size=(400, 7))
    n = len(acts)
    centring = np.eye(n) - np.ones((n, n)) / n

    def hsic(gram_a, gram_b):
        return np.trace(gram_a @ centring @ gram_b @ centring) / (n - 1) ** 2

    gram_a, gram_b = acts @ acts.T, other @ other.T
    direct = hsic(gram_a, gram_b) / np.sqrt(hsic(gram_a, gram_a) * hsic(gram_b, gram_b))
    assert similarity.linear_cka(acts, other) == pytest.approx(direct, rel=1e-9)


def test_cca_matches_the_covariance_definition(acts):
    other = acts[:, :5] + np.random.default_rng(5).normal(size=(400, 5))
    a, b = acts - acts.mean(0), other - other.mean(0)
    saa, sbb, sab = a.T @ a, b.T @ b, a.T @ b
    eig = np.linalg.eigvals(np.linalg.solve(saa, sab) @ np.linalg.solve(sbb, sab.T))
    direct = np.sort(np.sqrt(np.clip(eig.real, 0, None)))[::-1][:5]
    assert similarity.cca_coefficients(acts, other) == pytest.approx(direct, rel=1e-7)


def test_svcca_keeps_the_directions_of_99_percent_of_variance():
    rng = np.random.default_rng(6)
    # two strong directions and ten with a ten-thousandth of their variance
    acts = np.hstack([rng.normal(size=(500, 2)) * 100, rng.normal(size=(500, 10))])
    assert similarity.reduce(acts).shape == (500, 2)
    noisy = acts + np.hstack([np.zeros((500, 2)), rng.normal(size=(500, 10))])
    assert similarity.svcca(acts, noisy) > 0.99  # the noise lives in the dropped directions
    assert similarity.cca_coefficients(acts, noisy).mean() < 0.9


def test_unrelated_representations_score_low(acts):
    other = np.random.default_rng(7).normal(size=(400, 12))
    assert similarity.svcca(acts, other) < 0.3
    assert similarity.linear_cka(acts, other) < 0.1


def test_activations_pool_conv_outputs_and_skip_shortcuts():
    model = nets.build_net("resnet20", (3, 8, 8), 10, seed=0)
    names = [n for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]
    layers = similarity.compared_layers(names)
    assert not any("shortcut" in name for name in layers) and len(layers) == 20
    images = torch.randn(10, 3, 8, 8)
    acts = similarity.activations(model, images, layers, batch_size=4)
    assert acts["conv"].shape == (10, 16) and acts["fc"].shape == (10, 10)
    assert acts["conv"].dtype == np.float64
    assert similarity.subset_indices(100, 30, seed=0).tolist() == sorted(
        similarity.subset_indices(100, 30, seed=0).tolist()
    )


def test_non_finite_activations_give_nan_not_an_error(acts):
    broken = acts.copy()
    broken[3, 2] = np.nan
    rows = similarity.compare({"fc": acts, "conv": acts}, {"fc": broken, "conv": acts})
    by_layer = {row["layer"]: row for row in rows}
    assert np.isnan(by_layer["fc"]["svcca"]) and np.isnan(by_layer["fc"]["cka"])
    assert by_layer["conv"]["cka"] == pytest.approx(1.0)
