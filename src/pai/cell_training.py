"""Training the runs of one cell: packed into one model (:mod:`pai.packing`) where the net allows
it and the config asks for it, else one after the other (:func:`pai.training.train`).

The packed engine follows the solo engine step for step (the same batches, augmentation, learning
rate, SGD update and masking) with each member's loss its own mean cross-entropy; the gradient of
their sum is each member's own gradient. Equal to training alone in float64 on the CPU to about
1e-12 after hundreds of steps; in float32 to rounding (the grouped kernels sum in another order),
so results are not the solo engine's bits: the config switch (``training.pack``) decides.

A member whose training or test loss turns non-finite at the end of an epoch is frozen (its pruned
weights set back to exactly zero, flagged ``diverged``) and the others go on in a smaller pack.
The pack's checkpoint, written after every epoch, holds every member's unpacked state, momentum
and history: a killed job resumes from it and ends on the bits an uninterrupted one ends on.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import capture, packing, storage
from .data import TensorData
from .masks import check_mask, collapsed_layers
from .optim import SGD
from .training import (
    TrainConfig,
    TrainResult,
    _fingerprint,
    augment_pad_value,
    epoch_batches,
    iterations_per_epoch,
    learning_rate,
    load_checkpoint,
    pick_device,
    total_iterations,
    train,
)

log = logging.getLogger(__name__)
PACK_FORMAT = 1

Start = Mapping[str, Mapping[str, torch.Tensor]]


def train_cell(
    build: Callable[[], nn.Module],
    starts: Sequence[Start],
    data: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: str | torch.device | None = None,
    checkpoints: Sequence[str | os.PathLike] | None = None,
    start_iteration: int = 0,
    pack: bool = False,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> list[TrainResult]:
    """Train every start state of a cell; ``build()`` makes one member's net (values are
    overwritten). ``checkpoints``: one path per run (the packed engine keeps its one checkpoint at
    the first). ``on_epoch(member, row)`` sees every member's history rows."""
    paths = list(checkpoints) if checkpoints is not None else [None] * len(starts)
    reason = why_not_packed(build, len(starts), pack)
    if reason is None:
        return _train_packed(
            build, starts, data, config, seed=seed, device=device, checkpoint=paths[0],
            start_iteration=start_iteration, on_epoch=on_epoch,
        )  # fmt: skip
    if pack:
        log.info("training the cell's runs one after the other: %s", reason)
    results = []
    for member, (start, path) in enumerate(zip(starts, paths, strict=True)):

        def show(row, member=member):
            if on_epoch is not None:
                on_epoch(member, row)

        results.append(
            train(
                build(),
                start,
                data,
                config,
                seed=seed,
                device=device,
                checkpoint=path,
                start_iteration=start_iteration,
                on_epoch=show,
            )
        )
    return results


def why_not_packed(build: Callable[[], nn.Module], runs: int, pack: bool) -> str | None:
    """None if :func:`train_cell` trains ``runs`` runs of ``build()``'s net packed, else why not."""
    if not pack:
        return "training.pack is off"
    if runs < 2:
        return "a single run"
    return packing.packable(build())


