"""Time of the expensive scoring methods on the paper's convolutional nets (CPU by default).

    python benchmarks/scoring_speed.py [--threads 2]

SynFlow: 100 rounds on ResNet-20 and VGG-16 (float64, one all-ones image per round, global O(N)
selection each round); SNIP and GraSP: 100 class-balanced CIFAR-shaped images (10 per class).
"""

from __future__ import annotations

import argparse
import time

import torch

from pai.data import datasets, scoring_set
from pai.models import nets
from pai.pruning import masks, scoring


def timed(label: str, fn) -> None:
    began = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - began
    extra = f"  density {masks.density(result):.4f}" if "mask" in label else ""
    print(f"  {label:<34} {seconds:7.2f} s{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    shape = (3, 32, 32)
    d = datasets.make_synthetic(shape, 10, n_train=500, n_test=10)
    x, y = scoring_set.class_balanced_subset(d.train_x, d.train_y, 10, seed=0)
    print(f"torch {torch.__version__}, threads {args.threads}, 100 scoring images")
    for net in ("resnet20", "vgg16"):
        model = nets.build_net(net, shape, 10, seed=0)
        print(net)
        timed(
            "synflow mask, 100 rounds, s=0.9", lambda m=model: scoring.synflow_mask(m, 0.9, shape)
        )
        timed("snip scores", lambda m=model: scoring.snip_scores(m, x, y))
        timed("grasp scores", lambda m=model: scoring.grasp_scores(m, x, y))


if __name__ == "__main__":
    main()
