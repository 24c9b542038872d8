"""Time of each data-driven and iterative method's masks on the paper's nets, as the pipeline makes
them (one cell's unmodified mask at sparsity 0.9), against SNIP's in the same run.

    python benchmarks/scoring_speed.py [--threads 1] [--nets lenet300 resnet20 vgg16]

LeNet-300-100 on MNIST-shaped (1x28x28) images, ResNet-20 and VGG-16 on CIFAR-shaped (3x32x32)
ones; the scoring subset is MtM's, 10 images per class. SynFlow: 100 rounds (float64, one all-ones
image a round); FORCE and Iter-SNIP: 60 steps, each a forward and backward pass over the subset;
ProsPr: 3 SGD steps unrolled, second order; NTK-SAP: 20 rounds, each two forward passes on 100
Gaussian inputs and a backward pass.
"""

from __future__ import annotations

import argparse
import time

import torch

from pai.config import registry
from pai.data import datasets, scoring_set
from pai.models import nets
from pai.pruning import prune

SHAPES = {"lenet300": (1, 28, 28), "resnet20": (3, 32, 32), "vgg16": (3, 32, 32)}
# every built-in method at initialization that scores on data or in rounds (SNIP first: the
# baseline); random and magnitude cost nothing, the benchmarks are pruned after training
METHODS = [
    m.name
    for m in registry.METHODS.values()
    if m.start == "init" and m.group == "pai" and (m.data or not m.one_shot)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--nets", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), sparsity 0.9, 100 scoring images")
    for net in args.nets:
        shape = SHAPES[net]
        d = datasets.make_synthetic(shape, 10, n_train=500, n_test=10, seed=0)
        data = scoring_set.scoring_subset(d, 10, seed=0)
        model = nets.build_net(net, shape, 10, seed=0)
        print(net)
        baseline = None
        for method in METHODS:
            settings = prune.method_settings(method)
            began = time.perf_counter()
            prune.cell_masks(settings, model, 0.9, seed=0, data=data, rankings=["unmodified"])
            seconds = time.perf_counter() - began
            baseline = baseline or seconds
            print(f"  {method:<10} {seconds:8.2f} s   {seconds / baseline:7.1f} x SNIP")


if __name__ == "__main__":
    main()
