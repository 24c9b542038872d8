"""Training speed of the pai engine against the common peer approach, in one run.

(a) peer: torchvision MNIST with ToTensor/Normalize per sample, a DataLoader (no workers on the
    CPU, as Synaptic-Flow's loader), and the mask multiplied into the weight in every forward
    (Synaptic-Flow's masked layers);
(b) pai: ``pai.training.engine.train`` (tensors on the device, seeded slicing, gradient masking).

Part 1: LeNet-300-100, MNIST (through a local HTTP mirror of ../shared/data), one epoch each.
Part 2: ResNet-20 on CIFAR-shaped synthetic data: the share of an engine iteration spent outside
the forward and backward pass (batching, augmentation, masking, optimizer step).
Part 3: keeping pruned weights at zero: an epoch's worth (469 steps) of masking LeNet-300-100's
gradients with masked_fill_ and a bool mask (the engine until now) against a multiply by a float
0/1 mask (the engine now), and the engine's MNIST epoch.
Part 4: a cell's four ablation runs trained one after the other against packed into one model
(pai.training.cells), LeNet-300-100 on MNIST and on digits, ResNet-20 on synthetic 32x32 images.

    python benchmarks/train_speed.py [--threads 1] [--resnet-iterations 200] [--skip-...]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from pai.config import registry
from pai.data import datasets, tensors
from pai.data.mirror import serve_folder
from pai.models import nets
from pai.pruning import ablations, masks, prune, scoring
from pai.training import cells, engine


class MaskedLinear(nn.Linear):
    """Synaptic-Flow style: the mask is a buffer multiplied into the weight in every forward."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__(n_in, n_out)
        self.register_buffer("weight_mask", torch.ones_like(self.weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.weight_mask, self.bias)


class PeerLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc_layers = nn.ModuleList([MaskedLinear(784, 300), MaskedLinear(300, 100)])
        self.fc = MaskedLinear(100, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.fc_layers:
            x = F.relu(layer(x))
        return self.fc(x)


def _shared_mnist() -> Path:
    """MNIST's verified files beside the checkout (../shared/data), served by pai.data.mirror."""
    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "MNIST" / "raw"
    if not folder.is_dir():
        raise SystemExit(f"no MNIST files at {folder}")
    return folder


def peer_epoch(root: str, start: dict, device: torch.device) -> tuple[float, float]:
    transform = torchvision.transforms.Compose(
        [
            torchvision.transforms.ToTensor(),
            torchvision.transforms.Normalize(datasets.MNIST_MEAN, datasets.MNIST_STD),
        ]
    )
    train = torchvision.datasets.MNIST(root, train=True, transform=transform)
    test = torchvision.datasets.MNIST(root, train=False, transform=transform)
    model = PeerLeNet().to(device)
    model.load_state_dict(start["weights"], strict=False)
    for name, m in start["mask"].items():
        model.get_submodule(name.removesuffix(".weight")).weight_mask.copy_(m.float())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    began = time.perf_counter()
    model.train()
    loader = torch.utils.data.DataLoader(train, batch_size=128, shuffle=True)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(test, batch_size=1000):
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
    return time.perf_counter() - began, correct / len(test)


def pai_epoch(d: tensors.TensorData, start: dict, device: torch.device) -> tuple[float, float]:
    model = nets.build_net("lenet300", d.input_shape, 10)
    began = time.perf_counter()
    result = engine.train(model, start, d, engine.TrainConfig(epochs=1), seed=0, device=device)
    return time.perf_counter() - began, result.final_test_accuracy


def lenet_part(device: torch.device) -> None:
    with tempfile.TemporaryDirectory() as root, serve_folder(_shared_mnist()) as url:
        d = datasets.load_mnist(root, mirror=url)
        model = nets.build_net("lenet300", d.input_shape, 10, seed=0)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
        start = ablations.start_state("unmodified", model, init, mask, seed=0)
        pai_epoch(d, start, device)  # warm-up (allocator, first-call costs)
        peer_s, peer_acc = peer_epoch(root, start, device)
        pai_s, pai_acc = pai_epoch(d, start, device)
    print("LeNet-300-100, MNIST, one epoch (train + test), sparsity 0.8")
    print(
        f"  (a) peer DataLoader + transforms + masked forward: {peer_s:7.2f} s  acc {peer_acc:.4f}"
    )
    print(f"  (b) pai engine:                                   {pai_s:7.2f} s  acc {pai_acc:.4f}")
    print(f"  speed-up (a)/(b): {peer_s / pai_s:.1f}x")


def resnet_part(device: torch.device, iterations: int) -> None:
    batch = 128
    d = datasets.make_synthetic(
        (3, 32, 32), 10, n_train=batch * iterations, n_test=batch, augment=True
    )
    model = nets.build_net("resnet20", d.input_shape, 10, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
    start = ablations.start_state("unmodified", model, init, mask, seed=0)
    config = engine.TrainConfig(epochs=1, momentum=0.9, weight_decay=1e-4)

    # forward + backward alone, on one fixed batch already on the device
    core = nets.build_net("resnet20", d.input_shape, 10)
    core.load_state_dict(start["weights"])
    core.to(device).train()
    x, y = d.train_x[:batch].to(device), d.train_y[:batch].to(device)
    for _ in range(3):
        F.cross_entropy(core(x), y).backward()
    _sync(device)
    began = time.perf_counter()
    for _ in range(iterations):
        core.zero_grad(set_to_none=True)
        F.cross_entropy(core(x), y).backward()
    _sync(device)
    core_s = (time.perf_counter() - began) / iterations

    began = time.perf_counter()
    engine.train(
        nets.build_net("resnet20", d.input_shape, 10), start, d, config, seed=0, device=device
    )
    _sync(device)
    engine_s = (time.perf_counter() - began) / iterations  # includes one 128-image evaluation

    gen = torch.Generator(device=device).manual_seed(0)
    pad = engine.augment_pad_value(d, device)
    xs = d.train_x.to(device)
    order = torch.randperm(len(xs)).to(device)
    began = time.perf_counter()
    for it in range(iterations):
        engine.augment_batch(xs[order[it * batch : (it + 1) * batch]], pad, gen)
    _sync(device)
    augment_s = (time.perf_counter() - began) / iterations

    share = (engine_s - core_s) / engine_s
    print(f"ResNet-20, CIFAR-shaped synthetic data, {iterations} iterations of batch {batch}")
    print(f"  forward + backward alone:  {core_s * 1000:8.1f} ms/iteration")
    print(f"  pai engine, everything:    {engine_s * 1000:8.1f} ms/iteration")
    print(f"    of which slicing + augmentation: {augment_s * 1000:.1f} ms")
    print(f"  share outside forward/backward: {100 * share:.1f}%")


def masking_part(device: torch.device) -> None:
    model = nets.build_net("lenet300", (1, 28, 28), 10, seed=0)
    mask = masks.global_mask(scoring.magnitude_scores(model), 0.8)
    grads = [torch.randn(m.shape, device=device) for m in mask.values()]
    bools = [~m.to(device) for m in mask.values()]
    floats = [m.to(device=device, dtype=torch.float32) for m in mask.values()]
    steps = engine.iterations_per_epoch(60_000, 128)

    def timed(step) -> float:
        step()  # warm-up
        _sync(device)
        began = time.perf_counter()
        for _ in range(steps):
            step()
        _sync(device)
        return time.perf_counter() - began

    fill = timed(lambda: [g.masked_fill_(off, 0.0) for g, off in zip(grads, bools, strict=True)])
    mul = timed(lambda: [g.mul_(keep) for g, keep in zip(grads, floats, strict=True)])
    with tempfile.TemporaryDirectory() as root, serve_folder(_shared_mnist()) as url:
        d = datasets.load_mnist(root, mirror=url)
        init = {k: v.clone() for k, v in model.state_dict().items()}
        start = ablations.start_state("unmodified", model, init, mask, seed=0)
        pai_epoch(d, start, device)
        epoch, _ = pai_epoch(d, start, device)
    print(f"Masking LeNet-300-100's gradients, {steps} steps (one MNIST epoch), sparsity 0.8")
    print(f"  masked_fill_ with a bool mask: {fill:6.3f} s")
    print(f"  multiply by a float mask:      {mul:6.3f} s  ({fill / mul:.0f}x less)")
    print(f"  the engine's whole epoch now:  {epoch:6.3f} s (train + test)")


def packing_part(device: torch.device, mnist: bool) -> None:
    cases = [("lenet300", datasets.load_digits(), 20, "LeNet-300-100, digits, 20 epochs")]
    with tempfile.TemporaryDirectory() as root:
        if mnist:
            with serve_folder(_shared_mnist()) as url:
                cases.append(("lenet300", datasets.load_mnist(root, mirror=url), 1,
                              "LeNet-300-100, MNIST, 1 epoch"))  # fmt: skip
        synthetic = datasets.make_synthetic((3, 32, 32), 10, 128 * 20, 256, augment=True)
        cases.append(("resnet20", synthetic, 1, "ResNet-20, synthetic 32x32, 20 iterations"))
        print("A cell's four ablation runs: one after the other, and packed into one model")
        for arch, dataset, epochs, label in cases:
            model = nets.build_net(arch, dataset.input_shape, 10, seed=0)
            init = {k: v.clone() for k, v in model.state_dict().items()}
            found = prune.cell_masks(prune.method_settings("magnitude"), model, 0.8, seed=0)
            starts = ablations.start_states(list(registry.ABLATIONS), model, init, found, 0)
            config = engine.TrainConfig(epochs=epochs, momentum=0.9, weight_decay=1e-4)

            def run(pack, arch=arch, dataset=dataset, starts=starts, config=config) -> float:
                began = time.perf_counter()
                cells.train_cell(
                    lambda: nets.build_net(arch, dataset.input_shape, 10),
                    list(starts.values()), dataset, config, seed=0, device=device, pack=pack,
                )  # fmt: skip
                _sync(device)
                return time.perf_counter() - began

            run(True)  # warm-up
            alone, packed = run(False), run(True)
            print(f"  {label}: one after the other {alone:7.2f} s, packed {packed:7.2f} s "
                  f"(packed / alone {packed / alone:.2f})")  # fmt: skip


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 per job)")
    parser.add_argument("--resnet-iterations", type=int, default=200)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.add_argument("--skip-lenet", action="store_true")
    parser.add_argument("--skip-resnet", action="store_true")
    parser.add_argument("--skip-masking", action="store_true")
    parser.add_argument("--skip-packing", action="store_true")
    parser.add_argument("--no-mnist", action="store_true", help="packing without MNIST")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = engine.pick_device(args.device)
    print(
        f"torch {torch.__version__}, device {device}, threads {args.threads}, "
        f"{platform.processor() or platform.machine()}"
    )
    if not args.skip_lenet:
        lenet_part(device)
    if not args.skip_resnet:
        resnet_part(device, args.resnet_iterations)
    if not args.skip_masking:
        masking_part(device)
    if not args.skip_packing:
        packing_part(device, not args.no_mnist)


if __name__ == "__main__":
    main()
