"""Training the runs of one cell: packed into one model (:mod:`pai.training.packing`) where the net
allows
it and the config asks for it, else one after the other (:func:`pai.training.engine.train`). Both go
through the one training loop, :func:`pai.training.engine.train_runs`; :class:`Pack` is the packed
runs.

The packed step follows the solo step (the same batches, augmentation, learning rate, SGD update
and masking) with each member's loss its own mean cross-entropy; the gradient of their sum is each
member's own gradient. Equal to training alone in float64 on the CPU to about 1e-12 after
hundreds of steps; in float32 to rounding (the grouped kernels sum in another order), so results
are not the solo engine's bits: the config switch (``training.pack``) decides.

A member whose training or test loss turns non-finite at the end of an epoch is frozen (the loop
sets its pruned weights back to exactly zero and flags it ``diverged``) and the others go on in a
smaller pack. The checkpoint, written after every epoch at the first run's path, holds every
member's unpacked state, momentum and history: a killed job resumes from it and ends on the bits an
uninterrupted one ends on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from pai.data.tensors import TensorData
from pai.training import capture, packing
from pai.training.engine import (
    Buffers,
    States,
    TrainConfig,
    TrainResult,
    pick_device,
    train,
    train_runs,
)
from pai.training.optim import SGD

log = logging.getLogger(__name__)

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
    snapshot_iteration: int | None = None,
    pack: bool = False,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> list[TrainResult]:
    """Train every start state of a cell; ``build()`` makes one member's net (values are
    overwritten). ``checkpoints``: one path per run (the packed engine keeps its one checkpoint at
    the first). ``on_epoch(member, row)`` sees every member's history rows."""
    paths = list(checkpoints) if checkpoints is not None else [None] * len(starts)
    reason = why_not_packed(build, len(starts), pack)
    if reason is None:
        dev = pick_device(device)
        template = build()
        like = {name: t.detach().cpu() for name, t in template.state_dict().items()}

        def pack_of(members: list[int], states: States, buffers: Buffers) -> Pack:
            return Pack(build, like, members, states, buffers, starts, config, dev)

        return train_runs(
            pack_of, template, starts, data, config, seed=seed, device=dev, checkpoint=paths[0],
            start_iteration=start_iteration, snapshot_iteration=snapshot_iteration,
            on_epoch=on_epoch,
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
                snapshot_iteration=snapshot_iteration,
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


class Pack:
    """The active members of a cell packed into one model, with their masks and optimizer: the
    runs :func:`pai.training.engine.train_runs` drives when a cell is packed."""

    def __init__(
        self,
        build: Callable[[], nn.Module],
        like: Mapping[str, torch.Tensor],
        members: list[int],
        states: States,
        buffers: Buffers,
        starts: Sequence[Start],
        config: TrainConfig,
        device: torch.device,
    ) -> None:
        self.members, self.like = list(members), like
        models = []
        for k in self.members:
            model = build()
            model.load_state_dict(states[k])
            models.append(model)
        self.model = packing.pack(models).to(device)
        if config.channels_last and device.type == "cuda":
            self.model.to(memory_format=torch.channels_last)
        self.bf16 = config.bf16 and device.type == "cuda"
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
        self.step = capture.Step(self._body, device, self.optimizer, config.capture)

    def _body(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of every member in place; each member's loss is its own mean CE."""
        members = len(self.members)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model(packing.repeat_input(x, members))
        out = packing.logits(out.float() if self.bf16 else out, members)
        targets = y.unsqueeze(1).expand(-1, members)
        losses = F.cross_entropy(out.transpose(1, 2), targets, reduction="none").mean(0)
        self.optimizer.zero_grad()
        losses.sum().backward()
        for p, _, keep in self.pruned:
            p.grad.mul_(keep)
        self.optimizer.step()
        return out, losses

    @torch.no_grad()
    def evaluate(self, images, labels, batch_size: int) -> tuple[list[float], list[float]]:
        """Every member's mean test cross-entropy and accuracy (float64 and int sums, as solo)."""
        count, model = len(self.members), self.model
        was_training = model.training
        model.eval()
        loss_sum = torch.zeros(count, dtype=torch.float64, device=images.device)
        correct = torch.zeros(count, dtype=torch.int64, device=images.device)
        for start in range(0, len(labels), batch_size):
            x, y = images[start : start + batch_size], labels[start : start + batch_size]
            with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                out = packing.logits(model(packing.repeat_input(x, count)), count)
                out = out.float() if self.bf16 else out
            targets = y.unsqueeze(1).expand(-1, count)
            losses = F.cross_entropy(out.transpose(1, 2), targets, reduction="none")
            loss_sum += losses.double().sum(0)
            correct += (out.argmax(2) == targets).sum(0)
        model.train(was_training)
        return (loss_sum / len(labels)).tolist(), (correct.double() / len(labels)).tolist()

    def unpack(self, states: States, buffers: Buffers) -> None:
        packed_state = {n: t.detach().cpu() for n, t in self.model.state_dict().items()}
        param_like = {n: self.like[n] for n in self.names}
        packed_buffers = None
        if all(b is not None for b in self.optimizer.buffers):
            packed_buffers = {
                n: b.detach().cpu() for n, b in zip(self.names, self.optimizer.buffers, strict=True)
            }
        for index, k in enumerate(self.members):
            states[k] = packing.unpack_state(packed_state, self.like, index)
            if packed_buffers is not None:
                buffers[k] = packing.unpack_state(packed_buffers, param_like, index)

    @torch.no_grad()
    def zero_pruned(self, index: int) -> None:
        count = len(self.members)
        buffers = dict(zip(self.names, self.optimizer.buffers, strict=True))
        for name, (p, kept, _) in zip(self.pruned_names, self.pruned, strict=True):
            for tensor in (p, buffers.get(name)):
                if tensor is None:
                    continue
                block = tensor.view(count, -1)[index]
                block.masked_fill_(~kept.view(count, -1)[index], 0.0)

    def train(self) -> None:
        self.model.train()
