"""SVCCA and linear CKA against their defining properties and a direct numpy computation."""

import numpy as np
import pytest
import torch

from pai.analysis import similarity
from pai.config import grid
from pai.models import nets


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


def test_measured_after_batchnorm_and_relu_where_blakeney_et_al_measure():
    model = nets.build_net("resnet20", (3, 8, 8), 10, seed=0)
    layers = similarity.compared_layers(nets.prunable_names(model))
    points = similarity.measurement_points(model, layers, built_in=True)
    assert points["conv"] == ("bn", True)  # the stem: ReLU(BN(conv))
    assert points["blocks.0.conv1"] == ("blocks.0.bn1", True)
    assert points["blocks.0.conv2"] == ("blocks.0", False)  # the block's output, ReLU'd already
    assert points["fc"] == ("fc", False)  # the logits
    lenet = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    lenet_layers = similarity.compared_layers(nets.prunable_names(lenet))
    assert similarity.measurement_points(lenet, lenet_layers, built_in=True) == {
        "fc_layers.0": ("fc_layers.0", True),
        "fc_layers.1": ("fc_layers.1", True),
        "fc": ("fc", False),
    }
    # a plugin net's layers are measured at their own outputs
    assert similarity.measurement_points(lenet, lenet_layers, built_in=False)["fc_layers.0"] == (
        "fc_layers.0",
        False,
    )
    images = torch.randn(40, 3, 8, 8)
    acts = similarity.activations(model, images, layers, points=points)
    assert (acts["blocks.0.conv1"] >= 0).all() and (acts["blocks.8.conv2"] >= 0).all()


def test_a_channel_rescaled_before_batchnorm_is_the_same_representation():
    # one VGG-16 channel's filter and bias times 50, its BatchNorm statistics with it: the net
    # computes the same function, and the similarity after BatchNorm says so; measured before
    # BatchNorm (the conv's own output) the rescaled channel dominates the SVD and CKA
    model = nets.build_net("vgg16", (3, 16, 16), 10, seed=0)
    model.eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
    scaled = nets.build_net("vgg16", (3, 16, 16), 10)
    scaled.load_state_dict(model.state_dict())
    scaled.eval()
    with torch.no_grad():
        conv, bn = scaled.layers[0].conv, scaled.layers[0].bn
        conv.weight[5] *= 50
        conv.bias[5] *= 50
        bn.running_mean[5] *= 50
        bn.running_var[5] *= 50**2
    images = torch.randn(300, 3, 16, 16, generator=generator)
    assert torch.allclose(model(images), scaled(images), atol=1e-4)
    layer = ["layers.0.conv"]
    after = similarity.measurement_points(model, layer, built_in=True)
    a = similarity.activations(model, images, layer, points=after)["layers.0.conv"]
    b = similarity.activations(scaled, images, layer, points=after)["layers.0.conv"]
    assert similarity.linear_cka(a, b) == pytest.approx(1.0, abs=1e-6)
    assert similarity.svcca(a, b) == pytest.approx(1.0, abs=1e-6)
    raw_a = similarity.activations(model, images, layer)["layers.0.conv"]
    raw_b = similarity.activations(scaled, images, layer)["layers.0.conv"]
    assert similarity.linear_cka(raw_a, raw_b) < 0.9


def test_pruned_runs_are_compared_with_the_dense_net_of_another_seed_too(acts):
    rows = similarity.group_rows(
        {"net": "n", "sparsity": 0.5, "seed": 0},
        [("snip", "unmodified"), ("snip", "shuffle")],
        lambda run: {"fc": acts},
        dense={"fc": acts},
        dense_other_seed={"fc": acts[::-1].copy()},
    )
    comparisons = [row["comparison"] for row in rows]
    assert comparisons.count("dense") == 2 and comparisons.count("dense, other seed") == 2
    # the partner seed: the next one, the first after the last, none with one seed
    assert [grid.other_seed(s, [4, 0, 2]) for s in (0, 2, 4)] == [2, 4, 0]
    assert grid.other_seed(3, [3]) is None
