"""The training step launched as one captured CUDA graph per batch shape.

A small net on a large GPU is bound by kernel launches, not arithmetic: LeNet-300-100's step is
tens of kernels of microseconds each. Capturing the whole step (forward, loss, backward, gradient
masking, SGD update) once per batch shape (the full batch and the last, shorter one) and replaying
it leaves one launch per step. Each shape's first WARMUP_STEPS steps run eagerly on a side stream
(as CUDA graphs need); the next one is captured from static copies of its batch and replayed, and
so is every later step of that shape. The learning rate lives in a device tensor the graph reads.

Capture needs CUDA. Anywhere else, or if capture fails (an operation that cannot be captured, too
little memory), the step runs eagerly and the reason goes to the job's log. Captured and eager
steps agree to float32 rounding (the SGD update reads the learning rate from a tensor);
``benchmarks/gpu_check.py`` checks both on a GPU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch

log = logging.getLogger(__name__)
WARMUP_STEPS = 3


class Step:
    """Runs ``body(x, y)``, which trains one step in place and returns its output tensors:
    eagerly, or as a replayed CUDA graph per input shape."""

    def __init__(self, body: Callable, device: torch.device, optimizer, capture: bool):
        self.body, self.optimizer = body, optimizer
        self.graphs: dict[tuple, tuple] = {}
        self.eager_steps: dict[tuple, int] = {}
        self.capture = capture and device.type == "cuda"
        self.lr = torch.zeros((), device=device) if self.capture else None
        if capture and device.type != "cuda":
            log.info("not capturing the training step: CUDA graphs need CUDA, not %s", device)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, lr: float):
        key = (tuple(x.shape), tuple(y.shape))
        if not self.capture:
            self.optimizer.lr = lr
            return self.body(x, y)
        if key in self.graphs:
            graph, static_x, static_y, outputs = self.graphs[key]
            self.lr.fill_(lr)
            static_x.copy_(x)
            static_y.copy_(y)
            graph.replay()
            return outputs
        seen = self.eager_steps.get(key, 0)
        if seen < WARMUP_STEPS:
            self.eager_steps[key] = seen + 1
            self.optimizer.lr = lr
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                outputs = self.body(x, y)
            torch.cuda.current_stream().wait_stream(side)
            return outputs
        try:
            self.graphs[key] = self._capture(x, y)
        except Exception as err:  # any failure: train eagerly from now on, and say why
            log.warning("capturing the training step failed, training eagerly: %r", err)
            self.capture = False
            self.optimizer.lr = lr
            return self.body(x, y)
        return self(x, y, lr)  # the first replay trains this batch

    def _capture(self, x: torch.Tensor, y: torch.Tensor):
        static_x, static_y = x.clone(), y.clone()
        self.optimizer.lr = self.lr
        for p in self.optimizer.params:
            p.grad = None  # the graph allocates its own gradients
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = self.body(static_x, static_y)
        log.info("captured the training step for batches of shape %s", tuple(x.shape))
        return graph, static_x, static_y, outputs
