import pandas as pd

from pai import paper

NETS = {
    "lenet300-digits": {"arch": "lenet300", "dataset": "digits", "epochs": 40},
    "vgg16-cifar10": {"arch": "vgg16", "dataset": "cifar10", "epochs": 160},
}


def test_published_values_sit_beside_ours_with_conventions():
    ours = pd.DataFrame(
        [
            {
                "net": "lenet300-digits",
                "method": "snip",
                "reinit": 0.001,
                "reinit_std": 0.0,
                "shuffle": 0.002,
                "shuffle_std": 0.0,
                "random": 0.003,
                "random_std": 0.0,
            }
        ]
    )
    at = {"lenet300-digits": 0.75, "vgg16-cifar10": 0.75}
    text = paper.comparison(ours, NETS, at)
    assert (
        "| LeNet-MNIST | snip | lenet300-digits (digits, 40 epochs, sparsity 0.75) "
        "| 0.0084 | 0.0010 | 0.0083 | 0.0020 | 0.0437 | 0.0030 |" in text
    )
    assert (
        "| LeNet-MNIST | magnitude | lenet300-digits (digits, 40 epochs, sparsity 0.75) "
        "| 0.0154 | – |" in text
    )
    assert "| ResNet-CIFAR | graspabs | not in this grid | 0.0157 | – |" in text
    assert text.count("\n| ") == 8  # data rows: 4 methods x 2 paper nets, one of our nets each
    assert "pruned zeros included" in text
    assert "not at the paper's" not in text
    moved = paper.comparison(ours, NETS, {**at, "lenet300-digits": 0.9})
    assert "**lenet300-digits: not at the paper's 0.75" in moved
