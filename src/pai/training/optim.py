"""Plain SGD with momentum and weight decay, the update of ``torch.optim.SGD``, without its import.

Why not ``torch.optim.SGD``: constructing any ``torch.optim`` optimizer imports ``torch._dynamo``
and ``torch._inductor`` (measured 1.9 s on the 2-core CI machine, more than training LeNet on
digits for 40 epochs). The pipeline starts one process per job, so that import was paid by every
training job. The update below is the same sequence of tensor operations as torch's SGD
(``dampening=0``, ``nesterov=False``, ``maximize=False``), so results are bit-identical to it; the
unit tests check that.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class SGD:
    """``p -= lr * buf`` with ``buf = momentum * buf + (grad + weight_decay * p)``.

    As in torch, the first step sets ``buf = grad + weight_decay * p`` (no decay of a zero
    buffer), and parameters without a gradient are skipped. ``lr`` may be a one-element tensor on
    the parameters' device (a captured CUDA graph reads the current value from it; a Python
    number would be frozen into the graph).
    """

    def __init__(
        self,
        params: Iterable[torch.nn.Parameter],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            grad = p.grad
            if self.weight_decay != 0:
                grad = grad.add(p, alpha=self.weight_decay)
            if self.momentum != 0:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = torch.clone(grad).detach()
                else:
                    buf.mul_(self.momentum).add_(grad)
                grad = buf
            if isinstance(self.lr, torch.Tensor):
                p.sub_(grad * self.lr)
            else:
                p.add_(grad, alpha=-self.lr)

    def state_dict(self) -> dict:
        return {"buffers": [None if b is None else b.detach().clone() for b in self.buffers]}

    def load_state_dict(self, state: dict) -> None:
        buffers = list(state["buffers"])
        if len(buffers) != len(self.params):
            raise ValueError(
                f"optimizer state has {len(buffers)} buffers for {len(self.params)} parameters"
            )
        self.buffers = [
            None if b is None else b.to(device=p.device, dtype=p.dtype).clone()
            for b, p in zip(buffers, self.params, strict=True)
        ]