class _Pack:
    """The active members packed into one model, with their masks and optimizer."""

    def __init__(self, build, members, states, buffers, starts, config, device):
        self.members = list(members)
        models = []
        for k in self.members:
            model = build()
            model.load_state_dict(states[k])
            models.append(model)
        self.model = packing.pack(models).to(device)
        if config.channels_last and device.type == "cuda":
            self.model.to(memory_format=torch.channels_last)
        self.names = [name for name, _ in self.model.named_parameters()]
        mask = packing.pack_tensors([starts[k]["mask"] for k in self.members])
        params = dict(self.model.named_parameters())
        self.pruned_names = [name for name, m in mask.items() if not bool(m.all())]
        self.pruned = [
            (params[name], mask[name].to(device), mask[name].to(device, params[name].dtype))
            for name in self.pruned_names
        ]
        self.optimizer = SGD(
            self.model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
        if any(buffers[k] is not None for k in self.members):
            packed = packing.pack_tensors([buffers[k] for k in self.members])
            self.optimizer.buffers = [packed[name].to(device) for name in self.names]
        self.step = capture.Step(self._body(config, device), device, self.optimizer, config.capture)

    def _body(self, config, device):
        members, bf16 = len(self.members), config.bf16 and device.type == "cuda"

        def body(x, y):
            """One step of every member in place; each member's loss is its own mean CE."""
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                out = self.model(packing.repeat_input(x, members))
            out = packing.logits(out.float() if bf16 else out, members)
            targets = y.unsqueeze(1).expand(-1, members)
            losses = F.cross_entropy(out.transpose(1, 2), targets, reduction="none").mean(0)
            self.optimizer.zero_grad()
            losses.sum().backward()
            for p, _, keep in self.pruned:
                p.grad.mul_(keep)
            self.optimizer.step()
            return out, losses

        return body

    def unpack(self, like, states, buffers) -> None:
        """Write every active member's state and momentum back into ``states``/``buffers``."""
        packed_state = {n: t.detach().cpu() for n, t in self.model.state_dict().items()}
        param_like = {n: like[n] for n in self.names}
        packed_buffers = None
        if all(b is not None for b in self.optimizer.buffers):
            packed_buffers = {
                n: b.detach().cpu() for n, b in zip(self.names, self.optimizer.buffers, strict=True)
            }
        for index, k in enumerate(self.members):
            states[k] = packing.unpack_state(packed_state, like, index)
            if packed_buffers is not None:
                buffers[k] = packing.unpack_state(packed_buffers, param_like, index)

    @torch.no_grad()
    def zero_pruned(self, member_index: int) -> None:
        """Set one member's pruned weights and momentum back to exactly +0.0 (a diverged run)."""
        count = len(self.members)
        buffers = dict(zip(self.names, self.optimizer.buffers, strict=True))
        for name, (p, kept, _) in zip(self.pruned_names, self.pruned, strict=True):
            for tensor in (p, buffers.get(name)):
                if tensor is None:
                    continue
                block = tensor.view(count, -1)[member_index]
                block.masked_fill_(~kept.view(count, -1)[member_index], 0.0)


def _pack_fingerprint(starts, config, seed, n_train, start_iteration) -> str:
    digest = hashlib.sha256(f"packed/{PACK_FORMAT}".encode())
    for start in starts:
        digest.update(_fingerprint(start, config, seed, n_train, (start_iteration, None)).encode())
    return digest.hexdigest()


@torch.no_grad()
def _evaluate(model: nn.Module, count: int, images, labels, batch_size: int, bf16: bool):
    """Every member's mean test cross-entropy and accuracy (float64 and int sums, as solo)."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros(count, dtype=torch.float64, device=images.device)
    correct = torch.zeros(count, dtype=torch.int64, device=images.device)
    for start in range(0, len(labels), batch_size):
        x, y = images[start : start + batch_size], labels[start : start + batch_size]
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
            out = packing.logits(model(packing.repeat_input(x, count)), count)
            out = out.float() if bf16 else out
        targets = y.unsqueeze(1).expand(-1, count)
        losses = F.cross_entropy(out.transpose(1, 2), targets, reduction="none")
        loss_sum += losses.double().sum(0)
        correct += (out.argmax(2) == targets).sum(0)
    model.train(was_training)
    return (loss_sum / len(labels)).tolist(), (correct.double() / len(labels)).tolist()


def _train_packed(
    build: Callable[[], nn.Module],
    starts: Sequence[Start],
    data: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: str | torch.device | None,
    checkpoint: str | os.PathLike | None,
    start_iteration: int,
    on_epoch: Callable[[int, dict[str, float]], None] | None,
) -> list[TrainResult]:
    dev = pick_device(device)
    template = build()
    for start in starts:
        check_mask(start["mask"], template)
    like = {name: t.detach().cpu() for name, t in template.state_dict().items()}
    count = len(starts)
    bf16 = config.bf16 and dev.type == "cuda"
    data = data.to(dev)
    n_train = len(data.train_y)
    per_epoch = iterations_per_epoch(n_train, config.batch_size)
    if not 0 <= start_iteration < total_iterations(config, n_train):
        raise ValueError(f"start_iteration {start_iteration} is outside the run's iterations")
    pad_value = augment_pad_value(data, dev)
    fingerprint = _pack_fingerprint(starts, config, seed, n_train, start_iteration)

    states: list[dict[str, torch.Tensor]] = [dict(s["weights"]) for s in starts]
    buffers: list[dict[str, torch.Tensor] | None] = [None] * count
    histories: list[list[dict[str, float]]] = [[] for _ in range(count)]
    diverged = [False] * count
    first_epoch = start_iteration // per_epoch
    saved = load_checkpoint(Path(checkpoint), fingerprint) if checkpoint is not None else None
    if saved is not None:
        states, buffers = list(saved["states"]), list(saved["buffers"])
        histories, diverged = [list(h) for h in saved["histories"]], list(saved["diverged"])
        first_epoch = int(saved["epoch"])
        log.info("resuming the packed runs from %s after epoch %d", checkpoint, first_epoch)
    resumed_from = first_epoch

    active = [k for k in range(count) if not diverged[k]]
    pack = _Pack(build, active, states, buffers, starts, config, dev) if active else None
    for epoch in range(first_epoch, config.epochs):
        if pack is None:
            break
        began = time.perf_counter()
        members = len(pack.members)
        pack.model.train()
        loss_sum = torch.zeros(members, dtype=torch.float64, device=dev)
        correct = torch.zeros(members, dtype=torch.int64, device=dev)
        seen, lr = 0, config.lr
        for step, x, y in epoch_batches(data, config, seed, epoch, start_iteration, pad_value, dev):
            lr = learning_rate(config, step, per_epoch)
            out, losses = pack.step(x, y, lr)
            targets = y.unsqueeze(1).expand(-1, members)
            loss_sum += losses.detach().double() * len(y)
            correct += (out.argmax(2) == targets).sum(0)
            seen += len(y)
        train_losses = (loss_sum / seen).tolist()
        train_accuracies = (correct.double() / seen).tolist()
        test_losses, test_accuracies = _evaluate(
            pack.model, members, data.test_x, data.test_y, config.eval_batch_size, bf16
        )
        seconds = time.perf_counter() - began
        stopped = []
        for index, k in enumerate(pack.members):
            row = {
                "epoch": epoch + 1,
                "train_loss": train_losses[index],
                "train_accuracy": train_accuracies[index],
                "test_loss": test_losses[index],
                "test_accuracy": test_accuracies[index],
                "lr": lr,
                "seconds": seconds,
            }
            histories[k].append(row)
            if on_epoch is not None:
                on_epoch(k, row)
            if not (math.isfinite(row["train_loss"]) and math.isfinite(row["test_loss"])):
                log.warning("run %d diverged (non-finite loss) in epoch %d; frozen", k, epoch + 1)
                pack.zero_pruned(index)
                stopped.append(k)
        pack.unpack(like, states, buffers)
        if stopped:
            for k in stopped:
                diverged[k] = True
            remaining = [k for k in pack.members if k not in stopped]
            pack = (
                _Pack(build, remaining, states, buffers, starts, config, dev) if remaining else None
            )
        if checkpoint is not None:
            _save(Path(checkpoint), fingerprint, epoch + 1, states, buffers, histories, diverged)

    results = []
    for k, start in enumerate(starts):
        for name, kept in start["mask"].items():  # the invariant the study rests on
            if bool(states[k][name][~kept].ne(0).any()):
                raise AssertionError(f"a pruned weight of run {k} became non-zero in training")
        results.append(
            TrainResult(
                weights={n: t.clone() for n, t in states[k].items()},
                history=histories[k],
                diverged=diverged[k],
                collapsed_layers=collapsed_layers(start["mask"]),
                resumed_from_epoch=resumed_from,
                device=str(dev),
            )
        )
    return results


def _save(path: Path, fingerprint, epoch, states, buffers, histories, diverged) -> None:
    storage.save(
        {
            "fingerprint": fingerprint,
            "epoch": epoch,
            "packed": True,
            "states": states,
            "buffers": buffers,
            "histories": histories,
            "diverged": diverged,
        },
        path,
    )
