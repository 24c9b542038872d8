import math

import pytest
import torch
from torch import nn

from pai.models import nets

SHAPES = {"lenet300": (1, 28, 28), "resnet20": (3, 32, 32), "vgg16": (3, 32, 32)}
PRUNABLE = {
    "lenet300": 266_200,
    "resnet20": 270_896,
    "vgg16": 14_715_584,
}  # docs/methods.md, "Nets"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_prunable_counts_match_reference(name):
    model = nets.build_net(name, SHAPES[name], 10, seed=0)
    params = nets.prunable_parameters(model)
    assert sum(p.numel() for p in params.values()) == PRUNABLE[name]
    assert all(n.endswith(".weight") for n in params)
    assert model(torch.zeros(2, *SHAPES[name])).shape == (2, 10)


def test_prunable_layers_are_convs_and_linears_only():
    model = nets.build_net("resnet20", (3, 32, 32), 10, seed=0)
    names = nets.prunable_names(model)
    assert len(names) == 22
    assert "fc.weight" in names and "conv.weight" in names
    assert "blocks.3.shortcut.0.weight" in names and "blocks.6.shortcut.0.weight" in names
    assert not any("bn" in n or n.endswith("bias") for n in names)
    vgg = nets.build_net("vgg16", (3, 32, 32), 10, seed=0)
    assert len(nets.prunable_names(vgg)) == 14
    lenet = nets.build_net("lenet300", (1, 8, 8), 10, seed=0)
    assert nets.prunable_names(lenet) == ["fc_layers.0.weight", "fc_layers.1.weight", "fc.weight"]
    assert lenet.fc_layers[0].in_features == 64  # input size follows the dataset


def test_open_lth_initialisation():
    model = nets.build_net("vgg16", (3, 32, 32), 10, seed=3)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            fan_in = module.weight[0].numel()
            std = module.weight.std().item()
            assert std == pytest.approx(math.sqrt(2 / fan_in), rel=0.1)
            if module.bias is not None:
                assert module.bias.abs().max() <= 1 / math.sqrt(fan_in)
        if isinstance(module, nn.BatchNorm2d):
            assert module.weight.min() >= 0 and module.weight.max() < 1
            assert module.weight.std() > 0.1  # U[0,1), not the default ones
            assert torch.equal(module.bias, torch.zeros_like(module.bias))
            assert torch.equal(module.running_var, torch.ones_like(module.running_var))


def test_init_is_seeded_and_independent_of_global_rng():
    torch.manual_seed(1)
    a = nets.build_net("resnet20", (3, 32, 32), 10, seed=7).state_dict()
    torch.manual_seed(2)
    b = nets.build_net("resnet20", (3, 32, 32), 10, seed=7).state_dict()
    c = nets.build_net("resnet20", (3, 32, 32), 10, seed=8).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["conv.weight"], c["conv.weight"])


def test_unknown_net_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown architecture 'resnet21'.*lenet300.*vgg16"):
        nets.build_net("resnet21", (3, 32, 32), 10)


# MtM's larger nets: open_lth's ImageNet ResNets (torchvision's parameter counts)
LARGE = {
    "resnet18": ((3, 64, 64), 200, 11_279_112),  # TinyImageNet
    "resnet50": ((3, 224, 224), 1000, 25_557_032),  # ImageNet
}


@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_nets_build_and_train_a_step_on_synthetic_data(name):
    from pai.analysis import topology
    from pai.data import datasets
    from pai.pruning import ablations, masks
    from pai.training import engine

    shape, classes, parameters = LARGE[name]
    model = nets.build_net(name, shape, classes, seed=0)
    assert sum(p.numel() for p in model.parameters()) == parameters
    names = nets.prunable_names(model)
    assert names[0] == "conv.weight" and names[-1] == "fc.weight"
    assert any(".shortcut.0." in n for n in names)
    # one SGD step of a 90%-magnitude-pruned net on two synthetic images of the right shape
    d = datasets.make_synthetic(shape, classes, n_train=2, n_test=2, augment=True)
    mask = masks.global_mask(
        {n: p.detach().abs() for n, p in nets.prunable_parameters(model).items()}, 0.9
    )
    start = ablations.start_state("unmodified", model, model.state_dict(), mask, seed=0)
    before = start["weights"]
    config = engine.TrainConfig(epochs=1, batch_size=2, momentum=0.9, weight_decay=1e-4)
    result = engine.train(model, start, d, config, seed=0)
    assert len(result.history) == 1 and not result.diverged
    moved = [n for n in mask if not torch.equal(result.weights[n], before[n])]
    assert len(moved) == len(mask)  # every layer learned
    for n, m in mask.items():
        assert (result.weights[n][~m] == 0).all()
    # the topology measure understands the stem, the pool and the bottlenecks
    dense = topology.measure(model, masks.ones_mask(model), shape)
    assert dense.effective_nodes == dense.total_nodes
