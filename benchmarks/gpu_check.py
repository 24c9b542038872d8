"""One command for a machine with a GPU: is the training engine right on CUDA, and how fast is it?

    PYTHONPATH=src python benchmarks/gpu_check.py [--json gpu_check.json]
    PYTHONPATH=src python benchmarks/gpu_check.py --quick      # the CI's reduced form, any device

It installs nothing and imports only torch and the pai library (with numpy), so it runs with
whatever torch the GPU machine has.

1. Correctness: LeNet-300-100 and ResNet-20 from the same start on the CPU (eager, float32) and
   on CUDA packed, captured and packed + captured, each against CUDA eager: the largest weight
   difference relative to the weights' scale after one step (float32 rounding), the test
   accuracies after a few hundred steps, and whether every pruned weight is exactly zero.
2. Speed: the time per training iteration of LeNet-300-100, ResNet-20 and VGG-16 at their batch
   size (128) in five modes: eager single run, packed x4 (per run: a quarter of the step),
   captured, packed + captured, and bf16 autocast with channels_last; measured as the second
   epoch of the real engine (pai.training.engine, pai.training.cells) on synthetic data, the peak
   memory
   beside it. From those: each net's full schedule per run (open_lth: LeNet 40 epochs of 469
   iterations, ResNet-20 and VGG-16 160 of 391), and the device-hours of the paper grid
   (config.yaml: its runs of each net, dense runs and lottery rounds included).

One table is printed; --json writes every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

from pai.config import registry
from pai.data import datasets
from pai.models import nets
from pai.pruning import ablations, prune
from pai.training import cells, engine

REPO = Path(__file__).resolve().parents[1]


def paper_nets() -> dict[str, tuple]:
    """arch -> (input shape, batch, iterations per epoch, epochs): every architecture whose
    papers' dataset has a known shape and size (LeNet-300-100 on MNIST, ResNet-20 and VGG-16 on
    CIFAR-10), with its default training settings (pai.config.registry)."""
    found = {}
    for name, arch in registry.ARCHITECTURES.items():
        dataset = registry.DATASETS.get(arch.paper_dataset or "")
        if dataset is None or dataset.shape is None or dataset.train_size is None:
            continue
        batch = arch.defaults["batch_size"]
        per_epoch = engine.iterations_per_epoch(dataset.train_size, batch)
        found[name] = (dataset.shape, batch, per_epoch, arch.defaults["epochs"])
    return found


NETS = paper_nets()
MODES = {  # name -> (pack, TrainConfig switches)
    "eager": (False, {}),
    "packed x4": (True, {}),
    "captured": (False, {"capture": True}),
    "packed x4 + captured": (True, {"capture": True}),
    "bf16 + channels_last": (False, {"bf16": True, "channels_last": True}),
}


def cell(arch: str, shape, sparsity: float = 0.8):
    """The four start states of a magnitude cell, and a builder of the net."""
    model = nets.build_net(arch, shape, 10, seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    found = prune.cell_masks(prune.method_settings("magnitude"), model, sparsity, seed=0)
    starts = ablations.start_states(list(registry.ABLATIONS), model, init, found, seed=0)
    return (lambda: nets.build_net(arch, shape, 10)), list(starts.values())


def train(arch, shape, dataset, config, device, pack, runs=4):
    build, starts = cell(arch, shape)
    if not pack:
        starts = starts[:1]
    return cells.train_cell(
        build, starts, dataset, config, seed=0, device=device, pack=pack and runs > 1
    )


def largest_relative_difference(a, b) -> float:
    worst = 0.0
    for name, tensor in a.weights.items():
        if tensor.is_floating_point() and name.endswith("weight"):
            other = b.weights[name].to(tensor.device)
            scale = float(other.abs().max()) or 1.0
            worst = max(worst, float((tensor - other).abs().max()) / scale)
    return worst


def pruned_exactly_zero(result, start) -> bool:
    return all(
        bool((result.weights[n].cpu()[~kept] == 0).all()) for n, kept in start["mask"].items()
    )


def correctness(device: str, quick: bool) -> list[dict]:
    """Each mode against eager on this device (and CPU eager against it): after one step, the
    largest relative weight difference (float32 rounding: ~1e-6); after a few hundred steps,
    the test accuracies (two float32 trajectories that differ in rounding drift apart, as any
    change of convolution algorithm makes them, so weights are not compared there) and whether
    every pruned weight is exactly zero."""
    rows = []
    # every paper net but the widest (VGG-16: minutes a check on a CPU, nothing the others miss)
    checked = sorted(NETS, key=lambda name: registry.ARCHITECTURES[name].widest)[:-1]
    for arch in checked:
        shape = NETS[arch][0]
        augment = shape[0] == 3  # CIFAR's flip and crop
        small = (shape[0], 8, 8) if quick else shape
        batch = 16 if quick else 128
        examples = 4 * batch if quick else 60 * batch  # iterations an epoch
        dataset = datasets.make_synthetic(small, 10, examples, 64, seed=0, augment=augment)
        one_batch = datasets.make_synthetic(small, 10, batch, 64, seed=0, augment=augment)
        config = engine.TrainConfig(
            epochs=2 if quick else 4, batch_size=batch, momentum=0.9, weight_decay=1e-4
        )
        one_step = engine.TrainConfig(**{**config.__dict__, "epochs": 1})
        _, starts = cell(arch, small)
        reference = train(arch, small, dataset, config, device, pack=False)[0]
        reference_step = train(arch, small, one_batch, one_step, device, pack=False)[0]
        checks = {"cpu eager": ("cpu", False, {})}
        for name, (pack, switches) in MODES.items():
            if name != "eager" and "bf16" not in name:
                checks[f"{device} {name}"] = (device, pack, switches)
        for label, (where, pack, switches) in checks.items():
            run_config = engine.TrainConfig(**{**config.__dict__, **switches})
            step_config = engine.TrainConfig(**{**one_step.__dict__, **switches})
            result = train(arch, small, dataset, run_config, where, pack)[0]
            stepped = train(arch, small, one_batch, step_config, where, pack)[0]
            rows.append(
                {
                    "net": arch,
                    "compared": f"{label} vs {device} eager",
                    "one_step_relative_difference": largest_relative_difference(
                        stepped, reference_step
                    ),
                    "steps": config.epochs * engine.iterations_per_epoch(examples, batch),
                    "accuracy": result.final_test_accuracy,
                    "reference_accuracy": reference.final_test_accuracy,
                    "pruned_exactly_zero": pruned_exactly_zero(result, starts[0]),
                }
            )
    return rows


def speed(device: str, quick: bool) -> list[dict]:
    rows = []
    for arch, (shape, batch, per_epoch, epochs) in NETS.items():
        if quick:  # VGG-16's four pools need 16 x 16 at least
            shape, batch, iterations = (shape[0], 16, 16), 8, 2
        else:
            iterations = 60 if shape[0] == 1 else 40  # LeNet: cheaper steps
        dataset = datasets.make_synthetic(shape, 10, batch * iterations, 256, seed=0)
        for mode, (pack, switches) in MODES.items():
            config = engine.TrainConfig(
                epochs=2, batch_size=batch, momentum=0.9, weight_decay=1e-4, **switches
            )
            if device == "cuda":
                torch.cuda.reset_peak_memory_stats()
            began = time.perf_counter()
            results = train(arch, shape, dataset, config, device, pack)
            total = time.perf_counter() - began
            second_epoch = results[0].history[-1]["seconds"]
            per_step = second_epoch / iterations / (4 if pack else 1)
            rows.append(
                {
                    "net": arch,
                    "mode": mode,
                    "ms_per_iteration_per_run": 1000 * per_step,
                    "full_schedule_minutes_per_run": per_step * per_epoch * epochs / 60,
                    "peak_memory_mib": (
                        torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else math.nan
                    ),
                    "wall_seconds": total,
                }
            )
    return rows


def paper_grid_runs() -> dict[str, int] | None:
    """Training runs of each paper net in config.yaml (cells x ablations, dense runs, lottery
    rounds); None where the config cannot be read here (no PyYAML)."""
    try:
        from pai.config import grid
        from pai.config.files import read_configs
        from pai.config.study import Study
    except ImportError:
        return None
    try:
        study = Study(read_configs([REPO / "config.yaml"]), base=REPO)
    except ImportError:
        return None
    counts: dict[str, int] = {}
    for name in study.grid_net_names:
        net = study.net_entry(name)
        runs = sum(1 for c in study.cells() if c["net"] == name) * len(net.ablations)
        runs += len(net.seeds)  # dense
        if "lottery" in net.methods:
            rounds = max(grid.lottery_round(s) for s in net.sparsities) - 1
            runs += rounds * len(net.seeds)
        counts[net.arch] = counts.get(net.arch, 0) + runs
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the code runs")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    torch.set_num_threads(1 if args.quick else torch.get_num_threads())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "cpu"
    print(f"device: {name}; torch {torch.__version__}; Python {platform.python_version()}")
    checks = correctness(device, args.quick)
    timings = speed(device, args.quick)
    runs = paper_grid_runs()
    print(
        f"\n{'net':9} {'compared':38} {'1-step diff':>11} {'steps':>6} {'acc':>7} {'ref':>7} zero"
    )
    for r in checks:
        print(
            f"{r['net']:9} {r['compared']:38} {r['one_step_relative_difference']:>11.2e} "
            f"{r['steps']:>6} {r['accuracy']:>7.4f} {r['reference_accuracy']:>7.4f} "
            f"{r['pruned_exactly_zero']}"
        )
    print(f"\n{'net':9} {'mode':22} {'ms/it/run':>10} {'run (min)':>10} {'peak MiB':>9}")
    best: dict[str, float] = {}
    for r in timings:
        print(
            f"{r['net']:9} {r['mode']:22} {r['ms_per_iteration_per_run']:>10.3f} "
            f"{r['full_schedule_minutes_per_run']:>10.2f} {r['peak_memory_mib']:>9.0f}"
        )
        if "bf16" not in r["mode"]:  # bf16 changes the arithmetic: not a like-for-like speed-up
            minutes = r["full_schedule_minutes_per_run"]
            best[r["net"]] = min(best.get(r["net"], math.inf), minutes)
    projection = None
    if runs is not None:
        hours = {arch: runs[arch] * best[arch] / 60 for arch in runs if arch in best}
        projection = {"runs": runs, "device_hours": hours, "total_hours": sum(hours.values())}
        what = "(--quick: sizes too small to mean anything)" if args.quick else ""
        print(f"\npaper grid (config.yaml), the fastest float32 mode per net: {runs} runs {what}")
        per_net = ", ".join(f"{a}: {h:.1f} h" for a, h in hours.items())
        print(f"  {per_net}; total {projection['total_hours']:.1f} device-hours")
    failures = [r for r in checks if not r["pruned_exactly_zero"]]
    if args.json:
        found = {
            "device": name,
            "torch": torch.__version__,
            "quick": args.quick,
            "correctness": checks,
            "speed": timings,
            "paper_grid": projection,
        }
        args.json.write_text(json.dumps(found, indent=2, default=str))
    if failures:
        print(f"\nFAILED: pruned weights not exactly zero in {len(failures)} check(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
