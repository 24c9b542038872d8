"""The training engine: masked, deterministic, resumable training of many small networks.

Design choices, each for a measured or required reason:
- The whole dataset lives as tensors on the training device; an epoch draws a seeded permutation
  and slices batches. No DataLoader, no worker processes, no per-sample transforms.
- CIFAR augmentation (horizontal flip, then random crop with 4-pixel padding, as open_lth) runs on
  whole batches on the device, its randomness from a seeded generator.
- Pruned weights stay exactly +0.0: their gradients are multiplied by the mask before every
  optimizer step, so momentum buffers and weight decay never move them (for the kept weights this
  is the same update as MtM's re-masking before each forward).
- The learning rate is set per iteration from the epoch milestones (open_lth steps per iteration),
  after an optional linear warmup (open_lth ``warmup_steps``: lr * min(1, step / warmup)).
- A run may start at a later iteration (lottery-ticket rewinding: open_lth's ``start_step``). It
  then sees the data order, augmentation and learning rate an uninterrupted run would see from
  that iteration on, with fresh momentum buffers as open_lth. A run may also keep the state at one
  iteration (the rewind point), which its checkpoints carry too.
- Every epoch's data order and augmentation come from generators derived from (seed, purpose,
  epoch), so a resumed run needs no generator state beyond the epoch number and reproduces an
  uninterrupted run bit for bit on the CPU.
- The optimizer is pai.training.optim.SGD (torch's SGD update, without the 1.9 s import torch.optim
costs).
- One loop (:func:`train_runs`) trains one net (:class:`Solo`) or a cell's nets packed into one
  model (:mod:`pai.training.cells`); it owns everything around the step: resuming, the history,
  divergence, checkpoints, the zero-weight invariant and the per-epoch callback.
- A checkpoint (every member's state, momentum, history) is written atomically after every epoch;
  it is used only if its fingerprint (start states, config, seed) matches the runs asked for.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from pai import seeds, storage
from pai.data.tensors import TensorData
from pai.pruning.masks import check_mask, collapsed_layers
from pai.training import capture
from pai.training.optim import SGD

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 3  # 3: every member's state, momentum, history and snapshot (solo or packed)

HISTORY_COLUMNS = (
    "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds",
)  # fmt: skip


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters; defaults are open_lth's LeNet-300-100 (docs/methods.md, "Training").

    A net's values come from its config entry over its architecture's defaults
    (:attr:`pai.config.registry.Architecture.defaults`); :meth:`from_settings` reads them.
    """

    epochs: int = 40
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0
    milestones: tuple[int, ...] = ()  # epochs at which the LR is multiplied by gamma
    gamma: float = 0.1
    warmup_epochs: float = 0.0  # linear LR warmup over this many epochs (ImageNet: 5)
    eval_batch_size: int = 2000
    bf16: bool = False  # CUDA only: autocast the forward pass to bfloat16
    channels_last: bool = False  # CUDA only: NHWC memory layout for convolutions
    capture: bool = False  # CUDA only: the step as a captured CUDA graph (pai.training.capture)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be non-negative, got {self.weight_decay}")
        if self.warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be non-negative, got {self.warmup_epochs}")
        object.__setattr__(self, "milestones", tuple(int(m) for m in self.milestones))

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], **extra) -> TrainConfig:
        """A config from a net's training settings (a rule's params), refusing unknown keys."""
        unknown = sorted(set(settings) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown training settings {unknown}")
        return cls(**{**settings, **extra})


@dataclass
class TrainResult:
    weights: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    diverged: bool = False
    collapsed_layers: list[str] = field(default_factory=list)
    resumed_from_epoch: int = 0
    device: str = "cpu"
    snapshot: dict[str, torch.Tensor] | None = None  # the state at ``snapshot_iteration``

    @property
    def final_test_accuracy(self) -> float:
        return self.history[-1]["test_accuracy"] if self.history else float("nan")

    @property
    def best_test_accuracy(self) -> float:
        return max((row["test_accuracy"] for row in self.history), default=float("nan"))


def pick_device(device: str | torch.device | None = None) -> torch.device:
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def learning_rate(config: TrainConfig, step: int, iterations_per_epoch: int) -> float:
    passed = sum(step >= m * iterations_per_epoch for m in config.milestones)
    lr = config.lr * config.gamma**passed
    warmup = round(config.warmup_epochs * iterations_per_epoch)
    if step < warmup:  # open_lth: the factor min(1, step / warmup), so step 0 trains with lr 0
        lr *= step / warmup
    return lr


def iterations_per_epoch(num_train: int, batch_size: int) -> int:
    return math.ceil(num_train / batch_size)


def total_iterations(config: TrainConfig, num_train: int) -> int:
    return config.epochs * iterations_per_epoch(num_train, config.batch_size)


def augment_batch(
    images: torch.Tensor, pad_value: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    """Random horizontal flip, then a random HxW crop of the image padded by 4 on every side."""
    n, c, h, w = images.shape
    device = images.device
    flip = torch.rand(n, generator=gen, device=device) < 0.5
    images = torch.where(flip.view(n, 1, 1, 1), images.flip(3), images)
    padded = pad_value.view(1, c, 1, 1).expand(n, c, h + 8, w + 8).clone()
    padded[:, :, 4 : 4 + h, 4 : 4 + w] = images
    dy = torch.randint(0, 9, (n,), generator=gen, device=device)
    dx = torch.randint(0, 9, (n,), generator=gen, device=device)
    rows = (dy.view(n, 1) + torch.arange(h, device=device)).view(n, 1, h, 1)
    cols = (dx.view(n, 1) + torch.arange(w, device=device)).view(n, 1, 1, w)
    batch = torch.arange(n, device=device).view(n, 1, 1, 1)
    channel = torch.arange(c, device=device).view(1, c, 1, 1)
    return padded[batch, channel, rows, cols]


def augment_pad_value(data: TensorData, device: torch.device) -> torch.Tensor:
    """What augment_batch pads the images with: each channel's value of a black pixel after
    normalisation (zeros where the dataset gives none), on ``device``."""
    return torch.tensor(
        data.pad_value or (0.0,) * data.input_shape[0], device=device, dtype=data.train_x.dtype
    )


def epoch_batches(
    data: TensorData,
    config: TrainConfig,
    seed: int,
    epoch: int,
    start_iteration: int,
    pad_value: torch.Tensor,
    device: torch.device,
):
    """(step, images, labels) of every training batch of ``epoch`` from ``start_iteration`` on:
    the order and augmentation an uninterrupted run of ``seed`` sees (each drawn from (seed,
    purpose, epoch)), on ``device``."""
    n_train = len(data.train_y)
    per_epoch = iterations_per_epoch(n_train, config.batch_size)
    order = torch.randperm(
        n_train, generator=seeds.generator(seed, f"{seeds.DATA_ORDER}/{epoch}")
    ).to(device)
    aug_gen = seeds.generator(seed, f"{seeds.AUGMENT}/{epoch}", device=device)
    channels_last = config.channels_last and device.type == "cuda"
    for it in range(per_epoch):
        step = epoch * per_epoch + it
        idx = order[it * config.batch_size : (it + 1) * config.batch_size]
        x, y = data.train_x[idx], data.train_y[idx]
        if data.augment:
            # drawn for skipped batches too: the generator is then where an uninterrupted run
            # has it
            x = augment_batch(x, pad_value, aug_gen)
        if step < start_iteration:
            continue
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        yield step, x, y


@torch.no_grad()
def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    bf16: bool = False,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, in large batches without gradients."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=images.device)
    correct = torch.zeros((), dtype=torch.int64, device=images.device)
    for start in range(0, len(labels), batch_size):
        x, y = images[start : start + batch_size], labels[start : start + batch_size]
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(x)
        loss_sum += F.cross_entropy(out.float() if bf16 else out, y, reduction="sum").double()
        correct += (out.argmax(1) == y).sum()
    model.train(was_training)
    return loss_sum.item() / len(labels), correct.item() / len(labels)


States = list[dict[str, torch.Tensor]]
Buffers = list[dict[str, torch.Tensor] | None]


class Runs(Protocol):
    """The runs being trained, as the loop (:func:`train_runs`) drives them: one net
    (:class:`Solo`) or several packed into one model (:class:`pai.training.cells.Pack`)."""

    members: list[int]  # which of the loop's start states these are

    def step(self, x: torch.Tensor, y: torch.Tensor, lr: float) -> tuple[torch.Tensor, ...]:
        """One training step in place; the logits (batch x members x classes) and every
        member's mean loss."""
        ...

    def evaluate(self, images, labels, batch_size: int) -> tuple[list[float], list[float]]:
        """Every member's mean cross-entropy and accuracy on ``images``."""
        ...

    def unpack(self, states: States, buffers: Buffers) -> None:
        """Write every member's state and momentum, on the CPU, into ``states``/``buffers``."""
        ...

    def zero_pruned(self, index: int) -> None:
        """Set member ``index``'s pruned weights and momentum back to exactly +0.0."""
        ...

    def train(self) -> None:
        """Put the model in training mode."""
        ...


# (members still training, their states, their momentum) -> the runs to train them
MakeRuns = Callable[[list[int], States, Buffers], Runs]


class Solo:
    """One net trained on its own: the model the caller built, its mask and its optimizer."""

    def __init__(
        self,
        model: nn.Module,
        state: dict[str, torch.Tensor],
        buffers: dict[str, torch.Tensor] | None,
        mask: Mapping[str, torch.Tensor],
        config: TrainConfig,
        device: torch.device,
    ) -> None:
        self.members = [0]
        model.load_state_dict(state)
        model.to(device)
        if config.channels_last and device.type == "cuda":
            model.to(memory_format=torch.channels_last)
        self.model, self.bf16 = model, config.bf16 and device.type == "cuda"
        params = dict(model.named_parameters())
        self.names = list(params)
        # A pruned weight's gradient is multiplied by its layer's 0/1 mask before every step: a
        # float multiply costs a thirtieth of masked_fill_ with a bool mask
        # (benchmarks/train_speed.py), and leaves the pruned weights exactly +0.0 (a finite
        # gradient times 0 is +-0.0, and 0.0 - lr * +-0.0 is +0.0). A non-finite gradient times 0
        # is NaN, so a run whose loss turns non-finite has its pruned weights and their momentum
        # set back to +0.0 before it stops (zero_pruned).
        self.pruned = [
            (params[name], kept.to(device), kept.to(device, params[name].dtype))
            for name, kept in mask.items()
            if not bool(kept.all())
        ]
        self.optimizer = SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
        )
        if buffers is not None:
            self.optimizer.load_state_dict({"buffers": [buffers.get(n) for n in self.names]})
        self.step = capture.Step(self._body, device, self.optimizer, config.capture)

    def _body(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One training step in place: forward, loss, backward, gradient masks, SGD."""
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model(x)
        # bf16 logits are cast up for the loss; float32 and float64 ones stay as they are
        loss = F.cross_entropy(out.float() if self.bf16 else out, y)
        self.optimizer.zero_grad()
        loss.backward()
        for p, _, keep in self.pruned:
            p.grad.mul_(keep)
        self.optimizer.step()
        return out.unsqueeze(1), loss.reshape(1)

    def evaluate(self, images, labels, batch_size: int) -> tuple[list[float], list[float]]:
        loss, accuracy = evaluate(self.model, images, labels, batch_size, self.bf16)
        return [loss], [accuracy]

    def unpack(self, states: States, buffers: Buffers) -> None:
        states[0] = _state_copy(self.model)
        kept = zip(self.names, self.optimizer.buffers, strict=True)
        momentum = {name: b.detach().cpu().clone() for name, b in kept if b is not None}
        buffers[0] = momentum or None

    @torch.no_grad()
    def zero_pruned(self, index: int) -> None:
        momentum = {id(p): b for p, b in zip(self.optimizer.params, self.optimizer.buffers,
                                             strict=True)}  # fmt: skip
        for p, kept, _ in self.pruned:
            p.masked_fill_(~kept, 0.0)
            if momentum.get(id(p)) is not None:
                momentum[id(p)].masked_fill_(~kept, 0.0)

    def train(self) -> None:
        self.model.train()


def train(
    model: nn.Module,
    start: Mapping[str, Mapping[str, torch.Tensor]],
    data: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: str | torch.device | None = None,
    checkpoint: str | os.PathLike | None = None,
    start_iteration: int = 0,
    snapshot_iteration: int | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train ``model`` alone from ``start = {"weights", "mask"}``: :func:`train_runs` with one
    member. ``on_epoch``: called with each epoch's history row as it is written (``python -m pai
    run`` prints them)."""
    dev = pick_device(device)

    def solo(members: list[int], states: States, buffers: Buffers) -> Solo:
        return Solo(model, states[0], buffers[0], start["mask"], config, dev)

    def show(member: int, row: dict[str, float]) -> None:
        if on_epoch is not None:
            on_epoch(row)

    return train_runs(
        solo, model, [start], data, config, seed=seed, device=dev, checkpoint=checkpoint,
        start_iteration=start_iteration, snapshot_iteration=snapshot_iteration, on_epoch=show,
    )[0]  # fmt: skip


def train_runs(
    make_runs: MakeRuns,
    template: nn.Module,
    starts: Sequence[Mapping[str, Mapping[str, torch.Tensor]]],
    data: TensorData,
    config: TrainConfig,
    *,
    seed: int,
    device: torch.device,
    checkpoint: str | os.PathLike | None = None,
    start_iteration: int = 0,
    snapshot_iteration: int | None = None,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> list[TrainResult]:
    """The training loop: train every start state (``{"weights", "mask"}``) of ``starts`` as the
    runs ``make_runs`` makes, and return each one's weights and history.

    The loop owns everything around the step: bounds, resuming, the history, divergence, the
    per-epoch checkpoint, the zero-weight invariant and the per-epoch callback. ``template``: a
    net of the runs' architecture, to check the masks against. ``data`` may live on the CPU; it is
    moved to the device once. With ``checkpoint`` every member's state is saved there after every
    epoch, and a matching checkpoint found there is resumed from. ``start_iteration``: the first
    iteration to train (the ones before are skipped, data order, augmentation draws and learning
    rate included). ``snapshot_iteration``: keep a copy of each member's state after that many
    iterations (before any when 0) in ``TrainResult.snapshot``. ``on_epoch(member, row)``: called
    with each history row as it is written. A member whose training or test loss turns
    non-finite is frozen (pruned weights back to +0.0, ``diverged``) and the others go on.
    """
    for start in starts:
        check_mask(start["mask"], template)
    data = data.to(device)
    n_train = len(data.train_y)
    per_epoch = iterations_per_epoch(n_train, config.batch_size)
    last = total_iterations(config, n_train)
    bounds = (("start_iteration", start_iteration), ("snapshot_iteration", snapshot_iteration))
    for name, value in bounds:
        if value is not None and not 0 <= value < last:
            raise ValueError(f"{name} {value} is outside the run's {last} iterations")
    if snapshot_iteration is not None and snapshot_iteration < start_iteration:
        raise ValueError("snapshot_iteration lies before start_iteration")
    pad_value = augment_pad_value(data, device)
    iterations = (start_iteration, snapshot_iteration)
    fingerprint = _fingerprint(starts, config, seed, n_train, iterations)

    count = len(starts)
    states: States = [dict(start["weights"]) for start in starts]
    buffers: Buffers = [None] * count
    histories: list[list[dict[str, float]]] = [[] for _ in range(count)]
    diverged = [False] * count
    snapshots: list[dict[str, torch.Tensor] | None] = [None] * count
    first_epoch = start_iteration // per_epoch
    saved = load_checkpoint(Path(checkpoint), fingerprint) if checkpoint is not None else None
    if saved is not None:
        states, buffers = list(saved["states"]), list(saved["buffers"])
        histories, diverged = [list(h) for h in saved["histories"]], list(saved["diverged"])
        snapshots, first_epoch = list(saved["snapshots"]), int(saved["epoch"])
        log.info("resuming from %s after epoch %d", checkpoint, first_epoch)
    resumed_from = first_epoch

    active = [k for k in range(count) if not diverged[k]]
    runs = make_runs(active, states, buffers) if active else None
    if runs is not None and saved is None and snapshot_iteration == start_iteration:
        snapshots = _unpacked(runs, count)
    for epoch in range(first_epoch, config.epochs):
        if runs is None:
            break
        began = time.perf_counter()
        members = len(runs.members)
        runs.train()
        loss_sum = torch.zeros(members, dtype=torch.float64, device=device)
        correct = torch.zeros(members, dtype=torch.int64, device=device)
        seen, lr = 0, config.lr
        for step, x, y in epoch_batches(
            data, config, seed, epoch, start_iteration, pad_value, device
        ):
            lr = learning_rate(config, step, per_epoch)
            out, losses = runs.step(x, y, lr)
            if step + 1 == snapshot_iteration:
                for k, state in zip(runs.members, _unpacked(runs, count), strict=False):
                    snapshots[k] = state
            targets = y.unsqueeze(1).expand(-1, members)
            loss_sum += losses.detach().double() * len(y)
            correct += (out.argmax(2) == targets).sum(0)
            seen += len(y)
        train_losses = (loss_sum / seen).tolist()
        train_accuracies = (correct.double() / seen).tolist()
        test_losses, test_accuracies = runs.evaluate(
            data.test_x, data.test_y, config.eval_batch_size
        )
        seconds = time.perf_counter() - began
        stopped = []
        for index, k in enumerate(runs.members):
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
                runs.zero_pruned(index)
                stopped.append(k)
        runs.unpack(states, buffers)
        if stopped:
            for k in stopped:
                diverged[k] = True
            remaining = [k for k in runs.members if k not in stopped]
            runs = make_runs(remaining, states, buffers) if remaining else None
        if checkpoint is not None:
            storage.save(
                {
                    "fingerprint": fingerprint,
                    "epoch": epoch + 1,
                    "packed": count > 1,  # several members: a cell's runs packed together
                    "states": states,
                    "buffers": buffers,
                    "histories": histories,
                    "diverged": diverged,
                    "snapshots": snapshots,
                },
                Path(checkpoint),
            )

    results = []
    for k, start in enumerate(starts):
        for name, kept in start["mask"].items():  # the invariant the study rests on
            if bool(states[k][name][~kept].ne(0).any()):
                raise AssertionError(f"a pruned weight of run {k} became non-zero in training")
        results.append(
            TrainResult(
                weights={name: t.clone() for name, t in states[k].items()},
                history=histories[k],
                diverged=diverged[k],
                collapsed_layers=collapsed_layers(start["mask"]),
                resumed_from_epoch=resumed_from,
                device=str(device),
                snapshot=snapshots[k],
            )
        )
    return results


def _unpacked(runs: Runs, count: int) -> States:
    """The active members' states, in the order of ``runs.members`` (a snapshot)."""
    states: States = [{} for _ in range(count)]
    runs.unpack(states, [None] * count)
    return [states[k] for k in runs.members]


def _fingerprint(
    starts: Sequence[Mapping[str, Mapping[str, torch.Tensor]]],
    config: TrainConfig,
    seed: int,
    num_train: int,
    iterations: tuple[int, int | None],
) -> str:
    digest = hashlib.sha256()
    # CHECKPOINT_FORMAT: checkpoints of an older layout are ignored rather than misread
    settings = (CHECKPOINT_FORMAT, sorted(asdict(config).items()), seed, num_train, iterations)
    digest.update(repr(settings).encode())
    for start in starts:
        for part in ("weights", "mask"):
            for name in sorted(start[part]):
                tensor = start[part][name].detach().cpu().contiguous()
                digest.update(name.encode())
                digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().cpu().clone() for name, t in model.state_dict().items()}


def load_checkpoint(path: Path, fingerprint: str) -> dict | None:
    """The checkpoint at ``path`` if it was written for ``fingerprint`` (the same start states and
    settings); None, with a warning, for a missing, unreadable or foreign one: training starts
    over rather than resume someone else's state."""
    if not path.is_file():
        return None
    try:
        saved = storage.load(path)
    except storage.CorruptFileError as err:
        log.warning("ignoring unreadable checkpoint: %s", err)
        return None
    if not isinstance(saved, dict) or saved.get("fingerprint") != fingerprint:
        log.warning("ignoring checkpoint %s: it belongs to other start states or settings", path)
        return None
    return saved
