"""Singh & Liu's published Table 1 beside ours: like for like first, ratios, both layer sets."""

import pandas as pd

from pai.reporting import paper

NETS = {
    "lenet300-digits": {"arch": "lenet300", "dataset": "digits", "epochs": 40},
    "lenet300-mnist-singh": {"arch": "lenet300", "dataset": "mnist", "epochs": 16},
    "resnet20-cifar10": {"arch": "resnet20", "dataset": "cifar10", "epochs": 160},
}
AT = {"lenet300-digits": 0.75, "lenet300-mnist-singh": 0.75, "resnet20-cifar10": 0.75}


def _row(net, method, layer_set, reinit, shuffle, random):
    return {
        "net": net, "method": method, "sparsity": 0.75, "layer_set": layer_set,
        "reinit": reinit, "reinit_std": 0.0, "shuffle": shuffle, "shuffle_std": 0.0,
        "random": random, "random_std": 0.0,
    }  # fmt: skip


def test_published_values_sit_beside_ours_with_ratios_and_conventions():
    ours = pd.DataFrame(
        [
            _row("lenet300-mnist-singh", "magnitude", "weights", 0.0154, 0.0278, 0.0252),
            _row("resnet20-cifar10", "snip", "weights", 0.0153, 0.0151, 0.0476),
            _row("resnet20-cifar10", "snip", "weights+bn_gamma", 0.0306, 0.0302, 0.0952),
        ]
    )
    text = paper.comparison(ours, NETS, AT)
    lines = text.splitlines()
    singh = [line for line in lines if line.startswith("| LeNet-MNIST | magnitude |")]
    # the entry trained as they trained theirs comes first, marked, with ours / paper
    assert singh[0].startswith(
        "| LeNet-MNIST | magnitude | lenet300-mnist-singh (mnist, 16 epochs, sparsity 0.75) "
        "**like for like** | conv/fc weights | 0.0154 | 0.0154 | 1.00 | 0.0139 | 0.0278 | 2.00 "
        "| 0.0504 | 0.0252 | 0.50 |"
    )
    assert (
        "lenet300-digits (digits, 40 epochs, sparsity 0.75) | conv/fc weights | 0.0154 | – | –"
        in (singh[1])
    )
    bn = [line for line in lines if "with BN γ" in line]
    assert len(bn) == 1 and "| 0.0153 | 0.0306 | 2.00 |" in bn[0]
    assert "| ResNet-CIFAR | graspabs | resnet20-cifar10" in text
    assert "pruned zeros included" in text and "not at the paper's" not in text
    moved = paper.comparison(ours, NETS, {**AT, "lenet300-digits": 0.9})
    assert "**lenet300-digits: not at the paper's 0.75" in moved


def test_nets_of_another_architecture_are_not_shown():
    text = paper.comparison(
        pd.DataFrame(), {"vgg": {"arch": "vgg16", "dataset": "x", "epochs": 1}}, {"vgg": 0.75}
    )
    assert text.count("not in this grid") == 8  # 4 methods x 2 paper nets
