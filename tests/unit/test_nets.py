import math

import pytest
import torch
from torch import nn

from pai import nets

SHAPES = {"lenet300": (1, 28, 28), "resnet20": (3, 32, 32), "vgg16": (3, 32, 32)}
PRUNABLE = {"lenet300": 266_200, "resnet20": 270_896, "vgg16": 14_715_584}  # REFERENCE.md 1


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
    with pytest.raises(ValueError, match=r"unknown net 'resnet21'.*lenet300.*resnet20.*vgg16"):
        nets.build_net("resnet21", (3, 32, 32), 10)
